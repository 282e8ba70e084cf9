"""Resizing of tg.nn.functional: ``interpolate``, as PyTorch's F.interpolate (re-exported
by nn.functional). No new primitive: 'nearest' gathers rows with integer-array indexing
(its gradient is an index-add), and the linear modes and 'area' are separable, so each
is one constant (out, in) matrix per spatial axis applied with matmul (A_h @ x @ A_w^T).
Autograd differentiates both, to any order. Sizes, source indices, weights and errors
follow PyTorch's CPU kernels (ATen's UpSample.h), float32 rounding included."""
import math
import numbers

import numpy as np

from ..factories import tensor as _tensor
from ..tensor import Tensor
from .functional_pool import _bins

_LINEAR = {"linear": 3, "bilinear": 4, "trilinear": 5}   # mode -> the one rank it takes
_ALL = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


# ---- arguments ----------------------------------------------------------------------
def _is_int(v):
    """PyTorch's rule for an entry of size: an int (not a bool) or an integer tensor."""
    if isinstance(v, Tensor):
        return not v.is_floating_point() and v.ndim == 0
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _size_error(size):
    types = [type(v) for v in size] if isinstance(size, (tuple, list)) else [type(size)]
    return TypeError(f"expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                     f"Tuple[int, int, int], but got size with types {types}")


def _sizes(x, size, scale_factor, recompute):
    """(output sizes, scale factors or None per axis), as F.interpolate's Python part."""
    dim, spatial = x.ndim - 2, list(x.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (tuple, list)):
            if len(size) != dim:
                raise ValueError(
                    f"Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and output size of "
                    f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                    f"and output size in (o1, o2, ...,oK) format.")
        size = list(size) if isinstance(size, (tuple, list)) else [size] * dim
        if not all(_is_int(v) for v in size):
            raise _size_error(size)
        if recompute:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return [int(v) for v in size], [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (tuple, list)):
        if len(scale_factor) != dim:
            raise ValueError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                f"and scale_factor in (s1, s2, ...,sK) format.")
        scales = list(scale_factor)
    else:
        scales = [scale_factor] * dim
    if not all(isinstance(s, numbers.Real) and not isinstance(s, bool) for s in scales):
        raise TypeError(f"interpolate(): scale_factor must be a float or a tuple of floats, "
                        f"got {scale_factor!r}")
    scales = [float(s) for s in scales]
    if not all(math.isfinite(s) for s in scales):
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    # out = int(in * scale) (truncated, as C++'s cast); with recompute_scale_factor
    # the kernels then see only the sizes, so their scale is in / out
    out = [int(n * s) for n, s in zip(spatial, scales)]
    return out, ([None] * dim if recompute else scales)


def _check_sizes(x, out, mode):
    """PyTorch's upsample checks: every input and output extent positive, then a
    non-empty tensor (an empty batch is fine)."""
    spatial = list(x.shape[2:])
    if min(spatial + out) <= 0:
        names = "DHW"[3 - len(out):]
        fmt = lambda s: ", ".join(f"{a}: {b}" for a, b in zip(names, s))  # noqa: E731
        join = " and output" if len(out) == 1 else " output"
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                           f"({fmt(spatial)}){join} ({fmt(out)})")
    if x.numel() == 0 and math.prod(x.shape[1:]) == 0:
        raise RuntimeError(f"Non-empty {x.ndim}D data tensor expected but got a tensor with "
                           f"sizes {list(x.shape)}")
    if mode in _LINEAR and not x.is_floating_point():
        raise NotImplementedError(f"\"upsample_{mode}\" not implemented for {x.dtype!r}: "
                                  f"interpolate(mode='{mode}') needs a floating-point "
                                  f"input; convert it with .float()")


def _scale(n_in, n_out, scale, ft):
    """ATen's compute_scales_value: 1/scale_factor when one was given (and is > 0),
    else in/out, rounded to the kernel's float type ``ft``."""
    return ft(1.0 / scale) if scale is not None and scale > 0 else ft(n_in) / ft(n_out)


# ---- per-axis index rules -----------------------------------------------------------
def _nearest_index(n_in, n_out, scale, exact, shortcuts):
    """Source index of each output along one axis, in float32 as ATen computes it:
    'nearest' is floor(dst * s), 'nearest-exact' floor((dst + 0.5) * s), both clamped
    to n_in - 1, where s is 1/scale_factor if one was given, else in/out. PyTorch's 2-D
    'nearest' kernel (``shortcuts``) copies when out == in and halves when out == 2 in,
    whatever the scale factor; its 1-D and 3-D ones do not."""
    dst = np.arange(n_out)
    if shortcuts and n_out == n_in:
        return dst
    if shortcuts and n_out == 2 * n_in:
        return dst >> 1
    s = _scale(n_in, n_out, scale, np.float32)
    if exact:   # (dst + 0.5) * s in double, then floorf rounds it to float first
        src = np.floor(((dst + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _linear_matrix(n_in, n_out, align_corners, scale, ft):
    """The (n_out, n_in) matrix of 1-d linear interpolation (ATen's
    compute_source_index_and_lambda), in the kernel's float type ``ft``; n_out != n_in."""
    a = np.zeros((n_out, n_in), ft)
    dst = np.arange(n_out).astype(ft)
    if align_corners:
        ratio = ft(n_in - 1) / ft(n_out - 1) if n_out > 1 else ft(0)
        src = ratio * dst
    else:
        src = np.maximum(_scale(n_in, n_out, scale, ft) * (dst + ft(0.5)) - ft(0.5), ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    w1 = np.clip(src - i0.astype(ft), ft(0), ft(1))
    i1 = i0 + (i0 < n_in - 1)
    rows = np.arange(n_out)
    np.add.at(a, (rows, i0), ft(1) - w1)   # i0 == i1 at the last input: both weights add
    np.add.at(a, (rows, i1), w1)
    return a


def _area_matrix(n_in, n_out, ft):
    """The (n_out, n_in) matrix of adaptive average pooling (PyTorch's bins)."""
    a = np.zeros((n_out, n_in), ft)
    for i, (lo, hi) in enumerate(_bins(n_in, n_out)):
        a[i, lo:hi] = ft(1) / ft(hi - lo)
    return a


# ---- the modes ----------------------------------------------------------------------
def _nearest(x, out, scales, exact):
    k = len(out)
    index = []
    for i, (n_in, n_out, s) in enumerate(zip(x.shape[2:], out, scales)):
        idx = _nearest_index(n_in, n_out, s, exact, shortcuts=not exact and k == 2)
        index.append(idx.reshape((1,) * i + (-1,) + (1,) * (k - 1 - i)))
    # one gather of every output from its source; the arrays broadcast to the output
    return x[(slice(None), slice(None)) + tuple(index)]


def _along(x, a, axis):
    """The constant matrix a (out, in) applied along axis of x."""
    if axis == x.ndim - 1:
        return x.matmul(a.t())
    shape = tuple(x.shape)
    y = a.matmul(x.reshape(*shape[:axis + 1], math.prod(shape[axis + 1:])))
    return y.reshape(*shape[:axis], a.shape[0], *shape[axis + 1:])


def _separable(x, matrices):
    """x with one (out, in) numpy matrix (None: leave the axis) per spatial axis."""
    y = x
    for i, m in enumerate(matrices):
        if m is not None:
            y = _along(y, _tensor(m, dtype=x.dtype, device=x.device), 2 + i)
    return y.clone() if y is x else y   # a new tensor, as PyTorch's, even for a copy


def _float_type(x):
    """ATen's opmath type: weights in float32 for float32 (and float16) inputs."""
    return np.float64 if x.dtype.name == "float64" else np.float32


def _area(x, out):
    dim = len(out)
    fn = "adaptive_avg_pool3d" if dim == 3 else "adaptive_avg_pool2d"
    if min(out) < 0:
        raise RuntimeError(f"{fn}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{', '.join(map(str, out))}}}")
    empty = [i for i in range(2, x.ndim) if x.shape[i] == 0]   # channels may be 0
    if empty:
        raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch "
                           f"dimensions, but input has sizes {list(x.shape)} with dimension "
                           f"{empty[0]} being empty")
    if not x.is_floating_point():
        raise NotImplementedError(f"\"{fn}\" not implemented for {x.dtype!r}: "
                                  f"interpolate(mode='area') needs a floating-point input; "
                                  f"convert it with .float()")
    ft = _float_type(x)
    return _separable(x, [None if n == o else _area_matrix(n, o, ft)
                          for n, o in zip(x.shape[2:], out)])


def interpolate(input, size=None, scale_factor=None, mode="nearest",  # noqa: A002
                align_corners=None, recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to ``size``
    or by ``scale_factor`` (one of them), as PyTorch's F.interpolate.

    Modes: 'nearest' and 'nearest-exact' (any rank), 'linear' (3-D), 'bilinear' (4-D),
    'trilinear' (5-D), with align_corners True/False, and 'area' (adaptive average
    pooling). 'bicubic', 'lanczos' and antialias=True are not implemented.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate(): argument 'input' must be a tg.Tensor, not "
                        f"{type(input).__name__}")
    x = input
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    elif not isinstance(align_corners, bool):
        raise TypeError(f"interpolate(): argument 'align_corners' must be bool, not "
                        f"{type(align_corners).__name__}")
    out, scales = _sizes(x, size, scale_factor,
                         recompute_scale_factor or (mode == "area" and size is None))
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and x.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    if mode in _LINEAR and x.ndim in (3, 4, 5) and x.ndim != _LINEAR[mode]:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs "
                                  f"{_LINEAR[mode]}D input")
    if mode in ("bicubic", "lanczos") and x.ndim == 4:
        raise NotImplementedError(f"interpolate: mode='{mode}' is not implemented in "
                                  f"tinygrad_edu (nearest, nearest-exact, linear, bilinear, "
                                  f"trilinear and area are)")
    if x.ndim not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", *_LINEAR):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported "
                                  f"(got {x.ndim}D) for the modes: {_ALL} (got {mode})")
    if antialias:
        raise NotImplementedError(f"interpolate: antialias=True (mode='{mode}') is not "
                                  f"implemented in tinygrad_edu")
    if mode == "area":
        return _area(x, out)
    _check_sizes(x, out, mode)
    if mode in ("nearest", "nearest-exact"):
        return _nearest(x, out, scales, mode == "nearest-exact")
    ft = _float_type(x)   # an axis that keeps its size is copied, whatever the scale (ATen)
    return _separable(x, [None if n == o else _linear_matrix(n, o, align_corners, s, ft)
                          for n, o, s in zip(x.shape[2:], out, scales)])
