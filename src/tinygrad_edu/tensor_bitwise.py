"""Bitwise ops and the integer operators of the Tensor (a mixin of ``Tensor``):
``bitwise_and/or/xor/not``, the shifts, ``floor_divide``, and the Python operators
``&``, ``|``, ``^``, ``~``, ``<<``, ``>>``, ``//`` and ``%`` with their reflected
and in-place forms.

The operands are promoted as every binary op is (``_pair``: tensors, 0-d tensors
and Python numbers, an out-of-range integer wrapped); bitwise ops then need an
integer or bool result dtype, shifts an integer one, as in PyTorch. They compute
in one xp call and record nothing: integer results have no gradient. ``//`` and
``%`` are ``floor_divide`` and ``remainder`` (tensor_math_extra), which float
tensors differentiate through.
"""
from . import functions as F
from .backend import of_array as _backend_of

# the names tg.* gives a functional form (functional_math.py)
FUNCTIONAL = ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
              "bitwise_right_shift", "floor_divide")


def _refused(op, dtype, what="integer and bool"):
    return NotImplementedError(f'"{op}" not implemented for {dtype!r}: it takes {what} tensors '
                               f"(after type promotion)")


class BitwiseOps:
    __slots__ = ()

    # ---- and, or, xor, not -----------------------------------------------------------
    def _bitwise(self, ufunc, other, reverse=False):
        a, b = self._pair(other, reverse, ufunc)
        x = a._data
        if x.dtype.kind == "f":
            raise _refused(ufunc, a.dtype)
        return self._make(getattr(_backend_of(x).xp, ufunc)(x, b._data))

    def bitwise_and(self, other):
        """Elementwise AND of the bits of integer or bool tensors (bools: logical and)."""
        return self._bitwise("bitwise_and", other)

    def bitwise_or(self, other):
        """Elementwise OR of the bits of integer or bool tensors."""
        return self._bitwise("bitwise_or", other)

    def bitwise_xor(self, other):
        """Elementwise exclusive OR of the bits of integer or bool tensors."""
        return self._bitwise("bitwise_xor", other)

    def bitwise_not(self):
        """Every bit flipped (``~x``: -x - 1 for signed integers, logical not for bools)."""
        if self._data.dtype.kind == "f":
            raise _refused("bitwise_not", self.dtype)
        return self._make(_backend_of(self._data).xp.invert(self._data))

    def __and__(self, other):
        """self & other: ``bitwise_and``."""
        return self._bitwise("bitwise_and", other)

    def __or__(self, other):
        """self | other: ``bitwise_or``."""
        return self._bitwise("bitwise_or", other)

    def __xor__(self, other):
        """self ^ other: ``bitwise_xor``."""
        return self._bitwise("bitwise_xor", other)

    def __rand__(self, other): return self._bitwise("bitwise_and", other, True)
    def __ror__(self, other): return self._bitwise("bitwise_or", other, True)
    def __rxor__(self, other): return self._bitwise("bitwise_xor", other, True)

    def __invert__(self):
        """~self: ``bitwise_not`` (a float tensor raises TypeError, as in PyTorch)."""
        if self._data.dtype.kind == "f":
            raise TypeError("~ (operator.invert) is only implemented on integer and "
                            "Boolean-type tensors")
        return self.bitwise_not()

    # ---- shifts ------------------------------------------------------------------------
    def _shift(self, other, left, reverse=False):
        op = "bitwise_left_shift" if left else "bitwise_right_shift"
        a, b = self._pair(other, reverse, op)
        x, s = a._data, b._data
        if x.dtype.kind not in "iu":
            raise _refused(op, a.dtype, "integer")
        xp = _backend_of(x).xp
        bits = 8 * x.dtype.itemsize
        # C leaves shifts by a negative amount or by the width or more undefined; PyTorch
        # defines them: 0 for a left shift, the sign (0 or -1) for a right shift
        outside = (s < 0) | (s >= bits)
        s = xp.where(outside, xp.zeros((), s.dtype), s)
        if left:
            out, fill = xp.left_shift(x, s), xp.zeros((), x.dtype)
        else:
            out = xp.right_shift(x, s)
            fill = xp.right_shift(x, bits - 1) if x.dtype.kind == "i" else xp.zeros((), x.dtype)
        return self._make(xp.where(outside, fill, out).astype(x.dtype, copy=False))

    def bitwise_left_shift(self, other):
        """self * 2**other in the integer dtype (bits past the width are lost; a shift by a
        negative amount or by the width or more gives 0, as in PyTorch)."""
        return self._shift(other, True)

    def bitwise_right_shift(self, other):
        """self shifted right by other bits, keeping the sign (floor(self / 2**other); a
        negative or too large shift gives 0 or -1, as in PyTorch)."""
        return self._shift(other, False)

    def __lshift__(self, other):
        """self << other: ``bitwise_left_shift``."""
        return self._shift(other, True)

    def __rshift__(self, other):
        """self >> other: ``bitwise_right_shift``."""
        return self._shift(other, False)

    def __rlshift__(self, other): return self._shift(other, True, True)
    def __rrshift__(self, other): return self._shift(other, False, True)

    # ---- floor division and remainder ----------------------------------------------------
    def floor_divide(self, other):
        """self // other, the quotient rounded down (integers stay integers). As in
        PyTorch, a result of tensors that require grad has no derivative: backward raises
        (``div(other, rounding_mode="floor")`` is the same quotient with a zero gradient)."""
        a, b = self._int_pair(other, "floor_divide")
        return F.DivRounded.apply(a, b, mode="floor", op="floor_divide")

    def __floordiv__(self, other):
        """self // other: ``floor_divide``."""
        return self.floor_divide(other)

    def __rfloordiv__(self, other): return self._lift(other).floor_divide(self)

    def __mod__(self, other):
        """self % other: ``remainder`` (Python's modulus, with other's sign)."""
        return self.remainder(other)

    def __rmod__(self, other): return self._lift(other).remainder(self)

    # ---- in-place operators (the ``x_`` methods: tensor_inplace_math.py) -------------------
    def __iand__(self, other): return self.bitwise_and_(other)
    def __ior__(self, other): return self.bitwise_or_(other)
    def __ixor__(self, other): return self.bitwise_xor_(other)
    def __ilshift__(self, other): return self.bitwise_left_shift_(other)
    def __irshift__(self, other): return self.bitwise_right_shift_(other)
    def __ifloordiv__(self, other): return self.floor_divide_(other)
    def __imod__(self, other): return self.remainder_(other)

