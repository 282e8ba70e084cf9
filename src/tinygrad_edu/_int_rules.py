"""PyTorch's integer rules for the arithmetic operators of tensor_math: Python integers
wrapped modulo 2**bits for integer ops (OverflowError past int64 / uint64), subtraction
and negation refused for bools, integer powers with negative exponents."""
import numpy as np

from . import functions as F
from .backend import of_array as _backend_of


def _is_tensor(v):
    return hasattr(v, "_data") and hasattr(v, "_pair")


def _is_bool(v):
    return type(v) is bool or (_is_tensor(v) and v._data.dtype.kind == "b")


def vet_sub(self, other, reverse):
    """PyTorch refuses subtraction with a bool operand (tensor or Python bool)."""
    mine, theirs = _is_bool(self), _is_bool(other)
    if mine and theirs:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if mine or theirs:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def vet_pow(self, other, reverse):
    """Integer powers as PyTorch computes them: a negative Python integer exponent of an
    integer tensor is refused; a negative exponent inside a tensor gives 1 for a base of
    1, +-1 for -1 and 0 for any other base (what integer division would give)."""
    if not reverse and self._data.dtype.kind != "f" and isinstance(other, (int, np.integer)) \
            and not isinstance(other, bool) and other < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    a, b = self._pair(other, reverse, "pow")
    x, y = a._data, b._data
    if x.dtype.kind == "f":
        return F.Pow.apply(a, b)
    if x.dtype.kind == "b":  # bool ** Python bool stays bool; True ** tensor is refused
        if reverse or _is_tensor(other):
            raise NotImplementedError('"pow" not implemented for tg.bool; convert the inputs '
                                      "with .long() first")
        return self._make(x | ~y)
    xp = _backend_of(x).xp
    neg = y < 0
    with np.errstate(all="ignore"):
        out = xp.power(x, xp.where(neg, xp.zeros((), y.dtype), y))
    if bool(neg.any()):
        one = xp.ones((), x.dtype)
        odd = (y % 2).astype(bool)
        small = xp.where(x == 1, one, xp.where(x == -1, xp.where(odd, -one, one), 0 * one))
        out = xp.where(neg, small, out)
    return self._make(out.astype(x.dtype, copy=False))


def int64_or_uint64(v):
    """v itself, if it is a Python integer PyTorch can take (one that fits int64 or
    uint64; PyTorch converts every integer operand so, also for float tensors)."""
    if v >= 1 << 64:
        raise OverflowError("int too big to convert")
    if v < -(1 << 63):
        raise OverflowError("can't convert negative int to unsigned")
    return v


def wrapped_int(v, dt):
    """The Python integer v as an integer dtype dt holds it: modulo 2**bits, as PyTorch
    converts an out-of-range number (uint8 - 2 is 255 - 1)."""
    v = int64_or_uint64(v)
    bits = 8 * dt.itemsize
    v &= (1 << bits) - 1
    return v - (1 << bits) if dt.kind == "i" and v >> (bits - 1) else v
