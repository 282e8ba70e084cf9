"""The rest of PyTorch's elementwise math on ``Tensor`` (a mixin): logs, exponentials,
trigonometry, rounding, remainders, two-input functions, predicates and logical ops,
with PyTorch's dtype rules (integers compute in float32, rounding keeps them) and
exception types (their in-place ``x_`` forms are in tensor_inplace_math.py).

Each method checks its arguments and calls one primitive of ``functions.math_ops``
(or composes existing ops where that is exact: ``square`` is x * x, ``frac`` is
x - trunc(x)); the predicates return bool tensors and record nothing.
"""
import numpy as np

from . import dtypes
from . import functions as F
from .backend import of_array as _backend_of
from .functions.special import Erfinv
from .shapes import broadcast_shapes

_ROUNDING_MODES = (None, "trunc", "floor")


def _not_implemented(self, op):
    return NotImplementedError(f'"{op}" not implemented for {self.dtype!r}; convert the input '
                               f"with .float() first")


class MathOps:
    __slots__ = ()

    # ---- helpers ------------------------------------------------------------------------
    def _float_unary(self, fn):
        return fn.apply(self._floating())

    def _tensor_other(self, other, op):
        """other as it must be for ops whose other argument PyTorch types as a Tensor."""
        if not isinstance(other, MathOps):
            raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(other).__name__}")
        return other

    def _no_int(self, op):
        if self._data.dtype.kind != "f":
            raise _not_implemented(self, op)

    # ---- logs, exponentials, powers ----------------------------------------------------------
    def log2(self):
        """Base-2 logarithm (log2(0) = -inf); integers give float32."""
        return self._float_unary(F.Log2)

    def log10(self):
        """Base-10 logarithm."""
        return self._float_unary(F.Log10)

    def log1p(self):
        """log(1 + x), accurate for small x."""
        return self._float_unary(F.Log1p)

    def exp2(self):
        """2 to the power of each element."""
        return self._float_unary(F.Exp2)

    def expm1(self):
        """exp(x) - 1, accurate for small x."""
        return self._float_unary(F.Expm1)

    def rsqrt(self):
        """1 / sqrt(x) (inf at 0, its gradient -inf)."""
        return self._float_unary(F.Rsqrt)

    def reciprocal(self):
        """1 / x; integers give float32."""
        return 1.0 / self._floating()

    def square(self):
        """x * x; integers stay integers, bools give int64 (as PyTorch)."""
        x = self.long() if self._data.dtype.kind == "b" else self
        return x * x

    def float_power(self, exponent):
        """self ** exponent computed in float64 (the result is float64)."""
        x = self.to(dtypes.float64)
        return x ** (exponent.to(dtypes.float64) if isinstance(exponent, MathOps)
                     else float(exponent))

    def float_power_(self, exponent):
        """float_power in place: self must be float64."""
        if self.dtype != dtypes.float64:
            raise RuntimeError(f"the base given to float_power_ has dtype {self.dtype!r} but the "
                               f"operation's result requires dtype tg.float64")
        return self._commit(self.float_power(exponent), "float_power_")

    # ---- trigonometry and hyperbolic functions ----------------------------------------------
    def tan(self):
        """Tangent (radians)."""
        return self._float_unary(F.Tan)

    def asin(self):
        """Inverse sine, in [-pi/2, pi/2] (NaN outside [-1, 1])."""
        return self._float_unary(F.Asin)

    def acos(self):
        """Inverse cosine, in [0, pi]."""
        return self._float_unary(F.Acos)

    def atan(self):
        """Inverse tangent, in (-pi/2, pi/2)."""
        return self._float_unary(F.Atan)

    def sinh(self):
        """Hyperbolic sine."""
        return self._float_unary(F.Sinh)

    def cosh(self):
        """Hyperbolic cosine."""
        return self._float_unary(F.Cosh)

    def asinh(self):
        """Inverse hyperbolic sine."""
        return self._float_unary(F.Asinh)

    def acosh(self):
        """Inverse hyperbolic cosine (NaN below 1)."""
        return self._float_unary(F.Acosh)

    def atanh(self):
        """Inverse hyperbolic tangent (+-inf at +-1)."""
        return self._float_unary(F.Atanh)

    def sinc(self):
        """The normalised sinc, sin(pi x) / (pi x), 1 at 0."""
        return self._float_unary(F.Sinc)

    def erfc(self):
        """The complementary error function 1 - erf(x), accurate where erf(x) is near 1."""
        return self._float_unary(F.Erfc)

    def erfinv(self):
        """The inverse error function: erfinv(erf(x)) = x on (-1, 1), +-inf at +-1, NaN
        beyond; its gradient is sqrt(pi)/2 exp(erfinv(x)^2). Integers give float32."""
        return self._float_unary(Erfinv)

    def atan2(self, other):
        """The angle of the point (other, self) in (-pi, pi]: atan(self / other) by quadrant."""
        return F.Atan2.apply(*self._pair(self._tensor_other(other, "atan2"), op="atan2",
                                         floating=True))

    arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    # ---- rounding -----------------------------------------------------------------------------
    def _round_with(self, fn, op, **kw):
        kind = self._data.dtype.kind
        if kind == "b":
            raise _not_implemented(self, op)
        if kind != "f":
            return self.clone()   # an integer is its own floor, ceil, trunc and round
        return fn.apply(self, **kw)

    def floor(self):
        """The largest integer <= x (zero gradient); integers are returned as they are."""
        return self._round_with(F.Floor, "floor")

    def ceil(self):
        """The smallest integer >= x (zero gradient)."""
        return self._round_with(F.Ceil, "ceil")

    def trunc(self):
        """x rounded toward zero (zero gradient)."""
        return self._round_with(F.Trunc, "trunc")

    fix = trunc

    def round(self, *, decimals=0):
        """x rounded half to even, at ``decimals`` places (zero gradient)."""
        if decimals and self._data.dtype.kind != "f":
            raise _not_implemented(self, "round")
        return self._round_with(F.Round, "round", **({"decimals": int(decimals)}
                                                     if decimals else {}))

    def frac(self):
        """x - trunc(x), the fractional part with x's sign (gradient 1)."""
        self._no_int("frac")
        return self - self.trunc()

    # ---- division and remainders ------------------------------------------------------------
    def _int_pair(self, other, op):
        a, b = self._pair(other, op=op)
        kind = a._data.dtype.kind
        if kind == "b":
            raise _not_implemented(a, op)
        if kind != "f" and bool((b._data == 0).any()):
            raise RuntimeError(f"ZeroDivisionError: {op}(): integer division by zero (the "
                               f"divisor holds a 0); divide floats for inf or nan there")
        return a, b

    def div(self, other, *, rounding_mode=None):
        """self / other; ``rounding_mode`` "trunc" rounds the quotient toward zero, "floor"
        down (integers then stay integers; the gradient is zero)."""
        if rounding_mode is None:
            return self.__truediv__(other)
        if rounding_mode not in _ROUNDING_MODES:
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found {rounding_mode!r}")
        return F.DivRounded.apply(*self._int_pair(other, "div"), mode=rounding_mode)

    def div_(self, other, *, rounding_mode=None):
        """div in place."""
        if rounding_mode is None:
            return self.__itruediv__(other)
        return self._commit(self.div(other, rounding_mode=rounding_mode), "div_")

    divide, divide_ = div, div_

    def remainder(self, other):
        """Python's modulus: self - other * floor(self / other), with other's sign."""
        return F.Remainder.apply(*self._int_pair(other, "remainder"))

    def fmod(self, other):
        """C's fmod: self - other * trunc(self / other), with self's sign."""
        return F.Fmod.apply(*self._int_pair(other, "fmod"))

    # ---- two-input functions ----------------------------------------------------------------
    def _float_pair(self, other, op, tensor_only=True):
        if tensor_only:
            self._tensor_other(other, op)
        a, b = self._pair(other, op=op)
        if a._data.dtype.kind != "f":
            raise _not_implemented(a, op)
        return a, b

    def hypot(self, other):
        """sqrt(self^2 + other^2), without overflow."""
        return F.Hypot.apply(*self._float_pair(other, "hypot"))

    def logaddexp(self, other):
        """log(exp(self) + exp(other)), without overflow."""
        return F.LogAddExp.apply(*self._float_pair(other, "logaddexp"))

    def copysign(self, other):
        """|self| with the sign of other (-0.0 counts as negative); integers give float32."""
        return F.Copysign.apply(*self._pair(other, op="copysign", floating=True))

    def xlogy(self, other):
        """self * log(other), 0 where self == 0 (unless other is NaN)."""
        return F.XLogY.apply(*self._pair(other, op="xlogy", floating=True))

    def lerp(self, end, weight):
        """self + weight * (end - self) (weight: a number or a tensor), as PyTorch computes it."""
        self._tensor_other(end, "lerp")
        self._no_int("lerp")
        for what, t in (("end", end), ("weight", weight)):
            if isinstance(t, MathOps) and t.dtype != self.dtype:
                raise RuntimeError(f"lerp: expected dtype {self.dtype!r} for `{what}` but got "
                                   f"dtype {t.dtype!r}")
        w = weight if isinstance(weight, MathOps) else self._lift(float(weight))
        shape = broadcast_shapes(self._data.shape, end._data.shape, "lerp")
        broadcast_shapes(shape, w._data.shape, "lerp")
        return F.Lerp.apply(self, end, w)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN, +inf and -inf replaced by nan, posinf and neginf (by default 0 and the
        dtype's largest and smallest finite values); integers are returned as they are."""
        if self._data.dtype.kind != "f":
            return self.clone()
        return F.NanToNum.apply(self, nan=nan, posinf=posinf, neginf=neginf)

    # ---- predicates (bool results, no gradient) -----------------------------------------------
    def _predicate(self, fn, other_kinds):
        d = self._data
        if d.dtype.kind != "f":
            xp = _backend_of(d).xp
            return self._make(xp.full(d.shape, other_kinds, dtype=bool))
        return self._make(fn(_backend_of(d).xp, d))

    def isnan(self):
        """True where the element is NaN."""
        return self._predicate(lambda xp, d: xp.isnan(d), False)

    def isinf(self):
        """True where the element is +inf or -inf."""
        return self._predicate(lambda xp, d: xp.isinf(d), False)

    def isposinf(self):
        """True where the element is +inf."""
        return self._predicate(lambda xp, d: xp.isinf(d) & (d > 0), False)

    def isneginf(self):
        """True where the element is -inf."""
        return self._predicate(lambda xp, d: xp.isinf(d) & (d < 0), False)

    def isfinite(self):
        """True where the element is neither infinite nor NaN (always, for integers)."""
        return self._predicate(lambda xp, d: xp.isfinite(d), True)

    def signbit(self):
        """True where the sign bit is set (negative numbers, -0.0 and -NaN)."""
        d = self._data
        if d.dtype.kind in "iu":
            return self._make(d < 0)
        return self._predicate(lambda xp, d: xp.signbit(d), False)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|self - other| <= atol + rtol * |other| elementwise (equal infinities are close;
        NaNs only with ``equal_nan``); both tensors of one dtype."""
        self._tensor_other(other, "isclose")
        if other.dtype != self.dtype:
            raise RuntimeError(f"isclose(): {self.dtype!r} did not match {other.dtype!r}; "
                               f"convert one first, e.g. with .to(other.dtype)")
        for what, v in (("rtol", rtol), ("atol", atol)):
            if v < 0:
                raise RuntimeError(f"{what} must be greater than or equal to zero, but got {v}")
        a, b = self._pair(other, op="isclose")
        xp = _backend_of(a._data).xp
        if a._data.dtype.kind == "b":
            return self._make(a._data == b._data)
        with np.errstate(all="ignore"):
            return self._make(xp.isclose(a._data, b._data, rtol=rtol, atol=atol,
                                         equal_nan=equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """True if isclose holds for every element (a Python bool)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def equal(self, other):
        """True if other has self's shape and the same values (a Python bool; NaN != NaN)."""
        self._tensor_other(other, "equal")
        if tuple(self.shape) != tuple(other.shape):
            return False
        a, b = self._pair(other, op="equal")
        return bool((a._data == b._data).all())

    # ---- logical ops (bool results) ----------------------------------------------------------
    def _logical(self, fn, other, op):
        a, b = self._pair(self._tensor_other(other, op), op=op)
        return self._make(getattr(_backend_of(a._data).xp, fn)(a._data, b._data))

    def logical_and(self, other):
        """Elementwise (self != 0) and (other != 0), a bool tensor."""
        return self._logical("logical_and", other, "logical_and")

    def logical_or(self, other):
        """Elementwise (self != 0) or (other != 0)."""
        return self._logical("logical_or", other, "logical_or")

    def logical_xor(self, other):
        """Elementwise (self != 0) xor (other != 0)."""
        return self._logical("logical_xor", other, "logical_xor")

    def logical_not(self):
        """Elementwise self == 0, a bool tensor."""
        return self._make(_backend_of(self._data).xp.logical_not(self._data))
