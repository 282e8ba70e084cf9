"""The reference backend: plain numpy, written to be obviously correct.

Every backend has exactly these public names, with the same semantics, and is
tested equal to this module (the specification):

- ``unary(op, x, *params)``: elementwise, op a key of _UNARY (leaky_relu takes
  its slope as a param)
- ``binary(op, a, b, *params)``: elementwise on arrays of one dtype whose shapes
  broadcast (numpy's rules; the caller has checked them), op a key of _BINARY
- ``reduce(op, x, axis, keepdims)``: op a key of _REDUCE; ``axis`` is a tuple of
  non-negative ints or None (all axes); argmax/argmin take one int or None
  (the flattened array)
- ``matmul(a, b, ta, tb)``: 2-D or equally batched, with transpose flags
- ``unfold(x, kernel, dilation, padding, stride)`` (im2col) and its adjoint
  ``fold(cols, size, ...)`` (col2im): the windows of a convolution or pooling
- ``max_pool(x, kernel, dilation, stride)`` -> (values, argmax) and its gradient
  ``max_pool_backward(grad, arg, size, kernel, dilation, stride)``
- the fused kernels, where one pass beats a chain of the above: ``softmax(x, axis,
  log)``, ``linear(x, w, b)``, ``softmax_cross_entropy``, ``sgd_step``, ``adam_step``,
  ``batch_norm`` / ``batch_norm_grad``, ``index_add`` (rows added at indices, in
  place) and ``lstm_cell`` (one LSTM step's pointwise part, in place)

Movement (reshape, transpose, where, concatenate, indexing) uses ``xp``
(numpy here, CuPy on a GPU) directly: no kernel needed.
"""
import numpy as np

from . import _recurrent, _special, _windows

name = "numpy"
xp = np


def _quiet(fn):
    # log(0) = -inf, 0/0 = nan, exp(1000) = inf are IEEE results, not errors.
    def quiet(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    quiet.__name__, quiet.__doc__ = fn.__name__, fn.__doc__
    return quiet


# ---- elementwise -------------------------------------------------------------------
def _sign(x):  # sign(nan) = 0, as in PyTorch
    return np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype, copy=False)


@_quiet
def _sigmoid(x):  # exp of a non-positive number only: no overflow for any |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _relu(x):
    return np.maximum(x, x.dtype.type(0))


def _leaky_relu(x, slope):
    return np.where(x > 0, x, x * x.dtype.type(slope))


def _step(x):  # Heaviside with step(0) = 0
    return (x > 0).astype(x.dtype)


def _relu_backward(g, x):  # g where x > 0, else 0
    return np.where(x > 0, g, g.dtype.type(0))


def _leaky_relu_backward(g, x, slope):  # g where x > 0, else g * slope
    return g * np.where(x > 0, 1.0, slope).astype(g.dtype)


_UNARY = {"neg": np.negative, "exp": _quiet(np.exp), "log": _quiet(np.log),
         "log1p": _quiet(np.log1p), "sqrt": _quiet(np.sqrt), "abs": np.absolute,
         "sign": _sign, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigmoid": _sigmoid,
         "relu": _relu, "leaky_relu": _leaky_relu, "step": _step,
         "erf": lambda x: _special.erf_array(np, x), "gelu": lambda x: _special.gelu(np, x),
         "gelu_tanh": _quiet(lambda x: _special.gelu_tanh(np, x))}

_BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
          "div": _quiet(np.true_divide), "pow": _quiet(np.power),
          "maximum": np.maximum, "minimum": np.minimum,
          "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
          "gt": np.greater, "ge": np.greater_equal,
          "relu_backward": _relu_backward, "leaky_relu_backward": _leaky_relu_backward,
          "gelu_backward": _quiet(lambda g, x: _special.gelu_grad(np, g, x)),
          "gelu_tanh_backward": _quiet(lambda g, x: _special.gelu_tanh_grad(np, g, x))}


def unary(op, x, *params):
    """op(x) elementwise, in x's dtype."""
    return _UNARY[op](x, *params)


def binary(op, a, b, *params):
    """op(a, b) elementwise, broadcasting; comparisons give bool."""
    return _BINARY[op](a, b, *params)


# ---- reductions ------------------------------------------------------------------
def _sum(x, axis=None, keepdims=False):
    if x.dtype.kind != "f":  # np.sum widens small ints to int64; keep that
        return np.sum(x, axis=axis, keepdims=keepdims)
    return np.add.reduce(x, axis=axis, keepdims=keepdims)  # np.sum without its dispatch


def _arg(fn):
    def arg(x, axis=None, keepdims=False):  # the first index of the extremum
        return fn(x, axis=axis, keepdims=keepdims).astype(np.int64, copy=False)
    return arg


_REDUCE = {"sum": _sum, "max": np.maximum.reduce, "min": np.minimum.reduce,
          "argmax": _arg(np.argmax), "argmin": _arg(np.argmin)}


def reduce(op, x, axis=None, keepdims=False):  # noqa: A001 - the interface's name
    """x reduced by op over axis (keeping size-1 dims if asked)."""
    return _REDUCE[op](x, axis=axis, keepdims=keepdims)


# ---- matmul ----------------------------------------------------------------------
def matmul(a, b, ta=False, tb=False):
    """op(a) @ op(b), where op transposes the last two axes when its flag is set;
    a and b are 2-D, or >= 3-D with identical batch dimensions, or a >= 3-D (not
    transposed) with a 2-D b: a's leading dims are rows."""
    if ta:
        a = np.swapaxes(a, -1, -2)
    if tb:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


# ---- convolution: im2col and col2im -------------------------------------------------
def unfold(x, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """im2col: x (N, C, H, W) -> (N, C*kh*kw, L), column l holding window l (row-major
    over the oh x ow output positions), rows ordered (channel, kernel row, kernel
    column): PyTorch's F.unfold layout. Zero padding; each argument a pair (h, w)."""
    return _windows.unfold(np, x, kernel, dilation, padding, stride)


def fold(cols, size, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """col2im, the adjoint of unfold: cols (N, C*kh*kw, L) -> (N, C, *size), every
    window's values added back where unfold read them (padding dropped)."""
    return _windows.fold(np, cols, size, kernel, dilation, padding, stride)


def max_pool(x, kernel, dilation=(1, 1), stride=(1, 1)):
    """Max pooling of x (N, C, H, W), which the caller has padded (with -inf): (values,
    arg), each window's first maximum in row-major tap order (a NaN counts as one, as
    in PyTorch) and its flat index in the H x W plane (int64), both (N, C, oh, ow)."""
    return _windows.max_pool(np, x, kernel, dilation, stride)


def max_pool_backward(grad, arg, size, kernel, dilation=(1, 1), stride=(1, 1)):
    """max_pool's gradient: zeros (N, C, *size) with each window's grad added at its arg
    (windows that share a maximum add up)."""
    n, c = grad.shape[:2]
    out = np.zeros((n * c, size[0] * size[1]), grad.dtype)
    windows = grad.shape[2] * grad.shape[3]
    np.add.at(out, (np.arange(n * c)[:, None], arg.reshape(n * c, windows)),
              grad.reshape(n * c, windows))
    return out.reshape(n, c, *size)


def index_add(out, index, src):
    """out[index[i]] += src[i] in order (index 1-D, -len(out) <= index < len(out)); in
    place, returns out. The adjoint of picking rows: an embedding's backward."""
    np.add.at(out, index, src)
    return out


def lstm_cell(gates, c, h, c2, k1, k2, f):
    """One LSTM step's pointwise part, written into h, c2, k1, k2, f (_recurrent.py)."""
    _recurrent.lstm_cell(np, _sigmoid, gates, c, h, c2, k1, k2, f)


# ---- fused kernels -----------------------------------------------------------------
@_quiet
def softmax(x, axis=-1, log=False):
    """softmax (or log_softmax with ``log``) along axis, after subtracting the max."""
    if x.size == 0:  # no row to normalise (max of nothing is undefined)
        return x.copy()
    shifted = x - np.max(x, axis=axis, keepdims=True)
    if log:
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def linear(x, w, b=None):
    """x @ w.T + b for 2-D x (rows, in), w (out, in), b (out,) or None."""
    out = np.matmul(x, w.T)
    return out if b is None else out + b


def _layer_norm_with(xp, x, w, b, eps):
    """layer_norm for numpy or CuPy: statistics in float64, the rest in x's dtype."""
    x64 = x.astype(xp.float64)
    mean = x64.mean(axis=1, keepdims=True)
    rstd = (1.0 / xp.sqrt(((x64 - mean) ** 2).mean(axis=1, keepdims=True) + eps)).astype(x.dtype)
    xhat = (x - mean.astype(x.dtype)) * rstd
    out = xhat if w is None else xhat * w
    return (out if b is None else out + b), xhat, rstd


def layer_norm(x, w=None, b=None, eps=1e-5):
    """The rows of 2-D x to zero mean and unit (biased) variance, then * w + b (each
    of x's row length, or None): (out, xhat, rstd), rstd = 1 / sqrt(var + eps) as
    [rows, 1], the values layer_norm_grad reads."""
    return _layer_norm_with(np, x, w, b, eps)


def _layer_norm_grad_with(xp, g, xhat, rstd):
    n = g.shape[1]
    m1 = (g.astype(xp.float64).sum(axis=1, keepdims=True) / n).astype(g.dtype)
    m2 = ((g.astype(xp.float64) * xhat).sum(axis=1, keepdims=True) / n).astype(g.dtype)
    return rstd * ((g - m1) - xhat * m2)


def layer_norm_grad(g, xhat, rstd):
    """Layer norm's input gradient by rows, g being the gradient of xhat:
    rstd * (g - mean(g) - xhat * mean(g * xhat)) (means in float64)."""
    return _layer_norm_grad_with(np, g, xhat, rstd)


def _channels(x):
    """x (N, C, *) as (N, C, S) (S spelled out: -1 is ambiguous for an empty x)."""
    s = 1
    for d in x.shape[2:]:
        s *= d
    return x.reshape(x.shape[0], x.shape[1], s)


def _batch_norm_with(xp, x, w, b, eps):
    """batch_norm for numpy or CuPy: statistics in float64 (two passes), the rest in
    x's dtype."""
    x3 = _channels(x)
    x64, n = x3.astype(xp.float64), x3.shape[0] * x3.shape[2]
    mean64 = x64.sum(axis=(0, 2)) / n     # (an empty batch: 0 / 0, NaN without a warning)
    var64 = ((x64 - mean64[:, None]) ** 2).sum(axis=(0, 2)) / n
    mean, rstd = mean64.astype(x.dtype), (1.0 / xp.sqrt(var64 + eps)).astype(x.dtype)
    scale = rstd if w is None else rstd * w
    out = (x3 - mean[:, None]) * scale[:, None]
    if b is not None:
        out = out + b[:, None]
    return out.reshape(x.shape), mean, var64.astype(x.dtype), rstd


@_quiet
def batch_norm(x, w=None, b=None, eps=1e-5):
    """Batch norm in training: each channel (dim 1) of x (N, C, *) over its N * S values
    to zero mean and unit (biased) variance, times w, plus b (each [C] or None):
    (out, mean, var, rstd), the last three [C], rstd = 1 / sqrt(var + eps);
    out = (x - mean) * (rstd * w) + b. An empty batch gives NaN statistics."""
    return _batch_norm_with(np, x, w, b, eps)


def _batch_norm_grad_with(xp, g, x, mean, rstd, w):
    g3, x3 = _channels(g), _channels(x)
    n = g3.shape[0] * g3.shape[2]
    z = (x3 - mean[:, None]) * rstd[:, None]
    sg = g3.astype(xp.float64).sum(axis=(0, 2))
    sgz = (g3.astype(xp.float64) * z).sum(axis=(0, 2))
    k = rstd if w is None else rstd * w
    m1, m2 = (sg / n).astype(g.dtype), (sgz / n).astype(g.dtype)
    dx = k[:, None] * ((g3 - m1[:, None]) - z * m2[:, None])
    return dx.reshape(g.shape), sgz.astype(g.dtype), sg.astype(g.dtype)


@_quiet
def batch_norm_grad(g, x, mean, rstd, w=None):
    """batch_norm's gradients from the output's gradient g, the input x and the
    forward's mean and rstd ([C]): (dx, dw, db). With z = (x - mean) * rstd and
    means over each channel's N * S values (sums in float64): db = sum(g),
    dw = sum(g * z), dx = rstd * w * (g - mean(g) - z * mean(g * z)) (w None: 1)."""
    return _batch_norm_grad_with(np, g, x, mean, rstd, w)


@_quiet
def softmax_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean"):
    """Cross-entropy of scores x [N, C] against int64 class indices, forward and
    backward in one go: (loss, grad). loss_i = -w_i log softmax(x)[i, t_i] with
    w_i = weight[t_i] (1 without weight) and 0 where t_i == ignore_index; the loss
    is those values ('none'), their sum, or their sum / sum(w_i) ('mean'; 0/0 is nan
    as in PyTorch), in x's dtype after float64 inside, so it rounds once.
    grad = (softmax(x) - onehot(t)) * w_i, divided by sum(w_i) for 'mean': the
    gradient of the loss for an upstream gradient of 1. A class index out of range
    raises IndexError naming it."""
    n, c = x.shape
    bad = (target != ignore_index) & ((target < 0) | (target >= c))
    if bad.any():
        raise IndexError(f"Target {int(target[bad][0])} is out of bounds (valid class indices "
                         f"are 0..{c - 1}, or ignore_index={ignore_index}).")
    logp = softmax(x.astype(np.float64, copy=False), axis=1, log=True)
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    w = ((weight[safe] if weight is not None else np.ones(n)) * keep).astype(np.float64)
    # an ignored row reads no score: 0, also where logp[i, 0] is -inf
    losses = np.where(keep, -logp[np.arange(n), safe] * w, 0.0)
    total = w.sum()
    scale = w
    if reduction == "mean":  # as PyTorch: ignored rows get 0 even when total is 0
        scale = w / total if total != 0 else np.where(keep, np.nan, 0.0)
    p = np.exp(logp)
    p[np.arange(n)[keep], safe[keep]] -= 1
    grad = (p * scale[:, None]).astype(x.dtype, copy=False)
    if reduction == "none":
        return losses.astype(x.dtype), grad
    loss = losses.sum()
    if reduction == "mean":
        loss = loss / total if total != 0 else np.nan
    return np.asarray(loss, dtype=x.dtype), grad


def sgd_step(p, grad, buf, lr, weight_decay=0.0, momentum=0.0, dampening=0.0,
             nesterov=False, maximize=False, first=False):
    """One SGD step in place on arrays (optim/sgd.py's arithmetic): p, and the
    momentum buffer buf (None without momentum; ``first`` sets it to the gradient)."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + p * weight_decay
    if buf is not None:
        if first:
            np.copyto(buf, g)
        else:
            np.multiply(buf, momentum, out=buf)
            np.add(buf, g * (1 - dampening), out=buf)
        g = g + buf * momentum if nesterov else buf
    np.add(p, g * -lr, out=p)


def adam_step(p, grad, m, v, step, lr, beta1, beta2, eps, weight_decay=0.0,
              decoupled=False, maximize=False):
    """One Adam/AdamW step in place on arrays (optim/adam.py's arithmetic, no
    amsgrad); ``step`` counts this step (1 for the first)."""
    g = -grad if maximize else grad
    if weight_decay != 0 and not decoupled:
        g = g + p * weight_decay
    if weight_decay != 0 and decoupled:
        np.multiply(p, 1 - lr * weight_decay, out=p)
    w = 1 - beta1
    if w < 0.5:  # lerp from the nearer end
        np.add(m, (g - m) * w, out=m)
    else:
        np.subtract(g, (g - m) * (1 - w), out=m)
    np.multiply(v, beta2, out=v)
    np.add(v, g * (1 - beta2) * g, out=v)
    step_size = lr / (1 - beta1 ** step)
    bc2 = (1 - beta2 ** step) ** 0.5
    denom = np.sqrt(v) / bc2
    denom += eps
    np.add(p, m * -step_size / denom, out=p)
