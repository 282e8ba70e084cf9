"""The fused kernels of the C backend (activation backward + bias gradient,
softmax-cross-entropy, optimizer steps), split from c_backend.py, which
re-exports every public name here: the backend stays one flat interface with
numpy_backend's names. Shapes, dtypes and layouts are checked here; whatever
the C kernels do not take (other dtypes, non-contiguous in-place targets)
goes to numpy_backend, the specification.
"""
import numpy as np

from . import numpy_backend as _ref
from .c_backend import _check, _contig, _ffi, _lib, _out

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
_FUSED = {_F32: ("float[]", _lib.tg_act_backward_f32, _lib.tg_softmax_xent_f32,
                 _lib.tg_sgd_f32, _lib.tg_adam_f32),
          _F64: ("double[]", _lib.tg_act_backward_f64, _lib.tg_softmax_xent_f64,
                 _lib.tg_sgd_f64, _lib.tg_adam_f64)}
_NULL = _ffi.NULL
_fb = _ffi.from_buffer


def _same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape


# ---- activation backward and bias gradient ------------------------------------
def _act(grad, x, op, slope, want_out, want_sum, out=None):
    """(out or None, colsum or None) of the activation backward over grad viewed
    as (rows, last axis)."""
    ct, kernel = _FUSED[grad.dtype][:2]
    grad = _contig(grad)
    cols = grad.shape[-1] if grad.ndim else 1
    rows = grad.size // cols if cols else 0
    res = _out(out, grad.shape, grad.dtype) if want_out else None
    cs = np.empty(cols, grad.dtype) if want_sum else None
    if op != _lib.TG_ACT_NONE:
        x = _contig(x)
    _check(kernel(op, float(slope), _fb(ct, grad), _fb(ct, x) if op else _NULL, rows, cols,
                  _fb(ct, res) if want_out else _NULL, _fb(ct, cs) if want_sum else _NULL))
    return res, cs


def leaky_relu_backward(grad, x, slope, out=None):
    if grad.dtype not in _FUSED or not _same(grad, x) or grad.ndim == 0:
        return _ref.leaky_relu_backward(grad, x, slope)
    return _act(grad, x, _lib.TG_ACT_LEAKY, slope, True, False, out)[0]


def bias_grad(grad):
    if grad.dtype not in _FUSED or grad.ndim != 2 or grad.shape[1] == 0:
        return _ref.bias_grad(grad)
    return _act(grad, None, _lib.TG_ACT_NONE, 0.0, False, True)[1]


def act_bias_backward(grad, x, slope=0.0):
    if grad.dtype not in _FUSED or not _same(grad, x) or grad.ndim != 2 or grad.shape[1] == 0:
        return _ref.act_bias_backward(grad, x, slope)
    op = _lib.TG_ACT_RELU if slope == 0 else _lib.TG_ACT_LEAKY
    return _act(grad, x, op, slope, True, True)


# ---- softmax-cross-entropy --------------------------------------------------------
def softmax_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean"):
    if (x.dtype not in _FUSED or x.ndim != 2 or x.shape[1] == 0
            or target.shape != x.shape[:1] or target.dtype.kind not in "iu"
            or (weight is not None and weight.shape != x.shape[1:])):
        return _ref.softmax_cross_entropy(x, target, weight, ignore_index, reduction)
    n, c = x.shape
    t = _contig(target, np.int64)
    ct, kernel = _FUSED[x.dtype][0], _FUSED[x.dtype][2]
    x = _contig(x)
    w = _NULL if weight is None else _fb("double[]", _contig(weight, np.float64))
    losses, total, grad = np.empty(n), np.empty(1), np.empty(x.shape, x.dtype)
    status = kernel(_fb(ct, x), n, c, _fb("int64_t[]", t), w, int(ignore_index),
                    int(reduction == "mean"), _fb("double[]", losses), _fb("double[]", total),
                    _fb(ct, grad))
    if status == -1:  # the kernel checks every target before it writes anything
        _ref.check_classes(t, c, ignore_index)
    _check(status)
    return losses, float(total[0]), grad


# ---- optimizer steps in place -------------------------------------------------------
def _inplace_ok(p, *others):
    """All C-contiguous, writeable (p and state), one float dtype and shape."""
    return (p.dtype in _FUSED and _flat(p) and p.flags.writeable
            and all(o is None or (_same(o, p) and _flat(o)) for o in others))


def _flat(a):
    return a.flags.c_contiguous and a.flags.aligned


def sgd_step(p, grad, buf, lr, weight_decay=0.0, momentum=0.0, dampening=0.0,
             nesterov=False, maximize=False, first=False):
    if not _inplace_ok(p, grad, buf) or (buf is not None and not buf.flags.writeable):
        return _ref.sgd_step(p, grad, buf, lr, weight_decay, momentum, dampening,
                             nesterov, maximize, first)
    ct, kernel = _FUSED[p.dtype][0], _FUSED[p.dtype][3]
    _check(kernel(_fb(ct, p), _fb(ct, grad), _NULL if buf is None else _fb(ct, buf), p.size,
                  -float(lr), float(weight_decay), float(momentum), 1.0 - dampening,
                  int(bool(nesterov)), int(bool(maximize)), int(bool(first))))


def adam_step(p, grad, m, v, step, lr, beta1, beta2, eps, weight_decay=0.0,
              decoupled=False, maximize=False):
    if not _inplace_ok(p, grad, m, v) or not (m.flags.writeable and v.flags.writeable):
        return _ref.adam_step(p, grad, m, v, step, lr, beta1, beta2, eps, weight_decay,
                              decoupled, maximize)
    ct, kernel = _FUSED[p.dtype][0], _FUSED[p.dtype][4]
    decay = 1 - lr * weight_decay if decoupled and weight_decay != 0 else 1.0
    l2 = weight_decay if not decoupled else 0.0
    step_size = lr / (1 - beta1 ** step)
    bc2 = (1 - beta2 ** step) ** 0.5
    _check(kernel(_fb(ct, p), _fb(ct, grad), _fb(ct, m), _fb(ct, v), p.size, float(decay),
                  float(l2), 1.0 - beta1, float(beta2), 1.0 - beta2, float(eps),
                  -float(step_size), float(bc2), int(bool(maximize))))


__all__ = ["leaky_relu_backward", "bias_grad", "act_bias_backward", "softmax_cross_entropy",
           "sgd_step", "adam_step"]
for _name in __all__:  # one docstring per kernel: the specification's
    globals()[_name].__doc__ = getattr(_ref, _name).__doc__
