"""erf and GELU's kernels (exact and tanh-approximated, forward and g * derivative) in C
(and CuPy when a GPU is at hand) equal numpy_backend's specification (backend/_special:
Cody's erf, GELU in PyTorch's formulas): float32 and float64, the IEEE corners, the
parallel path, outputs written within their bounds. GELU subtracts nearly equal numbers
for large negative x in every implementation, so the comparison allows a few ulps of
1 + |x| there."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu.backend import numpy_backend as R

C = pytest.importorskip("tinygrad_edu.backend.c_backend")
UNARY, BINARY = ["erf", "gelu", "gelu_tanh"], ["gelu_backward", "gelu_tanh_backward"]
# ulps of 1 + |x| allowed: libm's erf and tg's vtanh / vexp against numpy's
ULPS = {"erf": 4, "gelu": 8, "gelu_tanh": 64, "gelu_backward": 16, "gelu_tanh_backward": 256}


def _close(got, want, x, dt, op):
    assert got.dtype == want.dtype == dt and got.shape == want.shape
    tol = ULPS[op] * np.finfo(dt).eps * (1.0 + np.abs(x.astype(np.float64)))
    bad = ~(np.isclose(got, want, rtol=0, atol=0, equal_nan=True)
            | (np.abs(got.astype(np.float64) - want) <= tol))
    assert not bad.any(), (op, x[bad][:5], got[bad][:5], want[bad][:5])


def _arrays(special):
    def make(dt):
        elems = (st.floats(width=np.finfo(dt).bits, allow_nan=True, allow_infinity=True)
                 if special else st.floats(-12, 12, width=np.finfo(dt).bits))
        return hnp.arrays(dt, st.integers(0, 300), elements=elems)
    return st.sampled_from([np.float32, np.float64]).flatmap(make)


@settings(max_examples=80, deadline=None)
@given(op=st.sampled_from(UNARY + BINARY), x=st.one_of(_arrays(False), _arrays(True)),
       seed=st.integers(0, 99))
def test_c_equals_the_specification(op, x, seed):
    with np.errstate(all="ignore"):
        if op in BINARY:
            g = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
            got, want = C.binary(op, g, x, out=np.empty_like(x)), R.binary(op, g, x)
        else:
            got, want = C.unary(op, x, out=np.empty_like(x)), R.unary(op, x)
    _close(got, want, x, x.dtype, op)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("op", UNARY + BINARY)
def test_parallel_path_and_bounds(dt, op):
    n = (1 << 18) + 3
    x = (np.random.default_rng(0).standard_normal(n) * 3).astype(dt)
    buf = np.full(n + 2, 7.0, dt)
    out = buf[1:-1]
    args = (x[::-1].copy(), x) if op in BINARY else (x,)
    got = (C.binary if op in BINARY else C.unary)(op, *args, out=out)
    assert got is out and buf[0] == buf[-1] == 7.0
    _close(got, (R.binary if op in BINARY else R.unary)(op, *args), x, dt, op)


def test_erf_and_gelu_at_the_corners():
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, 40.0, -40.0], np.float64)
    np.testing.assert_array_equal(C.unary("erf", x), [0, -0.0, 1, -1, np.nan, R.unary("erf", x)[5],
                                                      1, -1])
    np.testing.assert_array_equal(C.unary("gelu", x)[[0, 2, 6, 7]], [0, np.inf, 40.0, -0.0])
