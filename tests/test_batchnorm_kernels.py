"""The batch-norm channel kernels (C, and CuPy when a GPU is at hand) equal numpy_backend's
specification: forward (out, mean, var, 1/std) with every affine case and the gradient
(dx, dw, db), over Hypothesis-drawn (N, C, *) shapes (N = 1, C = 1, odd and absent
spatial sizes: 2-D input as BatchNorm1d takes it), the parallel path and both tilings
(split over channels, split over the batch), non-contiguous inputs, and guard regions
on both sides of every buffer the C kernel writes. The BatchNorm Function: one node,
what it keeps, first and third order against PyTorch."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu.backend import numpy_backend as R
from tinygrad_edu.nn.functional_norm import batch_norm

C = pytest.importorskip("tinygrad_edu.backend.c_backend")
TOL = {np.float32: dict(rtol=2e-6, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-12)}
SENTINEL = 0xA5
DTYPES = [np.float32, np.float64]


def _case(rng, shape, dt, scale=3.0, offset=1.0):
    x = (rng.standard_normal(shape) * scale + offset).astype(dt)
    w, b = rng.standard_normal(shape[1]).astype(dt), rng.standard_normal(shape[1]).astype(dt)
    return x, w, b


def _same(got, want, dt, sums_of=1):
    """Equal dtype, shape and values; ``sums_of``: how many terms the [C] sums (dw, db)
    add up, which scales their absolute tolerance."""
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        tol = dict(TOL[dt])
        if g.ndim == 1:
            tol["atol"] *= max(1.0, math.sqrt(sums_of))
        np.testing.assert_allclose(g, w, **tol)


def _check(x, w, b, dt, eps=1e-5, seed=0):
    want = R.batch_norm(x, w, b, eps)
    _same(C.batch_norm(x, w, b, eps), want, dt)
    g = np.random.default_rng(seed).standard_normal(x.shape).astype(dt)
    _same(C.batch_norm_grad(g, x, want[1], want[3], w),
          R.batch_norm_grad(g, x, want[1], want[3], w), dt, x.size // x.shape[1])
    return want


shapes = st.tuples(st.integers(1, 6), st.integers(1, 9),
                   st.lists(st.integers(1, 9), min_size=0, max_size=2)).map(
    lambda t: (t[0], t[1], *t[2]))


@settings(max_examples=60, deadline=None)
@given(shapes, st.sampled_from(DTYPES), st.sampled_from(["wb", "w", "b", "none"]),
       st.sampled_from([1e-5, 1e-3, 0.5]), st.integers(0, 99))
def test_c_batch_norm_equals_the_specification(shape, dt, affine, eps, seed):
    if math.prod(shape) // shape[1] == 1:   # one value a channel: zero variance, 1/std = eps^-1/2
        shape = (shape[0] + 1,) + shape[1:]
    rng = np.random.default_rng(seed)
    x, w, b = _case(rng, shape, dt)
    _check(x, w if "w" in affine else None, b if "b" in affine else None, dt, eps, seed)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1, 2), (2, 1), (1, 5, 3, 1), (3, 70), (129, 3),
                                   (2, 33, 7), (257, 1, 1, 3)])
def test_c_batch_norm_edges_of_both_tilings(dt, shape):
    """N = 1 and C = 1; more channels than tiles (split over channels) and fewer
    (split over the batch, with partial sums per batch range)."""
    rng = np.random.default_rng(1)
    _check(*_case(rng, shape, dt), dt)


@pytest.mark.parametrize("dt", DTYPES)
def test_c_batch_norm_parallel_non_contiguous_and_ill_conditioned(dt):
    rng = np.random.default_rng(2)
    x, w, b = _case(rng, (37, 5, 31, 19), dt)   # above the parallel threshold, odd sizes
    _check(x, w, b, dt)
    x2, w2, b2 = _case(rng, (1500, 211), dt)       # 2-D, parallel, channels across rows
    _check(x2, w2, b2, dt)
    _check(*_case(rng, (40, 9, 17, 13), dt), dt)   # parallel, each channel's passes at once
    xt = np.moveaxis(_case(rng, (6, 4, 3, 5), dt)[0], 3, 1)   # (6, 5, 4, 3), a view
    assert not xt.flags.c_contiguous
    _check(xt, None, b[:5], dt)
    # mean far from 0 against a small spread: the shifted sums keep the variance
    far, _, _ = _case(rng, (64, 3, 10), dt, scale=0.01, offset=1e4)
    out, mean, var, rstd = C.batch_norm(far, None, None, 1e-12)
    ref = R.batch_norm(far, None, None, 1e-12)
    np.testing.assert_allclose(var, ref[2], rtol=1e-3 if dt == np.float32 else 1e-10)
    np.testing.assert_allclose(out, ref[0], rtol=0, atol=1e-2 if dt == np.float32 else 1e-9)


@pytest.mark.parametrize("threads", [1, 3, 5])
def test_c_batch_norm_under_other_thread_counts(threads):
    """The tiling follows the pool's thread count: other counts cut other tiles."""
    saved = C._lib.tg_get_num_threads()
    C._lib.tg_set_num_threads(threads)
    try:
        rng = np.random.default_rng(threads)
        for shape in [(7, 3, 5), (9, 16, 21), (300, 2, 3, 37), (50, 19)]:
            for dt in DTYPES:
                _check(*_case(rng, shape, dt), dt)
    finally:
        C._lib.tg_set_num_threads(saved)


@pytest.mark.parametrize("dt", DTYPES)
def test_c_batch_norm_constant_channels_and_nan(dt):
    x = np.full((4, 2, 3), 2.5, dt)
    out, mean, var, rstd = C.batch_norm(x, None, None, 1e-5)
    assert not out.any() and not var.any() and (mean == 2.5).all()
    np.testing.assert_allclose(rstd, 1e-5 ** -0.5, rtol=1e-6)
    x[1, 1, 2] = np.nan                        # NaN spoils its channel only, as in the spec
    got, want = C.batch_norm(x, None, None), R.batch_norm(x, None, None)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))
    assert np.isnan(got[0][:, 1]).all() and not np.isnan(got[0][:, 0]).any()


def _guarded(n, dt, extra=19):
    """A buffer of n values between two sentinel-filled regions of ``extra`` values."""
    buf = np.empty(n + 2 * extra, dt)
    buf.view(np.uint8)[:] = SENTINEL
    return buf, buf[extra:extra + n]


def _untouched(buf, n, extra=19):
    raw = buf.view(np.uint8)
    size = buf.itemsize
    return bool((raw[:extra * size] == SENTINEL).all()
                and (raw[(extra + n) * size:] == SENTINEL).all())


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 1), (2, 7, 5), (5, 3, 3, 3), (300, 2, 111)])
def test_c_batch_norm_writes_only_its_outputs(dt, shape):
    rng = np.random.default_rng(3)
    x, w, b = _case(rng, shape, dt)
    g = rng.standard_normal(shape).astype(dt)
    n, c = shape[:2]
    s = x.size // (n * c)
    k = C._KERNELS[np.dtype(dt)]
    p = lambda a: C._ffi.from_buffer(k.ctype, a)   # noqa: E731
    bufs = [_guarded(m, dt) for m in (x.size, c, c, c)]
    assert k.batch_norm(p(x), p(w), p(b), n, c, s, 1e-5, *(p(v) for _, v in bufs)) == 0
    assert all(_untouched(buf, v.size) for buf, v in bufs)
    want = R.batch_norm(x, w, b)
    _same([bufs[0][1].reshape(shape)] + [v for _, v in bufs[1:]], want, dt)
    gbufs = [_guarded(m, dt) for m in (x.size, c, c)]
    assert k.batch_norm_grad(p(g), p(x), p(want[1]), p(want[3]), p(w), n, c, s,
                             *(p(v) for _, v in gbufs)) == 0
    assert all(_untouched(buf, v.size) for buf, v in gbufs)
    _same([gbufs[0][1].reshape(shape)] + [v for _, v in gbufs[1:]],
          R.batch_norm_grad(g, x, want[1], want[3], w), dt, n * s)
    # sizes C refuses: a status, nothing written
    assert k.batch_norm(p(x), p(w), p(b), 0, c, s, 1e-5, *(p(v) for _, v in bufs)) == -1
    assert k.batch_norm_grad(p(g), p(x), p(want[1]), p(want[3]), p(w), n, c, 0,
                             *(p(v) for _, v in gbufs)) == -1


def test_other_dtypes_and_empty_batches_take_the_specification():
    x = np.random.default_rng(4).standard_normal((4, 3, 2)).astype(np.float16)
    for got, want in zip(C.batch_norm(x), R.batch_norm(x)):
        np.testing.assert_array_equal(got, want)
    empty = np.zeros((0, 3, 2), np.float32)
    out, mean, var, rstd = C.batch_norm(empty)
    assert out.shape == (0, 3, 2) and np.isnan(mean).all()
    dx, dw, db = C.batch_norm_grad(empty, empty, mean, rstd)
    assert dx.shape == (0, 3, 2) and not dw.any() and not db.any()


# ---- the Function -----------------------------------------------------------------------
def test_batch_norm_is_one_node_that_keeps_x_and_weight():
    x = tg.randn(4, 3, 5, requires_grad=True)
    w, b = tg.randn(3, requires_grad=True), tg.randn(3, requires_grad=True)
    y = batch_norm(x, None, None, w, b, training=True)
    assert type(y.grad_fn).__name__ == "BatchNorm"
    assert [t is x or t is w for t in y.grad_fn.saved_tensors] == [True, True]
    with tg.no_grad():
        x.add_(1.0)                      # x is kept for the backward: refused afterwards
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def _torch_composite(torch):
    """Batch norm in torch's elementary ops: torch's own fused op is differentiable twice
    but not a third time (its double backward's gradient in x differs from this
    composition's by ~50% here), so third order is checked against the composition."""
    def bn(x, running_mean, running_var, w=None, b=None, training=True):
        axes, shape = (0, *range(2, x.ndim)), (1, -1) + (1,) * (x.ndim - 2)
        m = x.mean(axes, keepdim=True)
        out = (x - m) / torch.sqrt(((x - m) ** 2).mean(axes, keepdim=True) + 1e-5)
        out = out if w is None else out * w.reshape(shape)
        return out if b is None else out + b.reshape(shape)
    return bn


@pytest.mark.parametrize("which", ["w", "b", "wb", ""])
def test_batch_norm_function_matches_torch_to_third_order(which):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w, b = _case(rng, (3, 2, 4), np.float64)
    v = rng.standard_normal(x.shape)
    outs = []
    # torch's fused op with a bias but no weight fails its double backward ("Expected a
    # proper Tensor but got None"): that case is checked against the composition only
    native = [] if which == "b" else [(torch, torch.nn.functional.batch_norm)]
    for L, bn in [(tg, batch_norm)] + native + [(torch, _torch_composite(torch))]:
        xs = [L.tensor(a, dtype=L.float64, requires_grad=True) for a in (x, w, b)]
        wt, bt = (xs[1] if "w" in which else None), (xs[2] if "b" in which else None)
        ins = [t for t in (xs[0], wt, bt) if t is not None]
        y = bn(xs[0], None, None, wt, bt, training=True)
        g1 = L.autograd.grad((y * y * L.tensor(v)).sum(), ins, create_graph=True)
        g2 = L.autograd.grad(sum((g * g).sum() for g in g1), ins, create_graph=True)
        g3 = L.autograd.grad(sum((g * g * g).sum() for g in g2), ins)
        outs.append([t.detach().numpy() for t in (y, *g1, *g2, *g3)])
    ours, composite = outs[0], outs[-1]
    for a, c in zip(ours[:1 + 2 * len(g1)], outs[1] if native else []):   # up to 2nd order
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-10)
    for a, c in zip(ours, composite):
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-10)


@pytest.mark.skipif(not tg.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("dt", DTYPES)
def test_cupy_batch_norm_equals_the_specification(dt):
    import cupy as cp
    from tinygrad_edu.backend import cupy_backend as G
    rng = np.random.default_rng(6)
    x, w, b = _case(rng, (33, 7, 5, 3), dt)
    want = R.batch_norm(x, w, b)
    got = G.batch_norm(cp.asarray(x), cp.asarray(w), cp.asarray(b))
    _same([cp.asnumpy(a) for a in got], want, dt)
    g = rng.standard_normal(x.shape).astype(dt)
    got = G.batch_norm_grad(*(cp.asarray(a) for a in (g, x, want[1], want[3], w)))
    _same([cp.asnumpy(a) for a in got], R.batch_norm_grad(g, x, want[1], want[3], w), dt,
          x.size // 7)
