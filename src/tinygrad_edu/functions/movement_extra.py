"""Primitives behind tensor_movement (issue 18): the strided views ``diagonal`` and
``unfold`` (windows), each with its adjoint.

As in PyTorch they are views: the output is the input's memory read with other
strides (``as_strided``), so writes through either reach the other and they share a
version counter (``is_view``). The adjoints build a zero tensor and add the gradient
into the same strided view of it; each one's backward is the view again."""
from ..autograd import Function

__all__ = ["Diagonal", "DiagonalAdjoint", "Windows", "WindowsAdjoint"]


def _as_strided(xp, x, shape, strides):
    return xp.lib.stride_tricks.as_strided(x, shape=tuple(shape), strides=tuple(strides))


def diagonal_view(xp, x, offset, a, b):
    """x's entries [.., i, .., i + offset, ..] of dims a, b, as a last dimension (a view)."""
    n, m = x.shape[a], x.shape[b]
    size = max(min(n, m - offset) if offset >= 0 else min(n + offset, m), 0)
    start = [slice(None)] * x.ndim
    if size:   # start at [0, offset] (or [-offset, 0]): a slice, so still x's memory
        start[b if offset >= 0 else a] = slice(abs(offset), None)
        x = x[tuple(start)]
    rest = [d for d in range(x.ndim) if d not in (a, b)]
    return _as_strided(xp, x, [x.shape[d] for d in rest] + [size],
                       [x.strides[d] for d in rest] + [x.strides[a] + x.strides[b]])


def windows_view(xp, x, axis, size, step):
    """Every window of ``size`` entries ``step`` apart along axis, as a last dimension
    (the windows' count takes axis's place; a view)."""
    count = (x.shape[axis] - size) // step + 1
    shape = list(x.shape) + [size]
    strides = list(x.strides) + [x.strides[axis]]
    shape[axis], strides[axis] = count, x.strides[axis] * step
    return _as_strided(xp, x, shape, strides)


class _StridedView(Function):
    """A view: x read with other strides by ``view(xp, x, **kw)``. Backward is the
    ``adjoint`` Function, which puts the gradient back where the view reads."""
    is_view = True

    @classmethod
    def forward(cls, ctx, x, **kw):
        ctx.shape_in, ctx.kw = x.shape, kw
        return cls.view(ctx.backend.xp, x, **kw)

    @staticmethod
    def backward(ctx, g):
        return type(ctx).adjoint.apply(g, shape=ctx.shape_in, **ctx.kw)


class DiagonalAdjoint(Function):
    """zeros(shape) with g on the (offset) diagonal of dims a, b: Diagonal's adjoint."""
    @staticmethod
    def forward(ctx, g, shape=(), offset=0, a=0, b=1):
        ctx.kw = {"offset": offset, "a": a, "b": b}
        xp = ctx.backend.xp
        out = xp.zeros(shape, dtype=g.dtype)
        diagonal_view(xp, out, offset, a, b)[...] = g   # each entry once: no repeats
        return out

    @staticmethod
    def backward(ctx, g):
        return Diagonal.apply(g, **ctx.kw)


class Diagonal(_StridedView):
    """The (offset) diagonal of dims a, b as the last dimension: a view."""
    view, adjoint = staticmethod(diagonal_view), DiagonalAdjoint


class WindowsAdjoint(Function):
    """zeros(shape) with every window's gradient added where the window reads
    (overlapping windows accumulate): Windows' adjoint."""
    @staticmethod
    def forward(ctx, g, shape=(), axis=0, size=1, step=1):
        ctx.kw = {"axis": axis, "size": size, "step": step}
        out = ctx.backend.xp.zeros(shape, dtype=g.dtype)
        count = g.shape[axis]
        lead = (slice(None),) * axis
        for k in range(size):   # tap k of every window: one strided slice, no repeats
            out[lead + (slice(k, k + step * (count - 1) + 1, step),)] += g[..., k]
        return out

    @staticmethod
    def backward(ctx, g):
        return Windows.apply(g, **ctx.kw)


class Windows(_StridedView):
    """Tensor.unfold(dimension, size, step): overlapping windows, a view."""
    view, adjoint = staticmethod(windows_view), WindowsAdjoint
