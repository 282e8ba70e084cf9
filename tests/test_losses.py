"""tg.nn losses, module and functional forms: values and input gradients against
PyTorch for every reduction (float32 and float64, Hypothesis-drawn shapes), the
curriculum's printed values, hand formulas, extreme inputs and bad input.

Finite-difference gradient checks live in tests/op_table_nn.py; here the oracle is
PyTorch (skipped cleanly when it is not installed) or a number written down."""
import math
import os
import warnings

import numpy as np
import pytest
import strategies as S
from helpers import npy
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

REDUCTIONS = ("mean", "sum", "none")
DTYPES = st.sampled_from([np.float32, np.float64])


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _close(ours, ref, dtype):
    """Relative tolerance on the values, scaled by the largest reference value so
    that near-zero entries of a gradient do not demand impossible precision."""
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape
    rtol = 2e-6 if dtype == np.float32 else 1e-12
    scale = np.abs(ref[np.isfinite(ref)]).max(initial=1.0)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale)


def _lib_tensor(L, a, dtype=None, rg=False):
    a = np.asarray(a) if dtype is None else np.asarray(a, dtype)
    return L.tensor(a, requires_grad=rg)


def _loss(L, name, fname, module, reduction, kw, *xs):
    """One loss call in library L (torch or tg): the module form or the function."""
    if module:
        return getattr(L.nn, name)(reduction=reduction, **kw)(*xs)
    return getattr(L.nn.functional, fname)(*xs, reduction=reduction, **kw)


def _compare(torch, name, fname, arrays, dtype, reduction, module=True, grad=(0,),
             tensor_kw=(), seed=0, **kw):
    """Same loss in both libraries: same values, same gradients of every input in
    ``grad`` (and of every tensor keyword in ``tensor_kw``) under a random upstream
    gradient, so reduction='none' is checked element by element."""
    grads = {}
    for L in (torch, tg):
        xs = [_lib_tensor(L, a, dtype if a.dtype.kind == "f" else None, i in grad)
              for i, a in enumerate(arrays)]
        kws = {k: (_lib_tensor(L, v, dtype, k in tensor_kw) if isinstance(v, np.ndarray)
                   else v) for k, v in kw.items()}
        out = _loss(L, name, fname, module, reduction, kws, *xs)
        up = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(dtype)
        (out * _lib_tensor(L, up)).sum().backward()
        grads[L] = [npy(out)] + [npy(xs[i].grad) for i in grad] + \
            [npy(kws[k].grad) for k in tensor_kw]
        assert str(out.dtype).split(".")[-1] == np.dtype(dtype).name
    for ours, ref in zip(grads[tg], grads[torch]):
        _close(ours, ref, dtype)


# ---- elementwise losses against torch ---------------------------------------------------
def _pair(seed, shape, kind):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-2, 2, shape), rng.uniform(-2, 2, shape)
    if kind == "prob":      # probabilities away from 0 and 1, soft targets
        return 1 / (1 + np.exp(-x)), rng.uniform(0, 1, shape)
    if kind == "logit":
        return 3 * x, rng.uniform(0, 1, shape)
    return x, y


ELEMENTWISE = [("MSELoss", "mse_loss", "real", {}),
               ("L1Loss", "l1_loss", "real", {}),
               ("SmoothL1Loss", "smooth_l1_loss", "real", {}),
               ("SmoothL1Loss", "smooth_l1_loss", "real", {"beta": 0.5}),
               ("SmoothL1Loss", "smooth_l1_loss", "real", {"beta": 0.0}),
               ("BCELoss", "binary_cross_entropy", "prob", {}),
               ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", "logit", {})]


@pytest.mark.parametrize("name,fname,kind,kw", ELEMENTWISE,
                         ids=[e[0] + "".join(f"-{k}{v}" for k, v in e[3].items())
                              for e in ELEMENTWISE])
@given(shape=S.shapes(min_dims=0, max_dims=3, max_numel=24), seed=S.seeds, dtype=DTYPES,
       reduction=st.sampled_from(REDUCTIONS), module=st.booleans())
def test_elementwise_loss_matches_torch(torch, device, name, fname, kind, kw, shape, seed, dtype,
                                        reduction, module):
    x, y = _pair(seed, shape, kind)
    _compare(torch, name, fname, [x, y], dtype, reduction, module, grad=(0, 1), seed=seed,
             **kw)


@given(shape=S.shapes(min_dims=1, max_dims=3, max_numel=24), seed=S.seeds, dtype=DTYPES,
       reduction=st.sampled_from(REDUCTIONS), module=st.booleans())
def test_bce_weight_matches_torch(torch, device, shape, seed, dtype, reduction, module):
    x, y = _pair(seed, shape, "prob")
    w = np.random.default_rng(seed + 1).uniform(0.5, 2, shape[-1:])   # broadcast weight
    _compare(torch, "BCELoss", "binary_cross_entropy", [x, y], dtype, reduction, module,
             seed=seed, weight=w)


@given(shape=S.shapes(min_dims=1, max_dims=3, max_numel=24), seed=S.seeds, dtype=DTYPES,
       reduction=st.sampled_from(REDUCTIONS), module=st.booleans())
def test_bce_with_logits_weights_match_torch(torch, device, shape, seed, dtype, reduction, module):
    x, y = _pair(seed, shape, "logit")
    rng = np.random.default_rng(seed + 1)
    w, pw = rng.uniform(0.5, 2, shape), rng.uniform(0.5, 3, shape[-1:])
    _compare(torch, "BCEWithLogitsLoss", "binary_cross_entropy_with_logits", [x, y], dtype,
             reduction, module, grad=(0, 1), seed=seed,
             weight=w, pos_weight=pw)


# ---- class losses against torch -----------------------------------------------------------
@st.composite
def class_problems(draw):
    """Scores [N, C] or [N, C, d...] (or [C] with a 0-d target), integer targets with
    some rows ignored, optional class weights and ignore_index."""
    c = draw(st.integers(2, 5))
    lead = draw(st.sampled_from([(), (1,), (3,), (2, "d"), (2, "d", "d")]))
    shape = tuple(draw(st.integers(1, 3)) if s == "d" else s for s in lead)
    seed = draw(S.seeds)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((shape[:1] + (c,) + shape[1:]) if shape else (c,)) * 2
    t = rng.integers(0, c, shape)
    kw = {}
    ignore = draw(st.sampled_from([None, -100, 1]))
    if ignore is not None:
        if ignore != -100:
            kw["ignore_index"] = ignore
        if t.ndim:
            t.reshape(-1)[::2] = ignore   # some rows ignored, never all of them
            t.reshape(-1)[-1] = (ignore + 1) % c if ignore >= 0 else 0
    if draw(st.booleans()):
        kw["weight"] = rng.uniform(0.5, 2, c)
    return x, t, seed, kw


@given(problem=class_problems(), dtype=DTYPES, reduction=st.sampled_from(REDUCTIONS),
       module=st.booleans(), nll=st.booleans())
def test_class_loss_matches_torch(torch, device, problem, dtype, reduction, module, nll):
    x, t, seed, kw = problem
    if nll:   # log-probabilities, as after a LogSoftmax
        x = x - np.log(np.exp(x).sum(axis=1 if x.ndim > 1 else 0, keepdims=True))
    name, fname = ("NLLLoss", "nll_loss") if nll else ("CrossEntropyLoss", "cross_entropy")
    _compare(torch, name, fname, [x, t], dtype, reduction, module, seed=seed, **kw)


@given(problem=class_problems(), dtype=DTYPES, reduction=st.sampled_from(REDUCTIONS),
       module=st.booleans())
def test_cross_entropy_probability_targets_match_torch(torch, device, problem, dtype, reduction,
                                                       module):
    x, _, seed, kw = problem
    kw.pop("ignore_index", None)
    p = np.random.default_rng(seed + 1).uniform(0, 1, x.shape)
    p /= p.sum(axis=1 if x.ndim > 1 else 0, keepdims=True)
    _compare(torch, "CrossEntropyLoss", "cross_entropy", [x, p], dtype, reduction, module,
             grad=(0, 1), seed=seed, **kw)


# ---- the curriculum, section B: exactly what PyTorch prints -----------------------------------
Y_TRUE, Y_PRED = [3.0, 5.0, 2.5], [4.5, 5.0, 2.0]


@pytest.mark.parametrize("loss,expected", [(nn.L1Loss(), 0.6666666865348816),
                                           (nn.MSELoss(), 0.8333333134651184),
                                           (nn.SmoothL1Loss(), 0.375),
                                           (F.smooth_l1_loss, 0.375)])
def test_curriculum_regression_losses(loss, expected):
    assert loss(tg.tensor(Y_PRED), tg.tensor(Y_TRUE)).item() == expected


SCORES = [[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]]


@pytest.mark.parametrize("targets,expected", [([0, 1], 0.8965588212013245),
                                              ([1, 2], 1.2465587854385376)])
def test_curriculum_cross_entropy_exact(targets, expected):
    assert nn.CrossEntropyLoss()(tg.tensor(SCORES), tg.tensor(targets)).item() == expected


GOOD3 = [[2.0, 1.0, 2.1], [2.0, 1.0, 0.1], [2.0, 3.0, 0.1]]
BAD3 = [[0.5, 2.0, 0.3]] * 3


@pytest.mark.parametrize("scores,target,expected,pred", [
    ([[2.0, 1.0, 0.1]], [0], 0.4170, [0]), ([[0.5, 2.0, 0.3]], [0], 1.8406, [1]),
    (GOOD3, [2, 0, 1], 0.5251, [2, 0, 1]), (BAD3, [2, 0, 1], 1.4073, [1, 1, 1])])
def test_curriculum_cross_entropy_and_predictions(scores, target, expected, pred):
    s = tg.tensor(scores)
    assert nn.CrossEntropyLoss()(s, tg.tensor(target)).item() == pytest.approx(expected,
                                                                                abs=5e-5)
    values, indices = tg.max(s, 1)
    assert indices.tolist() == pred
    assert values.tolist() == [max(r) for r in s.tolist()]


def test_curriculum_bce():
    loss = nn.BCELoss()(tg.tensor([[0.1], [0.2], [0.7]]), tg.tensor([[1.0], [0.0], [1.0]]))
    assert loss.item() == 0.9608011841773987


def test_hand_formulas_of_the_numpy_lesson():
    """Half sum of squares and -sum(t log(y + 1e-7)) are our losses with reduction='sum'."""
    t = np.zeros(10)
    t[2] = 1
    y1 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    y2 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
    for y, half_sq, ce in ((y1, 0.0975, 0.510825457099338), (y2, 0.5975, 2.302584092994546)):
        yt, tt = tg.tensor(y), tg.tensor(t)
        assert 0.5 * F.mse_loss(yt, tt, reduction="sum").item() == pytest.approx(half_sq)
        logy = tg.tensor(np.log(y + 1e-7)).reshape(1, 10)
        assert F.nll_loss(logy, tg.tensor([2]), reduction="sum").item() == pytest.approx(
            ce, rel=1e-12)
        # the same number from probability targets (log_softmax(log y) = log y - log(1+1e-6))
        assert F.cross_entropy(logy, tt.reshape(1, 10)).item() == pytest.approx(ce, rel=1e-5)
    assert F.mse_loss(tg.tensor(y1), tg.tensor(t)).item() == pytest.approx(2 * 0.0975 / 10)


# ---- extreme inputs ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_saturated_probabilities_match_torch(torch, dtype, reduction):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-30])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 1.0])
    _compare(torch, "BCELoss", "binary_cross_entropy", [p, y], dtype, reduction)
    pt, yt = tg.tensor(p, requires_grad=True), tg.tensor(y, requires_grad=True)
    loss = F.binary_cross_entropy(pt, yt, reduction="none")
    assert loss.tolist()[:4] == [0.0, 0.0, 100.0, 100.0]   # log clamped at -100
    # By design the target gradient is that of the clamped loss, log(1-p) - log(p) with
    # both logs clamped at -100: finite where PyTorch's is +-inf.
    loss.sum().backward()
    assert yt.grad.tolist()[:4] == [100.0, -100.0, 100.0, -100.0]
    assert np.isfinite(pt.grad.numpy()).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("big", [1000.0, 1e4])
def test_bce_with_logits_huge_logits_match_torch(torch, dtype, big):
    x = np.array([big, -big, big, -big, 0.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    for reduction in REDUCTIONS:
        _compare(torch, "BCEWithLogitsLoss", "binary_cross_entropy_with_logits", [x, y],
                 dtype, reduction, grad=(0, 1), pos_weight=np.array([2.0]))
    loss = F.binary_cross_entropy_with_logits(tg.tensor(x), tg.tensor(y), reduction="none")
    assert np.isfinite(loss.numpy()).all() and loss.tolist()[2] == big


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_huge_scores_match_torch(torch, dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [1e4, 1e4, -1e4]])
    t = np.array([1, 2, 0])
    for reduction in REDUCTIONS:
        _compare(torch, "CrossEntropyLoss", "cross_entropy", [x, t], dtype, reduction)
    loss = F.cross_entropy(tg.tensor(x), tg.tensor(t), reduction="none")
    assert np.isfinite(loss.numpy()).all() and loss.tolist()[0] == 2e4


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_all_ignored_batch(torch, fn):
    """mean over no kept rows is 0/0 = nan like torch, silently, with zero gradients."""
    x = tg.randn(3, 4, requires_grad=True)
    t = tg.tensor([-100, -100, -100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = fn(x, t)
        loss.backward()
    assert math.isnan(loss.item())
    assert x.grad.tolist() == [[0.0] * 4] * 3
    assert fn(x, t, reduction="sum").item() == 0.0
    assert fn(x, t, reduction="none").tolist() == [0.0] * 3


# ---- bad input -----------------------------------------------------------------------------
ALL_FNS = [(F.mse_loss, "real"), (F.l1_loss, "real"), (F.smooth_l1_loss, "real"),
           (F.binary_cross_entropy, "prob"), (F.binary_cross_entropy_with_logits, "prob"),
           (F.cross_entropy, "class"), (F.nll_loss, "class")]


@pytest.mark.parametrize("fn,kind", ALL_FNS, ids=[f.__name__ for f, _ in ALL_FNS])
def test_wrong_reduction_string(fn, kind):
    x = tg.full((2, 3), 0.5)
    y = tg.tensor([0, 2]) if kind == "class" else tg.full((2, 3), 0.25)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        fn(x, y, reduction="avg")


@pytest.mark.parametrize("cls", [nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.BCELoss,
                                 nn.BCEWithLogitsLoss, nn.CrossEntropyLoss, nn.NLLLoss])
def test_wrong_reduction_string_module(cls):
    # (stricter than torch, which accepts the string and fails only when called)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        cls(reduction="elementwise_mean")


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize("bad", [3, -1, 100])
def test_class_target_out_of_range(fn, bad):
    with pytest.raises(IndexError, match="out of bounds"):
        fn(tg.zeros(2, 3), tg.tensor([0, bad]))


def test_class_target_shape_errors():
    x = tg.zeros(3, 4)
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)"):
        F.cross_entropy(x, tg.tensor([0, 1]))
    with pytest.raises(ValueError, match="batch_size"):
        nn.NLLLoss()(x, tg.tensor([0, 1]))
    for t in (tg.zeros(3, 5), tg.zeros(3)):    # float targets must match the input
        with pytest.raises(RuntimeError):
            F.cross_entropy(x, t)
    with pytest.raises(RuntimeError):
        F.cross_entropy(tg.zeros(2, 3, 4), tg.zeros(2, 5, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.cross_entropy(x, tg.tensor([0, 1, 2]), weight=tg.ones(3))


@pytest.mark.parametrize("p", [[0.5, 1.5], [-0.1, 0.5], [float("nan"), 0.5]])
def test_bce_input_outside_unit_interval(p):
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        nn.BCELoss()(tg.tensor(p), tg.tensor([0.0, 1.0]))


@pytest.mark.parametrize("fn", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_bce_target_shape_mismatch(fn):
    with pytest.raises(ValueError, match="target size"):
        fn(tg.full((3, 1), 0.5), tg.full((3,), 0.5))


@pytest.mark.parametrize("fn", [F.mse_loss, F.l1_loss, F.smooth_l1_loss])
def test_broadcasting_target_warns_like_torch(torch, fn):
    x, y = np.linspace(0.1, 0.9, 3).reshape(3, 1), np.array([0.2, 0.4, 0.7])
    with pytest.warns(UserWarning, match="target size"):
        ours = fn(tg.tensor(x), tg.tensor(y))
    with pytest.warns(UserWarning):
        ref = getattr(torch.nn.functional, fn.__name__)(torch.tensor(x), torch.tensor(y))
    assert ours.item() == pytest.approx(ref.item(), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")      # same shapes: silent
        fn(tg.tensor(y), tg.tensor(y))


def test_negative_smooth_l1_beta():
    with pytest.raises(RuntimeError, match="negative values for beta"):
        nn.SmoothL1Loss(beta=-1.0)(tg.zeros(2), tg.zeros(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_ignored_row_with_minus_inf_score_is_zero_and_silent(torch, fn, dtype):
    """An ignored row reads no score: its loss is 0 even where the score at class 0
    (the index that stands in for ignore_index) is -inf (a masked logit), as in torch."""
    x = np.array([[-np.inf, 0.0, 1.0], [1.0, 2.0, -np.inf], [0.5, -1.0, 2.0]], dtype)
    t = np.array([-100, 1, 2])
    if fn is F.nll_loss:
        x = torch.from_numpy(x).log_softmax(1).numpy()
    for reduction in REDUCTIONS:
        ours = tg.tensor(x, requires_grad=True)
        ref = torch.tensor(x, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loss = fn(ours, tg.tensor(t), reduction=reduction)
            loss.sum().backward()
        expect = getattr(torch.nn.functional, fn.__name__)(ref, torch.tensor(t),
                                                           reduction=reduction)
        expect.sum().backward()
        _close(loss.detach().numpy(), expect.detach().numpy(), dtype)
        _close(ours.grad.numpy(), ref.grad.numpy(), dtype)


def test_numpy_backend_cross_entropy_is_the_c_kernels_twin_on_minus_inf():
    """The specification gives what the C kernel gives: 0 for the ignored row, silently."""
    from tinygrad_edu.backend import numpy_backend as R
    x = np.array([[-np.inf, 0.0], [1.0, 2.0]], np.float32)
    t = np.array([-100, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses, grad = R.softmax_cross_entropy(x, t, None, -100, "none")
        mean, _ = R.softmax_cross_entropy(x, t, None, -100, "mean")
    total = losses.sum() / mean  # the total weight: 1, the one row kept
    assert losses[0] == 0.0 and not np.signbit(losses[0]) and total == 1.0
    assert np.isfinite(grad).all()


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_bad_weight_is_reported_before_a_bad_target(fn):
    """torch checks the weight's shape before the class indices: the same error wins here."""
    # under scripts/sanitize.sh (ASan preloaded) a C++ exception thrown by torch aborts
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):
        torch = pytest.importorskip("torch")
        with pytest.raises(RuntimeError, match="weight tensor should be defined"):
            getattr(torch.nn.functional, fn)(torch.zeros(1, 2), torch.tensor([5]),
                                             weight=torch.ones(3))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        getattr(F, fn)(tg.zeros(1, 2), tg.tensor([5]), weight=tg.ones(3))
