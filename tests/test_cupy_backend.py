"""The CuPy backend equals the numpy backend (the specification), kernel by kernel.

The interface test runs everywhere; the kernel tests need CuPy and a GPU and
skip, saying why, without them. Inputs are drawn on the host, copied to the GPU
(contiguous, Fortran-ordered or strided), and each result is read back and
compared with numpy_backend's on the same values.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu.backend import cupy_backend as GB
from tinygrad_edu.backend import numpy_backend as RB
from kernels import Ops

G, R = Ops(GB), Ops(RB)  # each kernel by its op's name

DTYPES = [np.float32, np.float64]
SETTINGS = settings(max_examples=40, deadline=None)
EXTRA = {"unavailable_reason", "device_of", "check_index", "from_host", "to_host", "scalar",
         "synchronize"}
gpu = pytest.mark.skipif(not tg.cuda.is_available(),
                         reason=f"no CUDA here: {tg.cuda.why_unavailable()}")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_public_names_match_numpy_backend():
    public = lambda m: {n for n in dir(m) if not n.startswith("_") and n not in ("cp", "np")}  # noqa: E731
    assert public(GB) - EXTRA == public(RB)
    assert GB.name == "cupy"


# ---- helpers -------------------------------------------------------------------------
def dev(a, layout="contiguous"):
    """a on the GPU in the given layout (a view for 'F' and 'strided')."""
    cp = GB.cp
    a = np.asarray(a)
    if layout == "F" and a.ndim >= 2:
        return cp.asfortranarray(cp.asarray(a))
    if layout == "strided" and a.ndim >= 1:
        wide = cp.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        wide[..., ::2] = cp.asarray(a)
        return wide[..., ::2]
    return cp.asarray(a)


def host(a):
    return a.get() if hasattr(a, "get") else np.asarray(a)


def same(got, want, dt, rtol=None, atol=None):
    got = host(got)
    want = np.asarray(want)
    if atol is None:  # CuPy's kernels flush subnormal results to zero
        atol = np.finfo(want.dtype).tiny if want.dtype.kind == "f" else 0
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    if rtol is None:
        rtol = 2e-6 if np.dtype(dt) == np.float32 else 1e-13
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


def floats(dt, special=False, bound=30.0):
    width = 32 if np.dtype(dt) == np.float32 else 64
    if special:
        return st.floats(width=width, allow_nan=True, allow_infinity=True)
    return st.floats(-bound, bound, width=width)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9)
layouts = st.sampled_from(["contiguous", "F", "strided"])


@st.composite
def arrays(draw, dt=None, shape=None, special=False, **kw):
    dt = dt or draw(st.sampled_from(DTYPES))
    shape = draw(shapes) if shape is None else shape
    return no_subnormals(draw(hnp.arrays(dt, shape, elements=floats(dt, special, **kw))))


# ---- elementwise ------------------------------------------------------------------------
UNARY = ["neg", "exp", "log", "sqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu",
         "step"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "relu_backward"]
COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"]


@gpu
@SETTINGS
@given(st.sampled_from(UNARY), arrays(special=True), layouts)
def test_unary(op, x, lay):
    want = getattr(R, op)(x)
    # libm and CUDA's math library may differ by an ulp or two in exp/log/tanh/sin
    same(getattr(G, op)(dev(x, lay)), want, x.dtype, rtol=1e-5 if x.dtype == np.float32
         else 1e-14, atol=1e-30)


@gpu
@SETTINGS
@given(arrays(special=True), st.floats(-1, 1), layouts)
def test_leaky_relu_and_backward(x, slope, lay):
    same(G.leaky_relu(dev(x, lay), slope), R.leaky_relu(x, slope), x.dtype)
    g = np.linspace(-2, 2, x.size).reshape(x.shape).astype(x.dtype)
    same(G.leaky_relu_backward(dev(g), dev(x, lay), slope), R.leaky_relu_backward(g, x, slope),
         x.dtype)


def no_subnormals(a):
    """CuPy's kernels flush subnormal inputs and results to zero (numpy keeps them)."""
    return np.where(np.abs(a) < np.finfo(a.dtype).tiny, a.dtype.type(0), a)


@st.composite
def pairs(draw):
    dt = draw(st.sampled_from(DTYPES))
    sa, sb = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=6)
                  ).input_shapes
    el = floats(dt, special=draw(st.booleans()))
    return (no_subnormals(draw(hnp.arrays(dt, sa, elements=el))),
            no_subnormals(draw(hnp.arrays(dt, sb, elements=el))))


@gpu
@SETTINGS
@given(st.sampled_from(BINARY + COMPARE), pairs(), layouts)
def test_binary(op, ab, lay):
    a, b = ab
    with np.errstate(all="ignore"):
        want = getattr(R, op)(a, b)
    same(getattr(G, op)(dev(a, lay), dev(b)), want, a.dtype, rtol=1e-6 if op == "pow" else None)


@gpu
@SETTINGS
@given(pairs())
def test_where(ab):  # movement through xp: cupy.where is numpy.where
    a, b = ab
    cond = np.broadcast_to(a > 0, np.broadcast_shapes(a.shape, b.shape))
    same(GB.xp.where(dev(cond), dev(a), dev(b)), RB.xp.where(cond, a, b), a.dtype)


# ---- reductions -------------------------------------------------------------------------
@st.composite
def reduce_case(draw, special=False):
    x = draw(arrays(special=special))
    if x.ndim == 0:
        return x, None
    axes = draw(st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim))
    return x, (tuple(sorted(axes)) or None)


@gpu
@SETTINGS
@given(reduce_case(), st.booleans(), layouts)
def test_sum(case, keepdims, lay):
    x, axis = case
    same(G.sum(dev(x, lay), axis=axis, keepdims=keepdims), R.sum(x, axis=axis, keepdims=keepdims),
         x.dtype, rtol=1e-5 if x.dtype == np.float32 else 1e-12, atol=1e-5)


@gpu
@SETTINGS
@given(reduce_case(special=True), st.booleans(), st.sampled_from(["max", "min"]))
def test_max_min_propagate_nan(case, keepdims, op):
    x, axis = case
    if x.size == 0:
        return
    same(getattr(G, op)(dev(x), axis=axis, keepdims=keepdims),
         getattr(R, op)(x, axis=axis, keepdims=keepdims), x.dtype)


@gpu
@SETTINGS
@given(arrays(shape=st.tuples(st.integers(1, 7), st.integers(1, 7))), st.booleans(),
       st.sampled_from(["argmax", "argmin"]), st.sampled_from([None, 0, 1]))
def test_argmax_argmin_first_index(x, keepdims, op, axis):
    x = np.round(x)  # ties: both must pick the first
    got = getattr(G, op)(dev(x), axis=axis, keepdims=keepdims if axis is not None else False)
    want = getattr(R, op)(x, axis=axis, keepdims=keepdims if axis is not None else False)
    np.testing.assert_array_equal(host(got), want)
    assert host(got).dtype == np.int64


# ---- matmul and linear ------------------------------------------------------------------
@gpu
@settings(max_examples=30, deadline=None)
@given(st.sampled_from(DTYPES), st.integers(1, 70), st.integers(1, 70), st.integers(1, 70),
       st.booleans(), st.booleans(), st.sampled_from([(), (3,)]), st.integers(0, 2**16))
def test_matmul(dt, m, n, k, ta, tb, batch, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + ((k, m) if ta else (m, k))).astype(dt)
    b = rng.standard_normal(batch + ((n, k) if tb else (k, n))).astype(dt)
    # cuBLAS may use TF32 only when asked; fp32 stays fp32, so 1e-5 covers the order of sums
    same(G.matmul(dev(a), dev(b), ta, tb), R.matmul(a, b, ta, tb), dt,
         rtol=1e-4 if dt == np.float32 else 1e-11, atol=1e-4 if dt == np.float32 else 1e-11)


@gpu
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("nio", [(1, 1, 1), (7, 13, 5), (128, 784, 512), (64, 512, 10)])
def test_linear(dt, bias, nio):
    n, i, o = nio
    rng = np.random.default_rng(n * i + o)
    x, w = rng.standard_normal((n, i)).astype(dt), rng.standard_normal((o, i)).astype(dt)
    b = rng.standard_normal(o).astype(dt) if bias else None
    x[0, 0] = np.nan if n * i > 1 else x[0, 0]  # a NaN row stays NaN, as in numpy
    got = G.linear(dev(x), dev(w), None if b is None else dev(b))
    same(got, R.linear(x, w, b), dt, rtol=1e-4 if dt == np.float32 else 1e-11,
         atol=1e-4 if dt == np.float32 else 1e-11)


@gpu
@SETTINGS
@given(st.sampled_from(DTYPES), st.integers(0, 40), st.integers(0, 40), st.floats(0, 0.5))
def test_act_backward_and_bias_grad(dt, n, o, slope):
    rng = np.random.default_rng(n * 41 + o)
    g, x = rng.standard_normal((2, n, o)).astype(dt)
    same(G.relu_backward(dev(g), dev(x)), R.relu_backward(g, x), dt)
    same(G.leaky_relu_backward(dev(g), dev(x), slope), R.leaky_relu_backward(g, x, slope), dt)
    same(G.sum(dev(g), (0,)), R.sum(g, (0,)), dt, rtol=1e-5, atol=1e-5)


@gpu
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(128, 512), (1000, 10), (3, 1), (0, 5), (5, 0), (70000, 3)])
def test_column_sum_kernels_at_training_sizes(dt, shape):
    rng = np.random.default_rng(shape[0])
    g, x = rng.standard_normal((2, *shape)).astype(dt)
    for slope in (0.0, 0.01):
        gm, wm = G.leaky_relu_backward(dev(g), dev(x), slope), R.leaky_relu_backward(g, x, slope)
        same(gm, wm, dt)
        same(G.sum(gm, (0,)), R.sum(wm, (0,)), dt, rtol=1e-4 if dt == np.float32 else 1e-10,
             atol=1e-3)
    same(G.sum(dev(g), (0,)), R.sum(g, (0,)), dt, rtol=1e-4 if dt == np.float32 else 1e-10,
         atol=1e-3)


# ---- softmax and cross-entropy ----------------------------------------------------------
@gpu
@SETTINGS
@given(st.data(), st.sampled_from(["softmax", "log_softmax"]), layouts)
def test_softmax(data, op, lay):
    x = data.draw(arrays(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=40),
                         special=data.draw(st.booleans()), bound=80.0))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    same(getattr(G, op)(dev(x, lay), axis=axis), getattr(R, op)(x, axis=axis), x.dtype,
         rtol=1e-5 if x.dtype == np.float32 else 1e-12, atol=1e-6 if x.dtype == np.float32
         else 1e-13)


@gpu
@pytest.mark.parametrize("c", [1, 3, 33, 1000, 1500])
def test_softmax_long_rows(c):
    x = np.random.default_rng(c).standard_normal((5, c)) * 20
    same(G.softmax(dev(x)), R.softmax(x), x.dtype, rtol=1e-12, atol=1e-15)
    same(G.log_softmax(dev(x)), R.log_softmax(x), x.dtype, rtol=1e-12, atol=1e-12)


@st.composite
def xent_case(draw):
    dt = draw(st.sampled_from(DTYPES))
    n, c = draw(st.integers(1, 40)), draw(st.integers(1, 300))
    x = draw(hnp.arrays(dt, (n, c), elements=floats(dt, bound=40.0)))
    t = np.array(draw(st.lists(st.integers(-1, c - 1), min_size=n, max_size=n)), np.int64)
    t[t == -1] = -100 if draw(st.booleans()) else 0
    w = draw(st.none() | hnp.arrays(dt, (c,), elements=st.floats(0, 3, width=32)))
    return x, t, w, draw(st.sampled_from(["mean", "sum", "none"]))


@gpu
@SETTINGS
@given(xent_case())
def test_softmax_cross_entropy(case):
    x, t, w, red = case
    loss, grad = G.softmax_cross_entropy(dev(x), dev(t), None if w is None else dev(w), -100, red)
    wl, wg = R.softmax_cross_entropy(x, t, w, -100, red)
    same(loss, wl, x.dtype, rtol=1e-6 if x.dtype == np.float32 else 1e-12, atol=1e-12)
    same(grad, wg, x.dtype, rtol=1e-5 if x.dtype == np.float32 else 1e-12,
         atol=1e-7 if x.dtype == np.float32 else 1e-14)


@gpu
def test_cross_entropy_bad_class_gives_nan_row_not_a_crash():
    x = np.zeros((3, 4), np.float32)
    losses, grad = G.softmax_cross_entropy(dev(x), dev(np.array([0, 7, -3])), None, -100, "none")
    mean, _ = G.softmax_cross_entropy(dev(x), dev(np.array([0, 7, -3])), None, -100, "mean")
    losses, grad = host(losses), host(grad)
    assert np.isfinite(losses[0]) and np.isnan(losses[1:]).all()
    assert np.isnan(grad[1:]).all() and np.isnan(float(host(mean)))


# ---- optimizer updates ----------------------------------------------------------------
SGD_CASES = [dict(), dict(weight_decay=0.1), dict(momentum=0.9), dict(momentum=0.9, nesterov=True),
             dict(momentum=0.5, dampening=0.3, weight_decay=0.01, maximize=True)]
ADAM_CASES = [dict(), dict(weight_decay=0.1), dict(weight_decay=0.1, decoupled=True),
              dict(maximize=True), dict(beta1=0.3)]


@gpu
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", SGD_CASES)
@pytest.mark.parametrize("n", [1, 33, 100_003])
def test_sgd_step_bit_equal(dt, kw, n):
    rng = np.random.default_rng(n)
    p, g = rng.standard_normal((2, n)).astype(dt)
    buf = np.zeros(n, dt) if kw.get("momentum") else None
    gp, gbuf = dev(p), None if buf is None else dev(buf)
    for step in range(3):
        R.sgd_step(p, g, buf, 0.1, first=step == 0, **kw)
        G.sgd_step(gp, dev(g), gbuf, 0.1, first=step == 0, **kw)
    np.testing.assert_array_equal(host(gp), p)
    if buf is not None:
        np.testing.assert_array_equal(host(gbuf), buf)


@gpu
@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_step(dt, kw):
    kw = dict(kw)
    beta1 = kw.pop("beta1", 0.9)
    rng = np.random.default_rng(7)
    p, g = rng.standard_normal((2, 1001)).astype(dt)
    m, v = np.zeros_like(p), np.zeros_like(p)
    gp, gm, gv = dev(p), dev(m), dev(v)
    for step in range(1, 4):
        R.adam_step(p, g, m, v, step, 1e-3, beta1, 0.999, 1e-8, **kw)
        G.adam_step(gp, dev(g), gm, gv, step, 1e-3, beta1, 0.999, 1e-8, **kw)
    # sqrt and division are correctly rounded on both; no FMA contraction on the GPU
    for got, want in ((gp, p), (gm, m), (gv, v)):
        np.testing.assert_array_equal(host(got), want)


# ---- without a GPU: the kernels CuPy runs as the specification's own code ------------
_RNG = np.random.default_rng(0)
_X = _RNG.standard_normal((2, 3, 5, 6))
_ROWS = _RNG.standard_normal((4, 7))
_SPEC_RUNS = {
    "unfold": (_X, (2, 3), (1, 2), (1, 0), (2, 1)),
    "fold": (_RNG.standard_normal((2, 12, 20)), (5, 6), (2, 2), (1, 1), (0, 0), (1, 1)),
    "max_pool": (_X, (2, 2), (1, 1), (2, 2)),
    "layer_norm": (_ROWS, _RNG.standard_normal(7), _RNG.standard_normal(7), 1e-5),
    "layer_norm_grad": (_ROWS, _ROWS * 0.5, _RNG.random((4, 1)) + 0.5),
    "batch_norm": (_X, _RNG.standard_normal(3), _RNG.standard_normal(3), 1e-5),
    "batch_norm_grad": (_X * 0.5, _X, _X.mean((0, 2, 3)), _RNG.random(3) + 0.5,
                        _RNG.standard_normal(3)),
}


@pytest.mark.parametrize("name", sorted(_SPEC_RUNS))
def test_array_module_kernels_are_wired_to_the_specification(monkeypatch, name):
    """unfold, fold, max_pool and the norms (forward and gradient) are numpy_backend's
    own code run on CuPy's arrays; with numpy standing in for CuPy, each wrapper must
    give the specification's result (argument order, names): CI without a GPU still
    checks the wiring."""
    monkeypatch.setattr(GB, "cp", np)
    args = _SPEC_RUNS[name]
    got, want = getattr(GB, name)(*args), getattr(RB, name)(*args)
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
