"""Shape and indexing primitives: reshape, permute, expand, getitem, its adjoint
index-add, and cat. They move no numbers (getitem with arrays and cat copy), so
their gradients are movements too."""
from ..autograd import Function

_BASIC = (int, slice, type(None), type(Ellipsis))  # index items that give a view


class Reshape(Function):
    is_view = True
    @staticmethod
    def forward(ctx, x, shape=()):
        ctx.shape_in = x.shape
        return x.reshape(shape)
    @staticmethod
    def backward(ctx, g): return Reshape.apply(g, shape=ctx.shape_in)


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
    def backward(ctx, g):
        return g  # the engine sums a broadcast input's gradient back to its shape


class GetItem(Function):
    """x[index] for a normalised index (ints, slices, None, Ellipsis, int/bool arrays)."""
    @staticmethod
    def forward(ctx, x, index=()):
        ctx.index, ctx.shape_in = index, x.shape
        ctx.is_view = all(isinstance(i, _BASIC) for i in index)
        return x[index]
    @staticmethod
    def backward(ctx, g): return IndexAdd.apply(g, shape=ctx.shape_in, index=ctx.index)


class IndexAdd(Function):
    """zeros(shape) with g added at index (repeated indices accumulate): GetItem's adjoint."""
    @staticmethod
    def forward(ctx, g, shape=(), index=()):
        ctx.index = index
        out = ctx.backend.xp.zeros(shape, dtype=g.dtype)
        if all(isinstance(i, _BASIC) for i in index):
            out[index] = g  # basic indexing never repeats an element
        elif len(index) == 1 and getattr(index[0], "ndim", 0) == 1 and index[0].dtype.kind in "iu":
            # rows picked by one index array (an embedding): the backend's row kernel,
            # ~20x numpy's add.at for a GPT's (512, 64) gradient
            ctx.backend.index_add(out, index[0], g)
        else:
            ctx.backend.xp.add.at(out, index, g)
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
        for need, n in zip(ctx.needs_input_grad, ctx.sizes):
            grads.append(g[lead + (slice(start, start + n),)] if need else None)
            start += n
        return tuple(grads)
