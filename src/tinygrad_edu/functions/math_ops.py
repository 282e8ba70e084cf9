"""More elementwise math: logs and exponentials in other bases, trigonometric and
hyperbolic functions and their inverses, rounding, remainders, and the two-input
functions of PyTorch's vocabulary (atan2, hypot, copysign, logaddexp, xlogy, lerp).

Each forward is one xp (numpy or CuPy) call on float arrays, IEEE results without
warnings (log2(0) = -inf, atanh(1) = inf); each backward is Tensor ops, written as
PyTorch's derivatives.yaml defines the gradient, edge points included.
"""
import math

import numpy as np

from ..autograd import Function
from .elementwise import Sign, erf_array, erfc_tail


class _XpUnary(Function):
    """fn(x) by the xp ufunc named ``fn``; ``save`` names what backward reads."""
    fn, save = "", "input"

    @classmethod
    def compute(cls, xp, x):
        return getattr(xp, cls.fn)(x)

    @classmethod
    def forward(cls, ctx, x):
        with np.errstate(all="ignore"):
            y = cls.compute(ctx.backend.xp, x)
        ctx.save_for_backward(y if cls.save == "output" else x)
        return y


class Log2(_XpUnary):
    fn = "log2"
    @staticmethod
    def backward(ctx, g): return g / (ctx.saved_tensors[0] * math.log(2.0))


class Log10(_XpUnary):
    fn = "log10"
    @staticmethod
    def backward(ctx, g): return g / (ctx.saved_tensors[0] * math.log(10.0))


class Log1p(_XpUnary):
    fn = "log1p"
    @staticmethod
    def backward(ctx, g): return g / (ctx.saved_tensors[0] + 1)


class Exp2(_XpUnary):
    fn, save = "exp2", "output"
    @staticmethod
    def backward(ctx, g): return g * ctx.saved_tensors[0] * math.log(2.0)


class Expm1(_XpUnary):
    fn, save = "expm1", "output"
    @staticmethod
    def backward(ctx, g): return g * (ctx.saved_tensors[0] + 1)


class Rsqrt(_XpUnary):
    """1 / sqrt(x); PyTorch's gradient -y^3 / 2 (-inf at 0)."""
    save = "output"
    @staticmethod
    def compute(xp, x): return xp.reciprocal(xp.sqrt(x))
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * y * y * -0.5


class Tan(_XpUnary):
    fn, save = "tan", "output"
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (y * y + 1)


class Asin(_XpUnary):
    fn = "arcsin"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (1 - x * x).rsqrt()


class Acos(_XpUnary):
    fn = "arccos"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -(g * (1 - x * x).rsqrt())


class Atan(_XpUnary):
    fn = "arctan"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * x + 1)


class Sinh(_XpUnary):
    fn = "sinh"
    @staticmethod
    def backward(ctx, g): return g * ctx.saved_tensors[0].cosh()


class Cosh(_XpUnary):
    fn = "cosh"
    @staticmethod
    def backward(ctx, g): return g * ctx.saved_tensors[0].sinh()


class Asinh(_XpUnary):
    fn = "arcsinh"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x + 1).rsqrt()


class Acosh(_XpUnary):
    fn = "arccosh"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x * x - 1).rsqrt()


class Atanh(_XpUnary):
    fn = "arctanh"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 - x * x)


class Sinc(_XpUnary):
    """sin(pi x) / (pi x), 1 at 0; the gradient (cos(p) p - sin(p)) pi / p^2 with
    p = pi x, 0 at x = 0 (PyTorch's sinc_backward)."""
    fn = "sinc"
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p = x * math.pi
        d = (p.cos() * p - p.sin()) / (p * p) * math.pi
        return g * d.masked_fill(x == 0, 0.0)


def erfc_array(xp, x):
    """1 - erf(x) without the cancellation: Cody's erfc for |x| > 0.46875 (for x < 0
    as 2 - erfc(-x)), 1 - erf(x) below, where erf is small."""
    x64 = x.astype(xp.float64)
    y = xp.abs(x64)
    tail = xp.where(y > 27.0, 0.0, erfc_tail(xp, y))
    out = xp.where(y <= 0.46875, 1.0 - erf_array(xp, x64), xp.where(x64 < 0, 2.0 - tail, tail))
    return out.astype(x.dtype, copy=False)


class Erfc(_XpUnary):
    """1 - erf(x); the gradient -2/sqrt(pi) exp(-x^2)."""
    @staticmethod
    def compute(xp, x): return erfc_array(xp, x)
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-(x * x)).exp() * (-2.0 / math.sqrt(math.pi))


# ---- piecewise constant: zero gradient, as PyTorch's ---------------------------------
class _Rounding(Function):
    fn = ""

    @classmethod
    def forward(cls, ctx, x):
        return getattr(ctx.backend.xp, cls.fn)(x)

    @staticmethod
    def backward(ctx, g): return Sign.backward(ctx, g)


class Floor(_Rounding):
    fn = "floor"


class Ceil(_Rounding):
    fn = "ceil"


class Trunc(_Rounding):
    fn = "trunc"


class Round(_Rounding):
    """Round half to even, at ``decimals`` places (negative: tens, hundreds...)."""
    @staticmethod
    def forward(ctx, x, decimals=0):
        with np.errstate(all="ignore"):
            return ctx.backend.xp.round(x, decimals)


class DivRounded(Function):
    """a / b rounded toward zero ("trunc") or down ("floor"); integers divide exactly.
    Both gradients are zero, as in PyTorch's div; called as ``op="floor_divide"`` the
    node has no derivative (backward raises), as PyTorch's floor_divide."""
    @staticmethod
    def forward(ctx, a, b, mode="trunc", op=None):
        ctx.refused = op
        xp = ctx.backend.xp
        with np.errstate(all="ignore"):
            if a.dtype.kind == "f":   # floor_divide: numpy's divmod algorithm is PyTorch's
                return xp.floor_divide(a, b) if mode == "floor" else xp.trunc(a / b)
            q = xp.floor_divide(a, b)
            if mode == "trunc":       # toward zero: one up where the signs differ, inexact
                q = q + ((q * b != a) & ((a < 0) != (b < 0)))
            return q.astype(xp.result_type(a, b), copy=False)

    @staticmethod
    def backward(ctx, g):
        if ctx.refused is not None:
            raise RuntimeError(f"derivative for {ctx.refused} is not implemented (as in PyTorch); "
                               f"div(..., rounding_mode='floor') gives its zero gradient")
        z = Sign.backward(ctx, g)
        return z, z


class NanToNum(Function):
    """NaN, +inf and -inf replaced by given numbers; the gradient passes where x is finite."""
    @staticmethod
    def forward(ctx, x, nan=0.0, posinf=None, neginf=None):
        ctx.save_for_backward(x)
        return ctx.backend.xp.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g.masked_fill(~x.isfinite(), 0.0)


# ---- two inputs (broadcasting) ------------------------------------------------------------
class _XpBinary(Function):
    """fn(a, b) by the xp ufunc named ``fn``; backward reads a, b (and the output)."""
    fn, keep_out = "", False

    @classmethod
    def forward(cls, ctx, a, b):
        with np.errstate(all="ignore"):
            out = getattr(ctx.backend.xp, cls.fn)(a, b)
        ctx.save_for_backward(a, b, *((out,) if cls.keep_out else ()))
        return out


class Remainder(Function):
    """a - b floor(a / b) (Python's %, the sign of b); gradients g and -g floor(a / b)."""
    fn, mode = "remainder", "floor"

    @classmethod
    def forward(cls, ctx, a, b):
        if ctx.needs_input_grad[1]:
            ctx.save_for_backward(a, b)
        with np.errstate(all="ignore"):
            return getattr(ctx.backend.xp, cls.fn)(a, b)

    @classmethod
    def backward(cls, ctx, g):
        if not ctx.needs_input_grad[1]:
            return g, None
        a, b = ctx.saved_tensors
        return g, -g * a.div(b, rounding_mode=cls.mode)


class Fmod(Remainder):
    """a - b trunc(a / b) (C's fmod, the sign of a); gradients g and -g trunc(a / b)."""
    fn, mode = "fmod", "trunc"


class Atan2(_XpBinary):
    """The angle of the point (b, a); gradients b / r^2 and -a / r^2 (0 at the origin)."""
    fn = "arctan2"
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r2 = a * a + b * b
        inv = r2.masked_fill(r2 == 0, math.inf).reciprocal()
        return g * b * inv, -(g * a * inv)


class Hypot(_XpBinary):
    """sqrt(a^2 + b^2) without overflow; gradients a / out and b / out."""
    fn, keep_out = "hypot", True
    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        return g * a / out, g * b / out


class Copysign(_XpBinary):
    """|a| with the sign of b; a's gradient is out / a (0 where a == 0), b's is 0."""
    fn, keep_out = "copysign", True
    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        ratio = (out / a.masked_fill(a == 0, 1.0)).masked_fill(a == 0, 0.0)
        return g * ratio, Sign.backward(ctx, g)


class LogAddExp(_XpBinary):
    """log(exp(a) + exp(b)) without overflow; gradients 1 / (1 + exp(b - a)) and
    1 / (1 + exp(a - b)) (PyTorch's: NaN where a and b are the same infinity)."""
    fn = "logaddexp"
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g / ((b - a).exp() + 1), g / ((a - b).exp() + 1)


class XLogY(Function):
    """x log(y), 0 where x == 0 (unless y is NaN); gradients xlogy(g, y), 0 where x == 0
    and y <= 0 (PyTorch's formula), and g x / y."""
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        xp = ctx.backend.xp
        with np.errstate(all="ignore"):
            out = x * xp.log(y)
        return xp.where((x == 0) & ~xp.isnan(y), xp.zeros((), out.dtype), out)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = XLogY.apply(g, y).masked_fill((x == 0) & (y <= 0), 0.0) \
            if ctx.needs_input_grad[0] else None
        gy = g * x / y if ctx.needs_input_grad[1] else None
        return gx, gy


class Lerp(Function):
    """start + weight (end - start), computed as PyTorch does (from end for weight >= 0.5);
    gradients 1 - weight, weight and end - start."""
    @staticmethod
    def forward(ctx, start, end, weight):
        need_s, need_e, need_w = ctx.needs_input_grad   # weight's gradient reads end - start
        ctx.save_for_backward(start if need_w else None, end if need_w else None,
                              weight if need_s or need_e else None)
        xp = ctx.backend.xp
        d = end - start
        return xp.where(xp.abs(weight) < 0.5, start + weight * d, end - d * (1 - weight))

    @staticmethod
    def backward(ctx, g):
        start, end, w = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g * (1 - w) if need[0] else None, g * w if need[1] else None,
                g * (end - start) if need[2] else None)
