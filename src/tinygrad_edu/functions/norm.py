"""Fused normalisation ops: layer norm (with its affine) and its input gradient on the
backend's row kernels, batch norm in training and its gradient on the backend's
channel kernels, and dropout by a given mask: one node each instead of the ~10
(layer and batch norm) or 4 (dropout) of their compositions."""
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


def _channel_axes(x):
    """Every dim of (N, C, *) but the channels, and the [C] vectors' broadcast shape."""
    return (0, *range(2, x.ndim)), (1, x.shape[1]) + (1,) * (x.ndim - 2)


class BatchNorm(Function):
    """Batch norm in training: each channel of x (N, C, *) to zero mean and unit (biased)
    variance over the batch, times w, plus b (``has_w`` / ``has_b`` say which of them
    follow x). ``stats``, a list, receives the batch's mean and variance ([C] arrays)
    for the running statistics."""
    @staticmethod
    def forward(ctx, x, *wb, has_w=False, has_b=False, eps=1e-5, stats=None):
        w = wb[0] if has_w else None
        b = wb[-1] if has_b else None
        out, mean, var, rstd = ctx.backend.batch_norm(
            x, *(None if p is None else p.reshape(-1) for p in (w, b)), eps)
        if stats is not None:
            stats.extend((mean, var))
        ctx.eps, ctx.has_w = eps, has_w
        ctx.has_b, ctx.b_shape = has_b, None if b is None else b.shape
        ctx.mean, ctx.rstd = mean, rstd   # [C] constants for the first-order backward
        ctx.save_for_backward(x, w)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        axes, bshape = _channel_axes(x)
        wc = () if w is None else (w.reshape(bshape),)
        if is_grad_enabled():   # create_graph: the statistics as functions of x
            mean = x.mean(axes, keepdim=True)
            xc = x - mean
            rstd = 1.0 / ((xc * xc).mean(axes, keepdim=True) + ctx.eps).sqrt()
            dx = BatchNormGrad.apply(g, x, mean, rstd, *wc)
            dw, db = (g * (xc * rstd)).sum(axes), g.sum(axes)
        else:                   # first order: forward's statistics as constants
            sums = []           # the kernel's dw and db, from the sums it makes for dx
            dx = BatchNormGrad.apply(g, x, g._make(ctx.mean.reshape(bshape)),
                                     g._make(ctx.rstd.reshape(bshape)), *wc, sums=sums)
            dw, db = g._make(sums[0]), g._make(sums[1])
        return ((dx,) + ((dw.reshape(w.shape),) if ctx.has_w else ())
                + ((db.reshape(ctx.b_shape),) if ctx.has_b else ()))


class BatchNormGrad(Function):
    """Batch norm's input gradient w * rstd * (g - mean(g) - z * mean(g * z)) per channel,
    z = (x - mean) * rstd, from g (the output's gradient), x, and the [C] statistics
    mean, rstd (and w, optional) in broadcast shape (1, C, 1, ...). ``sums``, a list,
    receives sum(g * z) and sum(g) ([C] arrays: the gradients of w and b)."""
    @staticmethod
    def forward(ctx, g, x, mean, rstd, w=None, sums=None):
        dx, dw, db = ctx.backend.batch_norm_grad(
            g, x, mean.reshape(-1), rstd.reshape(-1), None if w is None else w.reshape(-1))
        if sums is not None:
            sums.extend((dw, db))
        ctx.save_for_backward(g, x, mean, rstd, w)
        return dx

    @staticmethod
    def backward(ctx, u):
        g, x, mean, rstd, w = ctx.saved_tensors
        axes, _ = _channel_axes(x)
        xc = x - mean
        z = xc * rstd
        s = rstd if w is None else rstd * w       # dx = s * P(g), P(g) = g - E[g] - z E[gz]
        v = u * s
        mg, mgz = g.mean(axes, keepdim=True), (g * z).mean(axes, keepdim=True)
        # P is self-adjoint and s per channel: the gradient of g is the same map of u
        gg = BatchNormGrad.apply(u, x, mean, rstd, *(() if w is None else (w,)))
        gz = -(v * mgz + g * (v * z).mean(axes, keepdim=True))    # through z
        gs = (u * (g - mg - z * mgz)).sum(axes, keepdim=True)       # through s
        gx = gz * rstd
        gmean = -gx.sum(axes, keepdim=True)
        grstd = (gz * xc).sum(axes, keepdim=True) + (gs if w is None else gs * w)
        return (gg, gx, gmean, grstd) + (() if w is None else (gs * rstd,))


class MaskedScale(Function):
    """x * mask for a constant mask (dropout's 0 or 1/(1-p) per element)."""
    @staticmethod
    def forward(ctx, x, mask=None):
        ctx.mask = mask
        return x * mask
    @staticmethod
    def backward(ctx, g):
        return g * g._make(ctx.mask)
