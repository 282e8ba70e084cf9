"""Fused transformer ops: layer norm (with its affine) and its input gradient on the
backend's row kernels, and dropout by a given mask: one node each instead of the
~10 (layer norm) or 4 (dropout) of their compositions."""
import math

from ..autograd import Function
from ..grad_mode import is_grad_enabled


def _rows(a, k):
    """a as 2-D (rows, n) over its last k dims (a view when it can be)."""
    return a.reshape(-1, math.prod(a.shape[a.ndim - k:]))


class LayerNorm(Function):
    """(x - mean) / sqrt(var + eps) over the last k dims, then * w + b (optional): the
    backend's row kernel, which also keeps x-hat and 1/std for the backward."""
    @staticmethod
    def forward(ctx, x, w=None, b=None, k=1, eps=1e-5):
        out, xhat, rstd = ctx.backend.layer_norm(
            _rows(x, k), *(None if p is None else p.reshape(-1) for p in (w, b)), eps)
        ctx.k, ctx.eps, ctx.has_b = k, eps, b is not None
        ctx.xhat, ctx.rstd = xhat.reshape(x.shape), rstd.reshape(x.shape[:x.ndim - k] + (1,) * k)
        ctx.save_for_backward(x, w)
        return out.reshape(x.shape)
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        if is_grad_enabled():   # create_graph: x-hat and 1/std as functions of x
            dims = tuple(range(-ctx.k, 0))
            xc = x - x.mean(dims, keepdim=True)
            rstd = 1.0 / ((xc * xc).mean(dims, keepdim=True) + ctx.eps).sqrt()
            xhat = xc * rstd
        else:                   # first order: forward's values as constants
            xhat, rstd = g._make(ctx.xhat), g._make(ctx.rstd)
        dx = LayerNormGrad.apply(g if w is None else g * w, xhat, rstd, k=ctx.k)
        if w is None:
            return dx
        return (dx, g * xhat) + ((g,) if ctx.has_b else ())  # the engine sums over the batch


class LayerNormGrad(Function):
    """Layer norm's input gradient rstd * (h - mean(h) - z * mean(h * z)) over the last
    k dims, from h (the gradient of x-hat), z (x-hat) and rstd (1/std, keepdim shape)."""
    @staticmethod
    def forward(ctx, h, z, rstd, k=1):
        ctx.k = k
        ctx.save_for_backward(h, z, rstd)
        return ctx.backend.layer_norm_grad(_rows(h, k), _rows(z, k),
                                           rstd.reshape(-1, 1)).reshape(h.shape)
    @staticmethod
    def backward(ctx, u):
        h, z, rstd = ctx.saved_tensors
        dims = tuple(range(-ctx.k, 0))
        v, m2 = u * rstd, (h * z).mean(dims, keepdim=True)
        gh = LayerNormGrad.apply(u, z, rstd, k=ctx.k)   # linear in h: the same map
        gz = -(v * m2 + h * (v * z).mean(dims, keepdim=True))
        grstd = (u * (h - h.mean(dims, keepdim=True) - z * m2)).sum(dims, keepdim=True)
        return gh, gz, grstd


class MaskedScale(Function):
    """x * mask for a constant mask (dropout's 0 or 1/(1-p) per element)."""
    @staticmethod
    def forward(ctx, x, mask=None):
        ctx.mask = mask
        return x * mask
    @staticmethod
    def backward(ctx, g):
        return g * g._make(ctx.mask)
