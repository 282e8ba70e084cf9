"""The LSTM step's pointwise kernel (C, and CuPy when a GPU is at hand) equals
numpy_backend's specification (backend/_recurrent.py): h', c', K1, K2 and f for
Hypothesis-drawn rows and widths, both dtypes, saturated gates, the parallel path;
outputs written within their bounds; views that C cannot take go to the spec."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_edu.backend import numpy_backend as R

C = pytest.importorskip("tinygrad_edu.backend.c_backend")
TOL = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-13, atol=1e-14)}


def _outs(rows, n, dt, guard=False):
    """h, c2, k1, k2, f (each inside a NaN-guarded buffer when ``guard``)."""
    shapes = [(rows, n), (rows, n), (rows, 4 * n), (rows, n), (rows, n)]
    if not guard:
        return [np.empty(s, dt) for s in shapes], []
    bufs = [np.full(int(np.prod(s)) + 2, np.nan, dt) for s in shapes]
    return [b[1:-1].reshape(s) for b, s in zip(bufs, shapes)], bufs


def _check(rows, n, dt, seed, scale=3.0):
    rng = np.random.default_rng(seed)
    gates = (rng.standard_normal((rows, 4 * n)) * scale).astype(dt)
    c = rng.standard_normal((rows, n)).astype(dt)
    want, _ = _outs(rows, n, dt)
    R.lstm_cell(gates, c, *want)
    got, bufs = _outs(rows, n, dt, guard=True)
    C.lstm_cell(gates, c, *got)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, **TOL[dt])
    assert all(np.isnan(b[0]) and np.isnan(b[-1]) for b in bufs)


@settings(max_examples=50, deadline=None)
@given(rows=st.integers(0, 40), n=st.integers(0, 70), dt=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 99))
def test_c_lstm_cell_equals_the_specification(rows, n, dt, seed):
    _check(rows, n, dt, seed)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_saturated_gates_and_the_parallel_path(dt):
    _check(3, 5, dt, 1, scale=60.0)     # sigmoid and tanh at 0 / 1 / -1
    _check(512, 256, dt, 2)             # threads over rows


def test_views_go_to_the_specification():
    rng = np.random.default_rng(3)
    gates = rng.standard_normal((4, 12)).astype(np.float32)
    c = rng.standard_normal((4, 3)).astype(np.float32)
    out = np.empty((4, 6), np.float32)              # h and c2 side by side: strided views
    k1, k2, f = np.empty((4, 12), np.float32), np.empty((4, 3), np.float32), \
        np.empty((4, 3), np.float32)
    C.lstm_cell(gates, c, out[:, :3], out[:, 3:], k1, k2, f)
    want, _ = _outs(4, 3, np.float32)
    R.lstm_cell(gates, c, *want)
    np.testing.assert_allclose(out[:, :3], want[0], rtol=1e-6)
    np.testing.assert_allclose(out[:, 3:], want[1], rtol=1e-6)
