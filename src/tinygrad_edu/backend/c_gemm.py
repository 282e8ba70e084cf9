"""The C backend's GEMM glue: matmul (2-D and batched, transpose flags) and the
fused linear layer act(x @ w.T + b), split from c_backend.py, which re-exports
both. Shapes, dtypes and layouts are checked here; what the kernels do not take
(other dtypes, broadcast batches, small products) goes to numpy_backend.
"""
import numpy as np

from . import c_backend as _cb
from . import numpy_backend as _ref
from .c_backend import _KERNELS, _check, _contig, _ffi, _lib, _out, _p, _prod

_LINEAR = {np.dtype(np.float32): _lib.tg_linear_f32, np.dtype(np.float64): _lib.tg_linear_f64}
_ACT = {None: _lib.TG_ACT_NONE, "relu": _lib.TG_ACT_RELU, "leaky_relu": _lib.TG_ACT_LEAKY}


def _as_c(x, t):
    """x C-contiguous, flipping the transpose flag instead of copying a transposed view."""
    if x.flags.c_contiguous and x.flags.aligned:
        return x, t
    xt = np.swapaxes(x, -1, -2)
    if xt.flags.c_contiguous and xt.flags.aligned:
        return xt, not t
    return _contig(x), t


def matmul(a, b, ta=False, tb=False, out=None):
    """op(a) @ op(b) where op transposes the last two axes when its flag is set.

    a and b are 2-D, or >=3-D with identical batch dimensions.
    """
    k = _KERNELS.get(a.dtype)
    if (k is None or b.dtype != a.dtype or a.ndim < 2 or a.ndim != b.ndim
            or a.shape[:-2] != b.shape[:-2]):
        return _ref.matmul(a, b, ta, tb)
    m, ka = a.shape[-1:-3:-1] if ta else a.shape[-2:]
    kb, n = b.shape[-1:-3:-1] if tb else b.shape[-2:]
    batch = _prod(a.shape[:-2])
    if ka != kb or (out is None and batch * m * n * ka < _cb._MIN_SIZE["matmul"]):
        return _ref.matmul(a, b, ta, tb)
    (a, ta), (b, tb) = _as_c(a, bool(ta)), _as_c(b, bool(tb))
    out = _out(out, a.shape[:-2] + (m, n), a.dtype, (a, b))
    _check(k.matmul(_p(k, a), _p(k, b), batch, m, n, ka, int(ta), int(tb), _p(k, out)))
    return out


def linear(x, w, b=None, act=None, slope=0.01, out=None):
    """act(x @ w.T + b) for 2-D x (n_rows, in), w (out, in), b (out,) or None;
    act is None, "relu" or "leaky_relu" (negative slope ``slope``). The bias and
    the activation are applied as the GEMM stores its result.
    """
    kern = _LINEAR.get(x.dtype)
    code = _ACT.get(act) if isinstance(act, (str, type(None))) else None
    # the same routing rule as matmul: a fused call equals matmul + add + act
    if (kern is None or code is None or x.ndim != 2 or w.ndim != 2 or w.dtype != x.dtype
            or x.shape[1] != w.shape[1]
            or (b is not None and (b.dtype != x.dtype or b.shape != (w.shape[0],)))
            or (out is None and x.shape[0] * w.shape[0] * x.shape[1] < _cb._MIN_SIZE["matmul"])):
        return _ref.linear(x, w, b, act, slope)
    k = _KERNELS[x.dtype]
    x, w = _contig(x), _contig(w)
    ins = (x, w) if b is None else (x, w, _contig(b))
    out = _out(out, (x.shape[0], w.shape[0]), x.dtype, ins)
    _check(kern(_p(k, x), _p(k, w), _ffi.NULL if b is None else _p(k, ins[2]), x.shape[0],
                w.shape[0], x.shape[1], code, float(slope), _p(k, out)))
    return out
