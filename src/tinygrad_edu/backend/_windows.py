"""The windows of a convolution or pooling on any array module ``xp``: im2col,
col2im and max pooling (the specification backend's ``unfold``, ``fold`` and
``max_pool``; CuPy runs the same code on its arrays)."""
from ..shapes import conv_out_size as _out_size


def _windows(size, kernel, dilation, padding, stride):
    """For each kernel tap (i, j), the strided slices of the padded image it reads."""
    (h, w), (kh, kw), (dh, dw) = size, kernel, dilation
    oh = _out_size(h, kh, dh, padding[0], stride[0])
    ow = _out_size(w, kw, dw, padding[1], stride[1])
    taps = [(i, j, slice(i * dh, i * dh + stride[0] * (oh - 1) + 1, stride[0]),
             slice(j * dw, j * dw + stride[1] * (ow - 1) + 1, stride[1]))
            for i in range(kh) for j in range(kw)]
    return oh, ow, taps


def unfold(xp, x, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """im2col on array module xp: numpy_backend.unfold."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    oh, ow, taps = _windows((h, w), kernel, dilation, padding, stride)
    padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = xp.empty((n, c, kh, kw, oh, ow), x.dtype)
    for i, j, rows, columns in taps:
        cols[:, :, i, j] = padded[:, :, rows, columns]
    return cols.reshape(n, c * kh * kw, oh * ow)


def fold(xp, cols, size, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1)):
    """col2im on array module xp: numpy_backend.fold."""
    (h, w), (kh, kw), (ph, pw) = size, kernel, padding
    n, ck = cols.shape[0], cols.shape[1]
    oh, ow, taps = _windows((h, w), kernel, dilation, padding, stride)
    c = ck // (kh * kw)
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i, j, rows, columns in taps:  # one tap's windows never overlap each other
        out[:, :, rows, columns] += cols[:, :, i, j]
    return xp.ascontiguousarray(out[:, :, ph:ph + h, pw:pw + w])


def max_pool(xp, x, kernel, dilation=(1, 1), stride=(1, 1)):
    """Max pooling on array module xp: numpy_backend.max_pool."""
    n, c, h, w = x.shape
    oh = _out_size(h, kernel[0], dilation[0], 0, stride[0])
    ow = _out_size(w, kernel[1], dilation[1], 0, stride[1])
    cols = unfold(xp, x, kernel, dilation, (0, 0), stride)
    cols = cols.reshape(n, c, kernel[0] * kernel[1], oh * ow)
    tap = xp.argmax(cols, axis=2)  # the first maximum; a NaN is one (its first)
    out = xp.take_along_axis(cols, tap[:, :, None], 2)[:, :, 0]
    oy, ox = xp.divmod(xp.arange(oh * ow), ow)
    row = oy * stride[0] + tap // kernel[1] * dilation[0]
    arg = row * w + ox * stride[1] + tap % kernel[1] * dilation[1]
    return out.reshape(n, c, oh, ow), arg.reshape(n, c, oh, ow).astype(xp.int64)
