"""Pooling and channel dropout of tg.nn.functional, with PyTorch's signatures, shapes
and errors (re-exported by nn.functional). Every pooling cuts the input into windows
with im2col (``Unfold``): average pooling is their mean; max pooling is the op
``MaxPool``, whose gradient goes to the first maximum of each window."""
import numpy as np

from .. import functions as _fn
from ..backend import numpy_backend, of_array
from ..factories import rand, tensor as _tensor
from ..shapes import conv_out_size
from .functional_conv import _as_2d, _geometry, _ints, _tensor_arg, pad


# ---- pooling ------------------------------------------------------------------------------
def _pool_out(n, k, s, p, d, ceil_mode):
    """Windows along one axis; with ceil_mode a last partial window counts if it starts
    inside the input or its left padding (PyTorch's rule)."""
    span = n + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode, dims, fn):  # noqa: A002
    x = _tensor_arg(input, "input", fn)
    if x.ndim not in (dims + 1, dims + 2) or x.numel() == 0:
        raise RuntimeError(f"{fn}: non-empty {dims + 1}D or {dims + 2}D (batch mode) tensor "
                           f"expected for input, got shape {list(x.shape)}")
    unbatched = x.ndim == dims + 1
    x = x.unsqueeze(0) if unbatched else x
    kernel = _ints(kernel_size, dims, "kernel_size", fn)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel
    stride, padding, dilation = _geometry(fn, dims, stride, padding, dilation)
    if min(kernel) <= 0:
        raise RuntimeError(f"{fn}: kernel_size must be greater than zero, got {kernel}")
    for k, p, d in zip(kernel, padding, dilation):
        if p * 2 > (k - 1) * d + 1:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")
    size = x.shape[2:]
    out = [_pool_out(n, k, s, p, d, ceil_mode)
           for n, k, s, p, d in zip(size, kernel, stride, padding, dilation)]
    if min(out) <= 0:
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, [x.shape[1], *size]))}). "
                           f"Calculated output size: ({'x'.join(map(str, [x.shape[1], *out]))}). "
                           f"Output size is too small")
    # the right edge padded so that every (ceil_mode) window lies inside
    extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - (n + 2 * p))
             for o, s, d, k, n, p in zip(out, stride, dilation, kernel, size, padding)]
    two = lambda t, fill: t if dims == 2 else (fill,) + t  # noqa: E731
    x = _as_2d(x, dims)
    return x, unbatched, two(kernel, 1), two(stride, 1), two(padding, 0), two(dilation, 1), \
        two(tuple(extra), 0)


def _finish(out, unbatched, dims):
    out = out.squeeze(2) if dims == 1 else out
    return out.squeeze(0) if unbatched else out


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,  # noqa: A002
              dims, fn):
    x, unbatched, k, s, p, d, extra = _pool_args(input, kernel_size, stride, padding, dilation,
                                                 ceil_mode, dims, fn)
    low = -np.inf if x.is_floating_point() else np.iinfo(np.dtype(x.dtype.name)).min
    widths = [p[1], p[1] + extra[1], p[0], p[0] + extra[0]]
    xp = pad(x, widths, value=low) if any(widths) else x
    out = _fn.MaxPool.apply(xp, kernel=k, dilation=d, stride=s)
    if not return_indices:
        return _finish(out, unbatched, dims)
    row, col = _window_argmax(xp.detach()._data, k, s, d)
    flat = (row - p[0]) * x.shape[3] + (col - p[1])  # in the unpadded input plane
    return _finish(out, unbatched, dims), _finish(_as_index(flat, x), unbatched, dims)


def _as_index(arr, like):
    return _tensor(arr.astype(np.int64), device=like.device)


def _window_argmax(windows, k, s, d):
    """(row, col) of each window's first maximum in the array ``windows`` (N, C, H, W)
    that the windows were cut from, as arrays of the output's shape."""
    arg = of_array(windows).max_pool(windows, k, d, s)[1]
    return arg // windows.shape[3], arg % windows.shape[3]


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The maximum of each window along the last dim of (N, C, L)."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     1, "max_pool1d")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
               return_indices=False):
    """The maximum of each kh x kw window of (N, C, H, W); stride defaults to the kernel.
    The gradient goes to the first maximum of each window, as in PyTorch."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     2, "max_pool2d")


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,  # noqa: A002
              divisor_override, dims, fn):
    x, unbatched, k, s, p, _, extra = _pool_args(input, kernel_size, stride, padding, 1,
                                                 ceil_mode, dims, fn)
    if not x.is_floating_point():
        raise RuntimeError(f"{fn}: \"avg_pool2d\" not implemented for '{x.dtype}'")
    widths = [p[1], p[1] + extra[1], p[0], p[0] + extra[0]]
    xp = pad(x, widths) if any(widths) else x
    n, c = x.shape[:2]
    cols = _fn.Unfold.apply(xp, kernel=k, stride=s)  # (N, C*k, L)
    out_hw = [conv_out_size(a, b, 1, 0, t) for a, b, t in zip(xp.shape[2:], k, s)]
    total = cols.reshape(n, c, k[0] * k[1], *out_hw).sum(2)
    if divisor_override is not None:
        if divisor_override == 0:
            raise RuntimeError(f"{fn}: divisor must be not zero")
        return _finish(total / divisor_override, unbatched, dims)
    # how many elements each window averages: PyTorch counts the padding (but not
    # the ceil_mode overhang) with count_include_pad, else only the input
    h, w = x.shape[2:]
    ones = np.zeros(xp.shape[2:])
    if count_include_pad:
        ones[:h + 2 * p[0], :w + 2 * p[1]] = 1
    else:
        ones[p[0]:p[0] + h, p[1]:p[1] + w] = 1
    count = numpy_backend.unfold(ones[None, None], k, (1, 1), (0, 0), s).sum(1)
    count = _tensor(count.reshape(out_hw), dtype=x.dtype, device=x.device)
    return _finish(total / count, unbatched, dims)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True):
    """The mean of each window along the last dim of (N, C, L)."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None,
                     1, "avg_pool1d")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None):
    """The mean of each kh x kw window of (N, C, H, W); stride defaults to the kernel."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, 2, "avg_pool2d")


def _bins(n, out):
    """PyTorch's adaptive windows: output i averages [floor(i n / out), ceil((i+1) n / out))."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def _adaptive_size(x, output_size, fn):
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(size) != 2:
        raise TypeError(f"{fn}(): output_size must be an int or a pair, got {output_size!r}")
    size = tuple(x.shape[-2 + i] if s is None else int(s) for i, s in enumerate(size))
    if min(size) < 0 or x.ndim not in (3, 4) or 0 in x.shape[-2:]:
        raise RuntimeError(f"{fn}: expected a non-empty 3D or 4D input and a non-negative "
                           f"output_size, got input {list(x.shape)} and {output_size!r}")
    return size


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    """Averages over a grid of output_size windows covering the input (PyTorch's bins):
    separable, so it is two matrix products, A_h @ x @ A_w^T."""
    x = _tensor_arg(input, "input", "adaptive_avg_pool2d")
    oh, ow = _adaptive_size(x, output_size, "adaptive_avg_pool2d")

    def averaging(n, out):
        a = np.zeros((out, n))
        for i, (lo, hi) in enumerate(_bins(n, out)):
            a[i, lo:hi] = 1.0 / (hi - lo)
        return _tensor(a, dtype=x.dtype, device=x.device)
    h, w = x.shape[-2:]
    return averaging(h, oh).matmul(x.matmul(averaging(w, ow).t()))


def adaptive_max_pool2d(input, output_size, return_indices=False):  # noqa: A002
    """The maximum over a grid of output_size windows covering the input (PyTorch's bins).
    Each window is gathered into an equal-sized block (a short window repeats its last
    element, which cannot change a maximum), then max-pooled block by block."""
    fn = "adaptive_max_pool2d"
    x = _tensor_arg(input, "input", fn)
    oh, ow = _adaptive_size(x, output_size, fn)
    unbatched = x.ndim == 3
    x = x.unsqueeze(0) if unbatched else x

    def gather(n, out):
        bins = _bins(n, out)
        k = max(hi - lo for lo, hi in bins)
        return np.array([[min(lo + j, hi - 1) for j in range(k)] for lo, hi in bins]).ravel(), k
    rows, kh = gather(x.shape[2], oh)
    cols, kw = gather(x.shape[3], ow)
    blocks = x[:, :, rows[:, None], cols[None, :]]
    out = _fn.MaxPool.apply(blocks, kernel=(kh, kw), stride=(kh, kw))
    out = out.squeeze(0) if unbatched else out
    if not return_indices:
        return out
    row, col = _window_argmax(blocks.detach()._data, (kh, kw), (kh, kw), (1, 1))
    if not isinstance(row, np.ndarray):
        rows, cols = of_array(row).xp.asarray(rows), of_array(row).xp.asarray(cols)
    flat = rows[row] * x.shape[3] + cols[col]  # block coordinates back to the input's
    flat = _as_index(flat, x)
    return out, (flat.squeeze(0) if unbatched else flat)


# ---- dropout ------------------------------------------------------------------------------
def dropout2d(input, p=0.5, training=True, inplace=False):  # noqa: A002
    """Zero whole channels of (N, C, H, W) (or unbatched (C, H, W)) with probability p and
    scale the rest by 1/(1-p), while training."""
    x = _tensor_arg(input, "input", "dropout2d")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"dropout2d: expected a 3D (unbatched) or 4D (batched) input, got "
                           f"shape {list(x.shape)}")
    if not training or p == 0.0:
        return x
    shape = tuple(x.shape[:-2]) + (1, 1)
    keep = rand(*shape, dtype=x.dtype, device=x.device) >= p
    scale = keep.to(x.dtype) * (0.0 if p == 1.0 else 1.0 / (1.0 - p))
    if inplace:
        return x.mul_(scale)
    return x * scale
