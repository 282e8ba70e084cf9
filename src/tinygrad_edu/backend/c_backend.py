"""The compiled C backend: numpy_backend's interface on the csrc/ kernels.

float32/float64 run in C; other dtypes, small arrays, broadcasting operands and
ops without a kernel go to numpy_backend, the specification: which one is
decided by ``_MIN_SIZE`` in ``_c_kernels`` for every elementwise op, in one place.
Every array is made contiguous and its shape and dtype checked here: C only sees
flat buffers. ``out=`` (C backend only) writes the result into a given array,
checked first: the tests use it to put guard regions around outputs. The fused
kernels of the loss and the optimizers are in c_fused.py.
"""
import math as _math
import operator as _operator

import numpy as np

from . import numpy_backend as _ref
from ._c_lib import KERNELS as _KERNELS, buf as _buf, check as _check, contig as _contig
from ._c_lib import ffi as _ffi, lib as _lib, ptr as _ptr, result as _result
from .numpy_backend import _BINARY, _UNARY
from .c_fused import adam_step, sgd_step, softmax_cross_entropy  # noqa: F401
from .c_fused import batch_norm, batch_norm_grad, index_add, lstm_cell  # noqa: F401

name = "c"
xp = np
_empty = np.empty

# Below these sizes (elements; matmul: multiply-adds) numpy_backend answers: a C
# call costs ~1.5 us (checks, np.empty, ffi.from_buffer per operand) against ~0.5
# us for a small numpy ufunc. Measured with timeit, f32, on the 2-core AVX2 dev
# box (C/numpy, us, 1 thread): add 4.6/1.6 at 2k and 25/22 at 128k
# (memory-bound: C only wins on two threads, which binary ops use from 64k: add
# 64k 8.4/10.7, 128k 14.3/22.8 with the pool awake; 32k 7.3/5.2); exp 1.8/2.2 at
# 64 and 92/199 at 128k; sigmoid 1.9/8.7 at 64; relu 2.1/2.5 at 2k; sum 13/10 at
# 32k, 24/32 at 128k; softmax 2.4/10.6 at 64. log and tanh are vectorised
# (vmath_t.h); their crossovers, f32/f64: log 64/256, tanh 4096/256; sqrt,
# leaky_relu and the activation backwards (numpy: np.where) below 64; step never
# (0.9-1.0x). matmul (packed AVX2 GEMM vs numpy's OpenBLAS, both 1 thread):
# 64^3 12/9 us, 96^3 29/24, 128^3 61/54, 10x128x512 25/36; below 2*64^3 the
# call overhead decides, above it our kernels run so no numpy pool is woken
# (OpenBLAS is held to one thread, see _blas.py). unfold / fold (sizes: elements of
# the columns) run in C from the first element: numpy's slicing costs ~1-3 us a kernel
# tap (unfold 3x3 of 1x3x3 with padding 1: C/numpy 4.5/32 us, fold 3.8/21; 2x2 stride
# 2 of 1x16x16: 6.5/8.5 and 6.7/19). The exception is a 1x1 kernel without padding,
# one strided copy in numpy ("unfold_copy"): 3.6/2.4 us at 64 elements, 13/8.7 at 64k,
# 17/14.5 at 128k, 31/47 at 256k (f32, two threads from 64k; f64 35/43 at 128k).
# Ops missing here have no C kernel.
_MEMORY_BOUND = 1 << 16
_MIN_SIZE = {
    "neg": _MEMORY_BOUND, "abs": _MEMORY_BOUND, "step": _MEMORY_BOUND, "sqrt": 0,
    "exp": 0, "sigmoid": 0, "leaky_relu": 0, "relu": 2048, "log": 128, "tanh": 2048,
    "add": _MEMORY_BOUND, "sub": _MEMORY_BOUND, "mul": _MEMORY_BOUND, "div": _MEMORY_BOUND,
    "maximum": _MEMORY_BOUND, "minimum": _MEMORY_BOUND, "pow": 1 << 14,
    "relu_backward": 0, "leaky_relu_backward": 0, "erf": 0, "gelu": 0, "gelu_tanh": 0,
    "gelu_backward": 0, "gelu_tanh_backward": 0,
    "sum": 1 << 16, "max": 1 << 16, "min": 1 << 16, "argmax": 1 << 16, "argmin": 1 << 16,
    "softmax": 0, "layer_norm": 0, "matmul": 2 * 64 ** 3, "unfold": 0, "unfold_copy": 1 << 17,
    "fold": 0,
}
_NEVER = 1 << 62
_OP = {"neg": _lib.TG_NEG, "exp": _lib.TG_EXP, "log": _lib.TG_LOG, "sqrt": _lib.TG_SQRT,
       "abs": _lib.TG_ABS, "tanh": _lib.TG_TANH, "sigmoid": _lib.TG_SIGMOID,
       "relu": _lib.TG_RELU, "leaky_relu": _lib.TG_LEAKY_RELU, "step": _lib.TG_STEP,
       "add": _lib.TG_ADD, "sub": _lib.TG_SUB, "mul": _lib.TG_MUL, "div": _lib.TG_DIV,
       "pow": _lib.TG_POW, "maximum": _lib.TG_MAXIMUM, "minimum": _lib.TG_MINIMUM,
       "relu_backward": _lib.TG_RELU_BACKWARD,
       "leaky_relu_backward": _lib.TG_LEAKY_RELU_BACKWARD, "erf": _lib.TG_ERF,
       "gelu": _lib.TG_GELU, "gelu_tanh": _lib.TG_GELU_TANH,
       "gelu_backward": _lib.TG_GELU_BACKWARD, "gelu_tanh_backward": _lib.TG_GELU_TANH_BACKWARD,
       "sum": _lib.TG_SUM, "max": _lib.TG_MAX, "min": _lib.TG_MIN, "argmax": _lib.TG_MAX,
       "argmin": _lib.TG_MIN}


def _c_kernels(op, x, out=None):
    """The C kernels for op on x, or None where numpy answers: no kernel for op or
    x's dtype, or x below op's size (0-d arrays too: numpy answers those with a
    scalar). ``out`` asks for C whatever the size. This is the routing rule of
    every kernel; unary and binary, which run for every small op, inline it."""
    if out is None and (x.size < _MIN_SIZE.get(op, _NEVER) or not x.ndim):
        return None
    return _KERNELS.get(x.dtype) if op in _MIN_SIZE else None


# ---- elementwise -------------------------------------------------------------------
# These two run for every small op, so they inline _c_kernels (a call costs ~60 ns),
# skip the star-call of an empty params (~40 ns) and test contiguity once, then hand
# C the raw buffers: a C exp of 16 floats costs ~1.1 us in all, numpy's ~0.6.
def unary(op, x, *params, out=None):
    """numpy_backend.unary in C (leaky_relu's slope as the param)."""
    if out is None and (x.size < _MIN_SIZE.get(op, _NEVER) or not x.ndim):
        return _UNARY[op](x, *params) if params else _UNARY[op](x)
    k = _KERNELS.get(x.dtype) if op in _MIN_SIZE else None
    if k is None:
        return _UNARY[op](x, *params)
    flags = x.flags
    if not (flags.c_contiguous and flags.aligned):
        x = _contig(x)
    out = _empty(x.shape, x.dtype) if out is None else _result(out, x.shape, x.dtype)
    status = k.unary(_OP[op], float(params[0]) if params else 0.0, _buf(k.ctype, x),
                     x.size, _buf(k.ctype, out))
    if status:
        _check(status)
    return out


def binary(op, a, b, *params, out=None):
    """numpy_backend.binary in C, for two arrays of one dtype and shape (numpy
    broadcasts, promotes or raises for the others, as the specification does)."""
    if out is None and (a.size < _MIN_SIZE.get(op, _NEVER) or not a.ndim):
        return _BINARY[op](a, b, *params) if params else _BINARY[op](a, b)
    k = _KERNELS.get(a.dtype) if op in _MIN_SIZE else None
    if k is None or b.dtype != a.dtype or b.shape != a.shape:
        return _BINARY[op](a, b, *params)
    fa, fb = a.flags, b.flags
    if not (fa.c_contiguous and fa.aligned and fb.c_contiguous and fb.aligned):
        a, b = _contig(a), _contig(b)
    out = _empty(a.shape, a.dtype) if out is None else _result(out, a.shape, a.dtype)
    status = k.binary(_OP[op], float(params[0]) if params else 0.0, _buf(k.ctype, a),
                      _buf(k.ctype, b), a.size, _buf(k.ctype, out))
    if status:
        _check(status)
    return out


# ---- reductions ----------------------------------------------------------------------
def _prod(dims):
    return _math.prod(int(d) for d in dims)


def reduce(op, x, axis=None, keepdims=False):  # noqa: A001 - the interface's name
    """numpy_backend.reduce in C: one pass over x viewed as (outer, n, inner)."""
    k = _c_kernels(op, x)
    if k is None or x.size == 0 or axis == ():
        return _ref._REDUCE[op](x, axis=axis, keepdims=keepdims)
    arg = op in ("argmax", "argmin")
    if axis is None:  # argmax / argmin of the flattened array
        axes = tuple(range(x.ndim))
        if arg:
            x = x.reshape(-1)
            found = reduce(op, x, 0)
            return found.reshape((1,) * len(axes)) if keepdims else found
    else:
        axes = (axis,) if arg else axis
    shape = x.shape
    if axes[-1] - axes[0] == len(axes) - 1:  # one run of adjacent axes
        x = _contig(x)
        outer, n, inner = (_prod(shape[:axes[0]]), _prod(shape[axes[0]:axes[-1] + 1]),
                           _prod(shape[axes[-1] + 1:]))
    else:  # gather the reduced axes last; numpy copies likewise for such sums
        kept = [i for i in range(x.ndim) if i not in axes]
        x = _contig(x.transpose(kept + list(axes)))
        outer, n, inner = _prod(shape[i] for i in kept), _prod(shape[i] for i in axes), 1
    out = np.empty(outer * inner, x.dtype)
    idx = np.empty(outer * inner, np.int64) if arg else None
    _check(k.reduce(_OP[op], _ptr(k, x), outer, n, inner,
                    _buf("int64_t[]", idx) if arg else _ffi.NULL, _ptr(k, out)))
    res = tuple(1 if i in axes else d for i, d in enumerate(shape) if keepdims or i not in axes)
    out = idx if arg else out
    return out[0] if res == () else out.reshape(res)  # 0-d: a scalar, as numpy gives


# ---- matmul and the linear layer -------------------------------------------------------
def _as_c(x, t):
    """x C-contiguous, flipping the transpose flag instead of copying a transposed view."""
    if x.flags.c_contiguous and x.flags.aligned:
        return x, t
    xt = np.swapaxes(x, -1, -2)
    if xt.flags.c_contiguous and xt.flags.aligned:
        return xt, not t
    return _contig(x), t


def matmul(a, b, ta=False, tb=False, out=None):
    """numpy_backend.matmul on the packed AVX2 GEMM (2-D or equally batched)."""
    k = _KERNELS.get(a.dtype)
    if a.ndim > 2 and b.ndim == 2 and not ta and k is not None and b.dtype == a.dtype:
        # a's leading dims are rows of one 2-D product (nn.Linear on [B, T, C])
        lead = a.shape[:-1]
        flat = matmul(_contig(a).reshape(-1, a.shape[-1]), b, False, tb)
        return flat.reshape(lead + flat.shape[-1:])
    if (k is None or b.dtype != a.dtype or a.ndim < 2 or a.ndim != b.ndim
            or a.shape[:-2] != b.shape[:-2]):
        return _ref.matmul(a, b, ta, tb)
    m, ka = a.shape[-1:-3:-1] if ta else a.shape[-2:]
    kb, n = b.shape[-1:-3:-1] if tb else b.shape[-2:]
    batch = _prod(a.shape[:-2])
    if ka != kb or (out is None and batch * m * n * ka < _MIN_SIZE["matmul"]):
        return _ref.matmul(a, b, ta, tb)
    (a, ta), (b, tb) = _as_c(a, bool(ta)), _as_c(b, bool(tb))
    out = _result(out, a.shape[:-2] + (m, n), a.dtype, (a, b))
    _check(k.matmul(_ptr(k, a), _ptr(k, b), batch, m, n, ka, int(ta), int(tb), _ptr(k, out)))
    return out


def linear(x, w, b=None, out=None):
    """numpy_backend.linear as one GEMM that adds the bias as it stores its result."""
    k = _KERNELS.get(x.dtype)
    if (k is None or x.ndim != 2 or w.ndim != 2 or w.dtype != x.dtype
            or x.shape[1] != w.shape[1]
            or (b is not None and (b.dtype != x.dtype or b.shape != (w.shape[0],)))
            or (out is None and x.shape[0] * w.shape[0] * x.shape[1] < _MIN_SIZE["matmul"])):
        return _ref.linear(x, w, b)
    x, w = _contig(x), _contig(w)
    ins = (x, w) if b is None else (x, w, _contig(b))
    out = _result(out, (x.shape[0], w.shape[0]), x.dtype, ins)
    _check(k.linear(_ptr(k, x), _ptr(k, w), _ffi.NULL if b is None else _ptr(k, ins[2]),
                    x.shape[0], w.shape[0], x.shape[1], _ptr(k, out)))
    return out


# ---- layer norm by rows --------------------------------------------------------------------
def layer_norm(x, w=None, b=None, eps=1e-5):
    """numpy_backend.layer_norm in C: one pass for the statistics, one for the output."""
    k = _c_kernels("layer_norm", x)
    if k is None or x.ndim != 2 or x.shape[1] == 0 or any(
            p is not None and (p.dtype != x.dtype or p.shape != x.shape[1:]) for p in (w, b)):
        return _ref.layer_norm(x, w, b, eps)
    x = _contig(x)
    w, b = (None if p is None else _contig(p) for p in (w, b))
    out, xhat = np.empty_like(x), np.empty_like(x)
    rstd = np.empty((x.shape[0], 1), x.dtype)
    _check(k.layer_norm(_ptr(k, x), _ffi.NULL if w is None else _ptr(k, w),
                        _ffi.NULL if b is None else _ptr(k, b), x.shape[0], x.shape[1],
                        float(eps), _ptr(k, out), _ptr(k, xhat), _ptr(k, rstd)))
    return out, xhat, rstd


def layer_norm_grad(g, xhat, rstd):
    """numpy_backend.layer_norm_grad in C, one pass a row."""
    k = _c_kernels("layer_norm", g)
    if k is None or g.ndim != 2 or g.shape[1] == 0 or xhat.dtype != g.dtype or \
            rstd.dtype != g.dtype:
        return _ref.layer_norm_grad(g, xhat, rstd)
    g, xhat, rstd = _contig(g), _contig(xhat), _contig(rstd)
    dx = np.empty_like(g)
    _check(k.layer_norm_grad(_ptr(k, g), _ptr(k, xhat), _ptr(k, rstd), g.shape[0], g.shape[1],
                             _ptr(k, dx)))
    return dx


# ---- softmax by rows ---------------------------------------------------------------------
def softmax(x, axis=-1, log=False, out=None):
    """numpy_backend.softmax in C, one row at a time along axis."""
    k = _c_kernels("softmax", x, out)
    if k is None or x.size == 0:
        return _ref.softmax(x, axis, log)
    axis = axis % x.ndim
    last = axis == x.ndim - 1
    xs = _contig(x if last else np.moveaxis(x, axis, -1))
    res = _result(out if last else None, xs.shape, x.dtype, (xs,))
    _check(k.softmax(int(log), _ptr(k, xs), xs.size // xs.shape[-1], xs.shape[-1],
                     _ptr(k, res)))
    if last:
        return res
    res = np.moveaxis(res, -1, axis)
    if out is not None:
        _result(out, x.shape, x.dtype)[...] = res
        return out
    return res


# ---- convolution windows: im2col and col2im ----------------------------------------------
# No image that fits in memory has a side, kernel, stride or padding past this; such
# calls (and ints past int64, which cffi refuses) stay the specification's to answer
_DIM_MAX = (1 << 31) - 1


def _geometry(size, kernel, dilation, padding, stride):
    """(h, w), (kh, kw, dh, dw, ph, pw, sh, sw), (oh, ow) as ints for C, or None where
    numpy_backend answers: a parameter C refuses, or no window at all (the specification
    returns an empty result for some strides and raises for others: it stays the rule)."""
    try:
        (h, w), (kh, kw), (dh, dw), (ph, pw), (sh, sw) = size, kernel, dilation, padding, stride
        h, w, *params = map(_operator.index, (h, w, kh, kw, dh, dw, ph, pw, sh, sw))
    except (TypeError, ValueError):
        return None
    kh, kw, dh, dw, ph, pw, sh, sw = params
    if (min(kh, kw, dh, dw, sh, sw) < 1 or min(h, w, ph, pw) < 0
            or max(h, w, *params) > _DIM_MAX):
        return None
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if oh < 1 or ow < 1:
        return None
    return (h, w), params, (oh, ow)


def _spec(out, res):
    """numpy_backend's result, written into ``out`` when one was given."""
    if out is None:
        return res
    _result(out, res.shape, res.dtype)[...] = res
    return out


def unfold(x, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1), out=None):
    """numpy_backend.unfold (im2col) in C, one (n, c) plane per task."""
    k = _KERNELS.get(x.dtype)
    geo = _geometry(x.shape[2:], kernel, dilation, padding, stride) if x.ndim == 4 else None
    if k is None or geo is None:
        return _spec(out, _ref.unfold(x, kernel, dilation, padding, stride))
    (n, c, h, w), (params, (oh, ow)) = x.shape, geo[1:]
    shape = (n, c * params[0] * params[1], oh * ow)
    copy = params[0] * params[1] == 1 and not (params[4] or params[5])
    if out is None and n * shape[1] * shape[2] < _MIN_SIZE["unfold_copy" if copy else "unfold"]:
        return _ref.unfold(x, kernel, dilation, padding, stride)
    x = _contig(x)
    out = _result(out, shape, x.dtype, (x,))
    _check(k.im2col(_ptr(k, x), n, c, h, w, *params, _ptr(k, out)))
    return out


def fold(cols, size, kernel, dilation=(1, 1), padding=(0, 0), stride=(1, 1), out=None):
    """numpy_backend.fold (col2im, the adjoint of unfold) in C; each (n, c) plane is
    summed by one task, so overlapping windows never race."""
    k = _KERNELS.get(cols.dtype)
    geo = _geometry(size, kernel, dilation, padding, stride) if cols.ndim == 3 else None
    if k is None or geo is None:
        return _spec(out, _ref.fold(cols, size, kernel, dilation, padding, stride))
    (h, w), params, (oh, ow) = geo
    (kh, kw), (n, ck, windows) = params[:2], cols.shape
    if ck % (kh * kw):  # PyTorch's messages; the specification fails to reshape here
        raise ValueError(f"Expected size of input's dimension 1 to be divisible by the product "
                         f"of kernel_size, but got input.size(1)={ck} and "
                         f"kernel_size={(kh, kw)}")
    if windows != oh * ow:
        raise ValueError(f"Given output_size={(h, w)}, kernel_size={(kh, kw)}, "
                         f"dilation={params[2:4]}, padding={params[4:6]}, stride={params[6:]}, "
                         f"expected size of input's dimension 2 to match the calculated number "
                         f"of sliding blocks {oh} * {ow} = {oh * ow}, but got "
                         f"input.size(2)={windows}.")
    if out is None and cols.size < _MIN_SIZE["fold"]:
        return _ref.fold(cols, size, kernel, dilation, padding, stride)
    cols = _contig(cols)
    out = _result(out, (n, ck // (kh * kw), h, w), cols.dtype, (cols,))
    _check(k.col2im(_ptr(k, cols), n, ck // (kh * kw), h, w, *params, _ptr(k, out)))
    return out


def info():
    """What the compiled core was built with and what this CPU offers."""
    return {
        "compiled": True,
        "avx2": bool(_lib.tg_built_avx2()),
        "fma": bool(_lib.tg_built_fma()),
        "openmp": bool(_lib.tg_built_openmp()),
        "threads": int(_lib.tg_get_num_threads()),
        "cpu_avx2": bool(_lib.tg_cpu_avx2()),
        "cpu_fma": bool(_lib.tg_cpu_fma()),
        "cflags": _ffi.string(_lib.tg_compile_flags()).decode(),
    }


def max_pool(x, kernel, dilation=(1, 1), stride=(1, 1), out=None, arg=None):
    """numpy_backend.max_pool in C: one pass over each window, one (n, c) plane per task."""
    k = _KERNELS.get(x.dtype)
    geo = _geometry(x.shape[2:], kernel, dilation, (0, 0), stride) if x.ndim == 4 else None
    if k is None or geo is None:
        res = _ref.max_pool(x, kernel, dilation, stride)
        return (res if out is None else
                (_spec(out, res[0]), _spec(arg, res[1])))
    (n, c, h, w), (kh, kw, dh, dw, _, _, sh, sw), (oh, ow) = x.shape, geo[1], geo[2]
    x = _contig(x)
    out = _result(out, (n, c, oh, ow), x.dtype, (x,))
    arg = _result(arg, (n, c, oh, ow), np.dtype(np.int64))
    _check(k.maxpool(_ptr(k, x), n, c, h, w, kh, kw, dh, dw, sh, sw, _ptr(k, out),
                     _ffi.from_buffer("int64_t[]", arg)))
    return out, arg


def max_pool_backward(grad, arg, size, kernel, dilation=(1, 1), stride=(1, 1), out=None):
    """numpy_backend.max_pool_backward in C; each plane is summed by one task, so
    windows sharing a maximum never race; C checks every arg against its plane."""
    k = _KERNELS.get(grad.dtype)
    geo = _geometry(size, kernel, dilation, (0, 0), stride) if grad.ndim == 4 else None
    if (k is None or geo is None or arg.shape != grad.shape or arg.dtype != np.int64
            or grad.shape[2:] != geo[2]):
        return _spec(out, _ref.max_pool_backward(grad, arg, size, kernel, dilation, stride))
    (h, w), (kh, kw, dh, dw, _, _, sh, sw) = geo[0], geo[1]
    n, c = grad.shape[:2]
    grad, arg = _contig(grad), _contig(arg)
    out = _result(out, (n, c, h, w), grad.dtype, (grad,))
    _check(k.maxpool_backward(_ptr(k, grad), _ffi.from_buffer("int64_t[]", arg), n, c, h, w,
                              kh, kw, dh, dw, sh, sw, _ptr(k, out)))
    return out
