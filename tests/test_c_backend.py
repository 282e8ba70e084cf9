"""The C backend equals the numpy backend (the specification), kernel by kernel.

Skipped as a whole when the extension is not built. The tiny-array routing
to numpy is switched off for the module so every size really runs in C.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

CB = pytest.importorskip("tinygrad_edu.backend.c_backend")
from tinygrad_edu.backend import numpy_backend as RB  # noqa: E402
from kernels import Ops  # noqa: E402

C, R = Ops(CB), Ops(RB)  # each kernel by its op's name

DTYPES = [np.float32, np.float64]
UNARY = ["neg", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "step"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "relu_backward"]
SETTINGS = settings(max_examples=60, deadline=None)
# numpy_backend lets IEEE overflow warn (mul of huge values); both sides do it
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(autouse=True, scope="module")
def _always_c():
    saved = CB._MIN_SIZE
    CB._MIN_SIZE = dict.fromkeys(saved, 0)
    yield
    CB._MIN_SIZE = saved


def rtol(dt, r32=1e-6, r64=1e-13):
    return r32 if np.dtype(dt) == np.float32 else r64


def same(got, want, dt, **kw):
    """Equal dtype and shape, values within rtol (NaN where numpy has NaN)."""
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.shape(got) == np.shape(want)
    kw.setdefault("rtol", rtol(dt))
    if np.ndim(kw.get("atol", 0)):  # assert_allclose wants a scalar atol
        bad = ~np.isclose(got, want, equal_nan=True, rtol=kw["rtol"], atol=kw["atol"])
        assert not bad.any(), f"{np.asarray(got)[bad]} != {np.asarray(want)[bad]}"
        return
    np.testing.assert_allclose(got, want, equal_nan=True, **kw)


def floats(dt, special=False, bound=50.0):
    width = 32 if np.dtype(dt) == np.float32 else 64
    if special:  # inf, nan, huge, subnormal: the IEEE corners
        return st.floats(width=width, allow_nan=True, allow_infinity=True)
    return st.floats(-bound, bound, width=width)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9)


def view(draw, arr):
    """arr, or a non-contiguous array of the same shape and kind of data."""
    kind = draw(st.sampled_from(["id", "F", "rev", "pad"]))
    if kind == "F" or arr.ndim == 0:
        return np.asfortranarray(arr)
    if kind == "rev":
        return arr[..., ::-1]
    wide = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), arr.dtype)
    wide[..., ::2] = arr
    return wide[..., ::2] if kind == "pad" else arr


@st.composite
def arrays(draw, dt=None, shape=None, special=None, **kw):
    dt = dt or draw(st.sampled_from(DTYPES))
    special = draw(st.booleans()) if special is None else special
    shape = draw(shapes) if shape is None else shape
    return view(draw, draw(hnp.arrays(dt, shape, elements=floats(dt, special, **kw))))


# ---- interface ----------------------------------------------------------------
def test_public_names_match_numpy_backend():
    public = lambda m: {n for n in dir(m) if not n.startswith("_")}  # noqa: E731
    assert public(CB) - {"info"} == public(RB)
    assert CB.name == "c" and CB.xp is np


def test_info():
    info = C.info()
    assert info["compiled"] is True
    for key in ("avx2", "fma", "openmp", "cpu_avx2", "cpu_fma"):
        assert isinstance(info[key], bool)
    assert info["threads"] >= 1 and "-O" in info["cflags"]
    if info["avx2"]:
        assert info["cpu_avx2"] and "-mavx2" in info["cflags"]


# ---- elementwise ----------------------------------------------------------------
@SETTINGS
@given(st.sampled_from(UNARY), arrays())
def test_unary(op, x):
    same(getattr(C, op)(x), getattr(R, op)(x), x.dtype)


@SETTINGS
@given(arrays(), st.floats(0, 1))
def test_leaky_relu(x, slope):
    same(C.leaky_relu(x, slope), R.leaky_relu(x, slope), x.dtype)


@st.composite
def pairs(draw):
    dt, shape, special = draw(st.sampled_from(DTYPES)), draw(shapes), draw(st.booleans())
    return (draw(arrays(dt, shape, special)), draw(arrays(dt, shape, special)))


@SETTINGS
@given(st.sampled_from(BINARY), pairs())
def test_binary(op, ab):
    a, b = ab
    same(getattr(C, op)(a, b), getattr(R, op)(a, b), a.dtype)


@pytest.mark.parametrize("dt", DTYPES)
def test_nan_semantics_of_maximum_minimum_relu(dt):
    nan, inf = np.nan, np.inf
    a = np.array([nan, 1, nan, -inf, 2, 0, -0.0], dt)
    b = np.array([1, nan, nan, inf, 2, -0.0, 0], dt)
    for op in ("maximum", "minimum", "relu_backward"):
        np.testing.assert_array_equal(getattr(C, op)(a, b), getattr(R, op)(a, b))
    np.testing.assert_array_equal(C.relu(a), R.relu(a))
    big = np.array([-1e4, -200, -101, 0, 101, 200, 1e4, inf, -inf], dt)
    same(C.sigmoid(big), R.sigmoid(big), dt)


def test_mismatched_operands_take_the_numpy_path():
    a = np.ones((3, 4), np.float32)
    same(C.add(a, np.ones(4, np.float32)), R.add(a, np.ones(4, np.float32)), a.dtype)
    same(C.mul(a, np.ones((3, 4))), R.mul(a, np.ones((3, 4))), np.float64)
    i = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(C.neg(i), R.neg(i))
    np.testing.assert_array_equal(C.sum(i, axis=(0,)), R.sum(i, axis=(0,)))
    with pytest.raises(ValueError):
        C.exp(a, out=np.empty((4, 3), np.float32))
    with pytest.raises(ValueError):  # kernels that re-read inputs refuse aliasing
        C.log_softmax(a, out=a)
    same(C.exp(a, out=a), R.exp(np.ones((3, 4), np.float32)), a.dtype)  # elementwise may


# ---- reductions -----------------------------------------------------------------
@st.composite
def reduce_case(draw, special):
    x = draw(arrays(shape=draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=6)),
                    special=special))
    if draw(st.booleans()):
        return x, None
    axes = draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, unique=True))
    return x, tuple(a - x.ndim if draw(st.booleans()) else a for a in axes)


@SETTINGS
@given(reduce_case(special=False), st.booleans())
def test_sum(case, keepdims):
    x, axis = case
    got, want = C.sum(x, axis, keepdims), R.sum(x, axis, keepdims)
    scale = R.sum(np.abs(x), axis, keepdims)  # accumulation order differs
    same(got, want, x.dtype, rtol=0, atol=(scale + 1) * rtol(x.dtype, 1e-6, 1e-14))


TIES = st.sampled_from([0.0, 1.0, -1.0, np.inf, -np.inf, np.nan])


@SETTINGS
@given(reduce_case(special=True), st.booleans(), st.sampled_from(["max", "min"]))
def test_max_min(case, keepdims, op):
    x, axis = case
    np.testing.assert_array_equal(getattr(C, op)(x, axis, keepdims),
                                  getattr(R, op)(x, axis, keepdims))


@SETTINGS
@given(st.data(), st.sampled_from(["argmax", "argmin"]), st.booleans())
def test_argmax_argmin_first_index_and_nan(data, op, keepdims):
    dt = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=7))
    x = view(data.draw, data.draw(hnp.arrays(dt, shape, elements=TIES)))
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1))
    got, want = getattr(C, op)(x, axis, keepdims), getattr(R, op)(x, axis, keepdims)
    assert np.shape(got) == np.shape(want) and np.asarray(got).dtype == np.int64
    np.testing.assert_array_equal(got, want)


@SETTINGS
@given(st.data(), st.sampled_from(["max", "min", "argmax", "argmin"]))
def test_long_row_extremes_match_numpy(data, op):
    """Rows long enough for the vector search: ties, infinities and a NaN anywhere
    (head, vector body or scalar tail) give numpy's value and first index."""
    dt = data.draw(st.sampled_from(DTYPES))
    rows, n = data.draw(st.integers(1, 4)), data.draw(st.integers(16, 150))
    x = data.draw(hnp.arrays(dt, (rows, n), elements=TIES | floats(dt)))
    if not data.draw(st.booleans()):
        x[np.isnan(x)] = 0.0  # most rows NaN-free, so the vector answer is the one checked
    got, want = getattr(C, op)(x, (1,) if "arg" not in op else 1), \
        getattr(R, op)(x, (1,) if "arg" not in op else 1)
    # (which of two tied zeros a max returns is unspecified: numpy's own SIMD order decides)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dt", DTYPES)
def test_empty_reductions_match_numpy(dt):
    x = np.zeros((0, 3), dt)
    same(C.sum(x, (0,)), R.sum(x, (0,)), dt)
    for op in ("max", "argmax"):
        with pytest.raises(ValueError):
            getattr(C, op)(x, None)


# ---- matmul ---------------------------------------------------------------------
def mm_check(a, b, ta, tb, out=None):
    got = C.matmul(a, b, ta, tb, out=out)
    want = R.matmul(a, b, ta, tb)
    bound = R.matmul(np.abs(a), np.abs(b), ta, tb)  # |A||B|: accumulation order differs
    same(got, want, a.dtype, rtol=0, atol=bound * rtol(a.dtype, 1e-5, 1e-12) + 1e-30)


def mm_operands(rng, dt, batch, m, n, k, ta, tb):
    a = rng.standard_normal(batch + ((k, m) if ta else (m, k))).astype(dt)
    b = rng.standard_normal(batch + ((n, k) if tb else (k, n))).astype(dt)
    return a, b


SIDE = st.integers(1, 70) | st.sampled_from([95, 97, 129, 257])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(DTYPES), SIDE, SIDE, SIDE, st.booleans(), st.booleans(),
       st.sampled_from([(), (1,), (3,), (2, 2)]), st.integers(0, 2**32 - 1))
def test_matmul(dt, m, n, k, ta, tb, batch, seed):
    a, b = mm_operands(np.random.default_rng(seed), dt, batch, m, n, k, ta, tb)
    mm_check(a, b, ta, tb)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("mnk", [(1, 1, 1), (6, 16, 1), (7, 17, 255), (96, 32, 256),
                                 (97, 33, 257), (193, 9, 513), (5, 1100, 3), (2, 2100, 2)])
def test_matmul_block_edges(dt, mnk):
    rng = np.random.default_rng(sum(mnk))
    for ta in (False, True):
        for tb in (False, True):
            mm_check(*mm_operands(rng, dt, (), *mnk, ta, tb), ta, tb)


@pytest.mark.parametrize("dt", DTYPES)
def test_matmul_views_sizes_and_fallbacks(dt):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((40, 30)).astype(dt), rng.standard_normal((40, 20)).astype(dt)
    mm_check(a.T, b, False, False)        # transposed view: flag flips, no copy
    mm_check(a[::2], b[::2].T, True, True)  # strided view: copied
    mm_check(a[:, :0], b[:0, :], False, False)  # k = 0: zeros
    mm_check(np.zeros((0, 5), dt), np.zeros((5, 3), dt), False, False)
    mm_check(np.zeros((2, 0, 5), dt), np.zeros((2, 5, 3), dt), False, False)
    x = rng.standard_normal((3, 4, 5)).astype(dt)
    mm_check(x, a[:5, :6], False, False)  # [..., k] @ 2-D: x's rows in one product
    mm_check(x[:, ::2], a[:6, :5], False, True)  # strided rows: copied first
    same(C.matmul(a[:5, :4], x), R.matmul(a[:5, :4], x), dt)  # 2-D @ batch: numpy path
    with pytest.raises(ValueError):
        C.matmul(a, a)


# ---- nn -----------------------------------------------------------------------------
@SETTINGS
@given(st.data(), st.sampled_from(["softmax", "log_softmax"]))
def test_softmax(data, op):
    special = data.draw(st.booleans())
    x = data.draw(arrays(shape=data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=9)),
                         special=special, bound=1e4))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    want = getattr(R, op)(x, axis)
    # log_softmax is shifted - lse: its error is absolute, in ulps of the inputs
    finite = np.nan_to_num(x, posinf=0, neginf=0)
    atol = (np.abs(finite).max(initial=0) + 1) * rtol(x.dtype, 4e-7, 4e-16)
    same(getattr(C, op)(x, axis), want, x.dtype, rtol=rtol(x.dtype, 2e-6, 1e-13),
         atol=atol if op == "log_softmax" else rtol(x.dtype, 1e-7, 1e-16))


# ---- large inputs: the parallel paths -----------------------------------------------
@pytest.mark.parametrize("dt", DTYPES)
def test_large_inputs_use_threads_correctly(dt):
    rng = np.random.default_rng(1)
    n = (1 << 19) + 3
    x, y = rng.standard_normal(n).astype(dt), rng.standard_normal(n).astype(dt)
    same(C.exp(x), R.exp(x), dt)
    same(C.add(x, y), R.add(x, y), dt)
    same(C.sum(x), R.sum(x), dt, rtol=0, atol=float(R.sum(np.abs(x))) * rtol(dt, 1e-6, 1e-14))
    x[n // 2 + 7] = x[n - 1] = np.nan  # NaN in a later chunk still wins, at its first index
    assert C.argmax(x) == R.argmax(x) and np.isnan(C.max(x))
    x[n // 2 + 7] = x[n - 1] = 0
    x[[100, n // 2 + 100]] = 50  # tie across chunks: the first index wins
    assert C.argmax(x) == R.argmax(x) == 100
    m = x[:n // 1000 * 1000].reshape(-1, 1000)
    for op in ("max", "min"):
        np.testing.assert_array_equal(getattr(C, op)(m, (1,)), getattr(R, op)(m, (1,)))
        np.testing.assert_array_equal(getattr(C, op)(m, (0,)), getattr(R, op)(m, (0,)))
    same(C.softmax(m), R.softmax(m), dt, rtol=rtol(dt, 2e-6), atol=rtol(dt, 1e-7, 1e-16))
    short = x[:n // 10 * 10].reshape(-1, 10)  # short rows take the flat-exp path, split in blocks
    same(C.softmax(short), R.softmax(short), dt, rtol=rtol(dt, 2e-6), atol=rtol(dt, 1e-7, 1e-16))
    np.testing.assert_allclose(C.log_softmax(short), R.log_softmax(short),
                               rtol=rtol(dt, 2e-6), atol=rtol(dt, 4e-6, 4e-15) * 60)
    mm_check(*mm_operands(rng, dt, (4,), 130, 70, 90, True, False), True, False)


def test_thread_count_setter():
    x = np.random.default_rng(2).standard_normal(1 << 18)
    before = C._lib.tg_get_num_threads()
    try:
        C._lib.tg_set_num_threads(1)
        assert C._lib.tg_get_num_threads() == 1
        same(C.tanh(x), R.tanh(x), x.dtype)
    finally:
        C._lib.tg_set_num_threads(before)
    assert C._lib.tg_get_num_threads() == before


# ---- guard region: nothing is written past the output ---------------------------------
SENTINEL = 0xA5


def guarded(shape, dt, extra=67):
    """A C-contiguous out of `shape` that is the prefix of a sentinel-filled buffer."""
    n = int(np.prod(shape))
    buf = np.empty(n + extra, dt)
    buf.view(np.uint8)[:] = SENTINEL
    return buf, buf[:n].reshape(shape)


def untouched(buf, n):
    return bool((buf[n:].view(np.uint8) == SENTINEL).all())


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 7, 33, (1 << 18) + 5])
def test_guard_region_elementwise_and_softmax(dt, n):
    x = np.random.default_rng(n).standard_normal(n).astype(dt)
    for op in UNARY + BINARY + ["leaky_relu", "softmax", "log_softmax"]:
        buf, out = guarded((n,), dt)
        args = (x, x) if op in BINARY else (x, 0.1) if op == "leaky_relu" else (x,)
        if n or op not in ("softmax", "log_softmax"):
            res = getattr(C, op)(*args, out=out)
            assert res is out
            same(out, getattr(R, op)(*args), dt)
        assert untouched(buf, n), op


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("mnk", [(1, 1, 1), (7, 17, 5), (97, 33, 257), (13, 1100, 3)])
def test_guard_region_matmul(dt, mnk):
    m, n, k = mnk
    rng = np.random.default_rng(m)
    for ta in (False, True):
        for tb in (False, True):
            a, b = mm_operands(rng, dt, (2,), m, n, k, ta, tb)
            buf, out = guarded((2, m, n), dt)
            mm_check(a, b, ta, tb, out=out)
            assert untouched(buf, 2 * m * n)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("dims", [(1, 1, 1), (3, 5, 1), (1, 9, 4), (2, 7, 3), (1, 1 << 18, 1)])
def test_guard_region_reduce(dt, dims):
    outer, n, inner = dims
    x = np.random.default_rng(n).standard_normal(dims).astype(dt)
    k = C._KERNELS[np.dtype(dt)]
    for op, ref in ((C._lib.TG_SUM, None), (C._lib.TG_MAX, np.argmax), (C._lib.TG_MIN, np.argmin)):
        buf, out = guarded((outer * inner,), dt)
        abuf, arg = guarded((outer * inner,), np.int64)
        assert k.reduce(op, C._ptr(k, x), outer, n, inner,
                        C._ffi.from_buffer("int64_t[]", arg), C._ptr(k, out)) == 0
        assert untouched(buf, outer * inner) and untouched(abuf, outer * inner)
        if ref is not None:
            np.testing.assert_array_equal(arg, ref(x, axis=1).reshape(-1))
