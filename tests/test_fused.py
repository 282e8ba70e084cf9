"""The kernels of training (activation backwards, the column sums of the bias
gradient, softmax-cross-entropy, optimizer steps) and the vectorised log/tanh:
the C backend equals the numpy backend (the specification) on Hypothesis-drawn
shapes, outputs are written only where they belong, and the autograd/optimizer
paths that use the kernels equal their composite twins (the Tensor-op formulas)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.backend import numpy_backend as RB
from kernels import Ops

CB = pytest.importorskip("tinygrad_edu.backend.c_backend")
from test_c_backend import _always_c  # noqa: E402,F401 - every size runs in C
C, R = Ops(CB), Ops(RB)  # each kernel by its op's name

DTYPES = [np.float32, np.float64]
SETTINGS = settings(max_examples=40, deadline=None)
SENTINEL = 0xA5
EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}

dims = st.integers(0, 37)


@st.composite
def matrix(draw, dt, rows=None, cols=None, lo=-30.0, hi=30.0):
    r = draw(dims) if rows is None else rows
    c = draw(dims) if cols is None else cols
    width = 32 if dt == np.float32 else 64
    return draw(hnp.arrays(dt, (r, c), elements=st.floats(lo, hi, width=width)))


def guarded(n, dt, extra=41):
    """A flat out of n elements that is the prefix of a sentinel-filled buffer."""
    buf = np.empty(n + extra, dt)
    buf.view(np.uint8)[:] = SENTINEL
    return buf, buf[:n]


def untouched(buf, n):
    return bool((buf[n:].view(np.uint8) == SENTINEL).all())


# ---- activation backward and the bias gradient -----------------------------------
@pytest.mark.parametrize("dt", DTYPES)
@SETTINGS
@given(data=st.data(), slope=st.sampled_from([0.0, 0.01, -0.5, 2.0]))
def test_act_backward_and_bias_grad_equal_numpy(dt, data, slope):
    g = data.draw(matrix(dt))
    x = data.draw(matrix(dt, *g.shape))
    x[::3] = 0  # the kink: x == 0 is not > 0
    got, want = C.leaky_relu_backward(g, x, slope), R.leaky_relu_backward(g, x, slope)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(C.relu_backward(g, x), R.relu_backward(g, x))
    # Column sums (the bias gradient, sum over rows) in another order (numpy sums an
    # (n, 1) column pairwise): the standard summation error bound, n * eps * sum|g|,
    # covers cancellation.
    _assert_sums_close(C.sum(g, (0,)), R.sum(g, (0,)), g, dt)


def _assert_sums_close(got, want, terms, dt):
    bound = terms.shape[0] * EPS[dt] * np.abs(terms).sum(0, dtype=np.float64)
    assert got.dtype == want.dtype and np.all(np.abs(got.astype(np.float64) - want) <= bound)


@pytest.mark.parametrize("dt", DTYPES)
def test_act_backward_nan_inf_and_views(dt):
    g = np.array([[1, np.nan, np.inf, -2], [3, 4, np.nan, 5]], dt)
    x = np.array([[np.nan, 1, -1, 0], [np.inf, -np.inf, 2, -0.0]], dt)
    for slope in (0.0, 0.1):
        np.testing.assert_array_equal(C.leaky_relu_backward(g, x, slope),
                                      R.leaky_relu_backward(g, x, slope))
    np.testing.assert_array_equal(C.relu_backward(g, x), R.relu_backward(g, x))
    gt, xt = g.T, x.T  # non-contiguous inputs are made contiguous first
    np.testing.assert_array_equal(C.leaky_relu_backward(gt, xt, 0.1),
                                  R.leaky_relu_backward(gt, xt, 0.1))


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(0, 3), (1, 1), (3, 0), (7, 33), (129, 515), (600, 700)])
def test_act_backward_guard_regions(dt, shape):
    rows, cols = shape
    rng = np.random.default_rng(rows)
    g, x = (rng.standard_normal(shape).astype(dt) for _ in range(2))
    k = CB._KERNELS[np.dtype(dt)]
    for op, slope in ((CB._lib.TG_RELU_BACKWARD, 0.0), (CB._lib.TG_LEAKY_RELU_BACKWARD, 0.2)):
        obuf, out = guarded(rows * cols, dt)
        assert k.binary(op, slope, CB._ptr(k, g), CB._ptr(k, x), rows * cols,
                        CB._ptr(k, out)) == 0
        assert untouched(obuf, rows * cols)
        np.testing.assert_array_equal(out.reshape(shape), R.leaky_relu_backward(g, x, slope))
    cbuf, cs = guarded(cols, dt)  # the column sums: a reduction over the rows
    assert k.reduce(CB._lib.TG_SUM, CB._ptr(k, g), 1, rows, cols, CB._ffi.NULL,
                    CB._ptr(k, cs)) == 0
    assert untouched(cbuf, cols)
    np.testing.assert_allclose(cs, R.sum(g, (0,)), rtol=50 * EPS[dt], atol=1e-12)
    unknown = CB._lib.TG_GELU_TANH_BACKWARD + 1  # one past the last binary op
    assert k.binary(unknown, 0.0, CB._ffi.NULL, CB._ffi.NULL, 1, CB._ffi.NULL) == -1


# ---- softmax-cross-entropy ---------------------------------------------------------
@st.composite
def xent_case(draw, dt):
    x = draw(matrix(dt, rows=draw(st.integers(0, 17)), cols=draw(st.integers(1, 23))))
    n, c = x.shape
    t = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), np.int64)
    ignore = draw(st.sampled_from([-100, 0, c - 1]))
    weight = None
    if draw(st.booleans()):
        weight = np.array(draw(st.lists(st.floats(0.1, 3.0), min_size=c, max_size=c)), dt)
    return x, t, weight, ignore, draw(st.sampled_from(["mean", "sum", "none"]))


def _total(t, weight, ignore):
    """The total weight of the rows kept: the divisor of reduction 'mean'."""
    keep = t != ignore
    return float((np.ones(len(t)) if weight is None else weight[np.where(keep, t, 0)])
                 .astype(np.float64)[keep].sum())


def _loss_close(got, want, dt):
    """Losses made in float64 and rounded once to dt: within an ulp of dt."""
    assert got.dtype == want.dtype == dt and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=max(EPS[dt], 1e-13), atol=1e-13, equal_nan=True)


@pytest.mark.parametrize("dt", DTYPES)
@SETTINGS
@given(data=st.data())
def test_softmax_cross_entropy_equals_numpy(dt, data):
    x, t, weight, ignore, reduction = data.draw(xent_case(dt))
    lc, gc = C.softmax_cross_entropy(x, t, weight, ignore, reduction)
    lr, gr = R.softmax_cross_entropy(x, t, weight, ignore, reduction)
    assert gc.dtype == gr.dtype == x.dtype and gc.shape == gr.shape == x.shape
    _loss_close(lc, lr, dt)
    # double inside both; numpy's p = exp(logp) is off by ~1 ulp of 1 before p - 1,
    # so the error bound is absolute: a few eps times the largest row scale
    tr = _total(t, weight, ignore)
    scale = (1.0 if weight is None else float(weight.max())) / (
        tr if reduction == "mean" and tr else 1.0)
    np.testing.assert_allclose(gc, gr, rtol=4 * EPS[dt], atol=8 * EPS[dt] * scale,
                               equal_nan=True)


@pytest.mark.parametrize("dt", DTYPES)
def test_softmax_cross_entropy_corners(dt):
    x = np.array([[0, 0, 0], [1e4, -1e4, 0], [np.nan, 1, 2], [-np.inf, 0, 1]], dt)
    t = np.array([1, 0, 2, 0])
    for red in ("mean", "sum", "none"):
        got, want = C.softmax_cross_entropy(x, t, None, -100, red), \
            R.softmax_cross_entropy(x, t, None, -100, red)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_allclose(got[1], want[1], rtol=4 * EPS[dt], atol=4 * EPS[dt],
                                   equal_nan=True)
    # every row ignored: total 0, so the mean is nan (0/0), the gradient 0 on ignored
    # rows (as PyTorch) and every row's own loss 0
    ignored = x[[0, 1, 3]], np.full(3, -100)
    mean, grad = C.softmax_cross_entropy(*ignored, None, -100, "mean")
    losses, _ = C.softmax_cross_entropy(*ignored, None, -100, "none")
    assert np.isnan(mean) and not losses.any() and not grad.any()
    with pytest.raises(IndexError):
        C.softmax_cross_entropy(x, np.array([0, 1, 3, 0]), None, -100, "mean")


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("c", [3, 10, 31, 32])
def test_softmax_cross_entropy_many_short_rows(dt, c):
    """Enough rows to split across threads: the short-row blocks meet at odd row counts."""
    rng = np.random.default_rng(c)
    x = (rng.standard_normal((20011, c)) * 4).astype(dt)
    t = rng.integers(0, c, len(x))
    t[::13] = -100
    lc, gc = C.softmax_cross_entropy(x, t, None, -100, "mean")
    lr, gr = R.softmax_cross_entropy(x, t, None, -100, "mean")
    _loss_close(lc, lr, dt)
    tr = _total(t, None, -100)
    np.testing.assert_allclose(gc, gr, rtol=4 * EPS[dt], atol=8 * EPS[dt] / tr)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (5, 10), (130, 1000)])
def test_softmax_cross_entropy_guard_regions(dt, shape):
    rows, c = shape
    rng = np.random.default_rng(c)
    x = rng.standard_normal(shape).astype(dt)
    t = rng.integers(0, c, rows)
    ct = "float[]" if dt == np.float32 else "double[]"
    kernel = getattr(CB._lib, "tg_softmax_xent_" + ("f32" if dt == np.float32 else "f64"))
    lbuf, loss = guarded(rows, np.float64)
    tbuf, total = guarded(1, np.float64)
    gbuf, grad = guarded(rows * c, dt)
    fb = CB._ffi.from_buffer
    assert kernel(fb(ct, x), rows, c, fb("int64_t[]", t), CB._ffi.NULL, -100, 1,
                  fb("double[]", loss), fb("double[]", total), fb(ct, grad)) == 0
    assert untouched(lbuf, rows) and untouched(tbuf, 1) and untouched(gbuf, rows * c)
    # the kernel's per-row losses are float64: the specification's on float64 scores
    rows_want = R.softmax_cross_entropy(x.astype(np.float64), t, None, -100, "none")[0]
    np.testing.assert_allclose(loss, rows_want, rtol=1e-13)
    assert total[0] == rows
    want = R.softmax_cross_entropy(x, t, None, -100, "mean")
    np.testing.assert_allclose(grad.reshape(shape), want[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dt", [tg.float32, tg.float64])
def test_cross_entropy_gradient_equals_composite(reduction, dt):
    """The kernel's gradient (plain backward) equals the Tensor-op one (create_graph)."""
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((9, 6))
    t = tg.tensor(rng.integers(0, 6, 9))
    t._data[2] = -100
    w = tg.tensor(rng.uniform(0.5, 2, 6), dtype=dt)
    grads = []
    for create_graph in (False, True):
        x = tg.tensor(x0, dtype=dt, requires_grad=True)
        loss = tg.nn.functional.cross_entropy(x, t, weight=w, reduction=reduction)
        up = loss * 1.5 if reduction != "none" else loss * tg.tensor(np.arange(9.0), dtype=dt)
        up.sum().backward(create_graph=create_graph)
        grads.append(x.grad.detach().numpy())
    tol = 1e-6 if dt == tg.float32 else 1e-13
    np.testing.assert_allclose(grads[0], grads[1], rtol=tol, atol=tol)


# ---- optimizer steps ----------------------------------------------------------------
SGD_CASES = [dict(lr=0.1), dict(lr=0.1, weight_decay=0.3), dict(lr=0.05, momentum=0.9),
             dict(lr=0.05, momentum=0.9, dampening=0.4, weight_decay=0.1),
             dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)]
ADAM_CASES = [("Adam", dict(lr=0.01)), ("Adam", dict(lr=0.01, weight_decay=0.2, maximize=True)),
              ("Adam", dict(lr=0.01, betas=(0.3, 0.9))), ("AdamW", dict(lr=0.01)),
              ("AdamW", dict(lr=0.02, weight_decay=0.5, betas=(0.6, 0.99), eps=1e-6))]


def _trajectory(make, fused, dt, steps=5, shape=(37, 5)):
    rng = np.random.default_rng(7)
    p = tg.tensor(rng.standard_normal(shape), dtype=dt, requires_grad=True)
    q = tg.tensor(rng.standard_normal(3), dtype=dt, requires_grad=True)
    opt = make([{"params": [p]}, {"params": [q], "lr": 0.003}])
    opt._fused = fused
    for _ in range(steps):
        for t in (p, q):  # a gradient that depends on the parameter
            t.grad = tg.tensor(t.detach().numpy() ** 2 - 0.5 + rng.standard_normal(t.shape),
                               dtype=dt)
        opt.step()
    return [p.detach().numpy().copy(), q.detach().numpy().copy()], opt


@pytest.mark.parametrize("dt", [tg.float32, tg.float64])
@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_kernel_equals_tensor_formula(dt, kw):
    got, opt = _trajectory(lambda ps: optim.SGD(ps, **kw), True, dt)
    want, ref = _trajectory(lambda ps: optim.SGD(ps, **kw), False, dt)
    for a, b in zip(got, want):  # same operations in the same order: bit for bit
        np.testing.assert_array_equal(a, b)
    for sa, sb in zip(opt.state.values(), ref.state.values()):
        np.testing.assert_array_equal(sa["momentum_buffer"].numpy(),
                                      sb["momentum_buffer"].numpy())


@pytest.mark.parametrize("dt", [tg.float32, tg.float64])
@pytest.mark.parametrize("name,kw", ADAM_CASES)
def test_adam_kernel_equals_tensor_formula(dt, name, kw):
    make = lambda ps: getattr(optim, name)(ps, **kw)  # noqa: E731
    got, opt = _trajectory(make, True, dt)
    want, ref = _trajectory(make, False, dt)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    for sa, sb in zip(opt.state.values(), ref.state.values()):
        for key in ("exp_avg", "exp_avg_sq", "step"):
            np.testing.assert_array_equal(sa[key].numpy(), sb[key].numpy())


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 7, 33, (1 << 18) + 3])
def test_optimizer_kernels_equal_numpy_and_stay_in_bounds(dt, n):
    rng = np.random.default_rng(n)
    vals = [rng.standard_normal(n).astype(dt) for _ in range(4)]
    vals[3] = np.abs(vals[3])  # v >= 0
    for name, args in (("sgd_step", (0.1, 0.01, 0.9, 0.1, True, False, False)),
                       ("adam_step", (3, 0.01, 0.9, 0.999, 1e-8, 0.1, True, True))):
        bufs, views = zip(*(guarded(n, dt) for _ in range(4)))
        ref = [v.copy() for v in vals]
        for view, v in zip(views, vals):
            view[:] = v
        if name == "sgd_step":
            C.sgd_step(views[0], views[1], views[2], *args)
            R.sgd_step(ref[0], ref[1], ref[2], *args)
        else:
            C.adam_step(*views, *args)
            R.adam_step(*ref, *args)
        for view, want, buf in zip(views, ref, bufs):
            np.testing.assert_array_equal(view, want)
            assert untouched(buf, n)


def test_optimizer_falls_back_when_arrays_do_not_fit():
    """A replaced .data that is a strided view (the backend's numpy twin runs) or a
    float64 grad on a float32 parameter (the Tensor-op path runs) still gives the
    Tensor-op result."""
    results = []
    for fused in (True, False):
        rng = np.random.default_rng(3)
        p = tg.tensor(rng.standard_normal((6, 8)), dtype=tg.float32, requires_grad=True)
        p.data = p.data.T[:, ::2]
        opt = optim.SGD([p], lr=0.1, momentum=0.9)
        opt._fused = fused
        for _ in range(3):
            p.grad = tg.tensor(rng.standard_normal((8, 3)), dtype=tg.float32)
            opt.step()
        p.grad = tg.tensor(np.ones((8, 3)), dtype=tg.float64)
        opt.step()
        results.append(p.detach().numpy())
    assert not results[0].flags.c_contiguous
    np.testing.assert_array_equal(results[0], results[1])


def test_fused_step_bumps_versions():
    p = tg.ones(4, requires_grad=True)
    y = (p * p).sum()
    p.grad = tg.ones(4)  # same dtype: the kernel path
    optim.SGD([p], lr=0.1).step()
    with pytest.raises(RuntimeError):
        y.backward()  # p changed in place since mul saved it


# ---- vectorised log and tanh ----------------------------------------------------------
def _ulps(got, want, dt):
    it = np.int32 if dt == np.float32 else np.int64
    a, b = got.view(it).astype(np.int64), want.view(it).astype(np.int64)
    a = np.where(a < 0, np.iinfo(it).min - a, a)  # order the bit patterns like the floats
    b = np.where(b < 0, np.iinfo(it).min - b, b)
    d = np.abs(a - b)
    return np.where(np.isnan(got) & np.isnan(want), 0, d)


def _wide(dt, rng, n=1 << 16):
    fi = np.finfo(dt)
    top = np.log(fi.max)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, fi.tiny, fi.tiny / 2,
               fi.smallest_subnormal, fi.max, -fi.max, 1.0, -1.0, 0.5, np.sqrt(2), 1e-30]
    return np.concatenate([
        np.array(special), rng.uniform(-3, 3, n), rng.uniform(-30, 30, n),
        np.exp(rng.uniform(-top, top, n)) * rng.choice([-1, 1], n),
        rng.uniform(0, fi.tiny * 8, n) * rng.choice([-1, 1], n)]).astype(dt)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("op,max_ulps", [("log", 4), ("tanh", 4)])
def test_vectorised_log_tanh_within_ulps_of_numpy(dt, op, max_ulps):
    x = _wide(dt, np.random.default_rng(0))
    with np.errstate(all="ignore"):
        want = getattr(np, op)(x)
    got = getattr(C, op)(x, out=np.empty_like(x))
    assert np.array_equal(np.isnan(got), np.isnan(want))
    num = ~np.isnan(want)  # a NaN's sign bit means nothing
    assert np.array_equal(np.signbit(got[num]), np.signbit(want[num]))
    assert _ulps(got, want, dt).max() <= max_ulps


@pytest.mark.parametrize("slope", [0.1, -0.3])
def test_leaky_relu_second_order_matches_torch(slope):
    """create_graph through LeakyReluGrad: the mask is applied to the gradient's
    gradient again (and x gets none from it)."""
    torch = pytest.importorskip("torch")
    x0 = np.array([-2.0, -0.5, 0.0, 0.7, 3.0])
    x = tg.tensor(x0, dtype=tg.float64, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)
    res = []
    for lib, t in ((tg, x), (torch, tx)):
        fn = tg.nn.functional.leaky_relu if lib is tg else torch.nn.functional.leaky_relu
        y = (fn(t, slope) ** 3).sum()
        (g,) = lib.autograd.grad(y, [t], create_graph=True)
        (g * g).sum().backward()
        res.append(t.grad.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-13)


@pytest.mark.parametrize("dt", DTYPES)
def test_one_and_two_threads_give_the_same_bits(dt):
    """The parallel splits (columns of the sums, blocks of rows) change no result."""
    rng = np.random.default_rng(5)
    g, x = (rng.standard_normal((130, 517)).astype(dt) for _ in range(2))
    logits, t = rng.standard_normal((3001, 10)).astype(dt), rng.integers(0, 10, 3001)
    before = CB._lib.tg_get_num_threads()
    res = []
    try:
        for n in (1, 2):
            CB._lib.tg_set_num_threads(n)
            res.append([C.relu_backward(g, x), C.sum(g, (0,)), C.leaky_relu_backward(g, x, 0.1),
                        *C.softmax_cross_entropy(logits, t, None, -100, "mean")])
    finally:
        CB._lib.tg_set_num_threads(before)
    for one, two in zip(*res):
        np.testing.assert_array_equal(one, two)
