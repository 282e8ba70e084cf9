"""The language-model chapter as functions: ``embedding``, ``layer_norm``, ``rms_norm``,
``gelu`` and ``silu``, with PyTorch's arguments, defaults, checks and errors.

Each is a composition of Tensor ops (integer indexing, mean, sqrt, erf, sigmoid),
so autograd gives every gradient, of any order. Arguments are checked before
anything is computed.
"""
import numbers
import operator

import numpy as np

from .. import functions as _fn

from ..grad_mode import is_grad_enabled
from ..tensor import Tensor

_INDEX_DTYPES = ("int64", "int32")   # PyTorch's Long and Int


def _tensor(t, fn, name, what="tg.Tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a {what}, not {type(t).__name__}")


def _floating(input, fn):  # noqa: A002
    # PyTorch's words (it names a kernel where tg names the function)
    if not input.is_floating_point():
        raise NotImplementedError(f'"{fn}" not implemented for {input.dtype!r}; convert the '
                                  "input with .float() first")


def _apply(fn, input, inplace):  # noqa: A002
    """fn(input), or with inplace=True its result written into input (recorded like
    ``input.copy_``). fn reads a clone while recording: its node may keep its input
    for backward, and input is about to change. (As nn.functional's helper.)"""
    if not inplace:
        return fn(input)
    src = input.clone() if input.requires_grad and is_grad_enabled() else input
    return input.copy_(fn(src))


# ---- embedding -------------------------------------------------------------------------
def _refuse_unsupported(max_norm, scale_grad_by_freq, sparse, fn="embedding"):
    """The three options of PyTorch's embedding that tg does not implement."""
    if max_norm is not None:
        raise NotImplementedError(f"{fn}(): max_norm is not supported (PyTorch renormalises the "
                                  "looked-up rows of the weight in place); leave max_norm=None, "
                                  "or rescale the weight's rows yourself under tg.no_grad()")
    if scale_grad_by_freq:
        raise NotImplementedError(f"{fn}(): scale_grad_by_freq=True is not supported; leave it "
                                  "False (each lookup adds its full gradient to its row)")
    if sparse:
        raise NotImplementedError(f"{fn}(): sparse=True is not supported: tg has no sparse "
                                  "gradients; leave sparse=False for a dense weight gradient")


def _padding_index(padding_idx, n, fn="embedding"):
    """padding_idx as a row in [0, n), or None; PyTorch's AssertionError outside [-n, n)."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
        raise TypeError(f"{fn}(): argument 'padding_idx' must be int, not "
                        f"{type(padding_idx).__name__}")
    p = int(padding_idx)
    if not -n <= p < n:
        # raised, not asserted: python -O must not drop the check
        raise AssertionError(f"{fn}(): Padding_idx must be within num_embeddings: "
                             f"padding_idx={p} is outside [-{n}, {n - 1}] for {n} embeddings")
    return p % n


def _check_indices(input, n):  # noqa: A002
    """Integer indices in [0, n), as PyTorch requires (numpy would wrap negative ones)."""
    if input.dtype.name not in _INDEX_DTYPES:
        raise RuntimeError("embedding(): expected tensor for argument #1 'indices' to have one "
                           f"of the following scalar types: Long, Int; but got {input.dtype!r} "
                           "instead; convert the indices with .long()")
    if input.numel() == 0:
        return
    lo, hi = int(input.min()), int(input.max())
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        raise IndexError(f"embedding(): index out of range in self: index {bad} is not in "
                         f"[0, {n - 1}] (the weight has num_embeddings={n} rows)")


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,  # noqa: A002
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` [num_embeddings, embedding_dim] picked by the integer tensor
    ``input`` (any shape): the result has shape ``[*input.shape, embedding_dim]``.

    Repeated indices add their gradients into one row; the ``padding_idx`` row is
    looked up as it is but gets no gradient, as in PyTorch. ``max_norm``,
    ``scale_grad_by_freq`` and ``sparse=True`` are not supported.
    """
    _tensor(input, "embedding", "input", "tg.Tensor of integer indices")
    _tensor(weight, "embedding", "weight")
    _refuse_unsupported(max_norm, scale_grad_by_freq, sparse)
    if weight.ndim != 2:
        raise RuntimeError(f"embedding(): 'weight' must be 2-D [num_embeddings, embedding_dim], "
                           f"got shape {list(weight.shape)}")
    n, dim = weight.shape
    padding_idx = _padding_index(padding_idx, n)
    _check_indices(input, n)
    flat = input.reshape(-1)   # 1-D: a 0-d index would give a view of the weight
    out = weight[flat]         # a copy; its backward adds each row's gradient (index-add)
    if padding_idx is not None:
        # the padding positions take the detached value: same numbers, no gradient
        pad = (flat == padding_idx).to(out.device).unsqueeze(-1)   # (CPU indices, GPU rows)
        out = out.detach().where(pad, out)
    return out.reshape(*input.shape, dim)


# ---- normalisation -------------------------------------------------------------------------
def _shape_arg(normalized_shape, fn):
    """normalized_shape as a tuple of ints (PyTorch's functions take no bare int)."""
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'normalized_shape' must be tuple of ints, not "
                        f"{type(normalized_shape).__name__}")
    for s in normalized_shape:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"{fn}(): argument 'normalized_shape' must be tuple of ints, but "
                            f"found element of type {type(s).__name__}")
    shape = tuple(operator.index(s) for s in normalized_shape)
    if not shape:
        raise RuntimeError(f"{fn}(): Expected normalized_shape to be at least 1-dimensional, "
                           "i.e., containing at least one element, but got normalized_shape = []")
    return shape


def _check_norm_args(fn, input, shape, params):  # noqa: A002
    """PyTorch's checks of layer_norm / rms_norm, in its order; ``shape`` is checked."""
    for name, t in params:
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"{fn}(): Expected {name} to be of same shape as "
                               f"normalized_shape, but got {name} of shape {list(t.shape)} and "
                               f"normalized_shape = {list(shape)}")
    if input.ndim < len(shape) or tuple(input.shape[input.ndim - len(shape):]) != shape:
        # (PyTorch's rms_norm says ValueError when the input has too few dims)
        err = ValueError if fn == "rms_norm" and input.ndim < len(shape) else RuntimeError
        raise err(f"{fn}(): Given normalized_shape={list(shape)}, expected input with shape "
                  f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):  # noqa: A002
    """Normalise over the last ``len(normalized_shape)`` dims to zero mean and unit
    (biased) variance, then scale by ``weight`` and shift by ``bias`` (both of shape
    ``normalized_shape``): (x - mean) / sqrt(var + eps) * weight + bias."""
    _tensor(input, "layer_norm", "input")
    shape = _shape_arg(normalized_shape, "layer_norm")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None:
            _tensor(t, "layer_norm", name, "tg.Tensor or None")
    _check_norm_args("layer_norm", input, shape, (("weight", weight), ("bias", bias)))
    _floating(input, "layer_norm")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"layer_norm(): mixed dtype: input is {input.dtype!r} but {name} "
                               f"is {t.dtype!r}; all inputs must share one dtype (convert one "
                               "with .to(...))")
    # one fused node (biased variance, as PyTorch normalises); a bias without a
    # weight is added outside it
    k = len(shape)
    if weight is None:
        out = _fn.LayerNorm.apply(input, k=k, eps=eps)
        return out if bias is None else out + bias
    return _fn.LayerNorm.apply(input, weight, *([bias] if bias is not None else []), k=k,
                               eps=eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):  # noqa: A002
    """Divide by the root mean square over the last ``len(normalized_shape)`` dims,
    then scale by ``weight``: x / sqrt(mean(x^2) + eps) * weight. ``eps=None`` is
    the machine epsilon of the input's dtype (PyTorch's default)."""
    _tensor(input, "rms_norm", "input")
    shape = _shape_arg(normalized_shape, "rms_norm")
    if weight is not None:
        _tensor(weight, "rms_norm", "weight", "tg.Tensor or None")
    _check_norm_args("rms_norm", input, shape, (("weight", weight),))
    _floating(input, "rms_norm")
    if eps is None:
        eps = float(np.finfo(input.dtype.np).eps)
    dims = tuple(range(-len(shape), 0))
    out = input / ((input * input).mean(dims, keepdim=True) + eps).sqrt()
    if weight is None:
        return out
    # PyTorch keeps the input's dtype when the weight's differs
    return out * (weight if weight.dtype == input.dtype else weight.to(input.dtype))


# ---- activations ---------------------------------------------------------------------------

def gelu(input, approximate="none"):  # noqa: A002
    """x * Phi(x), Phi the standard normal CDF: 0.5 x (1 + erf(x / sqrt(2))); with
    ``approximate='tanh'``, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if not isinstance(approximate, str):
        raise TypeError(f"gelu(): argument 'approximate' must be str, not "
                        f"{type(approximate).__name__}")
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"gelu(): approximate argument must be either none or tanh, got "
                           f"{approximate!r}")
    _tensor(input, "gelu", "input")
    _floating(input, "gelu")
    return _fn.Gelu.apply(input, approximate=approximate)


def silu(input, inplace=False):  # noqa: A002
    """x * sigmoid(x) (also called swish)."""
    _tensor(input, "silu", "input")
    _floating(input, "silu")
    return _apply(lambda x: x * x.sigmoid(), input, inplace)
