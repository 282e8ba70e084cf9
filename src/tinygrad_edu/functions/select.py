"""Primitives behind tensor_select (issue 18): scatter_reduce's amax, amin and prod.

sum and mean are compositions of scatter and scatter_add (tensor_select); the other
reductions need one ufunc.at in forward (``ufunc_at``: numpy's, CuPy's where it has one,
else through a host copy). Backward is Tensor ops, as PyTorch's
derivatives.yaml defines it: amax/amin share the gradient evenly among all values
equal to the result; prod's gradient is the product of the other contributions
(computed without dividing by zero where a contribution is 0).
"""
import numpy as np

from ..autograd import Function
from .indexing import Gather, GatherAdjoint, along

__all__ = ["ScatterReduce"]

_UFUNC = {"amax": "maximum", "amin": "minimum", "prod": "multiply"}


def ufunc_at(backend, name, out, where, src):
    """numpy's ``ufunc.at(out, where, src)`` (every repeated position applies) on a
    backend array, in place. CuPy offers ``maximum.at`` / ``minimum.at`` (recent
    versions, some dtypes) but no ``multiply.at``: what it lacks runs on a host copy,
    written back whole (``where`` is a tuple of index arrays, as ``along`` gives)."""
    ufunc = getattr(np, name)
    if backend.xp is np:
        ufunc.at(out, where, src)
        return
    if name != "multiply":
        try:
            getattr(backend.xp, name).at(out, where, src)
            return
        except (NotImplementedError, AttributeError, TypeError):
            pass   # checked before anything is written: out is still whole
    host = backend.to_host(out)
    ufunc.at(host, tuple(backend.to_host(w) for w in where), backend.to_host(src))
    out[...] = backend.from_host(host)


def _identity(dtype, reduce):
    """The value that leaves ``reduce`` unchanged (written where include_self=False)."""
    if reduce == "prod":
        return 1
    big = np.inf if dtype.kind == "f" else True if dtype.kind == "b" else np.iinfo(dtype).max
    low = -np.inf if dtype.kind == "f" else False if dtype.kind == "b" else np.iinfo(dtype).min
    return low if reduce == "amax" else big


class ScatterReduce(Function):
    """x with src's values reduced (amax, amin, prod) into gather's positions; with
    include_self=False the old values at those positions take no part."""
    @staticmethod
    def forward(ctx, x, src, index=None, axis=0, reduce="amax", include_self=True):
        xp = ctx.backend.xp
        where = along(xp, index, axis)
        out = x.copy()
        scattered = xp.zeros(x.shape, dtype=bool)
        scattered[where] = True
        if not include_self:
            out[scattered] = _identity(x.dtype, reduce)
        with np.errstate(all="ignore"):
            ufunc_at(ctx.backend, _UFUNC[reduce], out, where, src)
        ctx.index, ctx.axis, ctx.reduce, ctx.include_self = index, axis, reduce, include_self
        ctx.scattered = scattered
        ctx.save_for_backward(x, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, src, out = ctx.saved_tensors
        index, axis, shape = ctx.index, ctx.axis, tuple(x.shape)
        counted = g._make(~ctx.scattered if not ctx.include_self else
                          ctx.backend.xp.ones(shape, dtype=bool))  # self's values take part
        if ctx.reduce == "prod":
            return ScatterReduce._prod_grads(ctx, g, x, src, out, counted)
        # amax / amin: every value equal to the result gets an equal share (a value of
        # self left out by include_self=False still counts, then gets none: PyTorch's)
        self_hit = (x == out).to(g.dtype)
        src_hit = (src == Gather.apply(out, index=index, axis=axis)).to(g.dtype)
        count = self_hit + GatherAdjoint.apply(src_hit, shape=shape, index=index, axis=axis)
        share = g / count.clamp(min=1.0)
        gx = (share * self_hit).where(counted, 0.0) if ctx.needs_input_grad[0] else None
        gsrc = Gather.apply(share, index=index, axis=axis) * src_hit \
            if ctx.needs_input_grad[1] else None
        return gx, gsrc

    @staticmethod
    def _prod_grads(ctx, g, x, src, out, counted):
        index, axis, shape = ctx.index, ctx.axis, tuple(x.shape)
        x0, s0 = x == 0, src == 0
        x1, s1 = x.masked_fill(x0, 1.0), src.masked_fill(s0, 1.0)
        zeros = (x0 & counted).to(g.dtype) + \
            GatherAdjoint.apply(s0.to(g.dtype), shape=shape, index=index, axis=axis)
        # the product of the nonzero contributions at each position
        nonzero = ScatterReduce.apply(x1, s1, index=index, axis=axis, reduce="prod",
                                      include_self=ctx.include_self)
        one_zero = zeros == 1
        gx = gsrc = None
        if ctx.needs_input_grad[0]:
            others = (out / x1).where(~x0, nonzero.where(one_zero, 0.0))
            gx = (g * others).where(counted, 0.0)
        if ctx.needs_input_grad[1]:
            out_at, nz_at = (Gather.apply(t, index=index, axis=axis) for t in (out, nonzero))
            one_at = Gather.apply(one_zero.to(g.dtype), index=index, axis=axis) > 0
            others = (out_at / s1).where(~s0, nz_at.where(one_at, 0.0))
            gsrc = Gather.apply(g, index=index, axis=axis) * others
        return gx, gsrc
