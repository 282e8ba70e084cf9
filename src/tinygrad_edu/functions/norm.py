"""Fused transformer ops: layer norm (with its affine) and dropout by a given mask,
each one node instead of the ~10 (layer norm) or 4 (dropout) of their compositions,
which is most of a small transformer's per-op overhead."""
from ..autograd import Function
from ..grad_mode import is_grad_enabled


class LayerNorm(Function):
    """(x - mean) / sqrt(var + eps) over the last k dims, then * w + b (optional)."""
    @staticmethod
    def forward(ctx, x, w=None, b=None, k=1, eps=1e-5):
        xp = ctx.backend.xp
        axes = tuple(range(x.ndim - k, x.ndim))
        xc = x - x.mean(axis=axes, keepdims=True)
        rstd = 1.0 / xp.sqrt((xc * xc).mean(axis=axes, keepdims=True) + x.dtype.type(eps))
        xhat = xc * rstd.astype(x.dtype, copy=False)
        ctx.k, ctx.eps, ctx.has_b = k, eps, b is not None
        ctx.xhat, ctx.rstd = xhat, rstd.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, w)
        out = xhat if w is None else xhat * w
        return out if b is None else out + b
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        dims = tuple(range(-ctx.k, 0))
        if is_grad_enabled():   # create_graph: x-hat and 1/std as functions of x
            xc = x - x.mean(dims, keepdim=True)
            rstd = 1.0 / ((xc * xc).mean(dims, keepdim=True) + ctx.eps).sqrt()
            xhat = xc * rstd
        else:                   # first order: forward's values as constants
            xhat, rstd = g._make(ctx.xhat), g._make(ctx.rstd)
        gxhat = g if w is None else g * w
        gx = rstd * (gxhat - gxhat.mean(dims, keepdim=True)
                     - xhat * (gxhat * xhat).mean(dims, keepdim=True))
        if w is None:
            return gx
        return (gx, g * xhat) + ((g,) if ctx.has_b else ())  # the engine sums over the batch


class MaskedScale(Function):
    """x * mask for a constant mask (dropout's 0 or 1/(1-p) per element)."""
    @staticmethod
    def forward(ctx, x, mask=None):
        ctx.mask = mask
        return x * mask
    @staticmethod
    def backward(ctx, g):
        return g * g._make(ctx.mask)
