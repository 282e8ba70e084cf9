"""Gradient clipping with ``torch.nn.utils``' names: clip_grad_norm_ (the global norm of
all gradients, as in RNN and GPT training loops) and clip_grad_value_.

The gradients are changed in place under ``no_grad``, as an optimizer's step changes
parameters: ``p.grad`` stays the same tensor, so an optimizer sees the clipped values.
"""
import math
import types
import warnings

from ...factories import tensor
from ...functional import stack
from ...grad_mode import no_grad
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors, name):
    """A single tensor or an iterable of tensors as a list (a generator is read once)."""
    if isinstance(tensors, Tensor):
        return [tensors]
    try:
        items = list(tensors)
    except TypeError:
        raise TypeError(f"{name}: expected a Tensor or an iterable of Tensors, got "
                        f"{type(tensors).__name__}") from None
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: expected Tensors, but item {i} is a "
                            f"{type(t).__name__}")
    return items


def _check_foreach(foreach, name):
    # one path here (no multi-tensor kernels); the flag is accepted for PyTorch's calls
    if foreach not in (None, True, False):
        raise TypeError(f"{name}: foreach must be None, True or False, got {foreach!r}")


def _vector_norm(t, p, op):
    """The p-norm of all of t's elements (torch.linalg.vector_norm), a 0-d tensor."""
    a = t.abs().flatten()
    if math.isinf(p):
        if not a.numel():
            raise RuntimeError(f"{op}: cannot compute the {p} norm of an empty gradient (shape "
                               f"{list(t.shape)}): a max or min of nothing has no value")
        return a.amax() if p > 0 else a.amin()
    if p == 0:  # the number of non-zero entries
        return (a != 0).to(t.dtype).sum()
    if p == 1:
        return a.sum()
    return a.pow(p).sum().pow(1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None,
                   _op="get_total_norm"):
    """The p-norm of all the tensors' elements taken together as one vector (the norm of
    their norms); 0 for no tensors. Raises RuntimeError for a non-finite norm when
    ``error_if_nonfinite``."""
    tensors = _as_list(tensors, _op)
    _check_foreach(foreach, _op)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with no_grad():
        first = tensors[0].device
        # stack promotes mixed dtypes (float32 + float64 -> float64), as torch.stack does
        norms = [_vector_norm(t, norm_type, _op).to(first) for t in tensors]
        total = _vector_norm(stack(norms), norm_type, _op)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale every ``p.grad`` in place by ``min(max_norm / (total_norm + 1e-6), 1)``."""
    parameters = _as_list(parameters, "clip_grads_with_norm_")
    _check_foreach(foreach, "clip_grads_with_norm_")
    max_norm = float(max_norm)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    if not isinstance(total_norm, Tensor):
        total_norm = tensor(float(total_norm))
    with no_grad():
        coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        # always multiplied, as in PyTorch: a NaN norm leaves NaN gradients, which shows
        for g in grads:
            g.mul_(coef.to(g.device))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scale the gradients of ``parameters`` in place so that their global ``norm_type``
    norm (all gradients as one vector; ``float('inf')`` for the largest |g|) is at most
    ``max_norm``; returns that norm, measured before clipping, as a 0-d tensor."""
    was_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters, "clip_grad_norm_")
    if was_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      UserWarning, stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach, _op="clip_grad_norm_")
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every ``p.grad`` in place to ``[-clip_value, clip_value]``."""
    parameters = _as_list(parameters, "clip_grad_value_")
    _check_foreach(foreach, "clip_grad_value_")
    clip_value = float(clip_value)
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.copy_(p.grad.clamp(-clip_value, clip_value))
