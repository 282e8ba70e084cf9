"""The C backend's fused kernels for losses, optimizers, batch norm and embeddings:
softmax-cross-entropy (forward and backward in one pass), the SGD / Adam updates
(one pass over a parameter, in place), batch norm's training forward and backward
(two passes each), index_add (an embedding's backward). c_backend.py re-exports
them, so the backend stays one flat interface with numpy_backend's names. Shapes,
dtypes and layouts are checked here; what the kernels do not take (other dtypes,
non-contiguous in-place targets) goes to numpy_backend, the specification.
"""
import numpy as np

from . import numpy_backend as _ref
from ._c_lib import KERNELS as _KERNELS, buf as _buf, check as _check, contig as _contig
from ._c_lib import ffi as _ffi

_NULL = _ffi.NULL


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape


def softmax_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean"):
    k = _KERNELS.get(x.dtype)
    if (k is None or x.ndim != 2 or x.shape[1] == 0
            or target.shape != x.shape[:1] or target.dtype.kind not in "iu"
            or (weight is not None and weight.shape != x.shape[1:])):
        return _ref.softmax_cross_entropy(x, target, weight, ignore_index, reduction)
    n, c = x.shape
    t = _contig(target, np.int64)
    x = _contig(x)
    w = _NULL if weight is None else _buf("double[]", _contig(weight, np.float64))
    losses, total, grad = np.empty(n), np.empty(1), np.empty(x.shape, x.dtype)
    status = k.softmax_xent(_buf(k.ctype, x), n, c, _buf("int64_t[]", t), w, int(ignore_index),
                            int(reduction == "mean"), _buf("double[]", losses),
                            _buf("double[]", total), _buf(k.ctype, grad))
    if status == -1:  # the kernel checks every target before it writes anything:
        return _ref.softmax_cross_entropy(x, t, weight, ignore_index, reduction)  # its error
    _check(status)
    if reduction == "none":
        return losses.astype(x.dtype), grad
    loss = losses.sum()
    if reduction == "mean":  # 0/0 is nan, as in PyTorch
        loss = loss / total[0] if total[0] != 0 else np.nan
    return np.asarray(loss, dtype=x.dtype), grad


# ---- optimizer steps in place ----------------------------------------------------------
def _flat(a):
    return a.flags.c_contiguous and a.flags.aligned


def _fits(p, grad, *state):
    """p and the state buffers C-contiguous and writeable, grad C-contiguous, all of
    one float dtype and shape (state may hold None: no momentum buffer)."""
    return (p.dtype in _KERNELS and _flat(p) and p.flags.writeable and _same(grad, p)
            and _flat(grad) and all(s is None or (_same(s, p) and _flat(s) and s.flags.writeable)
                                    for s in state))


def sgd_step(p, grad, buf, lr, weight_decay=0.0, momentum=0.0, dampening=0.0,
             nesterov=False, maximize=False, first=False):
    if not _fits(p, grad, buf):
        return _ref.sgd_step(p, grad, buf, lr, weight_decay, momentum, dampening,
                             nesterov, maximize, first)
    k = _KERNELS[p.dtype]
    _check(k.sgd(_buf(k.ctype, p), _buf(k.ctype, grad), _NULL if buf is None else
                 _buf(k.ctype, buf), p.size, -float(lr), float(weight_decay), float(momentum),
                 1.0 - dampening, int(bool(nesterov)), int(bool(maximize)), int(bool(first))))


def adam_step(p, grad, m, v, step, lr, beta1, beta2, eps, weight_decay=0.0,
              decoupled=False, maximize=False):
    if not _fits(p, grad, m, v):
        return _ref.adam_step(p, grad, m, v, step, lr, beta1, beta2, eps, weight_decay,
                              decoupled, maximize)
    k = _KERNELS[p.dtype]
    decay = 1 - lr * weight_decay if decoupled and weight_decay != 0 else 1.0
    l2 = weight_decay if not decoupled else 0.0
    step_size = lr / (1 - beta1 ** step)
    bc2 = (1 - beta2 ** step) ** 0.5
    _check(k.adam(_buf(k.ctype, p), _buf(k.ctype, grad), _buf(k.ctype, m), _buf(k.ctype, v),
                  p.size, float(decay), float(l2), 1.0 - beta1, float(beta2), 1.0 - beta2,
                  float(eps), -float(step_size), float(bc2), int(bool(maximize))))


# ---- batch norm (training) -------------------------------------------------------------
def _channels(a):
    """a (N, C, *) as a C-contiguous (N, C, S), or None for an empty or 1-D a."""
    return _contig(a.reshape(a.shape[:2] + (-1,))) if a.ndim >= 2 and a.size else None


def _per_channel(p, x3):
    """p as a contiguous [C] array of x3's dtype, or None where C cannot take it."""
    return _contig(p) if p is not None and _same(p, x3[0, :, 0]) else None


def _fits_channels(x3, params):
    """x3 there and each given [C] parameter (array, its contiguous copy) usable."""
    return x3 is not None and all(p is None or q is not None for p, q in params)


def batch_norm(x, w=None, b=None, eps=1e-5):
    k, x3 = _KERNELS.get(x.dtype), _channels(x)
    cw, cb = (None, None) if x3 is None else (_per_channel(w, x3), _per_channel(b, x3))
    if k is None or not _fits_channels(x3, ((w, cw), (b, cb))):
        return _ref.batch_norm(x, w, b, eps)
    n, c, s = x3.shape
    out = np.empty(x.shape, x.dtype)
    mean, var, rstd = (np.empty(c, x.dtype) for _ in range(3))
    _check(k.batch_norm(_buf(k.ctype, x3), _NULL if cw is None else _buf(k.ctype, cw),
                        _NULL if cb is None else _buf(k.ctype, cb), n, c, s, float(eps),
                        _buf(k.ctype, out), _buf(k.ctype, mean), _buf(k.ctype, var),
                        _buf(k.ctype, rstd)))
    return out, mean, var, rstd


def batch_norm_grad(g, x, mean, rstd, w=None):
    k = _KERNELS.get(g.dtype)
    g3, x3 = (_channels(g), _channels(x)) if _same(x, g) else (None, None)
    m, r, cw = (None,) * 3 if g3 is None else (_per_channel(p, g3) for p in (mean, rstd, w))
    if k is None or not _fits_channels(g3, ((mean, m), (rstd, r), (w, cw))):
        return _ref.batch_norm_grad(g, x, mean, rstd, w)
    n, c, s = g3.shape
    dx = np.empty(g.shape, g.dtype)
    dw, db = np.empty(c, g.dtype), np.empty(c, g.dtype)
    _check(k.batch_norm_grad(_buf(k.ctype, g3), _buf(k.ctype, x3), _buf(k.ctype, m),
                             _buf(k.ctype, r), _NULL if cw is None else _buf(k.ctype, cw),
                             n, c, s, _buf(k.ctype, dx), _buf(k.ctype, dw), _buf(k.ctype, db)))
    return dx, dw, db


for _name in ("softmax_cross_entropy", "sgd_step", "adam_step", "batch_norm",
              "batch_norm_grad"):  # the specification's words
    globals()[_name].__doc__ = getattr(_ref, _name).__doc__


def index_add(out, index, src):
    """numpy_backend.index_add in C: rows added in index order (add.at's), threads
    over column ranges; C checks every index against len(out)."""
    k = _KERNELS.get(out.dtype)
    if (k is None or out.ndim < 1 or index.ndim != 1 or index.dtype.kind not in "iu"
            or src.dtype != out.dtype or src.shape != index.shape + out.shape[1:]
            or not (out.flags.c_contiguous and out.flags.aligned and out.flags.writeable)):
        return _ref.index_add(out, index, src)
    idx, src = _contig(index, np.int64), _contig(src)
    cols = int(np.prod(out.shape[1:]))
    _check(k.index_add(_buf(k.ctype, out), _buf("int64_t[]", idx), _buf(k.ctype, src),
                       len(idx), out.shape[0], cols))
    return out


def lstm_cell(gates, c, h, c2, k1, k2, f):
    """numpy_backend.lstm_cell in C, one pass a row, when every array is contiguous and
    of the gates' dtype (else the specification)."""
    k = _KERNELS.get(gates.dtype)
    arrays = (gates, c, h, c2, k1, k2, f)
    if (k is None or gates.ndim != 2 or any(a.dtype != gates.dtype for a in arrays)
            or not all(a.flags.c_contiguous and a.flags.aligned for a in arrays)
            or gates.shape != (c.shape[0], 4 * c.shape[-1])
            or any(a.shape != c.shape for a in (h, c2, k2, f)) or k1.shape != gates.shape
            or np.may_share_memory(c, c2) or np.may_share_memory(c, h)):  # C reads restrict
        return _ref.lstm_cell(gates, c, h, c2, k1, k2, f)
    _check(k.lstm_cell(*(_buf(k.ctype, a) for a in arrays[:2]), c.shape[0], c.shape[1],
                       *(_buf(k.ctype, a) for a in arrays[2:])))
