"""nn.functional extras of issue 18 (normalize, cosine_similarity, distances, more
losses, one_hot as PyTorch's), re-exported by nn.functional.

Each is a composition of Tensor ops written as PyTorch's own implementation writes it
(so values, gradients at kinks and the handling of eps agree), with its argument
checks and exception types. ``reduction`` is 'mean' (default), 'sum' or 'none';
kl_div also takes 'batchmean'."""
import math
import warnings

import numpy as np

from ..backend import of_array as _backend_of
from ..factories import as_tensor, from_numpy, tensor as _tensor
from ..shapes import broadcast_shapes
from ..tensor import Tensor
from .functional_act import logsigmoid

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "kl_div", "huber_loss",
           "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "triplet_margin_loss", "cosine_embedding_loss",
           "multilabel_soft_margin_loss", "one_hot"]


# ---- helpers -----------------------------------------------------------------------------
def _t(x, like=None):
    """x as a Tensor (numbers and data take like's dtype and device)."""
    if isinstance(x, Tensor):
        return x
    if like is None:
        return as_tensor(x)
    return as_tensor(x, dtype=like.dtype, device=like.device)


def legacy_reduction(size_average, reduce, reduction):
    """PyTorch's mapping of the deprecated size_average/reduce flags to ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  "reduction='mean' (or 'sum', 'none') instead.", UserWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "none" if not reduce else "mean" if size_average else "sum"


_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction "
                     f"(expected one of {', '.join(map(repr, _REDUCTIONS))})")


def _vector_norm(x, p, dim, keepdim=False):
    """The p-norm over dim; its gradient at a zero vector is 0 (as linalg.vector_norm's)."""
    if p == math.inf:
        return x.abs().amax(dim, keepdim=keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim=keepdim)
    if p == 0:
        return (x != 0).to(x.dtype).sum(dim, keepdim=keepdim)
    if p == 1:
        return x.abs().sum(dim, keepdim=keepdim)
    s = (x * x).sum(dim, keepdim=keepdim) if p == 2 else \
        (x.abs() ** p).sum(dim, keepdim=keepdim)
    pos = s > 0
    return (s.where(pos, 1.0) ** (1.0 / p)).where(pos, 0.0)


# ---- normalisation and distances -----------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):  # noqa: A002
    """input / max(||input||_p over dim, eps)."""
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported")
    input = _t(input)
    return input / _vector_norm(input, p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / max(||x1|| * ||x2||, eps^2 ...) over dim, after broadcasting
    (each vector divided by its norm clamped at eps first, as PyTorch computes it)."""
    x1, x2 = _t(x1), _t(x2)
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape), "cosine_similarity")
    x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = _vector_norm(x1, 2, dim, keepdim=True).clamp(min=eps)
    n2 = _vector_norm(x2, 2, dim, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim."""
    x1, x2 = _t(x1), _t(x2)
    broadcast_shapes(tuple(x1.shape), tuple(x2.shape), "pairwise_distance")
    return _vector_norm(x1 - x2 + eps, p, -1, keepdim=keepdim)


# ---- losses --------------------------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean",  # noqa: A002
           log_target=False):
    """Pointwise target * (log target - input) (input holds log-probabilities; with
    log_target the target does too); 'batchmean' divides the sum by the batch size."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input = _t(input)
    target = _t(target, input)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", UserWarning,
                      stacklevel=2)
    loss = target.exp() * (target - input) if log_target else \
        target.xlogy(target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):  # noqa: A002
    """0.5 d^2 where |d| < delta, else delta * (|d| - 0.5 delta)."""
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input = _t(input)
    d = input - _t(target, input)
    a = d.abs()
    loss = (d * d * 0.5).where(a < delta, (a - 0.5 * delta) * delta)
    return _reduce(loss if weight is None else loss * weight, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None,  # noqa: A002
                     eps=1e-8, reduce=None, reduction="mean"):
    """exp(input) - target * input (log_input), else input - target * log(input + eps);
    full adds Stirling's term target log target - target + 0.5 log(2 pi target) where
    target > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    input = _t(input)
    target = _t(target, input)
    loss = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        safe = target.where(target > 1, 1.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        loss = loss + stirling.where(target > 1, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):  # noqa: A002
    """0.5 (log var + (input - target)^2 / var) (+ 0.5 log 2 pi with full); var is
    clamped at eps without stopping its gradient, as PyTorch does."""
    input = _t(input)
    target, var = _t(target, input), _t(var, input)
    shape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != shape:
        if shape[:-1] == vshape:
            var = var.unsqueeze(-1)
        elif not (shape[:-1] == vshape[:-1] and vshape[-1:] == (1,)):
            raise ValueError("var is of incorrect size")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(reduction + " is not valid")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    var = var + (var.clamp(min=eps) - var).detach()
    d = input - target
    loss = (var.log() + d * d / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input1 = _t(input1)
    input2, target = _t(input2, input1), _t(target, input1)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.shape}, input2: {input2.shape}, "
                           f"target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None,  # noqa: A002
                         reduce=None, reduction="mean"):
    """input where target is 1, max(0, margin - input) where it is -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input = _t(input)
    target = _t(target, input)
    margin_part = (margin - input).clamp(min=0).where(target != 1, 0.0)
    return _reduce(margin_part + input.where(target != -1, 0.0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(d(a, p) - d(a, n) + margin, 0) with pairwise distances d (swap: d(a, n) is
    min(d(a, n), d(p, n)))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    a, pos, neg = _t(anchor), _t(positive), _t(negative)
    if not a.ndim == pos.ndim == neg.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a.ndim}D, positive "
                           f"{pos.ndim}D, and negative {neg.ndim}D inputs")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = d_neg.minimum(pairwise_distance(pos, neg, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None,
                          reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input1 = _t(input1)
    input2, target = _t(input2, input1), _t(target, input1)
    if target.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    dim = 1 if target.ndim == 1 else 0
    if target.ndim == 1 and input1.ndim != 2 or target.ndim == 0 and input1.ndim != 1:
        raise RuntimeError(f"{input1.ndim}D target tensor expects {target.ndim + 1}D input "
                           f"tensors, but found inputs with sizes {list(input1.shape)} and "
                           f"{list(input2.shape)}.")
    prod = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + 1e-12
    mag2 = (input2 * input2).sum(dim) + 1e-12
    cos = prod / (mag1 * mag2).sqrt()
    loss = (1 - cos).where(target == 1, 0.0) + (cos - margin).clamp(min=0).where(target == -1,
                                                                              0.0)
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction="mean"):
    """The mean over classes of -(y log sigmoid(x) + (1 - y) log sigmoid(-x))."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input = _t(input)
    target = _t(target, input)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


def one_hot(tensor, num_classes=-1):
    """int64 tensor [..., num_classes] with a 1 at each class index of an int64 tensor;
    num_classes=-1 uses max + 1."""
    t = tensor.detach().numpy_view() if isinstance(tensor, Tensor) else np.asarray(tensor)
    if t.dtype != np.int64:
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor. "
                           f"(got {t.dtype}: pass integer class indices as int64, e.g. "
                           f".long())")
    if num_classes == -1:
        if not t.size:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    xp = _backend_of(t).xp
    out = xp.zeros(t.shape + (num_classes,), np.int64)
    xp.put_along_axis(out, t[..., None], 1, axis=-1)
    return from_numpy(out) if isinstance(out, np.ndarray) else _tensor(out)
