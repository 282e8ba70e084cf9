"""The reference backend: plain numpy, written to be obviously correct.

Every other backend exposes exactly these names with the same semantics and is
tested equal to this module. Inputs are numpy arrays; binary kernels receive
arrays of one dtype whose shapes broadcast (numpy's rules: the caller has
checked them), so a scalar operand costs no broadcast copy; ``axis`` arguments
are a tuple of non-negative ints or ``None`` (all axes).
"""
import numpy as np

name = "numpy"
xp = np
errstate = np.errstate  # cupy has none: backends carry their own


def _quiet(fn):
    # log(0) = -inf, 0/0 = nan, exp(1000) = inf are IEEE results, not errors.
    def wrapped(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)
    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


# ---- elementwise unary ------------------------------------------------------
def neg(x): return np.negative(x)
@_quiet
def exp(x): return np.exp(x)
@_quiet
def log(x): return np.log(x)
@_quiet
def sqrt(x): return np.sqrt(x)
def abs(x): return np.abs(x)  # noqa: A001 - backend names mirror the ops
# sign(nan) = 0 as in PyTorch
def sign(x): return np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype, copy=False)
def sin(x): return np.sin(x)
def cos(x): return np.cos(x)
def tanh(x): return np.tanh(x)


@_quiet
def sigmoid(x):
    # exp of a non-positive number only: no overflow for any |x|.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def relu(x): return np.maximum(x, x.dtype.type(0))


def leaky_relu(x, slope):
    return np.where(x > 0, x, x * x.dtype.type(slope))


def step(x):
    """Heaviside step: 1 where x > 0, else 0 (step(0) = 0)."""
    return (x > 0).astype(x.dtype)


# ---- elementwise binary (same dtype, broadcastable shapes) -------------------
def add(a, b): return np.add(a, b)
def sub(a, b): return np.subtract(a, b)
def mul(a, b): return np.multiply(a, b)
@_quiet
def div(a, b): return np.true_divide(a, b)
@_quiet
def pow(a, b): return np.power(a, b)  # noqa: A001
def maximum(a, b): return np.maximum(a, b)
def minimum(a, b): return np.minimum(a, b)
def eq(a, b): return np.equal(a, b)
def ne(a, b): return np.not_equal(a, b)
def lt(a, b): return np.less(a, b)
def le(a, b): return np.less_equal(a, b)
def gt(a, b): return np.greater(a, b)
def ge(a, b): return np.greater_equal(a, b)
def where(cond, a, b): return np.where(cond, a, b)


# ---- reductions -------------------------------------------------------------
# The ufunc reductions are np.sum / np.max without their dispatch layer (2x
# cheaper on small arrays, same results).
def sum(x, axis=None, keepdims=False):  # noqa: A001
    if x.dtype.kind != "f":  # np.sum widens small ints to int64; keep that
        return np.sum(x, axis=axis, keepdims=keepdims)
    return np.add.reduce(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):  # noqa: A001
    return np.maximum.reduce(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    return np.minimum.reduce(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the first maximum along one int axis (None: flattened)."""
    return np.argmax(x, axis=axis, keepdims=keepdims).astype(np.int64, copy=False)


def argmin(x, axis=None, keepdims=False):
    return np.argmin(x, axis=axis, keepdims=keepdims).astype(np.int64, copy=False)


# ---- matmul -----------------------------------------------------------------
def matmul(a, b, ta=False, tb=False):
    """op(a) @ op(b) where op transposes the last two axes when its flag is set.

    a and b are 2-D, or >=3-D with identical batch dimensions.
    """
    if ta:
        a = np.swapaxes(a, -1, -2)
    if tb:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


# ---- nn ---------------------------------------------------------------------
@_quiet
def softmax(x, axis=-1):
    if x.size == 0:  # no row to normalise (max of nothing is undefined)
        return x.copy()
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


@_quiet
def log_softmax(x, axis=-1):
    if x.size == 0:
        return x.copy()
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def relu_backward(grad, x):
    """grad where x > 0, else 0."""
    return np.where(x > 0, grad, grad.dtype.type(0))


# ---- fused kernels (c_fused.py has the C twins) --------------------------------
def leaky_relu_backward(grad, x, slope):
    """grad where x > 0, else grad * slope."""
    return grad * np.where(x > 0, 1.0, slope).astype(grad.dtype)


def bias_grad(grad):
    """Column sums of a 2-D gradient: the bias gradient of x @ w.T + b."""
    return np.add.reduce(grad, axis=0)


def act_bias_backward(grad, x, slope=0.0):
    """(grad * act'(x), its column sums) for act = leaky_relu(slope), ReLU at
    slope 0: an activation's backward and the bias gradient below it in one go."""
    g = relu_backward(grad, x) if slope == 0 else leaky_relu_backward(grad, x, slope)
    return g, bias_grad(g)


def check_classes(target, c, ignore_index):
    """IndexError naming the first class index outside 0..c-1 that is not
    ignore_index (PyTorch's check; works on CuPy arrays too, with a wait)."""
    bad = (target != ignore_index) & ((target < 0) | (target >= c))
    if bad.any():
        raise IndexError(f"Target {int(target[bad][0])} is out of bounds (valid class indices "
                         f"are 0..{c - 1}, or ignore_index={ignore_index}).")


@_quiet
def softmax_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean"):
    """Cross-entropy of scores x [N, C] against int64 class indices, forward and
    backward together: (per-row losses -w_i log softmax(x)[i, t_i] as float64,
    total weight sum(w_i) as a float, gradient (softmax(x) - onehot) * w_i of
    x's dtype, divided by the total for reduction 'mean'). w_i is weight[t_i]
    (1 without weight), 0 where t_i == ignore_index. float64 inside, so the
    loss rounds once. A class index out of range raises check_classes' error."""
    check_classes(target, x.shape[1], ignore_index)
    n = x.shape[0]
    logp = log_softmax(x.astype(np.float64, copy=False), axis=1)
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    w = (weight[safe] if weight is not None else np.ones(n)) * keep
    w = w.astype(np.float64, copy=False)
    # an ignored row reads no score (as the C kernel): 0, also where logp[i, 0] is -inf
    losses = np.where(keep, -logp[np.arange(n), safe] * w, 0.0)
    total = float(w.sum())
    scale = w
    if reduction == "mean":  # as PyTorch: ignored rows get 0 even when total is 0
        scale = w / total if total != 0 else np.where(keep, np.nan, 0.0)
    p = np.exp(logp)
    p[np.arange(n)[keep], safe[keep]] -= 1
    return losses, total, (p * scale[:, None]).astype(x.dtype, copy=False)


def reduce_losses(losses, total, reduction, dtype):
    """softmax_cross_entropy's per-row float64 losses as the loss of x's dtype: as they
    are ('none'), summed, or summed / total ('mean'; 0/0 is nan as in PyTorch)."""
    if reduction == "none":
        return losses.astype(dtype)
    s = losses.sum()
    if reduction == "mean":
        s = s / total if total != 0 else np.nan
    return np.asarray(s, dtype=dtype)


def is_one(a):
    """True if 0-d array a holds 1 (the gradient seed of loss.backward())."""
    return a.ndim == 0 and a == 1


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

# ---- linear layer (c_gemm.py has the C twin) ------------------------------------
_ACTS = (None, "relu", "leaky_relu")


def linear(x, w, b=None, act=None, slope=0.01):
    """act(x @ w.T + b) for 2-D x (n_rows, in), w (out, in), b (out,) or None;
    act is None, "relu" or "leaky_relu" (negative slope ``slope``)."""
    if act not in _ACTS:
        raise ValueError(f"linear: act must be one of {_ACTS}, got {act!r}")
    out = matmul(x, w, False, True)
    if b is not None:
        out = add(out, b)
    if act == "relu":
        return relu(out)
    return leaky_relu(out, slope) if act == "leaky_relu" else out
