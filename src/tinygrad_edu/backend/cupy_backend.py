"""The CUDA backend: numpy_backend's interface on CuPy arrays.

Imported only when a CUDA device is first asked for (``backend.get('cuda')``);
without CuPy or without a GPU, ``unavailable_reason()`` says why and nothing
else here is used. GEMM is ``cupy.matmul`` (cuBLAS). On a GPU a small op costs
its launch, not its arithmetic, so the fused kernels below exist to cut
launches: bias + activation after the GEMM, activation backward, softmax and
log_softmax by rows, softmax-cross-entropy forward and backward in one kernel,
and each optimizer update in one pass. Each is tested equal to numpy_backend.
"""
import numpy as np

from ..device import device as _device
from ._cuda_src import ROW_KERNELS as _ROW_KERNELS
from .numpy_backend import check_classes  # noqa: F401 - array-API only: works on CuPy

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


class errstate:  # noqa: N801 - numpy's name; GPUs never trap on IEEE results
    def __init__(self, **_): pass
    def __enter__(self): return self
    def __exit__(self, *exc): return False


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
    # y is the GEMM result, updated in place: + bias, then the activation (ReLU keeps NaN)
    _ACT = {None: "", "relu": "v = (v > 0 || v != v) ? v : (T)0;",
            "leaky_relu": "v = v > 0 ? v : v * slope;"}
    _bias_act = {(bias, act): _ek("T b, T slope" if bias else "T slope", "T y",
                                  f"T v = y{' + b' if bias else ''}; {code} y = v;",
                                  f"bias_act_{int(bias)}_{act}")
                 for bias in (False, True) for act in _ACT for code in [_ACT[act]]
                 if bias or act}
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
                            ("xent_rows", ""), ("xent_reduce", ""), ("col_sums", ", false"),
                            ("col_sums", ", true"))])


def _t(x, v):
    """v as a scalar of x's dtype (the kernels' T)."""
    return x.dtype.type(v)


# ---- elementwise unary ------------------------------------------------------
def neg(x): return cp.negative(x)
def exp(x): return cp.exp(x)
def log(x): return cp.log(x)
def sqrt(x): return cp.sqrt(x)
def abs(x): return cp.abs(x)  # noqa: A001 - backend names mirror the ops
def sign(x): return _sign(x)
def sin(x): return cp.sin(x)
def cos(x): return cp.cos(x)
def tanh(x): return cp.tanh(x)
def sigmoid(x): return _sigmoid(x)
def relu(x): return cp.maximum(x, _t(x, 0))
def leaky_relu(x, slope): return _leaky(x, _t(x, slope))
def step(x): return _step(x)


# ---- elementwise binary (same dtype, broadcastable shapes) -------------------
def add(a, b): return cp.add(a, b)
def sub(a, b): return cp.subtract(a, b)
def mul(a, b): return cp.multiply(a, b)
def div(a, b): return cp.true_divide(a, b)
def pow(a, b): return cp.power(a, b)  # noqa: A001
def maximum(a, b): return cp.maximum(a, b)
def minimum(a, b): return cp.minimum(a, b)
def eq(a, b): return cp.equal(a, b)
def ne(a, b): return cp.not_equal(a, b)
def lt(a, b): return cp.less(a, b)
def le(a, b): return cp.less_equal(a, b)
def gt(a, b): return cp.greater(a, b)
def ge(a, b): return cp.greater_equal(a, b)
def where(cond, a, b): return cp.where(cond, a, b)


# ---- reductions -------------------------------------------------------------
def sum(x, axis=None, keepdims=False):  # noqa: A001
    return cp.sum(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return cp.amax(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return cp.amin(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the first maximum along one int axis (None: flattened)."""
    return cp.argmax(x, axis=axis, keepdims=keepdims).astype(np.int64, copy=False)


def argmin(x, axis=None, keepdims=False):
    return cp.argmin(x, axis=axis, keepdims=keepdims).astype(np.int64, copy=False)


# ---- matmul -----------------------------------------------------------------
def matmul(a, b, ta=False, tb=False):
    """op(a) @ op(b); cuBLAS reads a transposed operand in place (no copy)."""
    if ta:
        a = cp.swapaxes(a, -1, -2)
    if tb:
        b = cp.swapaxes(b, -1, -2)
    # 2-D: cupy.dot reaches cuBLAS with ~25% less Python than matmul's gufunc layer
    return cp.dot(a, b) if a.ndim == 2 and b.ndim == 2 else cp.matmul(a, b)


# ---- row kernels: softmax, log_softmax, cross-entropy -----------------------------
def _threads(c):
    """Threads per row block: a multiple of 32 (the reductions shuffle whole warps)."""
    return 32 if c <= 32 else 128 if c <= 1024 else 256


def _row_kernel(kind, dtype, flag=None):
    t = "float" if dtype == np.float32 else "double"
    flag = "" if flag is None else (", true" if flag else ", false")
    return _rows.get_function(f"{kind}<{t}{flag}>")


def _softmax(x, axis, log_):
    if x.size == 0:
        return x.copy()
    if x.dtype not in (np.float32, np.float64):  # float16: numpy_backend's formula
        m = cp.amax(x, axis=axis, keepdims=True)
        s = x - m
        return s - cp.log(cp.exp(s).sum(axis=axis, keepdims=True)) if log_ else \
            cp.exp(s) / cp.exp(s).sum(axis=axis, keepdims=True)
    moved = cp.ascontiguousarray(cp.moveaxis(x, axis, -1))
    c = moved.shape[-1]
    out = cp.empty_like(moved)
    rows = moved.size // c
    _row_kernel("softmax_rows", x.dtype, log_)((rows,), (_threads(c),), (moved, out, np.int32(c)))
    return cp.moveaxis(out, -1, axis)


def softmax(x, axis=-1):
    return _softmax(x, axis, False)


def log_softmax(x, axis=-1):
    return _softmax(x, axis, True)


def softmax_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean"):
    """numpy_backend's contract in one launch, except that ``total`` is a 0-d device
    array (reading it would wait for the GPU) and an out-of-range class index gives
    a NaN loss and gradient row instead of raising (nothing on the GPU can raise)."""
    n, c = x.shape
    if n == 0:
        return cp.zeros(0, np.float64), 0.0, cp.empty_like(x)
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
    return losses, total, grad


def reduce_losses(losses, total, reduction, dtype):
    """numpy_backend.reduce_losses in one launch, reading nothing back (0/0 is NaN on
    the GPU without a test)."""
    if reduction == "none":
        return losses.astype(dtype)
    if np.dtype(dtype) not in (np.float32, np.float64):
        s = losses.sum()
        return (s / total if reduction == "mean" else s).astype(dtype)
    out = cp.empty((), dtype)
    total = cp.asarray(total, dtype=np.float64)  # a float when there were no rows
    _row_kernel("xent_reduce", dtype)((1,), (256,), (losses, total, np.int64(losses.size),
                                                     np.int32(reduction == "mean"), out))
    return out


def is_one(a):
    """True if a is the cached device scalar 1 that seeds loss.backward(): comparing
    values would wait for the GPU."""
    return a.ndim == 0 and a is _SCALARS.get((a.dtype.char, np.ones((), a.dtype).tobytes()))


# ---- activation backward and bias gradient ----------------------------------------
def relu_backward(grad, x):
    """grad where x > 0, else 0."""
    return _relu_bw(grad, x)


def leaky_relu_backward(grad, x, slope):
    """grad where x > 0, else grad * slope."""
    return _leaky_bw(grad, x, _t(grad, slope))


def _fits_rows(*arrays):
    a = arrays[0]
    return a.ndim == 2 and a.dtype in (np.float32, np.float64) and all(
        b.shape == a.shape and b.dtype == a.dtype and b.flags.c_contiguous for b in arrays)


def _col_sums(grad, x, slope, gm):
    n, c = grad.shape
    out = cp.empty(c, grad.dtype)
    if c:
        _row_kernel("col_sums", grad.dtype, gm is not None)(
            ((c + 31) // 32,), (32, 8),
            (grad, grad if x is None else x, _t(grad, slope), grad if gm is None else gm, out,
             np.int64(n), np.int32(c)))
    return out


def bias_grad(grad):
    """Column sums of a 2-D gradient: the bias gradient of x @ w.T + b (one launch;
    CuPy's general reduction costs several times the launch in Python)."""
    if not _fits_rows(grad):
        return cp.sum(grad, axis=0)
    return _col_sums(grad, None, 0.0, None)


def act_bias_backward(grad, x, slope=0.0):
    """(grad * act'(x), its column sums); act = leaky_relu(slope), ReLU at slope 0:
    one pass over grad and x."""
    if not _fits_rows(grad, x):
        g = relu_backward(grad, x) if slope == 0 else leaky_relu_backward(grad, x, slope)
        return g, cp.sum(g, axis=0)
    gm = cp.empty_like(grad)
    return gm, _col_sums(grad, x, slope, gm)


# ---- linear layer ------------------------------------------------------------------
def linear(x, w, b=None, act=None, slope=0.01):
    """act(x @ w.T + b): cuBLAS, then bias and activation in one in-place pass."""
    if act not in _ACT:
        raise ValueError(f"linear: act must be one of {tuple(_ACT)}, got {act!r}")
    out = cp.dot(x, w.T)
    if b is None and act is None:
        return out
    k = _bias_act[(b is not None, act)]
    if b is None:
        k(_t(out, slope), out)
    else:
        k(b, _t(out, slope), out)
    return out


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
