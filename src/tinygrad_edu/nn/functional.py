"""tg.nn.functional (``import tinygrad_edu.nn.functional as F``): layers, activations
and losses as plain functions, with PyTorch's names, arguments and defaults."""
import math
import warnings

import numpy as np

from .. import functions as _fn
from .._rng import dropout_mask
from ..backend import device_of as _device_of, of_array as _backend_of, to_device
from ..factories import as_tensor, from_numpy, tensor as _tensor
from ..grad_mode import is_grad_enabled
from ..functional import where
from ..shapes import broadcasts_to
from ..tensor import Tensor
from .functional_act import *  # noqa: F401,F403 - elu, softplus, prelu, ...: the activations
from .functional_extra import *  # noqa: F401,F403 - normalize, distances, more losses
from .functional_extra import _REDUCTIONS, _reduce
from .functional_attention import scaled_dot_product_attention  # noqa: F401
from .functional_lm import embedding, gelu, layer_norm, rms_norm, silu  # noqa: F401
from .functional_norm import batch_norm  # noqa: F401
from .functional_resize import interpolate  # noqa: F401
from .functional_conv import conv1d, conv2d, conv_transpose2d, fold, pad, unfold  # noqa: F401
from .functional_pool import (adaptive_avg_pool2d, adaptive_max_pool2d,  # noqa: F401
                              avg_pool1d, avg_pool2d, dropout2d, max_pool1d, max_pool2d)


# ---- layers and activations -------------------------------------------------------
def _input(input, name):  # noqa: A002
    """input as a Tensor: data (lists, arrays, numbers) is converted as tg.tensor does;
    anything else is a TypeError naming the function."""
    if isinstance(input, Tensor):
        return input
    try:
        return as_tensor(input)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name}(): argument 'input' must be a tg.Tensor or numeric data, not "
                        f"{type(input).__name__} ({e})") from None


def linear(input, weight, bias=None):  # noqa: A002 - PyTorch's argument name
    """input @ weight.T + bias, for input of shape [..., in_features]."""
    input = _input(input, "linear")
    # checked on the raw arrays: this runs for every layer of every step
    x, w, b = input._data, weight._data, None if bias is None else bias._data
    if x.dtype != w.dtype:
        raise RuntimeError(f"linear: input dtype {input.dtype!r} does not match weight dtype "
                           f"{weight.dtype!r} (mat1 and mat2 must have the same dtype); convert "
                           f"the input (x.to({weight.dtype!r})) or the layer (.to(...))")
    if w.ndim != 2:
        raise RuntimeError(f"linear: weight must be 2-D [out_features, in_features], got "
                           f"shape {list(weight.shape)}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = math.prod(input.shape[:-1])
        cols = input.shape[-1] if input.ndim else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{cols} and "
                           f"{weight.shape[1]}x{weight.shape[0]}): linear expects the last "
                           f"dimension of the input to be in_features={weight.shape[1]}")
    if b is not None and b.shape not in ((w.shape[0],), ()):
        raise RuntimeError(f"linear: bias of shape {list(bias.shape)} does not match "
                           f"out_features={weight.shape[0]}")
    if x.ndim >= 2 and (b is None or (b.ndim == 1 and b.dtype == w.dtype)):
        # [..., in] as one [rows, in] GEMM (as PyTorch does): no batch of weight copies
        return _fn.Linear.apply(input, weight, *([bias] if bias is not None else []))
    out = input.matmul(weight.t())
    return out if bias is None else out + bias


def _apply(fn, input, inplace):  # noqa: A002
    """fn(input), or with PyTorch's inplace=True its result written into input (recorded
    like ``input.copy_``). fn then reads a clone when the graph is recorded, because
    its node may keep its input for backward and input is about to change."""
    if not inplace:
        return fn(input)
    src = input.clone() if input.requires_grad and is_grad_enabled() else input
    return input.copy_(fn(src))


def relu(input, inplace=False):  # noqa: A002
    """max(x, 0)."""
    input = _input(input, "relu")
    return _apply(Tensor.relu, input, inplace)


def sigmoid(input):  # noqa: A002
    """1 / (1 + exp(-x)), stable for large |x|."""
    input = _input(input, "sigmoid")
    return input.sigmoid()


def tanh(input):  # noqa: A002
    """Hyperbolic tangent."""
    input = _input(input, "tanh")
    return input.tanh()


def leaky_relu(input, negative_slope=0.01, inplace=False):  # noqa: A002
    """x where x > 0, else negative_slope * x."""
    input = _input(input, "leaky_relu")
    return _apply(lambda x: x.leaky_relu(negative_slope), input, inplace)


def _softmax_dim(ndim, dim, name):
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None):  # noqa: A002
    """exp(x) / exp(x).sum(dim), computed stably (the row max is subtracted)."""
    input = _input(input, "softmax")
    x = input if dtype is None else input.to(dtype)
    return x.softmax(_softmax_dim(x.ndim, dim, "softmax"))


def log_softmax(input, dim=None, dtype=None):  # noqa: A002
    """log(softmax(x)) computed as x - logsumexp(x): no log of 0."""
    input = _input(input, "log_softmax")
    x = input if dtype is None else input.to(dtype)
    return x.log_softmax(_softmax_dim(x.ndim, dim, "log_softmax"))


def dropout(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only)."""
    input = _input(input, "dropout")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _apply(lambda x: x * 0.0, input, inplace)
    mask = dropout_mask(tuple(input.shape), p, input._data.dtype)
    if input.device.type != "cpu":
        mask = to_device(mask, input.device)
    return _apply(lambda x: _fn.MaskedScale.apply(x, mask=mask), input, inplace)


# ---- losses --------------------------------------------------------------------------
def _array(t):
    """The values of a tensor (numpy or, on a GPU, CuPy) or array-like, outside the graph."""
    return t.detach().numpy_view() if isinstance(t, Tensor) else np.asarray(t)


def _wrap(arr):
    """A tensor around a fresh numpy or CuPy array, on that array's device (never the
    default device's: the array was made beside the input's)."""
    return from_numpy(arr) if isinstance(arr, np.ndarray) else _tensor(arr)


def _as_tensor(x, like):
    return x if isinstance(x, Tensor) else _tensor(x, dtype=like.dtype, device=like.device)


def _check_same_size(input, target, name):  # noqa: A002
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}) in {name}. This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      UserWarning, stacklevel=3)


def mse_loss(input, target, reduction="mean"):  # noqa: A002
    """Mean squared error: mean((input - target)^2)."""
    input = _input(input, "mse_loss")
    target = _as_tensor(target, input)
    _check_same_size(input, target, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction)


def l1_loss(input, target, reduction="mean"):  # noqa: A002
    """Mean absolute error: mean(|input - target|)."""
    input = _input(input, "l1_loss")
    target = _as_tensor(target, input)
    _check_same_size(input, target, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):  # noqa: A002
    """Huber-like: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta."""
    input = _input(input, "smooth_l1_loss")
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    target = _as_tensor(target, input)
    _check_same_size(input, target, "smooth_l1_loss")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    loss = where(d < beta, d * d * (0.5 / beta), d - 0.5 * beta)
    return _reduce(loss, reduction)


def _check_bce(input, target, weight, name, pos_weight=None):  # noqa: A002
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) in {name} is deprecated. Please ensure "
                         "they have the same size.")
    for what, w in (("weight", weight), ("pos_weight", pos_weight)):
        if w is not None and not broadcasts_to(tuple(w.shape), tuple(input.shape)):
            raise RuntimeError(f"{name}: {what} of shape {list(w.shape)} does not broadcast "
                               f"to the input's shape {list(input.shape)}")


def binary_cross_entropy(input, target, weight=None, reduction="mean"):  # noqa: A002
    """-(y log p + (1-y) log(1-p)) on probabilities p in [0, 1]; logs clamped at -100."""
    input = _input(input, "binary_cross_entropy")
    target = _as_tensor(target, input)
    _check_bce(input, target, weight, "binary_cross_entropy")
    vals = _array(input)
    if vals.size and not ((vals >= 0) & (vals <= 1)).all():  # (NaN fails too, as in PyTorch)
        raise RuntimeError("all elements of input should be between 0 and 1 "
                           "(binary_cross_entropy takes probabilities; for raw scores use "
                           "binary_cross_entropy_with_logits)")
    loss = _fn.BinaryCrossEntropy.apply(input, target.to(input.dtype))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",  # noqa: A002
                                     pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable step (any logit, no overflow)."""
    input = _input(input, "binary_cross_entropy_with_logits")
    target = _as_tensor(target, input)
    if pos_weight is not None:
        pos_weight = _as_tensor(pos_weight, input)
    _check_bce(input, target, weight, "binary_cross_entropy_with_logits", pos_weight)
    extra = [] if pos_weight is None else [pos_weight]
    loss = _fn.BinaryCrossEntropyWithLogits.apply(input, target.to(input.dtype), *extra)
    return _reduce(loss if weight is None else loss * weight, reduction)


def _class_targets(input, target, name):  # noqa: A002
    """(scores as [M, C], integer targets as [M] array, a function that puts per-item
    losses back into target's shape)."""
    if isinstance(target, Tensor) and target.device != input.device:
        raise RuntimeError(f"{name}: expected all tensors to be on the same device, but the "
                           f"input is on {input.device} and the target on {target.device}; "
                           f"move the target with target.to({str(input.device)!r})")
    t = _array(target)
    if type(t) is not type(_array(input)):  # lists / numpy labels for a GPU input
        t = _backend_of(_array(input)).xp.asarray(t)
    if t.dtype.kind in "iu" and input.ndim > 1 and t.shape == tuple(input.shape):
        raise RuntimeError(f"{name}: an integer target of the input's shape "
                           f"{list(input.shape)} looks one-hot; pass class indices of shape "
                           f"{[input.shape[0]] + list(input.shape[2:])} (e.g. target.argmax(1))"
                           ", or float class probabilities")
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected target of integer class indices (int64), got "
                           f"{t.dtype}; for class probabilities pass a float target of the "
                           "input's shape to cross_entropy")
    if input.ndim == 1:  # a single sample [C] with a 0-d target
        if t.ndim != 0:
            raise ValueError(f"{name}: for input of shape [C] the target must be a 0-d class "
                             f"index, got shape {list(t.shape)}")
        return input.unsqueeze(0), t.reshape(1), lambda x: x.reshape(())
    if input.ndim < 1 or t.shape[:1] != tuple(input.shape[:1]):
        raise ValueError(f"Expected input batch_size ({input.shape[0] if input.ndim else 0}) "
                         f"to match target batch_size ({t.shape[0] if t.ndim else 0}).")
    if t.shape != tuple(input.shape[:1]) + tuple(input.shape[2:]):
        raise RuntimeError(f"{name}: target shape {list(t.shape)} does not match input shape "
                           f"{list(input.shape)} (expected [N] for [N, C], or [N, d1, ...] "
                           "for [N, C, d1, ...])")
    if input.ndim == 2:
        return input, t, lambda x: x
    c = input.shape[1]
    moved = input.permute(0, *range(2, input.ndim), 1).reshape(-1, c)
    return moved, t.reshape(-1), lambda x: x.reshape(t.shape)


def _weight_array(weight, c, dtype, like):
    """Class weights as an array of dtype beside ``like`` (the scores' array)."""
    if weight is None:
        return None
    w = _array(weight)
    if w.shape != (c,):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(w.shape)}")
    if type(w) is not type(like):
        if isinstance(weight, Tensor):
            raise RuntimeError(f"expected weight on {_device_of(like)}, the device of the "
                               f"input, got {weight.device}; move it with .to(device)")
        w = _backend_of(like).xp.asarray(w)
    return w.astype(dtype, copy=False)


def _check_label_smoothing(e):
    if not isinstance(e, (int, float, np.integer, np.floating)):
        raise TypeError(f"cross_entropy(): argument 'label_smoothing' must be float, not "
                        f"{type(e).__name__}")
    if not 0.0 <= e <= 1.0:  # PyTorch ignores a negative or NaN value silently
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {e}")
    return float(e)


def _smoothing_term(x, t, w, ignore_index, reduction):
    """PyTorch's uniform part of the label-smoothed loss for class indices: -sum_c w_c
    log p_c per row (0 for ignored rows), reduced as nll reduces (mean over the weight of
    the kept targets)."""
    keep = t != ignore_index
    logp = x.log_softmax(1)
    smooth = (-(logp if w is None else logp * _wrap(w)).sum(1)).where(_wrap(keep), 0.0)
    if reduction == "none":
        return smooth
    if reduction == "sum":
        return smooth.sum()
    total = float(keep.sum() if w is None else w[t[keep]].sum())
    # all rows ignored: 0/0 is nan as in PyTorch, not a warning or a ZeroDivisionError
    return smooth.sum() / total if total else smooth.sum() * float("nan")


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",  # noqa: A002
                  label_smoothing=0.0):
    """Cross-entropy of raw scores [N, C] (or [C], or [N, C, d1, ...]) against class
    indices, through a fused, stable log-softmax; or against class probabilities when
    target is a float tensor of the input's shape.

    ``label_smoothing`` = e mixes the target with the uniform distribution, as PyTorch
    does: probabilities become ``(1 - e) * target + e / C``; for class indices the loss
    is ``(1 - e) * nll + (e / C) * sum_c -w_c log p_c`` with ignored rows left out."""
    input = _input(input, "cross_entropy")
    if reduction not in _REDUCTIONS:
        _reduce(None, reduction)
    smoothing = _check_label_smoothing(label_smoothing)
    if isinstance(target, Tensor) and target.is_floating_point():
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError(f"cross_entropy: float (probability) targets must have the "
                               f"input's shape {list(input.shape)}, got {list(target.shape)}")
        dim = 1 if input.ndim > 1 else 0
        if smoothing > 0:
            target = target * (1 - smoothing) + smoothing / input.shape[dim]
        w = 1.0 if weight is None else weight.reshape(-1, *([1] * (input.ndim - 2)))
        loss = -(input.log_softmax(dim) * target * w).sum(dim)
        if reduction == "mean" and input.ndim > 1:
            return loss.sum() / (input.numel() // input.shape[1])
        return _reduce(loss, reduction)
    # the CPU backends check the class indices in the kernel's pass; on a GPU that
    # would be a wait, so the kernel marks bad rows NaN instead (see the README)
    x, t, back = _class_targets(input, target, "cross_entropy")
    w = _weight_array(weight, x.shape[1], _array(x).dtype, _array(x))
    loss = _fn.CrossEntropy.apply(x, target=t, weight=w, ignore_index=ignore_index,
                                  reduction=reduction)
    if smoothing > 0:  # the fused loss above stays the one path for the target classes
        uniform = _smoothing_term(x, t, w, ignore_index, reduction)
        loss = loss * (1 - smoothing) + uniform * (smoothing / x.shape[1])
    return back(loss) if reduction == "none" else loss


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):  # noqa: A002
    """Negative log-likelihood of log-probabilities [N, C] at the target classes."""
    input = _input(input, "nll_loss")
    if reduction not in _REDUCTIONS:
        _reduce(None, reduction)
    x, t, back = _class_targets(input, target, "nll_loss")
    dtype = _array(x).dtype
    w = _weight_array(weight, x.shape[1], dtype, t)  # a bad weight is reported first, as in torch
    xp = _backend_of(t).xp
    bad = (t != ignore_index) & ((t < 0) | (t >= x.shape[1]))  # on every device (a GPU waits)
    if bad.any():  # the words of the cross-entropy kernels (numpy_backend)
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds (valid class indices are "
                         f"0..{x.shape[1] - 1}, or ignore_index={ignore_index}).")
    keep = t != ignore_index
    safe = xp.where(keep, t, 0)
    w = _wrap(((xp.ones(len(t), dtype) if w is None else w[safe]) * keep).astype(dtype))
    # ignored rows read the score at class 0, which may be -inf: 0 there, not -inf * 0
    loss = (-x[xp.arange(len(t)), safe]).where(_wrap(keep), 0.0) * w
    if reduction == "none":
        return back(loss)
    if reduction == "sum":
        return loss.sum()
    if not _array(w).sum():  # 0/0: nan as in PyTorch, with zero grads for ignored rows
        kept_nan = _wrap(xp.where(keep, np.nan, 0.0).astype(dtype))
        return (loss * kept_nan).sum() + float("nan")
    return loss.sum() / w.sum()

