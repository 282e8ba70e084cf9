"""The C im2col / col2im kernels (c_backend.unfold / fold) equal numpy_backend's, the
specification: unfold bit for bit (it only copies), fold within rounding (it sums).

Geometries are drawn per axis: odd sides, an empty side that padding alone gives
windows, kernel 1 and the kernel whose dilated span fills the padded input, stride,
padding and dilation 1-3; batch and channels 0-3. Inputs arrive in hostile layouts
(transposed, channels-last, sliced, reversed, broadcast, misaligned) and every result
is also written through ``out=`` into a NaN-filled prefix of a sentinel buffer: each
element must be written, nothing past the end. Geometries without a window are the
specification's to answer. Skipped when the extension is not built; the tiny-array
routing to numpy is off for the module. scripts/sanitize.sh runs this file under
ASan + UBSan with more examples (TG_FUZZ_EXAMPLES).
"""
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

CB = pytest.importorskip("tinygrad_edu.backend.c_backend")
from tinygrad_edu.backend import numpy_backend as RB  # noqa: E402
from tinygrad_edu.shapes import conv_out_size  # noqa: E402
# every size runs in C; guarded outputs as the other kernel tests make them
from test_c_backend import _always_c, guarded, untouched  # noqa: E402,F401

DTYPES = [np.float32, np.float64]
LAYOUTS = ["contiguous", "transposed", "channels_last", "sliced", "reversed", "broadcast",
           "misaligned"]
EXAMPLES = int(os.environ.get("TG_FUZZ_EXAMPLES", "60"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None)
SIDES = st.sampled_from([0, 1, 2, 3, 5, 7, 9, 13])
COUNTS = st.sampled_from([1, 2, 3, 0])


@pytest.fixture
def c_calls(monkeypatch):
    """The names of the C kernels called during the test, in order."""
    calls = []
    for kernels in CB._KERNELS.values():
        for kind in ("im2col", "col2im"):
            fn = getattr(kernels, kind)
            monkeypatch.setattr(kernels, kind,
                                lambda *a, _fn=fn, _kind=kind: calls.append(_kind) or _fn(*a))
    return calls


# ---- inputs --------------------------------------------------------------------------
@st.composite
def axis(draw, side):
    """(kernel, dilation, padding, stride) along an axis of `side`, with >= 1 window."""
    d, s = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    p = draw(st.integers(0 if side else 1, 3))  # an empty side has windows only in padding
    fills = (side + 2 * p - 1) // d + 1  # the largest kernel: its span fills the padded side
    k = draw(st.one_of(st.just(1), st.just(fills), st.integers(1, fills)))
    return k, d, p, s


@st.composite
def geometries(draw):
    """x's shape (n, c, h, w) and unfold's (kernel, dilation, padding, stride)."""
    shape = (draw(COUNTS), draw(COUNTS), draw(SIDES), draw(SIDES))
    rows, cols = draw(axis(shape[2])), draw(axis(shape[3]))
    return shape, tuple(zip(rows, cols))


def cols_shape(shape, args):
    (n, c, h, w), ((kh, kw), (dh, dw), (ph, pw), (sh, sw)) = shape, args
    return (n, c * kh * kw,
            conv_out_size(h, kh, dh, ph, sh) * conv_out_size(w, kw, dw, pw, sw))


def values(rng, shape, dt, special=False):
    a = rng.standard_normal(shape).astype(dt)
    if special and a.size:  # copied bit for bit, whatever they are
        a.flat[rng.integers(0, a.size, 3)] = [np.nan, -np.inf, -0.0]
    return a


def laid_out(a, layout):
    """a's values (the broadcast layout: its first batch repeated) in the given layout."""
    if layout == "transposed":
        return np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
    if layout == "channels_last":
        return np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 1, -1)), -1, 1)
    if layout == "sliced":
        wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1] + 1,), a.dtype)
        wide[..., 1::2] = a
        return wide[..., 1::2]
    if layout == "reversed":
        return np.ascontiguousarray(a[..., ::-1, ::-1])[..., ::-1, ::-1]
    if layout == "broadcast" and a.shape[0]:
        return np.broadcast_to(a[:1], a.shape)
    if layout == "misaligned":
        raw = np.zeros(a.nbytes + 1, np.uint8)[1:]
        out = raw.view(a.dtype).reshape(a.shape)
        out[...] = a
        return out
    return a


def bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def nan_out(shape, dt):
    """(buffer, out): out NaN-filled, so an element the kernel skips shows."""
    buf, out = guarded(shape, dt)
    out[...] = np.nan
    return buf, out


def assert_bitwise(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(bits(got), bits(want))


def assert_close(got, want, cols):
    """Equal within rounding of a sum of up to kh*kw terms of |cols|."""
    assert got.dtype == want.dtype and got.shape == want.shape
    eps = 1e-6 if got.dtype == np.float32 else 1e-14
    scale = float(np.abs(cols).max(initial=0)) * cols.shape[1]
    np.testing.assert_allclose(got, want, rtol=eps, atol=eps * scale)


def check_unfold(x, args):
    want = RB.unfold(x, *args)
    assert_bitwise(CB.unfold(x, *args), want)
    buf, out = nan_out(want.shape, x.dtype)
    assert CB.unfold(x, *args, out=out) is out
    assert_bitwise(out, want)
    assert untouched(buf, out.size)


def check_fold(cols, size, args):
    want = RB.fold(cols, size, *args)
    assert_close(CB.fold(cols, size, *args), want, cols)
    buf, out = nan_out(want.shape, cols.dtype)
    assert CB.fold(cols, size, *args, out=out) is out
    assert_close(out, want, cols)
    assert untouched(buf, out.size)


# ---- equal to the specification --------------------------------------------------------
@SETTINGS
@given(geo=geometries(), dt=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       seed=st.integers(0, 2**32 - 1))
def test_unfold_equals_spec(c_calls, geo, dt, layout, seed):
    shape, args = geo
    x = laid_out(values(np.random.default_rng(seed), shape, dt, special=True), layout)
    before = x.copy()
    check_unfold(x, args)
    np.testing.assert_array_equal(x, before)
    assert c_calls[-2:] == ["im2col", "im2col"]


@SETTINGS
@given(geo=geometries(), dt=st.sampled_from(DTYPES), layout=st.sampled_from(LAYOUTS),
       seed=st.integers(0, 2**32 - 1))
def test_fold_equals_spec(c_calls, geo, dt, layout, seed):
    shape, args = geo
    cols = laid_out(values(np.random.default_rng(seed), cols_shape(shape, args), dt), layout)
    check_fold(cols, shape[2:], args)
    assert c_calls[-2:] == ["col2im", "col2im"]


@SETTINGS
@given(geo=geometries(), dt=st.sampled_from(DTYPES), seed=st.integers(0, 2**32 - 1))
def test_fold_is_the_adjoint_of_unfold(geo, dt, seed):
    """<unfold(x), y> == <x, fold(y)>: fold sends each value back where unfold read it."""
    shape, args = geo
    rng = np.random.default_rng(seed)
    x, y = values(rng, shape, dt), values(rng, cols_shape(shape, args), dt)
    lhs = np.vdot(CB.unfold(x, *args).astype(np.float64), y.astype(np.float64))
    rhs = np.vdot(x.astype(np.float64), CB.fold(y, shape[2:], *args).astype(np.float64))
    bound = np.vdot(np.abs(RB.unfold(x, *args)), np.abs(y))  # what rounding can move
    assert abs(lhs - rhs) <= (1e-6 if dt == np.float32 else 1e-13) * bound


# every path of both kernels (padding or not, whole rows, strided runs, taps that read
# only padding) on one small image, deterministically
AXIS_GRID = [(k, d, p, s) for k in (1, 2, 3) for d in (1, 2) for p in (0, 1, 3) for s in (1, 2)]


@pytest.mark.parametrize("dt", DTYPES)
def test_every_axis_combination_on_a_small_image(dt):
    rng = np.random.default_rng(5)
    shape = (2, 3, 5, 4)
    for rows in AXIS_GRID:
        for cols in AXIS_GRID:
            args = tuple(zip(rows, cols))
            (kh, kw), (dh, dw) = args[:2]
            if dh * (kh - 1) >= shape[2] + 2 * rows[2] or dw * (kw - 1) >= shape[3] + 2 * cols[2]:
                continue  # a kernel wider than the padded image: no window
            check_unfold(values(rng, shape, dt, special=True), args)
            check_fold(values(rng, cols_shape(shape, args), dt), shape[2:], args)


# ---- many planes: the parallel path ------------------------------------------------------
BIG = [((4, 8, 17, 19), ((3, 3), (1, 1), (1, 1), (1, 1))),
       ((3, 16, 23, 21), ((3, 2), (2, 1), (2, 0), (2, 3))),
       ((2, 24, 64, 64), ((1, 1), (1, 1), (0, 0), (1, 1))),  # whole rows at once
       ((1, 1, 300, 301), ((5, 5), (1, 1), (2, 2), (1, 1)))]  # one plane, no split


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("dt", DTYPES)
def test_many_planes_on_any_thread_count(threads, dt):
    before = CB._lib.tg_get_num_threads()
    rng = np.random.default_rng(threads)
    try:
        CB._lib.tg_set_num_threads(threads)
        for shape, args in BIG:
            check_unfold(values(rng, shape, dt), args)
            check_fold(values(rng, cols_shape(shape, args), dt), shape[2:], args)
    finally:
        CB._lib.tg_set_num_threads(before)
    assert CB._lib.tg_get_num_threads() == before


# ---- what C never sees ---------------------------------------------------------------------
def outcome(fn):
    """fn's result, or the type of what it raised."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - compared with the specification's
        return type(e)


NO_C = [((1, 1, 5, 4), ((6, 1), (1, 1), (0, 0), (1, 1))),  # no window: the spec is empty
        ((1, 1, 5, 4), ((6, 1), (1, 1), (0, 0), (2, 1))),  # ... or raises
        ((2, 3, 5, 4), ((1, 8), (1, 1), (0, 0), (1, 1))),  # a negative count
        ((1, 1, 0, 3), ((1, 1), (1, 1), (0, 0), (1, 1))),  # an empty side, no padding
        ((1, 1, 3, 3), ((2, 2), (3, 3), (0, 0), (1, 1))),  # dilated past the image
        ((1, 1, 4, 4), ((0, 1), (1, 1), (0, 0), (1, 1))),  # kernel 0
        ((1, 1, 4, 4), ((2, 2), (1, 1), (-1, 0), (1, 1))),  # negative padding
        ((1, 1, 4, 4), ((2, 2), (1, 1), (0, 0), (0, 1))),  # stride 0
        ((1, 1, 4, 4), ((2, 2), (1, 1), (0, 0), (1.0, 1))),  # not an integer
        ((1, 1, 4, 4), ((2, 2), (1, 1), (0, 0), (2**40, 1)))]  # past C's int range


@pytest.mark.parametrize("shape, args", NO_C)
@pytest.mark.parametrize("dt", DTYPES)
def test_degenerate_geometry_is_the_specs(c_calls, shape, args, dt):
    x = values(np.random.default_rng(0), shape, dt)
    want, got = outcome(lambda: RB.unfold(x, *args)), outcome(lambda: CB.unfold(x, *args))
    if isinstance(want, type):
        assert got is want
    else:
        assert_bitwise(got, want)
    cols = np.ones(want.shape if not isinstance(want, type) else (1, 1, 0), dt)
    want = outcome(lambda: RB.fold(cols, shape[2:], *args))
    got = outcome(lambda: CB.fold(cols, shape[2:], *args))
    assert got is want if isinstance(want, type) else np.array_equal(got, want)
    assert c_calls == []


GOOD = dict(n=1, c=1, h=4, w=4, kh=2, kw=2, dh=1, dw=1, ph=0, pw=0, sh=1, sw=1)
BAD = [dict(n=-1), dict(c=-1), dict(h=-1), dict(kw=0), dict(dh=0), dict(pw=-1), dict(sh=0),
       dict(kh=6), dict(dw=4), dict(ph=2**62), dict(dh=2**62, kh=3), dict(n=2**32, c=2**32),
       dict(n=2**40, h=2**12, w=2**12), dict(kh=2**31, kw=2**31, ph=2**31, pw=2**31)]


@pytest.mark.parametrize("dt", DTYPES)
def test_the_c_entry_points_refuse_what_python_never_passes(dt):
    """-1 before any buffer is touched (NULL here), for every argument out of range."""
    k, null = CB._KERNELS[np.dtype(dt)], CB._ffi.NULL
    for bad in BAD:
        args = list({**GOOD, **bad}.values())
        assert k.im2col(null, *args, null) == -1, bad
        assert k.col2im(null, *args, null) == -1, bad
    # no plane: nothing to index, so any valid geometry is fine
    args = list({**GOOD, "n": 0, "h": 2**31, "kh": 2**31}.values())
    assert k.im2col(null, *args, null) == 0 and k.col2im(null, *args, null) == 0


@pytest.mark.parametrize("dt", [np.int64, np.float16, np.int8])
def test_other_dtypes_are_the_specs(c_calls, dt):
    x = np.arange(2 * 3 * 5 * 4).astype(dt).reshape(2, 3, 5, 4)
    args = ((3, 2), (1, 1), (1, 0), (2, 1))
    want = RB.unfold(x, *args)
    np.testing.assert_array_equal(CB.unfold(x, *args), want)
    out = np.empty_like(want)
    assert CB.unfold(x, *args, out=out) is out  # out= is honoured on the way to numpy too
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(CB.fold(want, (5, 4), *args), RB.fold(want, (5, 4), *args))
    assert c_calls == []


def test_arguments_as_lists_and_numpy_ints():
    x = values(np.random.default_rng(3), (2, 2, 6, 7), np.float32)
    args = ([np.int64(2), 3], (1, np.int32(2)), [1, 0], (np.int8(2), 1))
    check_unfold(x, args)
    check_fold(RB.unfold(x, *args), [np.int64(6), 7], args)


def test_fold_checks_the_columns_shape(c_calls):
    with pytest.raises(ValueError, match=r"input.size\(1\)=5 and kernel_size=\(2, 2\)"):
        CB.fold(np.zeros((1, 5, 9), np.float32), (4, 4), (2, 2))
    with pytest.raises(ValueError, match=r"sliding blocks 3 \* 3 = 9, but got input.size\(2\)=8"):
        CB.fold(np.zeros((1, 4, 8), np.float32), (4, 4), (2, 2))
    with pytest.raises(ValueError):  # the specification refuses them as well
        RB.fold(np.zeros((1, 4, 8), np.float32), (4, 4), (2, 2))
    assert c_calls == []


@pytest.mark.parametrize("dt", DTYPES)
def test_out_is_checked(c_calls, dt):
    x = np.ones((1, 2, 4, 4), dt)
    other = np.float64 if dt == np.float32 else np.float32
    frozen = np.empty((1, 8, 9), dt)
    frozen.flags.writeable = False
    for out in (np.empty((1, 8, 8), dt), np.empty((1, 8, 9), other),
                np.empty((1, 9, 8), dt).transpose(0, 2, 1), frozen):
        with pytest.raises(ValueError, match="out must be"):
            CB.unfold(x, (2, 2), out=out)
    buf = np.zeros(100, dt)
    with pytest.raises(ValueError, match="overlap"):  # fold writes while it reads cols
        CB.fold(buf[:72].reshape(1, 8, 9), (4, 4), (2, 2), out=buf[16:48].reshape(1, 2, 4, 4))
    assert c_calls == []


def test_a_small_1x1_unfold_is_numpys_copy(c_calls, monkeypatch):
    """The one geometry numpy wins: a 1x1 kernel without padding is one strided copy."""
    monkeypatch.setitem(CB._MIN_SIZE, "unfold_copy", 1 << 17)
    x = values(np.random.default_rng(4), (2, 3, 5, 5), np.float32)
    assert_bitwise(CB.unfold(x, (1, 1), stride=(2, 1)), RB.unfold(x, (1, 1), stride=(2, 1)))
    assert c_calls == []
    assert_bitwise(CB.unfold(x, (1, 1), padding=(1, 0)), RB.unfold(x, (1, 1), padding=(1, 0)))
    assert_bitwise(CB.unfold(x, (2, 1)), RB.unfold(x, (2, 1)))
    assert c_calls == ["im2col", "im2col"]


# ---- max pooling ---------------------------------------------------------------------
@st.composite
def pool_geometries(draw):
    """x's shape (n, c, h, w) and max_pool's (kernel, dilation, stride): no padding
    (the caller pads), at least one window."""
    shape = (draw(COUNTS), draw(COUNTS), draw(SIDES.filter(bool)), draw(SIDES.filter(bool)))
    args = []
    for side in shape[2:]:
        d, s = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        k = draw(st.integers(1, (side - 1) // d + 1))
        args.append((k, d, s))
    return shape, tuple(zip(*args))


@pytest.mark.parametrize("dt", DTYPES)
@given(geo=pool_geometries(), layout=st.sampled_from(LAYOUTS), seed=st.integers(0, 2**16),
       ties=st.booleans())
@SETTINGS
def test_max_pool_equals_spec(geo, dt, layout, seed, ties):
    """Values, argmax (the first maximum; NaN counts as one) and the gradient's
    scatter-add, through guarded outputs."""
    shape, (kernel, dilation, stride) = geo
    rng = np.random.default_rng(seed)
    x = values(rng, shape, dt, special=True)
    if ties:  # ReLU outputs: most windows tie at 0
        x = np.maximum(x, 0).round().astype(dt)
    x = laid_out(x, layout)
    want, want_arg = RB.max_pool(x, kernel, dilation, stride)
    buf, out = nan_out(want.shape, dt)
    abuf, arg = guarded(want.shape, np.int64)
    got, got_arg = CB.max_pool(x, kernel, dilation, stride, out=out, arg=arg)
    assert got is out and got_arg is arg
    assert_bitwise(got, want)
    np.testing.assert_array_equal(got_arg, want_arg)
    assert untouched(buf, out.size) and untouched(abuf, arg.size)
    g = laid_out(values(rng, want.shape, dt), layout)
    gbuf, gout = nan_out(shape, dt)
    back = CB.max_pool_backward(g, want_arg, shape[2:], kernel, dilation, stride, out=gout)
    np.testing.assert_allclose(back, RB.max_pool_backward(g, want_arg, shape[2:], kernel,
                                                          dilation, stride), rtol=1e-6)
    assert untouched(gbuf, gout.size)


def test_max_pool_backward_refuses_an_index_outside_its_plane():
    g, arg = np.ones((1, 1, 2, 2), np.float32), np.full((1, 1, 2, 2), 16, np.int64)
    with pytest.raises(RuntimeError, match="status -1"):
        CB.max_pool_backward(g, arg, (4, 4), (2, 2), (1, 1), (2, 2))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("shape", [(3, 4, 28, 28), (2, 3, 7, 9), (1, 1, 2, 2)])
def test_max_pool_2x2_stride_2_equals_spec(dt, ties, shape):
    """The unrolled 2x2 / stride 2 path (LeNet's pools), on planes with and without
    NaN (a NaN plane takes the exact path): values and the first argmax."""
    rng = np.random.default_rng(sum(shape))
    x = values(rng, shape, dt, special=True)
    if ties:
        x = np.maximum(x, 0).round().astype(dt)
    x.flat[rng.integers(0, x.size, 2)] = [np.inf, -0.0]
    want, want_arg = RB.max_pool(x, (2, 2), (1, 1), (2, 2))
    got, got_arg = CB.max_pool(x, (2, 2), (1, 1), (2, 2))
    assert_bitwise(got, want)
    np.testing.assert_array_equal(got_arg, want_arg)
