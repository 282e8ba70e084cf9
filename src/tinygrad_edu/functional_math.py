"""Functional forms (``tg.bitwise_and(a, b)``, ``tg.floor_divide(a, b)``,
``tg.erfinv(x)``, ``tg.addcmul(x, t1, t2)``, ``tg.neg(x)``...) of Tensor methods that
functional.py does not list, made as functional.py makes the others: the first
argument may be a tensor or a number; and ``tg.rsub``, which has no method."""
from .functional import _method
from .tensor import Tensor
from .tensor_bitwise import FUNCTIONAL as _BITWISE

FUNCTIONAL = _BITWISE + ("erfinv", "neg", "negative", "absolute", "sgn", "subtract", "addcmul",
                         "addcdiv", "clamp_min", "clamp_max", "bernoulli")
globals().update({name: _method(name) for name in FUNCTIONAL})


def rsub(input, other, alpha=1):  # noqa: A002 - PyTorch's argument name
    """other - alpha * input (``input`` a tensor, ``other`` a tensor or a number)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"rsub(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input._lift(other).sub(input, alpha=alpha)


__all__ = list(FUNCTIONAL) + ["rsub"]
