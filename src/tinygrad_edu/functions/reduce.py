"""Reductions: sum, and amax / amin (ties share the gradient)."""
from ..autograd import Function
from .movement import Expand, Reshape


def _expand_back(g, kshape, shape):
    """The gradient g of a reduction, reshaped to its keepdim shape ``kshape`` and
    broadcast back to the input's ``shape``."""
    if g._data.shape != kshape:
        g = Reshape.apply(g, shape=kshape)
    return g if kshape == shape else Expand.apply(g, shape=shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axis=None, keepdim=False):
        axes = tuple(range(x.ndim)) if axis is None else axis
        ctx.shape_in = x.shape
        ctx.kshape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        out = ctx.backend.reduce("sum", x, axes, keepdim)
        # numpy sums small integers (and bools) in a wider type: back to x's, wrapping
        # around as PyTorch's sum(dtype=int8) does (bool: any non-zero)
        return out if out.dtype == x.dtype else out.astype(x.dtype)
    @staticmethod
    def backward(ctx, g): return _expand_back(g, ctx.kshape, ctx.shape_in)


class _Extreme(Function):
    """max / min over axes; the gradient is shared evenly among ties (amax's rule)."""
    reduction = ""

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdim=False):
        axes = ctx.axes = tuple(range(x.ndim)) if axis is None else axis
        ctx.kshape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        y = ctx.backend.reduce(cls.reduction, x, axes, keepdim)
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        hit = (x._data == y._data.reshape(ctx.kshape)).astype(x._data.dtype)
        share = g._make(hit / hit.sum(axis=ctx.axes, keepdims=True))  # a constant
        return _expand_back(g, ctx.kshape, x._data.shape) * share


class Amax(_Extreme):
    reduction = "max"


class Amin(_Extreme):
    reduction = "min"
