"""Convolution windows. Unfold (im2col) copies every window of an image into a
column; Fold (col2im) adds columns back into an image. Each is the other's adjoint,
so each one's backward is the other. A convolution is Unfold then a matrix
product, and average pooling Unfold then a mean (nn/functional_conv.py);
MaxPool is its own op because its gradient goes to one element per window (the
first maximum, as in PyTorch), which a max over the window would split on ties.
"""
from ..autograd import Function


class Unfold(Function):
    """x (N, C, H, W) -> columns (N, C*kh*kw, L), one column per window."""
    @staticmethod
    def forward(ctx, x, kernel=(1, 1), dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
        ctx.geometry = dict(size=x.shape[2:], kernel=kernel, dilation=dilation,
                            padding=padding, stride=stride)
        return ctx.backend.unfold(x, kernel, dilation, padding, stride)
    @staticmethod
    def backward(ctx, g): return Fold.apply(g, **ctx.geometry)


class Fold(Function):
    """columns (N, C*kh*kw, L) -> image (N, C, *size), overlapping windows summed."""
    @staticmethod
    def forward(ctx, cols, size=(1, 1), kernel=(1, 1), dilation=(1, 1), padding=(0, 0),
                stride=(1, 1)):
        ctx.geometry = dict(kernel=kernel, dilation=dilation, padding=padding, stride=stride)
        return ctx.backend.fold(cols, size, kernel, dilation, padding, stride)
    @staticmethod
    def backward(ctx, g): return Unfold.apply(g, **ctx.geometry)


class MaxPool(Function):
    """The maximum of each window of x (N, C, H, W), which the caller has padded with
    -inf; the gradient goes to the first maximum of each window."""
    @staticmethod
    def forward(ctx, x, kernel=(1, 1), dilation=(1, 1), stride=(1, 1)):
        out, ctx.arg = ctx.backend.max_pool(x, kernel, dilation, stride)
        ctx.geometry = dict(size=x.shape[2:], kernel=kernel, dilation=dilation, stride=stride)
        return out
    @staticmethod
    def backward(ctx, g): return MaxPoolGrad.apply(g, arg=ctx.arg, **ctx.geometry)


class MaxPoolGrad(Function):
    """MaxPool's gradient: zeros of the input's shape with each window's g added at its
    maximum (``arg``, a flat index per plane). Linear in g: its own gradient reads the
    incoming one back at the same places."""
    @staticmethod
    def forward(ctx, g, arg=None, size=(1, 1), kernel=(1, 1), dilation=(1, 1), stride=(1, 1)):
        ctx.arg = arg
        return ctx.backend.max_pool_backward(g, arg, size, kernel, dilation, stride)
    @staticmethod
    def backward(ctx, gg):
        n, c, h, w = gg.shape
        xp = ctx.backend.xp
        planes = (xp.arange(n)[:, None, None], xp.arange(c)[None, :, None],
                  ctx.arg.reshape(n, c, -1))
        return gg.reshape(n, c, h * w)[planes].reshape(ctx.arg.shape)
