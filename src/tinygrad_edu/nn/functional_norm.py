"""Batch normalisation as a function (``F.batch_norm``), with PyTorch's arguments,
checks and running-statistics update.

Training is one fused node (functions/norm.py's BatchNorm: the backend's channel
kernels, whose backward is differentiable again, so gradients of any order work);
evaluation, an affine map with fixed statistics, is a composition of Tensor ops.
Only the running statistics, which take no gradient, are written in place, under
``no_grad`` as an optimizer does.
"""
import math
import numbers

from ..functions.norm import BatchNorm
from ..grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor


def _check_channels(t, name, c, stat):
    # PyTorch counts elements (a weight of shape [1, C] is fine), but running
    # stats are written through as 1-D [C] vectors
    if not isinstance(t, Tensor):
        raise TypeError(f"batch_norm(): argument '{name}' must be a tg.Tensor or None, not "
                        f"{type(t).__name__}")
    if t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if stat and t.ndim != 1:
        raise RuntimeError(f"batch_norm: {name} must be 1-D of shape [{c}], got shape "
                           f"{list(t.shape)}")


def _check_args(input, running_mean, running_var, weight, bias,  # noqa: A002
                training, momentum, eps):
    """PyTorch's refusals, in PyTorch's order, before anything is computed or written."""
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm(): argument 'input' must be a tg.Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, *) with at least 2 "
                         f"dims (got {input.ndim}D input of shape {list(input.shape)})")
    if isinstance(momentum, bool) or not isinstance(momentum, (numbers.Real, Tensor)):
        raise TypeError(f"batch_norm(): argument 'momentum' must be float, not "
                        f"{type(momentum).__name__}")
    if training and math.prod(input.shape[:1] + input.shape[2:]) == 1:
        raise ValueError("Expected more than 1 value per channel when training, got input "
                         f"size {list(input.shape)}")
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    if eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    if training and (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must either both be None or "
                         "neither be None")
    if not training:
        for name, t in (("running_mean", running_mean), ("running_var", running_var)):
            if t is None:
                raise RuntimeError(f"{name} must be defined in evaluation mode")
    if not input.is_floating_point():
        raise NotImplementedError(f'"batch_norm" not implemented for {input.dtype!r}')
    c = input.shape[1]
    for name, t, stat in (("running_mean", running_mean, True),
                          ("running_var", running_var, True),
                          ("weight", weight, False), ("bias", bias, False)):
        if t is None:
            continue
        _check_channels(t, name, c, stat)
        if t.device != input.device:   # checked here: the update must not stop half-way
            raise RuntimeError(f"batch_norm: expected all tensors on the same device, got "
                               f"input on {input.device} and {name} on {t.device}")
        if t.dtype != input.dtype:
            raise RuntimeError(f"batch_norm: mixed dtype: input is {input.dtype!r} but {name} "
                               f"is {t.dtype!r}; all inputs must share one dtype (convert one "
                               "with .to(...))")
        if stat and t.requires_grad and is_grad_enabled():
            raise RuntimeError(f"The function 'batch_norm' is not differentiable with respect "
                               f"to argument '{name}'. This input cannot have requires_grad "
                               "True.")


def _update_running(running_mean, running_var, mean, var, n, momentum):
    """running = (1 - momentum) * running + momentum * batch, with the unbiased
    variance, as PyTorch does; an empty batch leaves them as they are. mean and
    var: the batch's [C] statistics, outside the graph."""
    if n == 0:   # (n == 1 was refused: one value has no variance)
        return
    m = float(momentum)
    with no_grad():
        # n / (n - 1): Bessel's correction of the biased variance used to normalise
        running_mean.mul_(1.0 - m).add_(mean, alpha=m)
        running_var.mul_(1.0 - m).add_(var * (n / (n - 1)), alpha=m)


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training=False, momentum=0.1, eps=1e-05):
    """Normalise each channel of ``input`` (N, C, *) to zero mean and unit variance,
    then scale by ``weight`` and shift by ``bias`` (per channel).

    In training the batch's mean and biased variance are used, and
    ``running_mean``/``running_var`` (when given) move towards them in place by
    ``momentum``; in evaluation the running stats, which must be given, are used.
    """
    _check_args(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if training:   # (eval without running stats was refused above, as in PyTorch)
        stats = None if running_mean is None else []
        out = BatchNorm.apply(input, *(t for t in (weight, bias) if t is not None),
                              has_w=weight is not None, has_b=bias is not None, eps=eps,
                              stats=stats)
        if stats is not None:
            n = math.prod(input.shape[:1] + input.shape[2:])
            _update_running(running_mean, running_var, *map(input._make, stats), n, momentum)
        return out
    bshape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    out = (input - running_mean.reshape(bshape)) / (running_var.reshape(bshape) + eps).sqrt()
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out
