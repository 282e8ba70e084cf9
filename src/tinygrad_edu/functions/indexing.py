"""Index-driven primitives: gather and its adjoint (scatter-add into zeros), scatter,
cumsum and flip. ``index`` is an integer array already checked by the Tensor method;
element ``i`` of it picks along ``axis`` at the other coordinates of ``i``. A ``src``
comes cut to index's shape (the Tensor method slices it, so the slice's backward
pads its gradient)."""
from ..autograd import Function


def along(xp, index, axis):
    """The advanced index that reads x[..., index[i], ...] at each position i of index:
    open grids for every axis but ``axis``, which takes index itself."""
    grids = list(xp.ix_(*[xp.arange(n) for n in index.shape]))
    grids[axis] = index
    return tuple(grids)


class Gather(Function):
    """out[i] = x[i with coordinate ``axis`` replaced by index[i]] (torch.gather)."""
    @staticmethod
    def forward(ctx, x, index=None, axis=0):
        ctx.index, ctx.axis, ctx.shape_in = index, axis, x.shape
        return x[along(ctx.backend.xp, index, axis)]
    @staticmethod
    def backward(ctx, g):
        return GatherAdjoint.apply(g, shape=ctx.shape_in, index=ctx.index, axis=ctx.axis)


class GatherAdjoint(Function):
    """zeros(shape) with src[i] added at gather's position of i: repeated positions
    accumulate (scatter_add onto zeros, Gather's adjoint)."""
    @staticmethod
    def forward(ctx, src, shape=(), index=None, axis=0):
        ctx.index, ctx.axis = index, axis
        xp = ctx.backend.xp
        out = xp.zeros(shape, dtype=src.dtype)
        xp.add.at(out, along(xp, index, axis), src)
        return out
    @staticmethod
    def backward(ctx, g):
        return Gather.apply(g, index=ctx.index, axis=ctx.axis)


class Scatter(Function):
    """x with src's values written at gather's positions (torch.scatter; with repeated
    positions one write wins, as in PyTorch where the winner is unspecified)."""
    @staticmethod
    def forward(ctx, x, src, index=None, axis=0):
        xp = ctx.backend.xp
        where = along(xp, index, axis)
        ctx.index, ctx.axis = index, axis
        ctx.written = xp.zeros(x.shape, dtype=bool)
        ctx.written[where] = True
        out = x.copy()
        out[where] = src
        return out
    @staticmethod
    def backward(ctx, g):
        gx = g.masked_fill(g._make(ctx.written), 0.0) if ctx.needs_input_grad[0] else None
        gsrc = Gather.apply(g, index=ctx.index, axis=ctx.axis) if ctx.needs_input_grad[1] \
            else None
        return gx, gsrc


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, axis=0):
        ctx.axis = axis
        return ctx.backend.xp.cumsum(x, axis=axis, dtype=x.dtype)
    @staticmethod
    def backward(ctx, g):
        # out[j] = sum_{i<=j} x[i], so dx[i] = sum_{j>=i} g[j]: a cumsum run backwards
        return Cumsum.apply(g.flip(ctx.axis), axis=ctx.axis).flip(ctx.axis)


class Flip(Function):
    @staticmethod
    def forward(ctx, x, axes=()):
        ctx.axes = axes
        return ctx.backend.xp.flip(x, axis=axes).copy()  # PyTorch's flip copies too
    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, axes=ctx.axes)
