"""Shape and indexing primitives: reshape, permute, expand, getitem, cat."""
from ..autograd import Function
from ._util import _shape_of, _unbroadcast


# ---- movement ---------------------------------------------------------------------
class Reshape(Function):
    is_view = True
    @staticmethod
    def forward(ctx, x, shape=()):
        return x.reshape(shape)
    @staticmethod
    def backward(ctx, g): return Reshape.apply(g, shape=tuple(_shape_of(ctx.parents[0])))


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


def expand_reduced(g, kshape, shape):
    """The gradient g of a reduction, reshaped to its keepdim shape and broadcast back
    to the input's shape (both known valid here: no Tensor-method checks)."""
    if g._data.shape != kshape:
        g = Reshape.apply(g, shape=kshape)
    return g if kshape == shape else Expand.apply(g, shape=shape)


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
