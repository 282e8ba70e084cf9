"""The layer-norm row kernels (C, and CuPy when a GPU is at hand) equal numpy_backend's
specification: forward (out, x-hat, 1/std) with and without the affine, and the input
gradient; short and long rows, one row, the parallel path, non-contiguous inputs."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu.backend import numpy_backend as R

C = pytest.importorskip("tinygrad_edu.backend.c_backend")
TOL = {np.float32: dict(rtol=2e-6, atol=2e-6), np.float64: dict(rtol=1e-13, atol=1e-13)}


def _case(rng, rows, n, dt, scale=3.0):
    x = (rng.standard_normal((rows, n)) * scale + 1.0).astype(dt)
    w, b = rng.standard_normal(n).astype(dt), rng.standard_normal(n).astype(dt)
    return x, w, b


def _same(got, want, dt):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, **TOL[dt])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(1, 70), st.sampled_from([np.float32, np.float64]),
       st.sampled_from(["wb", "w", "b", "none"]), st.integers(0, 99))
def test_c_layer_norm_equals_the_specification(rows, n, dt, affine, seed):
    rng = np.random.default_rng(seed)
    x, w, b = _case(rng, rows, n, dt)
    w, b = (w if "w" in affine else None), (b if "b" in affine else None)
    want = R.layer_norm(x, w, b, 1e-5)
    _same(C.layer_norm(x, w, b, 1e-5), want, dt)
    g = rng.standard_normal((rows, n)).astype(dt)
    _same([C.layer_norm_grad(g, want[1], want[2])], [R.layer_norm_grad(g, want[1], want[2])],
          dt)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_c_layer_norm_long_inputs_strides_and_constant_rows(dt):
    rng = np.random.default_rng(1)
    x, w, b = _case(rng, 4099, 131, dt)           # above the parallel threshold
    _same(C.layer_norm(x, w, b, 1e-3), R.layer_norm(x, w, b, 1e-3), dt)
    xt = np.asfortranarray(x[:300, :64])           # non-contiguous: copied first
    _same(C.layer_norm(xt, None, None), R.layer_norm(xt), dt)
    flat = np.full((3, 8), 2.5, dt)                 # zero variance: x-hat 0, 1/std = eps^-1/2
    out, xhat, rstd = C.layer_norm(flat, None, None, 1e-5)
    assert not xhat.any() and np.allclose(rstd, 1e-5 ** -0.5, rtol=1e-6)


def test_layer_norm_op_uses_the_kernel_and_matches_torch_second_order():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 5))
    w, b = rng.standard_normal(5), rng.standard_normal(5)
    outs = []
    for L in (tg, torch):
        xs = [L.tensor(a, dtype=L.float64, requires_grad=True) for a in (x, w, b)]
        y = L.nn.functional.layer_norm(xs[0], (5,), xs[1], xs[2])
        gx = L.autograd.grad((y * y).sum(), xs[0], create_graph=True)[0]
        gg = L.autograd.grad((gx * gx).sum(), xs)
        outs.append([y.detach().numpy()] + [t.detach().numpy() for t in gg])
    for a, c in zip(*outs):
        np.testing.assert_allclose(a, c, rtol=1e-10, atol=1e-12)


@pytest.mark.skipif(not tg.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_cupy_layer_norm_equals_the_specification(dt):
    import cupy as cp
    from tinygrad_edu.backend import cupy_backend as G
    rng = np.random.default_rng(3)
    x, w, b = _case(rng, 257, 96, dt)
    want = R.layer_norm(x, w, b)
    got = G.layer_norm(cp.asarray(x), cp.asarray(w), cp.asarray(b))
    _same([cp.asnumpy(a) for a in got], want, dt)
    g = rng.standard_normal(x.shape).astype(dt)
    got = G.layer_norm_grad(cp.asarray(g), cp.asarray(want[1]), cp.asarray(want[2]))
    _same([cp.asnumpy(got)], [R.layer_norm_grad(g, want[1], want[2])], dt)
