"""Functional forms (``tg.bitwise_and(a, b)``, ``tg.floor_divide(a, b)``,
``tg.erfinv(x)``...) of the Tensor's bitwise and integer ops (tensor_bitwise.py) and
of erfinv, made as functional.py makes the others: the first argument may be a
tensor or a number."""
from .functional import _method
from .tensor_bitwise import FUNCTIONAL as _BITWISE

FUNCTIONAL = _BITWISE + ("erfinv",)
globals().update({name: _method(name) for name in FUNCTIONAL})
__all__ = list(FUNCTIONAL)
