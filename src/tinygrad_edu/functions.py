"""The differentiable primitives: forward on arrays next to backward on Tensors.

Every composite op in tensor.py (sub-by-scalar, mean, var, logsumexp, stack,
repeat, ...) is built from these. Backward functions use only Tensor methods,
so with ``create_graph=True`` the gradient is itself differentiable.
"""
from .autograd import Function
from .shapes import broadcast_shapes


def _unbroadcast(grad, shape):
    """Sum a broadcast gradient back down to an input's shape."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)


def _broadcast(xp, *arrays):
    first = arrays[0].shape
    if all(a.shape == first for a in arrays):
        return arrays
    shape = first
    for a in arrays[1:]:
        shape = broadcast_shapes(shape, a.shape)
    return [a if a.shape == shape else xp.broadcast_to(a, shape) for a in arrays]


# ---- elementwise unary ----------------------------------------------------------
class Neg(Function):
    @staticmethod
    def forward(ctx, x): return ctx.backend.neg(x)
    @staticmethod
    def backward(ctx, g): return -g


class Exp(Function):
    keep_output = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.exp(x)
    @staticmethod
    def backward(ctx, g): return g * ctx.output


class Log(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.log(x)
    @staticmethod
    def backward(ctx, g): return g / ctx.inputs[0]


class Sqrt(Function):
    keep_output = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.sqrt(x)
    @staticmethod
    def backward(ctx, g): return g / (ctx.output * 2)


class Abs(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.abs(x)
    @staticmethod
    def backward(ctx, g): return g * ctx.inputs[0].sign()


class Sin(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.sin(x)
    @staticmethod
    def backward(ctx, g): return g * ctx.inputs[0].cos()


class Cos(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.cos(x)
    @staticmethod
    def backward(ctx, g): return -(g * ctx.inputs[0].sin())


class Tanh(Function):
    keep_output = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.tanh(x)
    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return g * (1 - y * y)


class Sigmoid(Function):
    keep_output = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.sigmoid(x)
    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return g * y * (1 - y)


class _ZeroGrad(Function):
    """Piecewise-constant ops: the gradient is zero almost everywhere."""
    keep_inputs = True
    @staticmethod
    def backward(ctx, g):
        return (_unbroadcast(g * 0, ctx.parents[0].shape),) + (None,) * (len(ctx.parents) - 1)


class Sign(_ZeroGrad):
    @staticmethod
    def forward(ctx, x): return ctx.backend.sign(x)


class Step(_ZeroGrad):
    """Heaviside step with step(0) = 0."""
    @staticmethod
    def forward(ctx, x): return ctx.backend.step(x)


class Heaviside(_ZeroGrad):
    """PyTorch's heaviside(x, values): ``values`` where x == 0."""
    @staticmethod
    def forward(ctx, x, values):
        xp = ctx.backend.xp
        x, values = _broadcast(xp, x, values)
        return xp.where(x == 0, values, ctx.backend.step(x))


class Relu(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, x): return ctx.backend.relu(x)
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
    def backward(ctx, g):
        x = ctx.inputs[0]._data
        xp = ctx.backend.xp
        return g * ctx.const(xp.where(x > 0, 1.0, ctx.slope).astype(x.dtype))


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
    @staticmethod
    def forward(ctx, x, dtype=None):
        ctx.src = x.dtype
        return x.astype(dtype)
    @staticmethod
    def backward(ctx, g): return g.to(ctx.src)


# ---- elementwise binary (broadcasting) ---------------------------------------------
class _Binary(Function):
    kernel = ""
    @classmethod
    def forward(cls, ctx, a, b):
        a2, b2 = _broadcast(ctx.backend.xp, a, b)
        return getattr(ctx.backend, cls.kernel)(a2, b2)


class Add(_Binary):
    kernel = "add"
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.parents
        return (_unbroadcast(g, a.shape) if a is not None else None,
                _unbroadcast(g, b.shape) if b is not None else None)


class Sub(_Binary):
    kernel = "sub"
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.parents
        return (_unbroadcast(g, a.shape) if a is not None else None,
                _unbroadcast(-g, b.shape) if b is not None else None)


class Mul(_Binary):
    kernel = "mul"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        return (_unbroadcast(g * b, a.shape) if need_a else None,
                _unbroadcast(g * a, b.shape) if need_b else None)


class Div(_Binary):
    kernel = "div"
    keep_inputs = True
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ga = g / b
        return (_unbroadcast(ga, a.shape) if need_a else None,
                _unbroadcast(-ga * a / b, b.shape) if need_b else None)


class Pow(_Binary):
    kernel = "pow"
    keep_inputs = True
    keep_output = True
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            ga = _unbroadcast(g * b * a ** (b - 1), a.shape)
        if need_b:
            # d/db a**b = a**b log a; PyTorch takes it as 0 where a == 0 (and b >= 0).
            gb = _unbroadcast(g * ctx.output * a.where(a != 0, 1.0).log(), b.shape)
        return ga, gb


class _Extremum(_Binary):
    """maximum / minimum: ties split the gradient evenly, as PyTorch does."""
    keep_inputs = True
    pick_a = ""
    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.inputs
        xp = ctx.backend.xp
        a2, b2 = _broadcast(xp, a._data, b._data)
        wa = (getattr(xp, cls.pick_a)(a2, b2) + 0.5 * (a2 == b2)).astype(g.dtype.np)
        need_a, need_b = ctx.needs_input_grad
        return (_unbroadcast(g * ctx.const(wa), a.shape) if need_a else None,
                _unbroadcast(g * ctx.const(1 - wa), b.shape) if need_b else None)


class Maximum(_Extremum):
    kernel, pick_a = "maximum", "greater"


class Minimum(_Extremum):
    kernel, pick_a = "minimum", "less"


class Where(Function):
    keep_inputs = True
    @staticmethod
    def forward(ctx, cond, a, b):
        return ctx.backend.where(*_broadcast(ctx.backend.xp, cond, a, b))
    @staticmethod
    def backward(ctx, g):
        cond, a, b = ctx.inputs
        mask = ctx.const(cond._data.astype(g.dtype.np))
        _, need_a, need_b = ctx.needs_input_grad
        return (None,
                _unbroadcast(g * mask, a.shape) if need_a else None,
                _unbroadcast(g * (1 - mask), b.shape) if need_b else None)


# ---- reductions --------------------------------------------------------------------
def _keepdim_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdim=False):
        ctx.axes = tuple(range(x.ndim)) if axis is None else axis
        ctx.keepdim = keepdim
        return ctx.backend.sum(x, axis=ctx.axes, keepdims=keepdim)
    @staticmethod
    def backward(ctx, g):
        shape = ctx.parents[0].shape
        return g.reshape(_keepdim_shape(shape, ctx.axes)).expand(*shape)


class _ExtremumReduce(Function):
    """max / min over axes; the gradient is shared evenly among ties (amax)."""
    keep_inputs = True
    keep_output = True
    kernel = ""
    @classmethod
    def forward(cls, ctx, x, axis=None, keepdim=False):
        ctx.axes = tuple(range(x.ndim)) if axis is None else axis
        return getattr(ctx.backend, cls.kernel)(x, axis=ctx.axes, keepdims=keepdim)
    @staticmethod
    def backward(ctx, g):
        x = ctx.inputs[0]
        kshape = _keepdim_shape(x.shape, ctx.axes)
        hit = (x._data == ctx.output._data.reshape(kshape)).astype(x._data.dtype)
        share = ctx.const(hit / hit.sum(axis=ctx.axes, keepdims=True))
        return g.reshape(kshape).expand(*x.shape) * share


class Amax(_ExtremumReduce):
    kernel = "max"


class Amin(_ExtremumReduce):
    kernel = "min"


# ---- matmul -----------------------------------------------------------------------
class MatMul(Function):
    """op(a) @ op(b) on 2-D or equally batched arrays; op transposes the last two
    axes when ta / tb is set, so backward never copies a transpose."""
    keep_inputs = True
    @staticmethod
    def forward(ctx, a, b, ta=False, tb=False):
        ctx.ta, ctx.tb = ta, tb
        return ctx.backend.matmul(a, b, ta, tb)
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.inputs
        ta, tb = ctx.ta, ctx.tb
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:  # dA = G op(B)^T, transposed back when A entered transposed
            ga = MatMul.apply(b, g, ta=tb, tb=True) if ta else MatMul.apply(g, b, ta=False, tb=not tb)
        if need_b:  # dB = op(A)^T G, transposed back when B entered transposed
            gb = MatMul.apply(g, a, ta=True, tb=ta) if tb else MatMul.apply(a, g, ta=not ta, tb=False)
        return ga, gb


# ---- nn ---------------------------------------------------------------------------
class Softmax(Function):
    keep_output = True
    @staticmethod
    def forward(ctx, x, axis=-1):
        ctx.axis = axis
        return ctx.backend.softmax(x, axis=axis)
    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return y * (g - (g * y).sum(dim=ctx.axis, keepdim=True))


class LogSoftmax(Function):
    keep_output = True
    @staticmethod
    def forward(ctx, x, axis=-1):
        ctx.axis = axis
        return ctx.backend.log_softmax(x, axis=axis)
    @staticmethod
    def backward(ctx, g):
        return g - ctx.output.exp() * g.sum(dim=ctx.axis, keepdim=True)


# ---- movement ---------------------------------------------------------------------
class Reshape(Function):
    is_view = True
    @staticmethod
    def forward(ctx, x, shape=()):
        return x.reshape(shape)
    @staticmethod
    def backward(ctx, g): return g.reshape(ctx.parents[0].shape)


class Permute(Function):
    is_view = True
    @staticmethod
    def forward(ctx, x, dims=()):
        ctx.dims = dims
        return x.transpose(dims)
    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return g.permute(*inverse)


class Expand(Function):
    is_view = True
    @staticmethod
    def forward(ctx, x, shape=()):
        return ctx.backend.xp.broadcast_to(x, shape)
    @staticmethod
    def backward(ctx, g): return _unbroadcast(g, ctx.parents[0].shape)


class GetItem(Function):
    """x[index] for a normalised index (ints, slices, None, Ellipsis, int/bool arrays)."""
    @staticmethod
    def forward(ctx, x, index=()):
        ctx.index = index
        ctx.is_view = all(isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in index)
        return x[index]
    @staticmethod
    def backward(ctx, g): return IndexAdd.apply(g, shape=ctx.parents[0].shape, index=ctx.index)


class IndexAdd(Function):
    """zeros(shape) with g added at index (repeated indices accumulate): GetItem's adjoint."""
    @staticmethod
    def forward(ctx, g, shape=(), index=()):
        ctx.index = index
        xp = ctx.backend.xp
        out = xp.zeros(shape, dtype=g.dtype)
        if any(not isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in index):
            xp.add.at(out, index, g)
        else:  # basic indexing never repeats an element
            out[index] = g
        return out
    @staticmethod
    def backward(ctx, g): return GetItem.apply(g, index=ctx.index)


class Cat(Function):
    @staticmethod
    def forward(ctx, *xs, axis=0):
        ctx.axis = axis
        ctx.sizes = [x.shape[axis] for x in xs]
        return ctx.backend.xp.concatenate(xs, axis=axis)
    @staticmethod
    def backward(ctx, g):
        grads, start = [], 0
        lead = (slice(None),) * ctx.axis
        for parent, n in zip(ctx.parents, ctx.sizes):
            grads.append(g[lead + (slice(start, start + n),)] if parent is not None else None)
            start += n
        return tuple(grads)
