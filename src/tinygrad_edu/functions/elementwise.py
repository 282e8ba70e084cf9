"""Elementwise primitives: arithmetic (broadcasting), math functions (erf included),
where, clamp and cast. Each forward calls one backend kernel (most by the name in ``op``) and
saves what its backward reads, nothing more; an op that saves nothing (add, sub, neg)
has no forward of its own: Function's runs the kernel. Each backward is Tensor ops. A
gradient for a broadcast input may keep the broadcast shape: the engine sums it
back.
"""
import math

from ..autograd import Function
from ..backend import device_of, to_device
# Cody's erf lives with the specification backend, which computes the "erf" op with it
from ..backend._special import erf_array, erfc_tail  # noqa: F401 - for math_ops, special


class _Unary(Function):
    """op(x) by the backend's unary kernel, keeping what ``save`` names for backward:
    the "input" or the "output". (An op that keeps nothing, like Neg, needs no forward
    of its own: Function's runs the kernel.)"""
    save = "input"

    @classmethod
    def forward(cls, ctx, x):
        y = ctx.backend.unary(cls.op, x)
        ctx.save_for_backward(x if cls.save == "input" else y)
        return y


class Neg(Function):
    op = "neg"  # forward: Function's, the kernel alone (nothing to save)
    @staticmethod
    def backward(ctx, g): return -g


class Exp(_Unary):
    op, save = "exp", "output"
    @staticmethod
    def backward(ctx, g): return g * ctx.saved_tensors[0]


class Log(_Unary):
    op, save = "log", "input"
    @staticmethod
    def backward(ctx, g): return g / ctx.saved_tensors[0]


class Sqrt(_Unary):
    op, save = "sqrt", "output"
    @staticmethod
    def backward(ctx, g): return g / (ctx.saved_tensors[0] * 2)


class Abs(_Unary):
    op, save = "abs", "input"
    @staticmethod
    def backward(ctx, g): return g * ctx.saved_tensors[0].sign()


class Sin(_Unary):
    op, save = "sin", "input"
    @staticmethod
    def backward(ctx, g): return g * ctx.saved_tensors[0].cos()


class Cos(_Unary):
    op, save = "cos", "input"
    @staticmethod
    def backward(ctx, g): return -(g * ctx.saved_tensors[0].sin())


class Sign(Function):
    """-1, 0 or 1: piecewise constant, so the gradient is zero (as PyTorch's)."""
    op = "sign"
    @staticmethod
    def backward(ctx, g): return g._make(ctx.backend.xp.zeros_like(g._data))


class Step(Sign):
    """Heaviside step with step(0) = 0: zero gradient."""
    op = "step"


class Heaviside(Function):
    """PyTorch's heaviside(x, values): step(x), ``values`` where x == 0; zero gradient."""
    @staticmethod
    def forward(ctx, x, values):
        return ctx.backend.xp.where(x == 0, values, ctx.backend.unary("step", x))
    @staticmethod
    def backward(ctx, g): return Sign.backward(ctx, g), None


class Erf(Function):
    """The error function, 2/sqrt(pi) times the integral of exp(-t^2) from 0 to x
    (GELU's Gaussian CDF is built on it); its gradient is 2/sqrt(pi) exp(-x^2)."""
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return ctx.backend.unary("erf", x)
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (-(x * x)).exp() * (2.0 / math.sqrt(math.pi))


# ---- arithmetic (broadcasting) ------------------------------------------------------
class Add(Function):
    op = "add"  # forward: Function's, the kernel alone
    @staticmethod
    def backward(ctx, g): return g, g


class Sub(Function):
    op = "sub"  # forward: Function's, the kernel alone
    @staticmethod
    def backward(ctx, g): return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
    op = "mul"
    @classmethod
    def forward(cls, ctx, a, b):
        need_a, need_b = ctx.needs_input_grad  # each side's gradient reads the other side
        ctx.save_for_backward(b if need_a else None, a if need_b else None)
        return ctx.backend.binary(cls.op, a, b)
    @staticmethod
    def backward(ctx, g):
        b, a = ctx.saved_tensors
        return (None if b is None else g * b), (None if a is None else g * a)


class Div(Function):
    op = "div"
    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return ctx.backend.binary(cls.op, a, b)
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g / b if ctx.needs_input_grad[0] else None), \
            (None if a is None else -g * a / (b * b))


class Pow(Function):
    op = "pow"
    @classmethod
    def forward(cls, ctx, a, b):
        out = ctx.backend.binary(cls.op, a, b)
        ctx.save_for_backward(a, b, out if ctx.needs_input_grad[1] else None)
        return out
    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        # d/da a**b = b a**(b-1); PyTorch's gradient is 0 where b == 0, whatever a is
        # (also 0 ** -1 and inf ** -1): the exponent is swapped for 1 there, then masked
        ga = (g * b * a ** (b - 1).where(b != 0, 1.0)).masked_fill(b == 0, 0.0) \
            if ctx.needs_input_grad[0] else None
        # d/db a**b = a**b log a; PyTorch takes it as 0 where a == 0 and b >= 0 (where
        # b < 0 it is inf * -inf = -inf, as PyTorch's)
        gb = None if out is None else g * out * a.where((a != 0) | (b < 0), 1.0).log()
        return ga, gb


class _Extremum(Function):
    """maximum / minimum: ties split the gradient evenly, as PyTorch does."""
    pick_a = ""

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.save_for_backward(a, b)
        return ctx.backend.binary(cls.op, a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        x, y = a._data, b._data
        share = (ctx.backend.binary(cls.pick_a, x, y) + 0.5 * (x == y)).astype(g._data.dtype)
        wa = g._make(share)  # a's part of the gradient, a constant
        return g * wa, g * (1 - wa)


class Maximum(_Extremum):
    op, pick_a = "maximum", "gt"


class Minimum(_Extremum):
    op, pick_a = "minimum", "lt"


class Where(Function):
    """a where cond else b (broadcasting); cond is a bool tensor."""
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return ctx.backend.xp.where(cond, a, b)
    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[1:]   # masked_fill's value needs none
        return (None, g.where(cond, 0.0) if need_a else None,
                g.where(~cond, 0.0) if need_b else None)


class Clamp(Function):
    """x limited to [min, max]; the gradient passes where min <= x <= max."""
    @staticmethod
    def forward(ctx, x, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = min, max
        out = x
        if min is not None:
            out = ctx.backend.binary("maximum", out, x.dtype.type(min))
        if max is not None:
            out = ctx.backend.binary("minimum", out, x.dtype.type(max))
        return out
    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        keep = x >= ctx.lo if ctx.lo is not None else x <= ctx.hi  # NaN: no gradient
        if ctx.lo is not None and ctx.hi is not None:
            keep = keep & (x <= ctx.hi)
        return g.where(keep, 0.0)


class Cast(Function):
    """A copy in another dtype and/or on another device (PyTorch's ToCopy); the
    gradient goes back to the input's dtype and device."""
    moves_device = True
    @staticmethod
    def forward(ctx, x, dtype=None, device=None):
        ctx.src, ctx.src_device, ctx.out_dtype = x.dtype, None, dtype or x.dtype
        if device is not None:
            ctx.src_device = device_of(x)
            x = to_device(x, device)
        return x if dtype is None else x.astype(dtype)  # astype copies: a clone is a copy
    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src) if ctx.src_device is None else g.to(ctx.src_device, ctx.src)
