"""Reductions, matmul and the row-wise nn primitives (softmax, log_softmax)."""
from ..autograd import Function, _shape_of
from .movement import expand_reduced


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
        shape = tuple(_shape_of(ctx.parents[0]))
        return expand_reduced(g, _keepdim_shape(shape, ctx.axes), shape)


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
        return expand_reduced(g, kshape, tuple(x.shape)) * share


class Amax(_ExtremumReduce):
    kernel = "max"


class Amin(_ExtremumReduce):
    kernel = "min"


# ---- matmul -----------------------------------------------------------------------
class MatMul(Function):
    """op(a) @ op(b) on 2-D or equally batched arrays; op transposes the last two
    axes when ta / tb is set, so backward never copies a transpose."""
    keep_inputs = True
    fresh_grads = True  # every gradient is a new matmul / kernel result
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
            ga = (MatMul.apply(b, g, ta=tb, tb=True) if ta else
                  MatMul.apply(g, b, ta=False, tb=not tb))
        if need_b:  # dB = op(A)^T G, transposed back when B entered transposed
            gb = (MatMul.apply(g, a, ta=True, tb=ta) if tb else
                  MatMul.apply(a, g, ta=not ta, tb=False))
        return ga, gb


# ---- nn ---------------------------------------------------------------------------
class _RowOp(Function):
    """softmax-like ops along one axis, computed by the backend kernel of that name."""
    keep_output = True
    kernel = ""
    @classmethod
    def forward(cls, ctx, x, axis=-1):
        ctx.axis = axis
        return getattr(ctx.backend, cls.kernel)(x, axis=axis)


class Softmax(_RowOp):
    kernel = "softmax"
    @staticmethod
    def backward(ctx, g):
        y = ctx.output
        return y * (g - (g * y).sum(dim=ctx.axis, keepdim=True))


class LogSoftmax(_RowOp):
    kernel = "log_softmax"
    @staticmethod
    def backward(ctx, g):
        return g - ctx.output.exp() * g.sum(dim=ctx.axis, keepdim=True)
