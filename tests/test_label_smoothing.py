"""F.cross_entropy(label_smoothing=) and nn.CrossEntropyLoss(label_smoothing=) against
PyTorch: class indices (with weight, ignore_index, every reduction, [C] / [N, C] /
[N, C, d...]) and class probabilities, values and gradients, float32 and float64."""
import numpy as np
import pytest
import strategies as S
from helpers import npy
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

REDUCTIONS = st.sampled_from(("mean", "sum", "none"))
DTYPES = st.sampled_from([np.float32, np.float64])
SMOOTHING = st.sampled_from([0.0, 0.05, 0.1, 0.37, 1.0])


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _close(ours, ref, dtype):
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    assert ours.shape == ref.shape
    rtol = 5e-6 if dtype == np.float32 else 1e-12
    scale = np.abs(ref[np.isfinite(ref)]).max(initial=1.0)
    np.testing.assert_allclose(ours, ref, rtol=rtol, atol=rtol * scale)


@st.composite
def problems(draw, probabilities=False):
    """Scores of shape [C], [N, C] or [N, C, d...], targets (indices with some rows
    ignored, or probabilities), keyword arguments (weight, ignore_index)."""
    c = draw(st.integers(2, 5))
    lead = draw(st.sampled_from([(), (1,), (3,), (2, "d"), (2, "d", "d")]))
    shape = tuple(draw(st.integers(1, 3)) if s == "d" else s for s in lead)
    seed = draw(S.seeds)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((shape[:1] + (c,) + shape[1:]) if shape else (c,)) * 2
    kw = {}
    if draw(st.booleans()):
        kw["weight"] = rng.uniform(0.5, 2, c)
    if probabilities:
        p = rng.uniform(0, 1, x.shape)
        return x, p / p.sum(axis=1 if x.ndim > 1 else 0, keepdims=True), seed, kw
    t = rng.integers(0, c, shape)
    ignore = draw(st.sampled_from([None, -100, 1]))
    if ignore is not None:
        if ignore != -100:
            kw["ignore_index"] = ignore
        if t.ndim:
            t.reshape(-1)[::2] = ignore   # some rows ignored, never all of them
            t.reshape(-1)[-1] = (ignore + 1) % c if ignore >= 0 else 0
    return x, t, seed, kw


def _run(L, x, t, dtype, reduction, smoothing, module, seed, kw, target_grad=False):
    """The loss in library L, backward under a random upstream gradient: the values
    and the gradients of the input (and of a probability target)."""
    xt = L.tensor(x.astype(dtype), requires_grad=True)
    tt = L.tensor(t.astype(dtype) if t.dtype.kind == "f" else t, requires_grad=target_grad)
    kws = {k: L.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
           for k, v in kw.items()}
    if module:
        out = L.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing, **kws)(xt, tt)
    else:
        out = L.nn.functional.cross_entropy(xt, tt, reduction=reduction,
                                            label_smoothing=smoothing, **kws)
    assert str(out.dtype).split(".")[-1] == np.dtype(dtype).name
    up = np.random.default_rng(seed).standard_normal(tuple(out.shape)).astype(dtype)
    (out * L.tensor(up)).sum().backward()
    return [npy(out), npy(xt.grad)] + ([npy(tt.grad)] if target_grad else [])


@given(problem=problems(), dtype=DTYPES, reduction=REDUCTIONS, smoothing=SMOOTHING,
       module=st.booleans())
def test_class_index_targets_match_torch(torch, device, problem, dtype, reduction, smoothing,
                                         module):
    x, t, seed, kw = problem
    ours = _run(tg, x, t, dtype, reduction, smoothing, module, seed, kw)
    ref = _run(torch, x, t, dtype, reduction, smoothing, module, seed, kw)
    for a, b in zip(ours, ref):
        _close(a, b, dtype)


@given(problem=problems(probabilities=True), dtype=DTYPES, reduction=REDUCTIONS,
       smoothing=SMOOTHING, module=st.booleans())
def test_probability_targets_match_torch(torch, device, problem, dtype, reduction, smoothing,
                                         module):
    x, p, seed, kw = problem
    ours = _run(tg, x, p, dtype, reduction, smoothing, module, seed, kw, target_grad=True)
    ref = _run(torch, x, p, dtype, reduction, smoothing, module, seed, kw, target_grad=True)
    for a, b in zip(ours, ref):
        _close(a, b, dtype)


def test_smoothing_by_hand():
    """(1 - e) * nll + e * mean_c(-log p_c): the formula on one row."""
    x = np.array([[2.0, 0.5, -1.0, 0.0]])
    logp = x - np.log(np.exp(x).sum())
    e = 0.2
    expected = (1 - e) * -logp[0, 1] + e * -logp[0].mean()
    got = F.cross_entropy(tg.tensor(x), tg.tensor([1]), label_smoothing=e).item()
    assert got == pytest.approx(expected, rel=1e-12)


def test_zero_smoothing_is_the_plain_loss_bit_for_bit():
    rng = np.random.default_rng(0)
    x, t = tg.tensor(rng.standard_normal((6, 5))), tg.tensor(rng.integers(0, 5, 6))
    np.testing.assert_array_equal(F.cross_entropy(x, t, label_smoothing=0.0).numpy(),
                                  F.cross_entropy(x, t).numpy())


def test_all_rows_ignored_is_nan_with_zero_grads(torch):
    x = np.random.default_rng(1).standard_normal((3, 4))
    t = np.full(3, -100)
    xs = tg.tensor(x, requires_grad=True)
    out = F.cross_entropy(xs, tg.tensor(t), label_smoothing=0.1)
    out.backward()
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(t), label_smoothing=0.1)
    ref.backward()
    assert np.isnan(out.item()) and np.isnan(ref.item())
    np.testing.assert_array_equal(npy(xs.grad), npy(xt.grad))


def test_module_keeps_its_option():
    loss = nn.CrossEntropyLoss(weight=tg.ones(3), ignore_index=0, label_smoothing=0.25)
    assert loss.label_smoothing == 0.25 and loss.ignore_index == 0
    x = tg.tensor([[1.0, 2.0, 3.0]])
    assert loss(x, tg.tensor([2])).item() == pytest.approx(
        F.cross_entropy(x, tg.tensor([2]), ignore_index=0, label_smoothing=0.25).item())


@pytest.mark.parametrize("bad", [1.5, -0.1, float("nan")])
def test_out_of_range_is_refused(bad):
    # PyTorch refuses > 1 and ignores a negative or NaN value; both are refused here
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(tg.ones(2, 3), tg.tensor([0, 1]), label_smoothing=bad)


def test_non_number_is_a_type_error():
    with pytest.raises(TypeError, match="argument 'label_smoothing' must be float, not str"):
        F.cross_entropy(tg.ones(2, 3), tg.tensor([0, 1]), label_smoothing="0.1")
