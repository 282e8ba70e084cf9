"""Batch normalisation: F.batch_norm (tinygrad_edu.nn.functional_norm) and the
BatchNorm1d / BatchNorm2d modules (tinygrad_edu.nn.normalization) against PyTorch
where it is installed: values, first and second order gradients, running
statistics, modes, state_dicts both ways, and the refusals with PyTorch's types and
messages. Finite-difference checks are rows of tests/op_table_norm.py."""
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.nn.functional_norm import batch_norm
from tinygrad_edu.nn.module import Module
from tinygrad_edu.nn.normalization import BatchNorm1d, BatchNorm2d

SHAPES = [(6, 3), (4, 3, 5), (3, 2, 4, 2)]
TOL = {np.float32: dict(rtol=1e-5, atol=2e-5), np.float64: dict(rtol=1e-10, atol=1e-11)}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _lib(name, torch=None):
    """tg and torch behind one small interface, so a case is written once for both."""
    if name == "tg":
        return SimpleNamespace(name="tg", tensor=lambda a, **kw: tg.tensor(a, **kw),
                               bn=batch_norm, BN1d=BatchNorm1d, BN2d=BatchNorm2d,
                               f32=tg.float32, f64=tg.float64, long=tg.int64)
    return SimpleNamespace(name="torch", tensor=lambda a, **kw: torch.tensor(a, **kw),
                           bn=torch.nn.functional.batch_norm, BN1d=torch.nn.BatchNorm1d,
                           BN2d=torch.nn.BatchNorm2d, f32=torch.float32, f64=torch.float64,
                           long=torch.int64)


def _np_batch_norm(x, mean, var, w, b, eps=1e-5):
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    out = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if w is not None:
        out = out * w.reshape(shape)
    return out if b is None else out + b.reshape(shape)


def _module_for(shape):
    return BatchNorm1d if len(shape) in (2, 3) else BatchNorm2d


# ---- without torch: the formula, the module's parts, refusals change nothing -------------
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_is_the_formula(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    c = shape[1]
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    axes = (0, *range(2, len(shape)))
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    n = x.size // c
    rm, rv = tg.zeros(c, dtype=tg.float64), tg.ones(c, dtype=tg.float64)
    out = batch_norm(tg.tensor(x), rm, rv, tg.tensor(w), tg.tensor(b), training=True,
                     momentum=0.25)
    np.testing.assert_allclose(out.numpy(), _np_batch_norm(x, mean, var, w, b), rtol=1e-12)
    np.testing.assert_allclose(rm.numpy(), 0.25 * mean, rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * var * n / (n - 1), rtol=1e-12)
    ev = batch_norm(tg.tensor(x), rm, rv, tg.tensor(w), tg.tensor(b))   # eval by default
    np.testing.assert_allclose(ev.numpy(), _np_batch_norm(x, rm.numpy(), rv.numpy(), w, b),
                               rtol=1e-12)


def test_module_parts_and_repr():
    m = BatchNorm2d(3)
    assert isinstance(m, Module) and m.training
    assert [k for k, _ in m.named_parameters()] == ["weight", "bias"]
    assert [k for k, _ in m.named_buffers()] == ["running_mean", "running_var",
                                                 "num_batches_tracked"]
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert sd["num_batches_tracked"].dtype == tg.int64 and sd["num_batches_tracked"].shape == ()
    assert sd["weight"].dtype == tg.float32 and sd["running_var"].shape == (3,)
    np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(m.bias.detach().numpy(), np.zeros(3))
    assert not m.running_mean.requires_grad and m.weight.requires_grad
    assert repr(m) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                       "track_running_stats=True)")
    bare = BatchNorm1d(4, eps=1e-3, momentum=None, affine=False, track_running_stats=False)
    assert bare.weight is None and bare.bias is None and bare.running_mean is None
    assert bare.running_var is None and bare.num_batches_tracked is None
    assert list(bare.state_dict()) == [] and list(bare.parameters()) == []
    assert repr(bare) == ("BatchNorm1d(4, eps=0.001, momentum=None, affine=False, bias=False, "
                          "track_running_stats=False)")
    assert BatchNorm1d(2, dtype=tg.float64).running_var.dtype == tg.float64
    m.double()   # floats cast, the count stays an int64
    assert m.running_mean.dtype == tg.float64 and m.num_batches_tracked.dtype == tg.int64


def test_counting_resetting_and_modes():
    m = BatchNorm1d(2, momentum=0.5)
    x = tg.tensor([[1.0, 2.0], [3.0, 6.0]])
    m(x)
    m(x)
    assert m.num_batches_tracked.item() == 2
    np.testing.assert_allclose(m.running_mean.numpy(), 0.75 * np.array([2.0, 4.0]))
    m.eval()
    m(x)
    assert m.num_batches_tracked.item() == 2   # eval neither counts nor updates
    np.testing.assert_allclose(m.running_mean.numpy(), 0.75 * np.array([2.0, 4.0]))
    with tg.no_grad():
        m.weight.fill_(3.0)
    m.reset_running_stats()
    assert m.num_batches_tracked.item() == 0 and m.weight.detach().numpy().tolist() == [3, 3]
    np.testing.assert_array_equal(m.running_var.numpy(), [1.0, 1.0])
    m.reset_parameters()
    assert m.weight.detach().numpy().tolist() == [1.0, 1.0]


def test_refused_batch_changes_nothing():
    m = BatchNorm1d(3)
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        m(tg.ones(1, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        m(tg.ones(2, 4))
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_gradient_flows_to_parameters_not_buffers():
    m = BatchNorm1d(3)
    x = tg.randn(5, 3, requires_grad=True)
    (m(x) * tg.randn(5, 3)).sum().backward()
    assert x.grad is not None and m.weight.grad is not None and m.bias.grad is not None
    assert m.running_mean.grad is None and not m.running_mean.requires_grad


def test_empty_batch_leaves_running_stats():
    rm, rv = tg.zeros(3), tg.ones(3)
    out = batch_norm(tg.zeros(0, 3), rm, rv, training=True)
    assert out.shape == (0, 3)
    np.testing.assert_array_equal(rm.numpy(), np.zeros(3))
    np.testing.assert_array_equal(rv.numpy(), np.ones(3))


# ---- PyTorch parity: the function --------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False, "w", "b"])   # "w"/"b": that one alone
def test_functional_matches_torch(torch, dtype, shape, training, affine):
    rng = np.random.default_rng(1)
    c = shape[1]
    x = rng.standard_normal(shape).astype(dtype) * 2 + 0.5
    g = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal(c).astype(dtype) if affine in (True, "w") else None
    b = rng.standard_normal(c).astype(dtype) if affine in (True, "b") else None
    rm0, rv0 = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    got = {}
    for L in (_lib("tg"), _lib("torch", torch)):
        xs = L.tensor(x, requires_grad=True)
        ws = None if w is None else L.tensor(w, requires_grad=True)
        bs = None if b is None else L.tensor(b, requires_grad=True)
        rm, rv = L.tensor(rm0), L.tensor(rv0)
        out = L.bn(xs, rm, rv, ws, bs, training=training, momentum=0.3, eps=1e-4)
        out.backward(L.tensor(g))
        got[L.name] = [out, rm, rv, xs.grad] + [t.grad for t in (ws, bs) if t is not None]
    for a, t in zip(got["tg"], got["torch"]):
        assert a.dtype == (tg.float32 if dtype == np.float32 else tg.float64)
        np.testing.assert_allclose(npy(a), npy(t), **TOL[dtype])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
def test_second_order_matches_torch(torch, shape, training):
    """d/d(x, w, b) of <grad of sum(out^2 * g) w.r.t. (x, w, b), v>, with create_graph."""
    rng = np.random.default_rng(3)
    c = shape[1]
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    w, b = rng.standard_normal(c), rng.standard_normal(c)
    vs = [rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)]
    rm0, rv0 = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    got = {}
    for L, grad in ((_lib("tg"), tg.autograd.grad),
                    (_lib("torch", torch), torch.autograd.grad)):
        ins = [L.tensor(a, requires_grad=True) for a in (x, w, b)]
        rm, rv = L.tensor(rm0), L.tensor(rv0)
        out = L.bn(ins[0], rm, rv, ins[1], ins[2], training=training, eps=1e-3)
        first = grad((out * out * L.tensor(g)).sum(), ins, create_graph=True)
        dot = sum((f * L.tensor(v)).sum() for f, v in zip(first, vs))
        got[L.name] = list(first) + list(grad(dot, ins, allow_unused=True))
    for a, t in zip(got["tg"], got["torch"]):
        if t is None:   # torch: unused; tg may give zeros or None
            assert a is None or np.allclose(npy(a), 0)
            continue
        np.testing.assert_allclose(npy(a), npy(t), rtol=1e-9, atol=1e-10)


# ---- PyTorch parity: the modules ---------------------------------------------------------
def _pair(torch, shape, seed=0, **kw):
    """A tg module and a torch module of the same kind with the same (random) state."""
    c = shape[1]
    a = _module_for(shape)(c, **kw)
    t = getattr(torch.nn, _module_for(shape).__name__)(c, **kw)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        if t.weight is not None:
            t.weight.copy_(torch.tensor(rng.uniform(0.5, 1.5, c)))
            t.bias.copy_(torch.tensor(rng.standard_normal(c)))
    a.load_state_dict(t.state_dict())
    return a, t


def _assert_same_state(a, t, **tol):
    sa, st_ = a.state_dict(), t.state_dict()
    assert list(sa) == list(st_)
    for k in sa:
        assert tuple(sa[k].shape) == tuple(st_[k].shape), k
        np.testing.assert_allclose(npy(sa[k]), npy(st_[k]), err_msg=k, **tol)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"track_running_stats": False},
                                {"affine": False, "track_running_stats": False}],
                         ids=["default", "no_affine", "no_tracking", "neither"])
def test_module_training_steps_then_eval_match_torch(torch, shape, momentum, kw):
    a, t = _pair(torch, shape, momentum=momentum, **kw)
    rng = np.random.default_rng(4)
    tol = dict(rtol=1e-5, atol=1e-5)
    for step in range(4):
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(np.float32)
        g = rng.standard_normal(shape).astype(np.float32)
        xa, xt = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        oa, ot = a(xa), t(xt)
        np.testing.assert_allclose(npy(oa), npy(ot), **tol)
        oa.backward(tg.tensor(g))
        ot.backward(torch.tensor(g))
        np.testing.assert_allclose(npy(xa.grad), npy(xt.grad), **tol)
        for (n, pa), (_, pt) in zip(a.named_parameters(), t.named_parameters()):
            np.testing.assert_allclose(npy(pa.grad), npy(pt.grad), err_msg=n, rtol=1e-4,
                                       atol=1e-4)
        _assert_same_state(a, t, **tol)
    if a.track_running_stats:
        assert a.num_batches_tracked.item() == 4
    for m in (a, t):
        m.eval()
    x = (rng.standard_normal(shape) * 3 - 1).astype(np.float32)
    np.testing.assert_allclose(npy(a(tg.tensor(x))), npy(t(torch.tensor(x))), **tol)
    _assert_same_state(a, t, **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_module_in_a_model_trains_like_torch(torch, dtype):
    """Linear -> BatchNorm1d -> ReLU -> Linear, three SGD steps with momentum, then eval."""
    tm = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.BatchNorm1d(6), torch.nn.ReLU(),
                             torch.nn.Linear(6, 2)).to(getattr(torch, dtype))
    am = nn.Sequential(nn.Linear(4, 6), BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    am.to(getattr(tg, dtype))
    am.load_state_dict(tm.state_dict())
    to = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    ao = optim.SGD(am.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(5)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    for _ in range(3):
        x = rng.standard_normal((8, 4)).astype(dtype)
        for m, o, L in ((tm, to, torch), (am, ao, tg)):
            o.zero_grad()
            (m(L.tensor(x)) ** 2).mean().backward()
            o.step()
        _assert_same_state(am, tm, **tol)
    for m in (tm, am):
        m.eval()
    x = rng.standard_normal((3, 4)).astype(dtype)
    np.testing.assert_allclose(npy(am(tg.tensor(x))), npy(tm(torch.tensor(x))), **tol)


@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"momentum": None}])
def test_state_dict_round_trip_both_ways(torch, kw):
    x = np.random.default_rng(6).standard_normal((5, 3, 2, 2)).astype(np.float32)
    # torch -> tg: a trained torch module's state loads into a fresh tg one
    t = torch.nn.BatchNorm2d(3, **kw)
    for k in (1, 2):
        t(torch.tensor(x * k))
    a = BatchNorm2d(3, **kw)
    a.load_state_dict(t.state_dict())
    _assert_same_state(a, t, rtol=0, atol=0)
    assert a.num_batches_tracked.dtype == tg.int64 and a.num_batches_tracked.item() == 2
    # tg -> torch: train the tg one further, load its state into a fresh torch module
    a(tg.tensor(x * 3))
    t2 = torch.nn.BatchNorm2d(3, **kw)
    t2.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in
                        a.state_dict().items()})
    _assert_same_state(a, t2, rtol=0, atol=0)
    assert t2.num_batches_tracked.dtype == torch.int64 and int(t2.num_batches_tracked) == 3
    t(torch.tensor(x * 3))   # the same third step, through torch's own update
    _assert_same_state(a, t, rtol=1e-6, atol=1e-6)
    for m in (a, t, t2):
        m.eval()
    np.testing.assert_allclose(npy(a(tg.tensor(x))), npy(t2(torch.tensor(x))), rtol=1e-6,
                               atol=1e-6)
    np.testing.assert_allclose(npy(a(tg.tensor(x))), npy(t(torch.tensor(x))), rtol=1e-5,
                               atol=1e-5)


def test_reprs_match_torch(torch):
    for kw in ({}, {"eps": 1e-3, "momentum": None}, {"affine": False},
               {"track_running_stats": False}, {"bias": False}):
        for cls in (BatchNorm1d, BatchNorm2d):
            assert repr(cls(5, **kw)) == repr(getattr(torch.nn, cls.__name__)(5, **kw))


# ---- refusals: PyTorch's exception types and messages -------------------------------------
def _ones(L, *shape, dtype=None, grad=False):
    return L.tensor(np.ones(shape), dtype=dtype or L.f32, requires_grad=grad)


def _f(L, shape=(4, 3), c=3, dtype=None, **kw):
    """L.bn on a float input of shape with running stats for c channels, unless kw says."""
    args = dict(running_mean=_ones(L, c) * 0, running_var=_ones(L, c), training=True)
    args.update(kw)
    return L.bn(_ones(L, *shape, dtype=dtype), **args)


ONE_VALUE = "Expected more than 1 value per channel when training, got input size"
ERRORS = [
    # (id, call(L), exception type, phrase in both messages)
    ("one value per channel 2d", lambda L: _f(L, (1, 3)), ValueError, ONE_VALUE),
    ("one value per channel 4d", lambda L: _f(L, (1, 3, 1, 1), running_mean=None,
                                              running_var=None), ValueError, ONE_VALUE),
    ("module one value per channel", lambda L: L.BN2d(3)(_ones(L, 1, 3, 1, 1)), ValueError,
     ONE_VALUE),
    ("running_mean size", lambda L: _f(L, running_mean=_ones(L, 4)), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    ("running_var size eval", lambda L: _f(L, running_var=_ones(L, 2), training=False),
     RuntimeError, "running_var should contain 3 elements not 2"),
    ("weight size", lambda L: _f(L, weight=_ones(L, 2)), RuntimeError,
     "weight should contain 3 elements not 2"),
    ("running stats before weight", lambda L: _f(L, running_var=_ones(L, 2),
                                                 weight=_ones(L, 2)),
     RuntimeError, "running_var should contain 3 elements not 2"),
    ("weight size without running stats", lambda L: _f(L, running_mean=None, running_var=None,
                                                       weight=_ones(L, 2)),
     RuntimeError, "weight should contain 3 elements not 2"),
    ("bias size", lambda L: _f(L, bias=_ones(L, 5), training=False), RuntimeError,
     "bias should contain 3 elements not 5"),
    ("only one running stat", lambda L: _f(L, running_var=None), ValueError,
     "running_mean and running_var must either both be None or neither be None"),
    ("eval without running_mean", lambda L: _f(L, running_mean=None, running_var=None,
                                               training=False),
     RuntimeError, "running_mean must be defined in evaluation mode"),
    ("eval without running_var", lambda L: _f(L, running_var=None, training=False),
     RuntimeError, "running_var must be defined in evaluation mode"),
    ("eps zero in training", lambda L: _f(L, eps=0.0), ValueError,
     "batch_norm eps must be positive during training, but got 0.0"),
    ("eps negative in eval", lambda L: _f(L, eps=-1.0, training=False), ValueError,
     "batch_norm eps must be non-negative, but got -1.0"),
    ("momentum None", lambda L: _f(L, momentum=None), TypeError,
     "argument 'momentum'.*must be float, not NoneType"),
    ("integer input", lambda L: _f(L, dtype=L.long), NotImplementedError,
     '"batch_norm" not implemented for'),
    ("float64 input, float32 stats", lambda L: _f(L, dtype=L.f64), RuntimeError,
     "mixed dtype"),
    ("running stat requires grad", lambda L: _f(L, running_mean=_ones(L, 3, grad=True)),
     RuntimeError, "is not differentiable with respect to argument 'running_mean'"),
    ("BatchNorm1d of 4-D", lambda L: L.BN1d(3)(_ones(L, 2, 3, 4, 5)), ValueError,
     r"expected 2D or 3D input \(got 4D input\)"),
    ("BatchNorm1d of 1-D", lambda L: L.BN1d(3)(_ones(L, 3)), ValueError,
     r"expected 2D or 3D input \(got 1D input\)"),
    ("BatchNorm2d of 3-D", lambda L: L.BN2d(3)(_ones(L, 2, 3, 4)), ValueError,
     r"expected 4D input \(got 3D input\)"),
    ("BatchNorm2d channels", lambda L: L.BN2d(3)(_ones(L, 2, 4, 2, 2)), RuntimeError,
     "running_mean should contain 4 elements not 3"),
    ("BatchNorm1d negative size", lambda L: L.BN1d(-1), RuntimeError,
     "negative dimension -1"),
]


@pytest.mark.parametrize("call, error, phrase", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_refusals_as_torch(torch, call, error, phrase):
    for L in (_lib("tg"), _lib("torch", torch)):
        with pytest.raises(error, match=phrase):
            call(L)


def test_refusal_messages_print_tg_shapes():
    with pytest.raises(ValueError) as info:
        batch_norm(tg.ones(1, 3, 1), None, None, training=True)
    assert str(info.value) == ("Expected more than 1 value per channel when training, got "
                               "input size [1, 3, 1]")
    with pytest.raises(RuntimeError, match=r"tg\.float64 .*tg\.float32"):
        batch_norm(tg.ones(2, 3, dtype=tg.float64), tg.zeros(3), tg.ones(3))
    with pytest.raises(ValueError, match=r"at least 2 dims \(got 1D input of shape \[4\]\)"):
        batch_norm(tg.ones(4), None, None, training=True)
    with pytest.raises(TypeError, match="argument 'input' must be a tg.Tensor, not list"):
        batch_norm([[1.0, 2.0], [3.0, 4.0]], None, None, training=True)
    with pytest.raises(RuntimeError, match=r"running_mean must be 1-D of shape \[3\]"):
        batch_norm(tg.ones(2, 3), tg.zeros(1, 3), tg.ones(3))
