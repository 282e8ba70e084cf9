"""Convolution windows. Unfold (im2col) copies every window of an image into a
column; Fold (col2im) adds columns back into an image. Each is the other's adjoint,
so each one's backward is the other. A convolution is Unfold then a matrix
product, and average pooling Unfold then a mean (nn/functional_conv.py);
MaxPool is its own op because its gradient goes to one element per window (the
first maximum, as in PyTorch), which a max over the window would split on ties.
"""
from ..autograd import Function
from ..shapes import conv_out_size


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
        be = ctx.backend
        n, c = x.shape[:2]
        cols = be.unfold(x, kernel, dilation, (0, 0), stride)
        k, windows = kernel[0] * kernel[1], cols.shape[2]
        cols = cols.reshape(n, c, k, windows)
        ctx.first = be.reduce("argmax", cols, 2, keepdims=True)  # (n, c, 1, L)
        ctx.geometry = dict(size=x.shape[2:], kernel=kernel, dilation=dilation,
                            padding=(0, 0), stride=stride)
        out_hw = [conv_out_size(*a) for a in zip(x.shape[2:], kernel, dilation, (0, 0), stride)]
        return be.xp.take_along_axis(cols, ctx.first, 2).reshape(n, c, *out_hw)
    @staticmethod
    def backward(ctx, g):
        n, c, oh, ow = g.shape
        kh, kw = ctx.geometry["kernel"]
        xp = ctx.backend.xp
        # a constant one-hot mask of the chosen tap: the gradient is linear in g
        taps = xp.arange(kh * kw).reshape(1, 1, -1, 1)
        pick = g._make((taps == ctx.first).astype(g._data.dtype))
        cols = (g.reshape(n, c, 1, oh * ow) * pick).reshape(n, c * kh * kw, oh * ow)
        return Fold.apply(cols, **ctx.geometry)
