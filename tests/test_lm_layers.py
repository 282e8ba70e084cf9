"""The language-model chapter: erf, embedding, layer_norm, rms_norm, gelu and silu
(tinygrad_edu.nn.functional_lm) and their modules (tinygrad_edu.nn.lm_layers),
against math.erf and PyTorch: values and every gradient in float32 and float64,
second order, padding rows, from_pretrained, reprs, state_dicts both ways and each
wrong call (PyTorch's exception type). Finite-difference checks are rows of
tests/op_table_lm.py."""
import math

import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg
import tinygrad_edu.nn.functional_lm as FL
import tinygrad_edu.nn.lm_layers as LM
from tinygrad_edu.functions import Erf
from tinygrad_edu.functions.elementwise import erf_array

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=2e-5, atol=2e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _sides(torch):
    """(tensor library, its functional module, its layer module) for tg and torch."""
    return (tg, FL, LM), (torch, torch.nn.functional, torch.nn)


def _run(torch, dtype, arrays, fn, upstream_seed=0):
    """fn(L, F, N, *leaves) on both sides from the same arrays; the outputs are pulled
    back with one random upstream gradient. Returns [(out, grads...)] per side."""
    results = []
    for L, F, N in _sides(torch):
        xs = [L.tensor(a, dtype=getattr(L, dtype), requires_grad=True) for a in arrays]
        out = fn(L, F, N, *xs)
        v = np.random.default_rng(upstream_seed).standard_normal(tuple(out.shape))
        (out * L.tensor(v, dtype=out.dtype)).sum().backward()
        results.append([npy(out)] + [npy(x.grad) for x in xs])
    return results


def _assert_same(results, dtype):
    for i, (a, b) in enumerate(zip(*results)):
        assert a.shape == b.shape and a.dtype == b.dtype, f"output/gradient {i}"
        np.testing.assert_allclose(a, b, err_msg=f"output/gradient {i}", **TOL[dtype])


# ---- erf ---------------------------------------------------------------------------------------
def _erf_points():
    rng = np.random.default_rng(0)
    tails = np.logspace(-320, 1.6, 4000)
    edges = [0.46875, np.nextafter(0.46875, 1), 4.0, np.nextafter(4.0, 5), 5.9, 26.5, 27.0, 40.0]
    x = np.concatenate([np.linspace(-10, 10, 40001), rng.standard_normal(20000) * 3, tails,
                        edges, [0.0, 1e300]])
    return np.concatenate([x, -x])


def test_erf_is_float64_accurate_against_math_erf():
    x = _erf_points()
    want = np.array([math.erf(v) for v in x])
    got = erf_array(np, x)
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-300)
    assert got.dtype == np.float64 and rel.max() < 1e-15
    assert np.array_equal(np.signbit(erf_array(np, np.array([0.0, -0.0]))), [False, True])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # (underflow is fine)
        special = erf_array(np, np.array([np.inf, -np.inf, np.nan, 1e308, 5e-324]))
    assert special[:2].tolist() == [1.0, -1.0] and np.isnan(special[2]) and special[3] == 1.0


def test_erf_float32_is_the_rounded_float64_value():
    x = _erf_points()
    x = x[np.abs(x) < 1e30].astype(np.float32)
    got = erf_array(np, x)
    want = np.array([math.erf(float(v)) for v in x]).astype(np.float32)
    assert got.dtype == np.float32 and np.max(np.abs(got.astype(np.float64) - want) /
                                              np.spacing(np.abs(want))) <= 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_function_matches_torch_with_second_order(torch, dtype):
    x = np.linspace(-5, 5, 41)
    got = _run(torch, dtype, [x], lambda L, F, N, t: Erf.apply(t) if L is tg else t.erf())
    _assert_same(got, dtype)
    for L in (tg, torch):   # d2/dx2 erf = -2x d/dx erf
        t = L.tensor(x, dtype=L.float64, requires_grad=True)
        (g,) = L.autograd.grad((Erf.apply(t) if L is tg else t.erf()).sum(), [t],
                               create_graph=True)
        (h,) = L.autograd.grad(g.sum(), [t])
        np.testing.assert_allclose(npy(h), -2 * x * npy(g), rtol=1e-12, atol=1e-14)


# ---- embedding ---------------------------------------------------------------------------------
IDX = [np.array(3), np.array([0, 4, 4, 1]), np.array([[1, 2, 1], [0, 3, 4]]),
       np.arange(12).reshape(2, 3, 2) % 5, np.zeros((2, 0), np.int64)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idx_dtype", ["int64", "int32"])
@pytest.mark.parametrize("padding_idx", [None, 1, -1])
@pytest.mark.parametrize("idx", IDX, ids=["0d", "1d", "2d", "3d", "empty"])
def test_embedding_matches_torch(torch, dtype, idx_dtype, padding_idx, idx):
    w = np.random.default_rng(1).standard_normal((5, 3))

    def fn(L, F, N, weight):
        return F.embedding(L.tensor(idx.astype(idx_dtype)), weight, padding_idx=padding_idx)
    got = _run(torch, dtype, [w], fn)
    _assert_same(got, dtype)
    if padding_idx is not None:   # the padding row is looked up but gets no gradient
        assert not got[0][1][padding_idx].any()


def test_embedding_output_is_a_copy_and_keeps_the_weights_dtype():
    w = tg.arange(10).reshape(5, 2)            # int64 weights work, as in torch
    out = FL.embedding(tg.tensor(2), w)
    assert out.dtype == tg.int64 and out.tolist() == [4, 5]
    out.add_(100)
    assert w[2].tolist() == [4, 5]


def test_embedding_checks_indices_before_looking_up(monkeypatch):
    def boom(self, index):
        raise AssertionError("looked up before the indices were checked")
    monkeypatch.setattr(tg.Tensor, "__getitem__", boom)
    w = tg.randn(5, 3, requires_grad=True)
    for bad, err in ((tg.tensor([0, 5]), IndexError), (tg.tensor([-1]), IndexError),
                     (tg.tensor([1.0]), RuntimeError)):
        with pytest.raises(err):
            FL.embedding(bad, w)


@pytest.mark.parametrize("fn", ["functional", "module"])
@pytest.mark.parametrize("option, value", [("max_norm", 1.0), ("scale_grad_by_freq", True),
                                           ("sparse", True)])
def test_embedding_unsupported_options_are_refused(fn, option, value):
    with pytest.raises(NotImplementedError, match=f"{option}.* not supported"):
        if fn == "module":
            LM.Embedding(5, 3, **{option: value})
        else:
            FL.embedding(tg.tensor([1]), tg.randn(5, 3), **{option: value})


def test_embedding_module_init_padding_and_training():
    tg.manual_seed(0)
    e = LM.Embedding(2000, 50, padding_idx=3)
    w = npy(e.weight)
    assert e.weight.shape == (2000, 50) and e.weight.requires_grad
    assert not w[3].any() and abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01   # N(0, 1)
    out = e(tg.tensor([[3, 4], [4, 3]]))
    out.sum().backward()
    g = npy(e.weight.grad)
    assert out.shape == (2, 2, 50) and not g[3].any() and (g[4] == 2).all()
    assert np.count_nonzero(g.any(axis=1)) == 1
    e64 = LM.Embedding(4, 2, dtype=tg.float64)
    assert e64.weight.dtype == tg.float64 and e64(tg.tensor([1])).dtype == tg.float64
    # (torch raises IndexError here, from indexing its weight with the float)
    with pytest.raises(TypeError, match="argument 'padding_idx' must be int, not float"):
        LM.Embedding(5, 3, padding_idx=1.5)


def test_embedding_from_pretrained_and_private_weight(torch):
    table = tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    e = LM.Embedding.from_pretrained(table)
    assert not e.weight.requires_grad and e(tg.tensor([2, 0])).tolist() == [[5, 6], [1, 2]]
    with tg.no_grad():
        table[0, 0] = 9.0   # the weight shares the given tensor's memory, as in torch
    assert e.weight[0, 0].item() == 9.0
    e = LM.Embedding.from_pretrained(table, freeze=False, padding_idx=1)
    assert e.weight.requires_grad and e.weight[1].tolist() == [3.0, 4.0]   # not zeroed
    e(tg.tensor([1, 2, 2])).sum().backward()
    assert e.weight.grad.tolist() == [[0, 0], [0, 0], [2, 2]]
    ref = torch.nn.Embedding.from_pretrained(torch.tensor([[1.0, 2.0]] * 3), padding_idx=1)
    assert repr(e) == repr(ref) and e.padding_idx == ref.padding_idx
    frozen = LM.Embedding(3, 2, _weight=tg.ones(3, 2), _freeze=True, padding_idx=0)
    assert not frozen.weight.requires_grad and frozen.weight.tolist() == [[1, 1]] * 3


# ---- layer_norm and rms_norm -------------------------------------------------------------------
NORMS = [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 1, 3, 2), [3, 2]), ((6,), (6,)),
         ((3, 2), (2,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", ["weight_bias", "weight", "bias", "none"])
@pytest.mark.parametrize("shape, norm", NORMS)
def test_layer_norm_matches_torch(torch, dtype, affine, shape, norm):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(shape) * 3 + 1, rng.standard_normal(norm) + 1,
              rng.standard_normal(norm)]
    use_w, use_b = "weight" in affine, "bias" in affine

    def fn(L, F, N, x, w, b):
        out = F.layer_norm(x, norm, w if use_w else None, b if use_b else None, eps=1e-4)
        return out + 0 * (w.sum() + b.sum())   # every leaf gets a gradient (maybe zero)
    _assert_same(_run(torch, dtype, arrays, fn), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("eps", [None, 1e-6, 0.5])
@pytest.mark.parametrize("shape, norm", NORMS)
def test_rms_norm_matches_torch(torch, dtype, eps, shape, norm):
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(shape), rng.standard_normal(norm)]
    _assert_same(_run(torch, dtype, arrays, lambda L, F, N, x, w: F.rms_norm(
        x, norm, w, eps)), dtype)
    _assert_same(_run(torch, dtype, arrays[:1], lambda L, F, N, x: F.rms_norm(
        x, norm, eps=eps)), dtype)


def test_rms_norm_default_eps_is_the_dtypes_machine_epsilon(torch):
    for dt in DTYPES:
        x = np.full((1, 3), 1e-5 if dt == "float32" else 1e-8)   # x^2 near eps
        ours = FL.rms_norm(tg.tensor(x, dtype=getattr(tg, dt)), (3,))
        ref = torch.nn.functional.rms_norm(torch.tensor(x, dtype=getattr(torch, dt)), (3,))
        np.testing.assert_allclose(npy(ours), npy(ref), rtol=1e-6)
        assert (npy(ours) < 0.9).all()   # eps matters at this scale
    # a weight of another dtype: the result keeps the input's, as in torch
    out = FL.rms_norm(tg.ones(2, 3), (3,), weight=tg.ones(3, dtype=tg.float64))
    assert out.dtype == tg.float32


# ---- activations -------------------------------------------------------------------------------
ACTS = [("gelu", {}), ("gelu", {"approximate": "none"}), ("gelu", {"approximate": "tanh"}),
        ("silu", {})]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, kw", ACTS)
def test_activations_match_torch(torch, dtype, name, kw):
    x = np.concatenate([np.linspace(-8, 8, 65), [0.0, 1e-8, -30.0, 30.0]])
    _assert_same(_run(torch, dtype, [x], lambda L, F, N, t: getattr(F, name)(t, **kw)), dtype)


def test_silu_inplace_like_torch(torch):
    x = np.linspace(-3, 3, 7)
    got = _run(torch, "float64", [x], lambda L, F, N, t: F.silu(t * 1.0, inplace=True))
    _assert_same(got, "float64")
    y = tg.tensor(x) * 2.0
    assert FL.silu(y, inplace=True) is y and LM.SiLU(inplace=True)(y) is y


# ---- second order ------------------------------------------------------------------------------
SECOND = [("layer_norm", lambda F, x, w, b: F.layer_norm(x, (2, 3), w, b)),
          ("rms_norm", lambda F, x, w, b: F.rms_norm(x, [3], w[0]) * b[0]),
          ("gelu", lambda F, x, w, b: F.gelu(x * w) + b),
          ("gelu_tanh", lambda F, x, w, b: F.gelu(x * w, approximate="tanh") + b),
          ("silu", lambda F, x, w, b: F.silu(x * w) + b)]


@pytest.mark.parametrize("name, fn", SECOND, ids=[s[0] for s in SECOND])
def test_second_order_matches_torch(torch, name, fn):
    """The gradient of <v, grad> for every input, through create_graph=True."""
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal((4, 2, 3)), rng.standard_normal((2, 3)) + 1,
              rng.standard_normal((2, 3))]
    results = []
    for L, F, _ in _sides(torch):
        xs = [L.tensor(a, dtype=L.float64, requires_grad=True) for a in arrays]
        out = fn(F, *xs)
        v = L.tensor(np.random.default_rng(5).standard_normal(tuple(out.shape)))
        grads = L.autograd.grad((out * v).sum(), xs, create_graph=True)
        u = [L.tensor(np.random.default_rng(6 + i).standard_normal(a.shape))
             for i, a in enumerate(arrays)]
        second = L.autograd.grad(sum((g * w).sum() for g, w in zip(grads, u)), xs,
                                 allow_unused=True)
        results.append([npy(g) for g in grads] +
                       [np.zeros(a.shape) if s is None else npy(s)
                        for s, a in zip(second, arrays)])
    _assert_same(results, "float64")


# ---- modules -------------------------------------------------------------------------------------
MODULES = [("Embedding", (10, 3), {}), ("Embedding", (10, 3), {"padding_idx": 0}),
           ("Embedding", (10, 3), {"padding_idx": -1}), ("Embedding", (10, 3), {"norm_type": 3.0}),
           ("LayerNorm", (4,), {}), ("LayerNorm", ((2, 3),), {"eps": 1e-6}),
           ("LayerNorm", ([4],), {"bias": False}),
           ("LayerNorm", (3,), {"elementwise_affine": False}), ("RMSNorm", (4,), {}),
           ("RMSNorm", ([2, 3],), {"eps": 1e-6, "elementwise_affine": False}),
           ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}),
           ("SiLU", (), {"inplace": True})]


@pytest.mark.parametrize("name, args, kw", MODULES)
def test_modules_match_torch_repr_parameters_and_state_dict(torch, name, args, kw):
    ours, ref = getattr(LM, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(ours) == repr(ref)
    for attr in ("normalized_shape", "eps", "elementwise_affine", "padding_idx",
                 "num_embeddings", "embedding_dim", "approximate", "inplace"):
        assert getattr(ours, attr, None) == getattr(ref, attr, None), attr
    ref_params = {k: (tuple(p.shape), p.requires_grad) for k, p in ref.named_parameters()}
    assert {k: (tuple(p.shape), p.requires_grad) for k, p in ours.named_parameters()} == \
        ref_params
    assert [getattr(ours, k, None) is None for k in ("weight", "bias")] == \
        [getattr(ref, k, None) is None for k in ("weight", "bias")]
    if name != "Embedding":   # deterministic init: equal to torch's
        for k, v in ref.state_dict().items():
            np.testing.assert_array_equal(npy(ours.state_dict()[k]), npy(v))


@pytest.mark.parametrize("name, args, kw, shape", [
    ("Embedding", (6, 4), {"padding_idx": 2}, None), ("LayerNorm", ((3, 4),), {}, (2, 3, 4)),
    ("LayerNorm", (4,), {"bias": False}, (5, 4)), ("RMSNorm", (4,), {"eps": 1e-5}, (2, 3, 4)),
    ("RMSNorm", (4,), {}, (3, 4))])
def test_state_dict_moves_both_ways_and_modules_agree(torch, name, args, kw, shape):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 6, (3, 5)) if shape is None else rng.standard_normal(shape)
    for src_torch in (True, False):
        ours, ref = getattr(LM, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
        src = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32)
               for k, v in ref.state_dict().items()}
        if src_torch:   # torch -> tg, straight from torch's state_dict
            ref.load_state_dict({k: torch.tensor(v) for k, v in src.items()})
            ours.load_state_dict(ref.state_dict())
        else:           # tg -> torch
            ours.load_state_dict({k: tg.tensor(v) for k, v in src.items()})
            ref.load_state_dict({k: torch.tensor(npy(v)) for k, v in ours.state_dict().items()})
        outs = []
        for L, m in ((tg, ours), (torch, ref)):
            xt = L.tensor(x) if shape is None else L.tensor(x, dtype=L.float32,
                                                             requires_grad=True)
            y = m(xt)
            (y * L.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)),
                          dtype=L.float32)).sum().backward()
            outs.append([npy(y)] + [npy(p.grad) for p in m.parameters()] +
                        ([] if shape is None else [npy(xt.grad)]))
        _assert_same(outs, "float32")


# ---- wrong calls: PyTorch's exception type, a message naming the problem ------------------
X23 = np.arange(6.0).reshape(2, 3)
ERRORS = [
    ("index too big", lambda L, F, N: F.embedding(L.tensor([0, 5]), L.ones(5, 3)),
     r"index out of range in self: index 5 is not in \[0, 4\]"),
    ("negative index", lambda L, F, N: F.embedding(L.tensor([-1]), L.ones(5, 3)),
     r"index out of range in self: index -1"),
    ("float indices", lambda L, F, N: F.embedding(L.tensor([1.0]), L.ones(5, 3)),
     r"'indices' .*Long, Int; but got tg.float32"),
    ("bool indices", lambda L, F, N: F.embedding(L.tensor([True]), L.ones(5, 3)),
     r"Long, Int; but got tg.bool"),
    ("uint8 indices", lambda L, F, N: F.embedding(L.tensor([1], dtype=L.uint8), L.ones(5, 3)),
     r"Long, Int; but got tg.uint8"),
    ("list indices", lambda L, F, N: F.embedding([1, 2], L.ones(5, 3)),
     r"embedding\(\): argument 'input' must be a tg.Tensor of integer indices, not list"),
    ("1-D weight", lambda L, F, N: F.embedding(L.tensor([1]), L.ones(5)),
     r"'weight' must be 2-D \[num_embeddings, embedding_dim\], got shape \[5\]"),
    ("padding_idx too big", lambda L, F, N: F.embedding(L.tensor([1]), L.ones(5, 3),
                                                       padding_idx=5),
     r"Padding_idx must be within num_embeddings: padding_idx=5 is outside \[-5, 4\]"),
    ("padding_idx too small", lambda L, F, N: N.Embedding(5, 3, padding_idx=-6),
     r"Padding_idx must be within num_embeddings"),
    ("float padding_idx", lambda L, F, N: F.embedding(L.tensor([1]), L.ones(5, 3),
                                                     padding_idx=1.0),
     r"argument 'padding_idx' must be int, not float"),
    ("_weight shape", lambda L, F, N: N.Embedding(5, 3, _weight=L.ones(4, 3)),
     r"Shape of weight does not match num_embeddings and embedding_dim: expected \[5, 3\]"),
    ("from_pretrained 1-D", lambda L, F, N: N.Embedding.from_pretrained(L.ones(5)),
     r"Embeddings parameter is expected to be 2-dimensional, got shape \[5\]"),
    ("negative num_embeddings", lambda L, F, N: N.Embedding(-1, 3), r"negative dimension -1"),
    ("layer_norm shape", lambda L, F, N: F.layer_norm(L.tensor(X23), (4,)),
     r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of "
     r"size \[2, 3\]"),
    ("layer_norm too long", lambda L, F, N: F.layer_norm(L.ones(3), (2, 3)),
     r"normalized_shape=\[2, 3\], expected input with shape \[\*, 2, 3\]"),
    ("layer_norm weight", lambda L, F, N: F.layer_norm(L.tensor(X23), (3,), L.ones(4)),
     r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[4\]"),
    ("layer_norm bias", lambda L, F, N: F.layer_norm(L.tensor(X23), [3], None, L.ones(2, 3)),
     r"Expected bias to be of same shape as normalized_shape, but got bias of shape \[2, 3\]"),
    ("layer_norm int shape", lambda L, F, N: F.layer_norm(L.tensor(X23), 3),
     r"argument 'normalized_shape' must be tuple of ints, not int"),
    ("layer_norm float in shape", lambda L, F, N: F.layer_norm(L.tensor(X23), (3.0,)),
     r"must be tuple of ints, but found element of type float"),
    ("layer_norm empty shape", lambda L, F, N: F.layer_norm(L.tensor(X23), ()),
     r"Expected normalized_shape to be at least 1-dimensional"),
    ("layer_norm int input", lambda L, F, N: F.layer_norm(L.tensor([[1, 2]]), (2,)),
     r'"layer_norm" not implemented for tg.int64'),
    ("layer_norm list input", lambda L, F, N: F.layer_norm([[1.0, 2.0]], (2,)),
     r"argument 'input' must be a tg.Tensor, not list"),
    ("layer_norm mixed dtype", lambda L, F, N: F.layer_norm(
        L.tensor(X23, dtype=L.float32), (3,), L.ones(3, dtype=L.float64)),
     r"mixed dtype: input is tg.float32 but weight is tg.float64"),
    ("rms_norm shape", lambda L, F, N: F.rms_norm(L.tensor(X23), (4,)),
     r"rms_norm\(\): Given normalized_shape=\[4\]"),
    ("rms_norm too few dims", lambda L, F, N: F.rms_norm(L.ones(3), (2, 3)),
     r"but got input of size \[3\]"),
    ("rms_norm weight", lambda L, F, N: F.rms_norm(L.tensor(X23), (3,), L.ones(4)),
     r"Expected weight to be of same shape as normalized_shape"),
    ("rms_norm empty shape", lambda L, F, N: F.rms_norm(L.tensor(X23), ()),
     r"at least 1-dimensional"),
    ("rms_norm int input", lambda L, F, N: F.rms_norm(L.tensor([[1, 2]]), (2,)),
     r'"rms_norm" not implemented for tg.int64'),
    ("rms_norm int shape", lambda L, F, N: F.rms_norm(L.tensor(X23), 3),
     r"must be tuple of ints, not int"),
    ("gelu approximate", lambda L, F, N: F.gelu(L.tensor(X23), approximate="exact"),
     r"approximate argument must be either none or tanh, got 'exact'"),
    ("GELU approximate", lambda L, F, N: N.GELU("erf")(L.tensor(X23)),
     r"approximate argument must be either none or tanh"),
    ("gelu approximate None", lambda L, F, N: F.gelu(L.tensor(X23), approximate=None),
     r"argument 'approximate' must be str, not NoneType"),
    ("gelu int input", lambda L, F, N: F.gelu(L.tensor([1, 2])),
     r'"gelu" not implemented for tg.int64'),
    ("silu int input", lambda L, F, N: N.SiLU()(L.tensor([1, 2])),
     r'"silu" not implemented for tg.int64'),
    ("silu inplace on a leaf", lambda L, F, N: F.silu(L.ones(3, requires_grad=True),
                                                     inplace=True),
     r"a leaf Variable that requires grad is being used in an in-place operation"),
    ("LayerNorm float shape", lambda L, F, N: N.LayerNorm(3.0), r"float"),
]


@pytest.mark.parametrize("call, phrase", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_wrong_calls_raise_torchs_exception_type(torch, call, phrase):
    with pytest.raises(Exception) as ref:   # noqa: PT011 - torch's type is the expectation
        call(*_sides(torch)[1])
    with pytest.raises(ref.type, match=phrase):
        call(*_sides(torch)[0])
