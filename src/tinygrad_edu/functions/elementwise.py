"""Elementwise primitives: unary, binary (broadcasting), where, clamp, cast."""
from ..autograd import Function
from ..backend import device_of as _device_of, to_device as _to_device
from ._util import _grads_to_inputs, _unbroadcast


# ---- elementwise unary ----------------------------------------------------------
class _Unary(Function):
    """Elementwise op computed by the backend kernel of the same name."""
    kernel = ""

    @classmethod
    def forward(cls, ctx, x):
        return getattr(ctx.backend, cls.kernel)(x)


class Neg(_Unary):
    kernel = "neg"
    @staticmethod
    def backward(ctx, g): return -g


class Exp(_Unary):
    kernel = "exp"
    keep_output = True
    @staticmethod
    def backward(ctx, g): return g * ctx.output


class Log(_Unary):
    kernel = "log"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g): return g / ctx.inputs[0]


class Sqrt(_Unary):
    kernel = "sqrt"
    keep_output = True
    @staticmethod
    def backward(ctx, g): return g / (ctx.output * 2)


class Abs(_Unary):
    kernel = "abs"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g): return g * ctx.inputs[0].sign()


class Sin(_Unary):
    kernel = "sin"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g): return g * ctx.inputs[0].cos()


class Cos(_Unary):
    kernel = "cos"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g): return -(g * ctx.inputs[0].sin())


class Tanh(_Unary):
    kernel = "tanh"
    keep_output = True
    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return g * (1 - y * y)


class Sigmoid(_Unary):
    kernel = "sigmoid"
    keep_output = True
    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return g * y * (1 - y)


class _ZeroGrad(_Unary):
    """Piecewise-constant ops: the gradient is zero almost everywhere."""
    keep_inputs = True
    @staticmethod
    def backward(ctx, g):
        return (_unbroadcast(g * 0, ctx.parents[0].shape),) + (None,) * (len(ctx.parents) - 1)


class Sign(_ZeroGrad):
    kernel = "sign"


class Step(_ZeroGrad):
    """Heaviside step with step(0) = 0."""
    kernel = "step"


class Heaviside(_ZeroGrad):
    """PyTorch's heaviside(x, values): ``values`` where x == 0."""
    @staticmethod
    def forward(ctx, x, values):
        return ctx.backend.xp.where(x == 0, values, ctx.backend.step(x))


class Relu(_Unary):
    kernel = "relu"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g): return ReluGrad.apply(g, ctx.inputs[0])


class ReluGrad(Function):
    """relu's backward as an op of its own, so it runs as one fused kernel and
    still has a gradient (the mask again) under create_graph."""
    keep_inputs = True
    @staticmethod
    def forward(ctx, g, x): return ctx.backend.relu_backward(g, x)
    @staticmethod
    def backward(ctx, gg): return ReluGrad.apply(gg, ctx.inputs[1]), None


class LeakyRelu(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.slope = negative_slope
        return ctx.backend.leaky_relu(x, negative_slope)
    @staticmethod
    def backward(ctx, g): return LeakyReluGrad.apply(g, ctx.inputs[0], slope=ctx.slope)


class LeakyReluGrad(Function):
    """leaky_relu's backward as one fused kernel, like ReluGrad; under create_graph
    its own gradient is the same mask again (none for x)."""
    keep_inputs = True
    @staticmethod
    def forward(ctx, g, x, slope=0.01):
        ctx.slope = slope
        return ctx.backend.leaky_relu_backward(g, x, slope)
    @staticmethod
    def backward(ctx, gg): return LeakyReluGrad.apply(gg, ctx.inputs[1], slope=ctx.slope), None


class Clamp(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, x, min=None, max=None):  # noqa: A002 - PyTorch's argument names
        ctx.lo, ctx.hi = min, max
        xp = ctx.backend.xp
        out = x
        if min is not None:
            out = xp.maximum(out, x.dtype.type(min))
        if max is not None:
            out = xp.minimum(out, x.dtype.type(max))
        return out if out is not x else x.copy()
    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]._data
        keep = x == x  # all True, NaN excluded like PyTorch's mask
        if ctx.lo is not None:
            keep = keep & (x >= ctx.lo)
        if ctx.hi is not None:
            keep = keep & (x <= ctx.hi)
        return g * ctx.const(keep.astype(x.dtype))


class Cast(Function):
    """A copy in another dtype and/or on another device (PyTorch's ToCopy); the
    gradient goes back to the input's dtype and device."""
    moves_device = True
    @staticmethod
    def forward(ctx, x, dtype=None, device=None):
        ctx.src, ctx.src_device = x.dtype, None
        if device is not None:
            ctx.src_device = _device_of(x)
            x = _to_device(x, device)
        return x if dtype is None else x.astype(dtype)  # astype copies: a clone is a copy
    @staticmethod
    def backward(ctx, g):
        return g.to(ctx.src) if ctx.src_device is None else g.to(ctx.src_device, ctx.src)


# ---- elementwise binary (broadcasting) ---------------------------------------------
class _Binary(Function):
    kernel = ""
    @classmethod
    def forward(cls, ctx, a, b):
        return getattr(ctx.backend, cls.kernel)(a, b)  # backends broadcast


class Add(_Binary):
    kernel = "add"
    @staticmethod
    def backward(ctx, g): return _grads_to_inputs(ctx, lambda: g, lambda: g)


class Sub(_Binary):
    kernel = "sub"
    @staticmethod
    def backward(ctx, g): return _grads_to_inputs(ctx, lambda: g, lambda: -g)


class Mul(_Binary):
    kernel = "mul"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return _grads_to_inputs(ctx, lambda: g * b, lambda: g * a)


class Div(_Binary):
    kernel = "div"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        return _grads_to_inputs(ctx, lambda: g / b, lambda: -g * a / (b * b))


class Pow(_Binary):
    kernel = "pow"
    keep_inputs = True
    keep_output = True
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        # d/db a**b = a**b log a; PyTorch takes it as 0 where a == 0 (and b >= 0).
        # d/da a**b = b a**(b-1); where b == 0 the exponent is swapped for 1 so that
        # 0 * 0**-1 cannot make a nan (PyTorch's gradient there is 0)
        return _grads_to_inputs(ctx, lambda: g * b * a ** (b - 1).where(b != 0, 1.0),
                                lambda: g * ctx.output * a.where(a != 0, 1.0).log())


class _Extremum(_Binary):
    """maximum / minimum: ties split the gradient evenly, as PyTorch does."""
    keep_inputs = True
    pick_a = ""
    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.inputs
        xp, a2, b2 = ctx.backend.xp, a._data, b._data
        wa = (getattr(xp, cls.pick_a)(a2, b2) + 0.5 * (a2 == b2)).astype(g.dtype.np)
        return _grads_to_inputs(ctx, lambda: g * ctx.const(wa), lambda: g * ctx.const(1 - wa))


class Maximum(_Extremum):
    kernel, pick_a = "maximum", "greater"


class Minimum(_Extremum):
    kernel, pick_a = "minimum", "less"


class Where(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, cond, a, b):
        return ctx.backend.where(cond, a, b)
    @staticmethod
    def backward(ctx, g):
        cond, a, b = ctx.inputs
        mask = ctx.const(cond._data.astype(g.dtype.np))
        return _grads_to_inputs(ctx, None, lambda: g * mask, lambda: g * (1 - mask))
