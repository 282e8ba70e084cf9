"""The compiled C backend: the numpy backend's interface on the csrc/ kernels.

The only importer of ``tinygrad_edu._tg_c``; raises ImportError when it is not
built (or was built for CPU features this machine lacks), so the backend
selector falls back to numpy. float32/float64 run in C; other dtypes, tiny
arrays and ops without a kernel go to numpy_backend. Every array is made
contiguous and its shape and dtype checked here: C only sees flat buffers.
"""
import math as _math
import os as _os
from typing import Any as _Any

import numpy as np

from . import _blas
from . import numpy_backend as _ref

try:
    from .. import _tg_c
except ImportError as _e:  # not built: no compiler at install time
    raise ImportError(f"tinygrad_edu._tg_c is not built ({_e})") from _e

_ffi: _Any = _tg_c.ffi  # annotated: c_gemm/c_fused import these in a cycle
_lib: _Any = _tg_c.lib

# An -mavx2 build auto-vectorises everywhere, so one AVX2 instruction may sit
# in any kernel: refuse the whole library rather than crash with SIGILL.
if _lib.tg_built_avx2() and not _lib.tg_cpu_avx2():
    raise ImportError("tinygrad_edu._tg_c was built with AVX2; this CPU lacks it")
if _lib.tg_built_fma() and not _lib.tg_cpu_fma():
    raise ImportError("tinygrad_edu._tg_c was built with FMA; this CPU lacks it")

# The kernels' pool (csrc/pool.c) reads OMP_NUM_THREADS; TG_NUM_THREADS wins.
if _os.environ.get("TG_NUM_THREADS", "").strip():
    _lib.tg_set_num_threads(int(_os.environ["TG_NUM_THREADS"]))
# numpy's OpenBLAS pool must not fight ours (backend/_blas.py says why): one
# OpenBLAS thread, unless the user chose a count or ours is one thread anyway
if _lib.tg_get_num_threads() > 1:
    _blas.limit_at_import()

# Large temporaries reuse heap memory instead of fresh (page-faulting) mmaps;
# TG_MALLOC_TUNE=0 keeps glibc's defaults.
if _os.environ.get("TG_MALLOC_TUNE", "1") != "0":
    _lib.tg_tune_malloc(256 << 20, 512 << 20)

name = "c"
xp = np
errstate = np.errstate
reduce_losses = _ref.reduce_losses
is_one = _ref.is_one
check_classes = _ref.check_classes

# Below these sizes (elements; matmul: multiply-adds) numpy_backend answers.
# A C call costs ~2 us here (checks, np.empty, ffi.from_buffer per operand)
# against ~1 us for a small numpy ufunc. Measured with timeit, f32, on the
# 2-core AVX2 dev box (C/numpy, us, 1 thread): add 4.6/1.6 at 2k and 25/22 at
# 128k (memory-bound: C only wins on two threads, which binary ops use from 64k:
# add 64k 8.4/10.7, 128k 14.3/22.8 with the pool awake; 32k 7.3/5.2); exp
# 1.8/2.2 at 64 and 92/199 at 128k; sigmoid 1.9/8.7 at 64; relu 2.1/2.5 at
# 2k; sum 13/10 at 32k, 24/32 at 128k; softmax 2.4/10.6 at 64. log and tanh are
# vectorised (vmath_t.h); the crossovers measured against numpy_backend, 1
# thread, f32/f64: log 64/256, tanh 4096/256, sqrt, leaky_relu and
# relu_backward (numpy: np.where) below 64, step never (0.9-1.0x). matmul (and
# linear, same rule; packed AVX2 GEMM vs numpy's OpenBLAS, both 1 thread,
# medians on a loaded box): 64^3 12/9 us, 96^3 29/24, 128^3 61/54, 192^3
# 185/170, 10x128x512 25/36; below 2*64^3 the call overhead (~3 us against
# ~1) decides, above it our kernels run so no numpy pool is woken (OpenBLAS
# is held to one thread, see _blas.py).
_MEMORY_BOUND = 1 << 16
_MIN_SIZE = {
    "neg": _MEMORY_BOUND, "abs": _MEMORY_BOUND, "sqrt": 0,
    "add": _MEMORY_BOUND, "sub": _MEMORY_BOUND, "mul": _MEMORY_BOUND,
    "div": _MEMORY_BOUND, "maximum": _MEMORY_BOUND, "minimum": _MEMORY_BOUND,
    "relu_backward": 0, "relu": 2048, "leaky_relu": 0, "step": _MEMORY_BOUND,
    "pow": 1 << 14, "exp": 0, "sigmoid": 0, "softmax": 0, "log_softmax": 0,
    "log": 128, "tanh": 2048,
    "sum": 1 << 16, "max": 1 << 16, "min": 1 << 16, "argmax": 1 << 16, "argmin": 1 << 16,
    "matmul": 2 * 64 ** 3,
}


class _Kernels:
    """The C entry points and pointer type of one dtype."""

    def __init__(self, sfx, ctype):
        self.ctype = ctype + "[]"
        for kind in ("unary", "binary", "reduce", "matmul", "softmax"):
            setattr(self, kind, getattr(_lib, f"tg_{kind}_{sfx}"))


_KERNELS = {np.dtype(np.float32): _Kernels("f32", "float"),
            np.dtype(np.float64): _Kernels("f64", "double")}


def _p(k, arr):
    # the last line of defence: C indexes flat, naturally aligned buffers
    if not (arr.flags.c_contiguous and arr.flags.aligned):
        raise ValueError("internal error: a non-contiguous or misaligned array reached C")
    return _ffi.from_buffer(k.ctype, arr)


def _contig(x, dtype=None):
    """x as a C-contiguous, aligned array (ascontiguousarray keeps a misaligned buffer
    as it is, e.g. np.frombuffer at an odd offset: loading floats from it is UB in C)."""
    x = np.ascontiguousarray(x, dtype)
    return x if x.flags.aligned else x.copy()


def _check(status):
    if status == -2:
        raise MemoryError("C kernel could not allocate scratch memory")
    if status:
        raise RuntimeError(f"C kernel failed with status {status}")


def _out(out, shape, dtype, no_alias=()):
    """A fresh result, or the caller's `out` once shape/dtype/layout are checked.

    `no_alias`: inputs the kernel reads after writing out (matmul, softmax).
    """
    if out is None:
        return np.empty(shape, dtype)
    if (out.shape != tuple(shape) or out.dtype != dtype or not out.flags.c_contiguous
            or not out.flags.aligned or not out.flags.writeable):
        raise ValueError(f"out must be a writeable, aligned, C-contiguous {dtype} array of "
                         f"shape {shape}")
    if any(np.shares_memory(out, x) for x in no_alias):
        raise ValueError("out must not overlap this kernel's inputs")
    return out


def _small(name, x, out):
    """Route to numpy: small arrays, and 0-d ones (numpy answers those with a scalar)."""
    return out is None and (x.size < _MIN_SIZE[name] or x.ndim == 0)


def _prod(dims):
    return _math.prod(int(d) for d in dims)


# ---- elementwise ------------------------------------------------------------
# The ufunc each of these numpy_backend functions is, called directly for small
# arrays: one Python layer less where a call costs about a microsecond.
_UFUNC = {"neg": np.negative, "abs": np.absolute, "add": np.add, "sub": np.subtract,
          "mul": np.multiply, "maximum": np.maximum, "minimum": np.minimum}
_fb = _ffi.from_buffer


# The C path below is written for call overhead (~1.5 us: np.empty and one
# ffi.from_buffer per operand dominate): no helper calls on the common path.
def _unary(op, ref):
    name = ref.__name__
    small = _UFUNC.get(name, ref)

    def kernel(x, out=None):
        if out is None:
            if x.size < _MIN_SIZE[name] or not x.ndim:
                return small(x)
            k = _KERNELS.get(x.dtype)
            if k is None:
                return ref(x)
            if not (x.flags.c_contiguous and x.flags.aligned):
                x = _contig(x)
            out = np.empty(x.shape, x.dtype)
        else:
            k = _KERNELS.get(x.dtype)
            if k is None:
                return ref(x)
            x = _contig(x)
            out = _out(out, x.shape, x.dtype)
        status = k.unary(op, 0.0, _fb(k.ctype, x), x.size, _fb(k.ctype, out))
        if status:
            _check(status)
        return out
    kernel.__name__, kernel.__doc__ = ref.__name__, ref.__doc__
    return kernel


def _binary(op, ref):
    name = ref.__name__
    small = _UFUNC.get(name, ref)

    def kernel(a, b, out=None):
        if out is None and (a.size < _MIN_SIZE[name] or not a.ndim):
            return small(a, b)
        k = _KERNELS.get(a.dtype)
        # mismatches go to numpy, which broadcasts/promotes or raises as the spec does
        if k is None or b.dtype != a.dtype or a.shape != b.shape:
            return ref(a, b)
        if not (a.flags.c_contiguous and b.flags.c_contiguous
                and a.flags.aligned and b.flags.aligned):
            a, b = _contig(a), _contig(b)
        out = np.empty(a.shape, a.dtype) if out is None else _out(out, a.shape, a.dtype)
        status = k.binary(op, _fb(k.ctype, a), _fb(k.ctype, b), a.size, _fb(k.ctype, out))
        if status:
            _check(status)
        return out
    kernel.__name__, kernel.__doc__ = ref.__name__, ref.__doc__
    return kernel


neg = _unary(_lib.TG_NEG, _ref.neg)
exp = _unary(_lib.TG_EXP, _ref.exp)
log = _unary(_lib.TG_LOG, _ref.log)
sqrt = _unary(_lib.TG_SQRT, _ref.sqrt)
abs = _unary(_lib.TG_ABS, _ref.abs)  # noqa: A001 - backend names mirror the ops
tanh = _unary(_lib.TG_TANH, _ref.tanh)
sigmoid = _unary(_lib.TG_SIGMOID, _ref.sigmoid)
relu = _unary(_lib.TG_RELU, _ref.relu)
step = _unary(_lib.TG_STEP, _ref.step)
sign, sin, cos = _ref.sign, _ref.sin, _ref.cos


def leaky_relu(x, slope, out=None):
    """x where x > 0, else x * slope."""
    k = _KERNELS.get(x.dtype)
    if k is None or _small("leaky_relu", x, out):
        return _ref.leaky_relu(x, slope)
    x = _contig(x)
    out = _out(out, x.shape, x.dtype)
    _check(k.unary(_lib.TG_LEAKY_RELU, float(slope), _p(k, x), x.size, _p(k, out)))
    return out


add = _binary(_lib.TG_ADD, _ref.add)
sub = _binary(_lib.TG_SUB, _ref.sub)
mul = _binary(_lib.TG_MUL, _ref.mul)
div = _binary(_lib.TG_DIV, _ref.div)
pow = _binary(_lib.TG_POW, _ref.pow)  # noqa: A001
maximum = _binary(_lib.TG_MAXIMUM, _ref.maximum)
minimum = _binary(_lib.TG_MINIMUM, _ref.minimum)
relu_backward = _binary(_lib.TG_RELU_BACKWARD, _ref.relu_backward)
eq, ne, lt, le, gt, ge = _ref.eq, _ref.ne, _ref.lt, _ref.le, _ref.gt, _ref.ge
where = _ref.where


# ---- reductions -------------------------------------------------------------
def _norm_axes(ndim, axis):
    """Sorted distinct non-negative axes, or None when numpy should judge them."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else axis
    try:
        norm = sorted({int(a) + ndim if int(a) < 0 else int(a) for a in axes})
    except TypeError:
        return None
    if len(norm) != len(axes) or any(not 0 <= a < ndim for a in norm):
        return None
    return tuple(norm)


def _reduce(op, x, axes, keepdims, want_arg):
    """(values, args) of x reduced over `axes` by one C call."""
    k = _KERNELS[x.dtype]
    shape = x.shape
    if axes and axes[-1] - axes[0] == len(axes) - 1:  # one run of adjacent axes
        x = _contig(x)
        outer, n, inner = (_prod(shape[:axes[0]]), _prod(shape[axes[0]:axes[-1] + 1]),
                           _prod(shape[axes[-1] + 1:]))
    else:  # gather the reduced axes last; numpy copies likewise for such sums
        kept = [i for i in range(x.ndim) if i not in axes]
        x = _contig(x.transpose(kept + list(axes)))
        outer, n, inner = _prod(shape[i] for i in kept), _prod(shape[i] for i in axes), 1
    out = np.empty(outer * inner, x.dtype)
    arg = np.empty(outer * inner, np.int64) if want_arg else None
    argp = _ffi.from_buffer("int64_t[]", arg) if want_arg else _ffi.NULL
    _check(k.reduce(op, _p(k, x), outer, n, inner, argp, _p(k, out)))
    res = tuple(1 if i in axes else d for i, d in enumerate(shape) if keepdims or i not in axes)
    # a 0-d result is a numpy scalar, as np.sum returns
    fix = (lambda r: r[0]) if res == () else (lambda r: r.reshape(res))
    return fix(out), (fix(arg) if want_arg else None)


def _reducer(op, ref):
    def kernel(x, axis=None, keepdims=False):
        if x.size < _MIN_SIZE[ref.__name__] or x.dtype not in _KERNELS:  # cheap tests first
            return ref(x, axis=axis, keepdims=keepdims)
        axes = _norm_axes(x.ndim, axis)
        if axes is None or x.size == 0:
            return ref(x, axis=axis, keepdims=keepdims)
        return _reduce(op, x, axes, keepdims, False)[0]
    kernel.__name__, kernel.__doc__ = ref.__name__, ref.__doc__
    return kernel


def _arg_reducer(op, ref):
    def kernel(x, axis=None, keepdims=False):
        k = _KERNELS.get(x.dtype)
        if (k is None or x.size == 0 or x.size < _MIN_SIZE[ref.__name__]
                or not (axis is None or isinstance(axis, (int, np.integer)))):
            return ref(x, axis=axis, keepdims=keepdims)
        if axis is None:
            arg = _reduce(op, x.reshape(-1), (0,), False, True)[1]
            return arg.reshape((1,) * x.ndim) if keepdims else arg
        axes = _norm_axes(x.ndim, axis)
        if axes is None:
            return ref(x, axis=axis, keepdims=keepdims)
        return _reduce(op, x, axes, keepdims, True)[1]
    kernel.__name__, kernel.__doc__ = ref.__name__, ref.__doc__
    return kernel


sum = _reducer(_lib.TG_SUM, _ref.sum)  # noqa: A001
max = _reducer(_lib.TG_MAX, _ref.max)  # noqa: A001
min = _reducer(_lib.TG_MIN, _ref.min)  # noqa: A001
argmax = _arg_reducer(_lib.TG_MAX, _ref.argmax)
argmin = _arg_reducer(_lib.TG_MIN, _ref.argmin)


# ---- matmul and linear: c_gemm.py (it takes the helpers above) ----------------
from .c_gemm import linear, matmul  # noqa: E402,F401


# ---- nn ---------------------------------------------------------------------
def _softmax(log_, ref):
    def kernel(x, axis=-1, out=None):
        k = _KERNELS.get(x.dtype)
        if (k is None or x.ndim == 0 or not isinstance(axis, (int, np.integer))
                or not -x.ndim <= axis < x.ndim or x.size == 0
                or _small(ref.__name__, x, out)):
            return ref(x, axis=axis)
        axis = int(axis) % x.ndim
        last = axis == x.ndim - 1
        xs = _contig(x if last else np.moveaxis(x, axis, -1))
        res = _out(out if last else None, xs.shape, x.dtype, (xs,))
        _check(k.softmax(log_, _p(k, xs), xs.size // xs.shape[-1], xs.shape[-1], _p(k, res)))
        if last:
            return res
        res = np.moveaxis(res, -1, axis)
        if out is not None:
            _out(out, x.shape, x.dtype)[...] = res
            return out
        return res
    kernel.__name__, kernel.__doc__ = ref.__name__, ref.__doc__
    return kernel


softmax = _softmax(0, _ref.softmax)
log_softmax = _softmax(1, _ref.log_softmax)


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


# ---- fused kernels: c_fused.py (imported last: it takes the helpers above) -----
from .c_fused import (act_bias_backward, adam_step, bias_grad, leaky_relu_backward,  # noqa: E402,F401
                      sgd_step, softmax_cross_entropy)
