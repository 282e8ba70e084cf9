"""Convolution, pooling, padding and window ops of tg.nn.functional, with PyTorch's
signatures, shapes and errors (re-exported by nn.functional).

A convolution is im2col (``Unfold``: every window of the input as a column) and
then one matrix product per group; its gradients are therefore ``Fold`` (col2im)
and matrix products (functions/conv.py). Arguments are checked here, before any
kernel runs: a wrong shape gets PyTorch's exception type and its message.
"""
import numbers

import numpy as np

from .. import functions as _fn
from ..factories import tensor as _tensor
from ..shapes import conv_out_size
from ..tensor import Tensor


# ---- arguments ----------------------------------------------------------------------
def _ints(value, n, name, fn):
    """An int, or a sequence of n ints (one int in a sequence stands for all), as an
    n-tuple; anything else is PyTorch's TypeError."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * n
    if (isinstance(value, (tuple, list)) and len(value) == n
            and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value)):
        return tuple(int(v) for v in value)
    raise TypeError(f"{fn}(): argument '{name}' must be an int or a tuple of {n} ints, "
                    f"but got {value!r}")


def _geometry(fn, n, stride, padding, dilation):
    stride, dilation = _ints(stride, n, "stride", fn), _ints(dilation, n, "dilation", fn)
    if min(stride) <= 0:
        raise RuntimeError(f"{fn}: non-positive stride is not supported (stride={stride})")
    if min(dilation) <= 0:
        raise RuntimeError(f"{fn}: dilation should be greater than zero (dilation={dilation})")
    if not isinstance(padding, str):
        padding = _ints(padding, n, "padding", fn)
        if min(padding) < 0:
            raise RuntimeError(f"{fn}: negative padding is not supported (padding={padding})")
    return stride, padding, dilation


def _tensor_arg(x, name, fn):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be a tg.Tensor, not {type(x).__name__}")
    return x


def _batched(x, dims, fn, what="input"):
    """x with a batch dim (added for an unbatched input), and whether one was added."""
    if x.ndim not in (dims + 1, dims + 2) or 0 in x.shape[1:]:
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) {what} "
                           f"to {fn}, but got input of size: {list(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == dims + 1 else (x, False)


def _as_2d(x, dims):
    """A 1-d problem (N, C, L) as a 2-d one (N, C, 1, L)."""
    return x.unsqueeze(2) if dims == 1 else x


def _pair(t, dims, fill):
    return t if dims == 2 else (fill,) + t


# ---- convolution --------------------------------------------------------------------
def _conv(input, weight, bias, stride, padding, dilation, groups, dims, fn):  # noqa: A002
    x, unbatched = _batched(_tensor_arg(input, "input", fn), dims, fn)
    w = _tensor_arg(weight, "weight", fn)
    if w.ndim != dims + 2:
        raise RuntimeError(f"{fn}: weight must be {dims + 2}-D (out_channels, in_channels/groups, "
                           f"*kernel_size), got shape {list(w.shape)}")
    if x.dtype != w.dtype or (bias is not None and bias.dtype != w.dtype):
        raise RuntimeError(f"{fn}: input ({x.dtype!r}), weight ({w.dtype!r}) and bias must have "
                           f"the same dtype; convert the input with .to(weight.dtype)")
    stride, padding, dilation = _geometry(fn, dims, stride, padding, dilation)
    if not isinstance(groups, numbers.Integral) or groups <= 0:
        raise RuntimeError(f"{fn}: non-positive groups is not supported (groups={groups})")
    o, cg = w.shape[0], w.shape[1]
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead")
    if x.shape[1] != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {cg * groups} channels, but got "
                           f"{x.shape[1]} channels instead")
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(f"Given weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {o} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    kernel = tuple(w.shape[2:])
    if isinstance(padding, str):
        padding, x = _padding_string(x, padding, kernel, stride, dilation, fn)
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    size = [n + 2 * p for n, p in zip(x.shape[2:], padding)]
    if any(r > n for r, n in zip(reach, size)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, size))}). Kernel size: "
                           f"({' x '.join(map(str, reach))}). Kernel size can't be greater than "
                           f"actual input size")
    n, out_hw = x.shape[0], [conv_out_size(*a) for a in zip(x.shape[2:], kernel, dilation,
                                                            padding, stride)]
    cols = _fn.Unfold.apply(_as_2d(x, dims), kernel=_pair(kernel, dims, 1),
                            dilation=_pair(dilation, dims, 1), padding=_pair(padding, dims, 0),
                            stride=_pair(stride, dims, 1))
    taps = cg * int(np.prod(kernel))
    if groups == 1:
        out = w.reshape(o, taps).matmul(cols)  # (O, C*k) @ (N, C*k, L)
    else:
        out = w.reshape(groups, o // groups, taps).matmul(cols.reshape(n, groups, taps, -1))
    out = out.reshape(n, o, *out_hw)
    if bias is not None:
        out = out + bias.reshape(o, *(1,) * dims)
    return out.squeeze(0) if unbatched else out


def _padding_string(x, padding, kernel, stride, dilation, fn):
    """'valid' is no padding; 'same' pads d (k - 1) in all, the odd one on the right
    (by padding the input itself, as PyTorch does)."""
    if padding == "valid":
        return (0,) * len(kernel), x
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    extra = [t % 2 for t in total]
    if any(extra):
        pads = []
        for e in reversed(extra):
            pads += [0, e]
        x = pad(x, pads)
    return tuple(t // 2 for t in total), x


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """1-D cross-correlation of input (N, C_in, L) with weight (C_out, C_in/groups, k)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):  # noqa: A002
    """2-D cross-correlation of input (N, C_in, H, W) with weight (C_out, C_in/groups, kh, kw):
    im2col, then one matrix product per group, plus the bias per output channel."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1):
    """The adjoint of conv2d in its input ("deconvolution"): weight (C_in, C_out/groups,
    kh, kw); each input pixel scatters weight-scaled copies of the kernel (col2im)."""
    fn = "conv_transpose2d"
    x, unbatched = _batched(_tensor_arg(input, "input", fn), 2, fn)
    w = _tensor_arg(weight, "weight", fn)
    if w.ndim != 4:
        raise RuntimeError(f"{fn}: weight must be 4-D (in_channels, out_channels/groups, kh, kw)"
                           f", got shape {list(w.shape)}")
    stride, padding, dilation = _geometry(fn, 2, stride, padding, dilation)
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be an int or a tuple of 2 ints, "
                        f"but got {padding!r}")
    out_pad = _ints(output_padding, 2, "output_padding", fn)
    if any(op >= s and op >= d for op, s, d in zip(out_pad, stride, dilation)) or min(out_pad) < 0:
        raise RuntimeError(f"{fn}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={out_pad}, stride={stride}, "
                           f"dilation={dilation}")
    if not isinstance(groups, numbers.Integral) or groups <= 0:
        raise RuntimeError(f"{fn}: non-positive groups is not supported (groups={groups})")
    cin, og = w.shape[0], w.shape[1]
    if x.shape[1] != cin or cin % groups:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w.shape)}, expected "
                           f"input{list(x.shape)} to have {cin} channels (divisible by "
                           f"groups={groups}), but got {x.shape[1]} channels instead")
    cout = og * groups
    if bias is not None and tuple(bias.shape) != (cout,):
        raise RuntimeError(f"{fn}: expected bias of {cout} elements, got shape "
                           f"{list(bias.shape)}")
    if x.dtype != w.dtype:
        raise RuntimeError(f"{fn}: input ({x.dtype!r}) and weight ({w.dtype!r}) must have the "
                           f"same dtype")
    n, (h, wd), kernel = x.shape[0], x.shape[2:], tuple(w.shape[2:])
    full = [(i - 1) * s + d * (k - 1) + 1 for i, s, d, k in zip((h, wd), stride, dilation, kernel)]
    out_hw = [f - 2 * p + op for f, p, op in zip(full, padding, out_pad)]
    if min(out_hw) <= 0:
        raise RuntimeError(f"{fn}: the output would be {out_hw[0]}x{out_hw[1]} for input "
                           f"{h}x{wd}; reduce padding")
    taps = og * kernel[0] * kernel[1]
    xm = x.reshape(n, groups, cin // groups, h * wd)
    cols = w.reshape(groups, cin // groups, taps).transpose(-1, -2).matmul(xm)
    cols = cols.reshape(n, cout * kernel[0] * kernel[1], h * wd)
    geometry = dict(kernel=kernel, dilation=dilation, stride=stride)
    if out_pad == (0, 0):
        out = _fn.Fold.apply(cols, size=tuple(out_hw), padding=padding, **geometry)
    else:  # the whole image, then PyTorch's crop: padding off the left, the rest kept
        out = _fn.Fold.apply(cols, size=tuple(full), padding=(0, 0), **geometry)
        ph, pw = padding
        out = out[:, :, ph:ph + out_hw[0], pw:pw + out_hw[1]]
        short = [want - got for want, got in zip(out_hw, out.shape[2:])]
        if any(short):
            out = pad(out, [0, short[1], 0, short[0]])
    if bias is not None:
        out = out + bias.reshape(cout, 1, 1)
    return out.squeeze(0) if unbatched else out


# ---- im2col / col2im ------------------------------------------------------------------
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), each column one window of the input."""
    fn = "unfold"
    x, unbatched = _batched(_tensor_arg(input, "input", fn), 2, fn)
    kernel = _ints(kernel_size, 2, "kernel_size", fn)
    stride, padding, dilation = _geometry(fn, 2, stride, padding, dilation)
    out_hw = [conv_out_size(*a) for a in zip(x.shape[2:], kernel, dilation, padding, stride)]
    if min(kernel) <= 0 or min(out_hw) <= 0:
        raise RuntimeError(f"{fn}: kernel {kernel} with dilation {dilation} does not fit the "
                           f"padded input {[n + 2 * p for n, p in zip(x.shape[2:], padding)]}")
    out = _fn.Unfold.apply(x, kernel=kernel, dilation=dilation, padding=padding, stride=stride)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """col2im, unfold's adjoint: (N, C*kh*kw, L) -> (N, C, *output_size), overlaps summed."""
    fn = "fold"
    x = _tensor_arg(input, "input", fn)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D (unbatched) or 3D (batched) input to fold, but got "
                           f"input of size: {list(x.shape)}")
    unbatched = x.ndim == 2
    x = x.unsqueeze(0) if unbatched else x
    size = _ints(output_size, 2, "output_size", fn)
    kernel = _ints(kernel_size, 2, "kernel_size", fn)
    stride, padding, dilation = _geometry(fn, 2, stride, padding, dilation)
    k = kernel[0] * kernel[1]
    if x.shape[1] % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={x.shape[1]} and "
                           f"kernel_size={kernel}")
    blocks = [conv_out_size(*a) for a in zip(size, kernel, dilation, padding, stride)]
    if x.shape[2] != blocks[0] * blocks[1] or min(blocks) <= 0:
        raise RuntimeError(f"Given output_size={size}, kernel_size={kernel}, dilation="
                           f"{dilation}, padding={padding}, stride={stride}, expected size of "
                           f"input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but "
                           f"got input.size(2)={x.shape[2]}.")
    out = _fn.Fold.apply(x, size=size, kernel=kernel, dilation=dilation, padding=padding,
                         stride=stride)
    return out.squeeze(0) if unbatched else out


# ---- padding ----------------------------------------------------------------------------
def _source_index(n, lo, hi, mode):
    """For each position of an axis padded by (lo, hi), where its value comes from."""
    i = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    if mode == "circular":
        return i % n
    i = np.abs(i)  # reflect: mirror at the first and last element, not repeating them
    return np.where(i > n - 1, 2 * (n - 1) - i, i)


def pad(input, pad, mode="constant", value=None):  # noqa: A002
    """Pad the last len(pad)//2 dims: pad = (left, right) of the last dim, then of the one
    before, ... Modes: constant (value, default 0; negative pads crop), reflect,
    replicate, circular."""
    fn = "pad"
    x = _tensor_arg(input, "input", fn)
    if (not isinstance(pad, (tuple, list)) or len(pad) % 2 or len(pad) // 2 > x.ndim
            or not all(isinstance(p, numbers.Integral) for p in pad)):
        raise RuntimeError(f"Padding length must be divisible by 2 and at most twice the number "
                           f"of dimensions of the input ({x.ndim}), got {pad!r}")
    k = len(pad) // 2
    axes = list(range(x.ndim - 1, x.ndim - 1 - k, -1))  # the last dim first, as pad lists them
    widths = {a: (int(pad[2 * i]), int(pad[2 * i + 1])) for i, a in enumerate(axes)}
    if mode == "constant":
        crop = tuple(slice(max(-widths[a][0], 0), x.shape[a] - max(-widths[a][1], 0))
                     if a in widths else slice(None) for a in range(x.ndim))
        x = x[crop]
        grow = {a: (max(lo, 0), max(hi, 0)) for a, (lo, hi) in widths.items()}
        shape = tuple(x.shape[a] + sum(grow.get(a, (0, 0))) for a in range(x.ndim))
        if shape == tuple(x.shape):
            return x if any(c != slice(None) for c in crop) else x * 1
        inner = tuple(slice(grow[a][0], grow[a][0] + x.shape[a]) if a in grow else slice(None)
                      for a in range(x.ndim))
        out = _fn.IndexAdd.apply(x, shape=shape, index=inner)  # zeros with x inside
        if value:
            border = np.full(shape, value, dtype=np.dtype(x.dtype.name))
            border[inner] = 0
            out = out + _tensor(border, dtype=x.dtype, device=x.device)
        return out
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"{fn}: mode must be 'constant', 'reflect', 'replicate' or "
                                  f"'circular', got {mode!r}")
    index = []
    for a in range(x.ndim):
        if a not in widths:
            index.append(slice(None))
            continue
        (lo, hi), n = widths[a], x.shape[a]
        if min(lo, hi) < 0 or (mode == "reflect" and max(lo, hi) >= n) or \
                (mode != "reflect" and max(lo, hi) > n) or n == 0:
            raise RuntimeError(f"{fn}: {mode} padding ({lo}, {hi}) is invalid for dimension "
                               f"{a} of size {n} of input {list(x.shape)}")
        src = _source_index(n, lo, hi, mode)
        shape = [1] * k
        shape[a - (x.ndim - k)] = -1  # advanced indices broadcast over the padded dims
        index.append(src.reshape(shape))
    return x[tuple(index)]
