"""The CUDA backend: numpy_backend's interface on CuPy arrays.

Imported only when a CUDA device is first asked for (``backend.get('cuda')``);
without CuPy or without a GPU, ``unavailable_reason()`` says why and nothing
else here is used. GEMM is ``cupy.dot`` / ``cupy.matmul`` (cuBLAS). On a GPU a
small op costs its launch, not its arithmetic, so the kernels below exist to cut
launches: the activations and their backwards, softmax and log_softmax by rows,
column sums, softmax-cross-entropy forward and backward in one kernel, and each
optimizer update in one pass. Each is tested equal to numpy_backend. Beyond the
interface, the device plumbing (unavailable_reason, device_of, check_index,
from_host, to_host, scalar, synchronize) is CuPy's alone.
"""
import numpy as np

from ..device import device as _device
from . import _windows
from . import numpy_backend as _ref
from ._cuda_src import ROW_KERNELS as _ROW_KERNELS

try:
    import cupy as cp
    _import_error = None
except Exception as e:  # noqa: BLE001 - missing, or its CUDA libraries fail to load
    cp = None
    _import_error = e

name = "cupy"
xp = cp


def unavailable_reason():
    """None if CUDA tensors can be made here, else why not (in words)."""
    if cp is None:
        if isinstance(_import_error, ImportError):
            return ("CuPy is not installed; install the extra for your CUDA version: "
                    "pip install 'tinygrad_edu[cuda12]' (or [cuda13])")
        return f"CuPy failed to import ({type(_import_error).__name__}: {_import_error})"
    try:
        n = cp.cuda.runtime.getDeviceCount()
    except Exception as e:  # noqa: BLE001 - CUDARuntimeError: no driver, no device
        return f"no NVIDIA GPU or driver could be used ({e})"
    return None if n > 0 else "no NVIDIA GPU was found"


_DEVICES: dict = {}


def device_of(a):
    """tg.device('cuda:N') for a CuPy array on GPU N."""
    i = a.device.id
    d = _DEVICES.get(i)
    if d is None:
        d = _DEVICES[i] = _device("cuda", i)
    return d


def check_index(index):
    """Arrays are made on CuPy's current GPU, so only that one can be named."""
    cur = cp.cuda.runtime.getDevice()
    if index is not None and index != cur:
        n = cp.cuda.runtime.getDeviceCount()
        what = "does not exist" if index >= n else "is not the current device"
        raise RuntimeError(f"CUDA device cuda:{index} {what}: tinygrad_edu uses the current "
                           f"device cuda:{cur} ({n} visible)")


def from_host(a):
    """A numpy array (or a CuPy one) as a CuPy array on the current GPU."""
    return cp.asarray(a)


def to_host(a):
    """A CuPy array copied to a numpy array (waits for the GPU)."""
    return cp.asnumpy(a)


_SCALARS: dict = {}


def scalar(arr):
    """A 0-d numpy array as a 0-d CuPy array, cached by its bits: ``x * 2`` must not
    copy the 2 to the GPU (a synchronous transfer) at every step. Never mutated."""
    key = (arr.dtype.char, arr.tobytes())
    s = _SCALARS.get(key)
    if s is None:
        if len(_SCALARS) > 4096:
            _SCALARS.clear()
        s = _SCALARS[key] = cp.asarray(arr)
    return s


def synchronize():
    """Wait until every queued kernel of the current GPU has finished."""
    cp.cuda.Stream.null.synchronize()


# ---- elementwise kernels (built once, at import, when CuPy is there) ------------------
def _ek(params, out, body, name):
    # fmad off: a*b+c rounds twice, as numpy does; the kernels are memory-bound anyway
    return cp.ElementwiseKernel(params, out, body, "tg_" + name, options=("--fmad=false",))


if cp is not None:
    _sign = _ek("T x", "T y", "y = x > 0 ? (T)1 : (x < 0 ? (T)-1 : (T)0)", "sign")
    _sigmoid = _ek("T x", "T y",
                   "T e = exp(-fabs(x)); y = x >= 0 ? (T)1 / ((T)1 + e) : e / ((T)1 + e)",
                   "sigmoid")
    _leaky = _ek("T x, T slope", "T y", "y = x > 0 ? x : x * slope", "leaky_relu")
    _step = _ek("T x", "T y", "y = x > 0 ? (T)1 : (T)0", "step")
    _relu_bw = _ek("T g, T x", "T y", "y = x > 0 ? g : (T)0", "relu_backward")
    _leaky_bw = _ek("T g, T x, T slope", "T y", "y = g * (x > 0 ? (T)1 : slope)",
                    "leaky_relu_backward")
    # GELU as numpy_backend's (backend/_special.py): CUDA's erf and tanh
    _erf = _ek("T x", "T y", "y = erf(x)", "erf")
    _tanh_u = "T t = tanh((T)0.7978845608028654 * (x + (T)0.044715 * x * x * x));"
    _gelu = _ek("T x", "T y", "y = (T)0.5 * x * ((T)1 + erf(x * (T)0.7071067811865476))",
                "gelu")
    _gelu_tanh = _ek("T x", "T y", _tanh_u + "y = (T)0.5 * x * ((T)1 + t)", "gelu_tanh")
    _gelu_bw = _ek("T g, T x", "T y",
                   "T cdf = (T)0.5 * ((T)1 + erf(x * (T)0.7071067811865476));"
                   "y = g * (cdf + x * exp((T)-0.5 * x * x) * (T)0.3989422804014327)",
                   "gelu_backward")
    _gelu_tanh_bw = _ek("T g, T x", "T y", _tanh_u +
                        "y = g * ((T)0.5 * ((T)1 + t) + (T)0.5 * x * ((T)1 - t * t)"
                        " * (T)0.7978845608028654 * ((T)1 + (T)0.134145 * x * x))",
                        "gelu_tanh_backward")
    _sgd_plain = _ek("T g, T wd, T neg_lr", "T p",
                     "T d = g; if (wd != (T)0) d = d + p * wd; p = p + d * neg_lr", "sgd")
    _sgd_mom = _ek(
        "T g, T wd, T neg_lr, T mom, T one_m_damp, bool nesterov, bool first", "T p, T buf",
        "T d = g; if (wd != (T)0) d = d + p * wd;"
        "if (first) buf = d; else buf = buf * mom + d * one_m_damp;"
        "d = nesterov ? d + buf * mom : buf; p = p + d * neg_lr", "sgd_momentum")
    _adam = _ek(
        "T g, T wd, T decay, T w, T one_m_w, bool near, T beta2, T one_m_b2, T neg_step, "
        "T bc2, T eps", "T p, T m, T v",
        "T d = g; if (wd != (T)0) d = d + p * wd; if (decay != (T)1) p = p * decay;"
        "m = near ? m + (d - m) * w : d - (d - m) * one_m_w;"
        "v = v * beta2 + d * one_m_b2 * d;"
        "p = p + m * neg_step / (sqrt(v) / bc2 + eps)", "adam")
    _rows = cp.RawModule(
        code=_ROW_KERNELS, options=("--std=c++14",), name_expressions=[
            f"{k}<{t}{flag}>" for t in ("float", "double")
            for k, flag in (("softmax_rows", ", false"), ("softmax_rows", ", true"),
                            ("xent_rows", ""), ("xent_reduce", ""), ("col_sums", ""))])


def _t(x, v):
    """v as a scalar of x's dtype (the kernels' T)."""
    return x.dtype.type(v)


# ---- elementwise ---------------------------------------------------------------------
if cp is not None:
    _UNARY = {"neg": cp.negative, "exp": cp.exp, "log": cp.log, "log1p": cp.log1p,
             "sqrt": cp.sqrt, "abs": cp.abs, "sign": _sign, "sin": cp.sin, "cos": cp.cos,
             "tanh": cp.tanh, "sigmoid": _sigmoid, "relu": lambda x: cp.maximum(x, _t(x, 0)),
             "leaky_relu": lambda x, slope: _leaky(x, _t(x, slope)), "step": _step,
             "erf": _erf, "gelu": _gelu, "gelu_tanh": _gelu_tanh}
    _BINARY = {"add": cp.add, "sub": cp.subtract, "mul": cp.multiply, "div": cp.true_divide,
              "pow": cp.power, "maximum": cp.maximum, "minimum": cp.minimum,
              "eq": cp.equal, "ne": cp.not_equal, "lt": cp.less, "le": cp.less_equal,
              "gt": cp.greater, "ge": cp.greater_equal, "relu_backward": _relu_bw,
              "leaky_relu_backward": lambda g, x, slope: _leaky_bw(g, x, _t(g, slope)),
              "gelu_backward": _gelu_bw, "gelu_tanh_backward": _gelu_tanh_bw}


def unary(op, x, *params):
    """numpy_backend.unary on the GPU."""
    return _UNARY[op](x, *params)


def binary(op, a, b, *params):
    """numpy_backend.binary on the GPU."""
    return _BINARY[op](a, b, *params)


# ---- reductions ----------------------------------------------------------------------
def _col_sums(x):
    """Column sums of a 2-D array in one launch (CuPy's general reduction costs
    several times the launch in Python): the bias gradient of a linear layer."""
    n, c = x.shape
    out = cp.empty(c, x.dtype)
    if c:
        _row_kernel("col_sums", x.dtype)(((c + 31) // 32,), (32, 8),
                                         (cp.ascontiguousarray(x), out, np.int64(n), np.int32(c)))
    return out


def reduce(op, x, axis=None, keepdims=False):  # noqa: A001 - the interface's name
    """numpy_backend.reduce on the GPU."""
    if (op == "sum" and axis == (0,) and x.ndim == 2 and not keepdims
            and x.dtype in (np.float32, np.float64)):
        return _col_sums(x)
    if op in ("argmax", "argmin"):
        found = (cp.argmax if op == "argmax" else cp.argmin)(x, axis=axis, keepdims=keepdims)
        return found.astype(np.int64, copy=False)
    return {"sum": cp.sum, "max": cp.amax, "min": cp.amin}[op](x, axis=axis, keepdims=keepdims)


# ---- matmul and the linear layer ----------------------------------------------------------
def matmul(a, b, ta=False, tb=False):
    """op(a) @ op(b); cuBLAS reads a transposed operand in place (no copy)."""
    if ta:
        a = cp.swapaxes(a, -1, -2)
    if tb:
        b = cp.swapaxes(b, -1, -2)
    # 2-D: cupy.dot reaches cuBLAS with ~25% less Python than matmul's gufunc layer
    return cp.dot(a, b) if a.ndim == 2 and b.ndim == 2 else cp.matmul(a, b)


def linear(x, w, b=None):
    """x @ w.T + b: cuBLAS, then the bias added in place (one more launch)."""
    out = cp.dot(x, w.T)
    if b is not None:
        out += b
    return out


# ---- row kernels: softmax, log_softmax, cross-entropy -----------------------------------
def _threads(c):
    """Threads per row block: a multiple of 32 (the reductions shuffle whole warps)."""
    return 32 if c <= 32 else 128 if c <= 1024 else 256


def _row_kernel(kind, dtype, flag=None):
    t = "float" if dtype == np.float32 else "double"
    flag = "" if flag is None else (", true" if flag else ", false")
    return _rows.get_function(f"{kind}<{t}{flag}>")


def softmax(x, axis=-1, log=False):
    """numpy_backend.softmax, one block per row."""
    if x.size == 0:
        return x.copy()
    if x.dtype not in (np.float32, np.float64):  # float16: numpy_backend's formula
        s = x - cp.amax(x, axis=axis, keepdims=True)
        return s - cp.log(cp.exp(s).sum(axis=axis, keepdims=True)) if log else \
            cp.exp(s) / cp.exp(s).sum(axis=axis, keepdims=True)
    moved = cp.ascontiguousarray(cp.moveaxis(x, axis, -1))
    c = moved.shape[-1]
    out = cp.empty_like(moved)
    rows = moved.size // c
    _row_kernel("softmax_rows", x.dtype, log)((rows,), (_threads(c),), (moved, out, np.int32(c)))
    return cp.moveaxis(out, -1, axis)


def layer_norm(x, w=None, b=None, eps=1e-5):
    """numpy_backend.layer_norm with CuPy's reductions."""
    return _ref._layer_norm_with(cp, x, w, b, eps)


def layer_norm_grad(g, xhat, rstd):
    """numpy_backend.layer_norm_grad with CuPy's reductions."""
    return _ref._layer_norm_grad_with(cp, g, xhat, rstd)


def batch_norm(x, w=None, b=None, eps=1e-5):
    """numpy_backend.batch_norm with CuPy's reductions."""
    return _ref._batch_norm_with(cp, x, w, b, eps)


def batch_norm_grad(g, x, mean, rstd, w=None):
    """numpy_backend.batch_norm_grad with CuPy's reductions."""
    return _ref._batch_norm_grad_with(cp, g, x, mean, rstd, w)


def softmax_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean"):
    """numpy_backend's contract in two launches, reading nothing back, except that an
    out-of-range class index gives a NaN loss and gradient row instead of raising
    (raising would mean waiting for the GPU)."""
    n, c = x.shape
    if n == 0:
        loss = cp.zeros(0, x.dtype) if reduction == "none" else \
            cp.asarray(np.nan if reduction == "mean" else 0.0, x.dtype)
        return loss, cp.empty_like(x)
    if c == 0:
        raise IndexError("cross_entropy: target is out of bounds for 0 classes")
    x = cp.ascontiguousarray(x)
    target = cp.ascontiguousarray(cp.asarray(target, dtype=np.int64))
    w = cp.asarray(weight, dtype=np.float64) if weight is not None else cp.empty(1, np.float64)
    losses = cp.empty(n, np.float64)
    grad = cp.empty_like(x)
    total = cp.empty((), np.float64)
    _row_kernel("xent_rows", x.dtype)(
        (n,), (_threads(c),),
        (x, target, w, np.int32(weight is not None), np.int64(ignore_index),
         np.int32(reduction == "mean"), np.int64(n), np.int32(c), losses, grad, total))
    if reduction == "none":
        return losses.astype(x.dtype), grad
    if x.dtype not in (np.float32, np.float64):
        s = losses.sum()
        return (s / total if reduction == "mean" else s).astype(x.dtype), grad
    loss = cp.empty((), x.dtype)  # 0/0 is NaN on the GPU without a test
    _row_kernel("xent_reduce", x.dtype)((1,), (256,), (losses, total, np.int64(n),
                                                       np.int32(reduction == "mean"), loss))
    return loss, grad


# ---- optimizer updates, in place, one launch per parameter ----------------------------
def sgd_step(p, grad, buf, lr, weight_decay=0.0, momentum=0.0, dampening=0.0,
             nesterov=False, maximize=False, first=False):
    """numpy_backend.sgd_step's arithmetic, rounded the same way."""
    g = -grad if maximize else grad
    if buf is None:
        _sgd_plain(g, _t(p, weight_decay), _t(p, -lr), p)
    else:
        _sgd_mom(g, _t(p, weight_decay), _t(p, -lr), _t(p, momentum), _t(p, 1 - dampening),
                 bool(nesterov), bool(first), p, buf)


def adam_step(p, grad, m, v, step, lr, beta1, beta2, eps, weight_decay=0.0,
              decoupled=False, maximize=False):
    """numpy_backend.adam_step's arithmetic, rounded the same way."""
    g = -grad if maximize else grad
    wd = 0.0 if decoupled else weight_decay
    decay = 1 - lr * weight_decay if decoupled and weight_decay != 0 else 1.0
    w = 1 - beta1
    bc2 = (1 - beta2 ** step) ** 0.5
    _adam(g, _t(p, wd), _t(p, decay), _t(p, w), _t(p, 1 - w), w < 0.5, _t(p, beta2),
          _t(p, 1 - beta2), _t(p, -(lr / (1 - beta1 ** step))), _t(p, bc2), _t(p, eps),
          p, m, v)


def unfold(x, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """numpy_backend.unfold on the GPU (one strided copy per kernel tap)."""
    return _windows.unfold(cp, x, kernel, dilation, padding, stride)


def fold(cols, size, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """numpy_backend.fold on the GPU (one strided add per kernel tap)."""
    return _windows.fold(cp, cols, size, kernel, dilation, padding, stride)


def max_pool(x, kernel, dilation=(1, 1), stride=(1, 1)):
    """numpy_backend.max_pool on the GPU."""
    return _windows.max_pool(cp, x, kernel, dilation, stride)


def max_pool_backward(grad, arg, size, kernel, dilation=(1, 1), stride=(1, 1)):
    """numpy_backend.max_pool_backward on the GPU (an atomic scatter-add)."""
    import cupyx
    n, c = grad.shape[:2]
    out = cp.zeros((n * c, size[0] * size[1]), grad.dtype)
    windows = grad.shape[2] * grad.shape[3]
    cupyx.scatter_add(out, (cp.arange(n * c)[:, None], arg.reshape(n * c, windows)),
                      grad.reshape(n * c, windows))
    return out.reshape(n, c, *size)


def index_add(out, index, src):
    """numpy_backend.index_add on the GPU (an atomic scatter-add)."""
    import cupyx
    cupyx.scatter_add(out, index, src)
    return out


def lstm_cell(gates, c, h, c2, k1, k2, f):
    """numpy_backend.lstm_cell on the GPU (the same code on CuPy arrays)."""
    from . import _recurrent
    _recurrent.lstm_cell(cp, _sigmoid, gates, c, h, c2, k1, k2, f)
