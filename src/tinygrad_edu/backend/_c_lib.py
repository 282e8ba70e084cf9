"""The compiled kernels (csrc/, built by _build.py) and what every C wrapper needs.

The only importer of ``tinygrad_edu._tg_c``: raises ImportError when it is not
built (or was built for CPU features this machine lacks), so the backend
selector falls back to numpy. The helpers here make arrays fit the ABI of
tg_kernels.h: C sees only C-contiguous, aligned buffers of a known length.
"""
import os
from typing import Any

import numpy as np

from . import _blas

try:
    from .. import _tg_c
except ImportError as _e:  # not built: no compiler at install time
    raise ImportError(f"tinygrad_edu._tg_c is not built ({_e})") from _e

ffi: Any = _tg_c.ffi
lib: Any = _tg_c.lib

# An -mavx2 build auto-vectorises everywhere, so one AVX2 instruction may sit
# in any kernel: refuse the whole library rather than crash with SIGILL.
if lib.tg_built_avx2() and not lib.tg_cpu_avx2():
    raise ImportError("tinygrad_edu._tg_c was built with AVX2; this CPU lacks it")
if lib.tg_built_fma() and not lib.tg_cpu_fma():
    raise ImportError("tinygrad_edu._tg_c was built with FMA; this CPU lacks it")

# The kernels' pool (csrc/pool.c) reads OMP_NUM_THREADS; TG_NUM_THREADS wins.
if os.environ.get("TG_NUM_THREADS", "").strip():
    lib.tg_set_num_threads(int(os.environ["TG_NUM_THREADS"]))
# numpy's OpenBLAS pool must not fight ours (backend/_blas.py says why): one
# OpenBLAS thread, unless the user chose a count or ours is one thread anyway
if lib.tg_get_num_threads() > 1:
    _blas.limit_at_import()

# Large temporaries reuse heap memory instead of fresh (page-faulting) mmaps;
# TG_MALLOC_TUNE=0 keeps glibc's defaults.
if os.environ.get("TG_MALLOC_TUNE", "1") != "0":
    lib.tg_tune_malloc(256 << 20, 512 << 20)


class Kernels:
    """The C entry points and pointer type of one dtype."""

    def __init__(self, sfx, ctype):
        self.ctype = ctype + "[]"
        for kind in ("unary", "binary", "reduce", "matmul", "softmax", "linear",
                     "softmax_xent", "sgd", "adam", "im2col", "col2im", "maxpool",
                     "maxpool_backward", "layer_norm", "layer_norm_grad", "batch_norm",
                     "batch_norm_grad", "index_add", "lstm_cell"):
            setattr(self, kind, getattr(lib, f"tg_{kind}_{sfx}"))


KERNELS = {np.dtype(np.float32): Kernels("f32", "float"),
           np.dtype(np.float64): Kernels("f64", "double")}
buf = ffi.from_buffer  # array -> C pointer, no copy


def ptr(k, arr):
    """arr as k's pointer type; the last line of defence before C indexes it flat."""
    if not (arr.flags.c_contiguous and arr.flags.aligned):
        raise ValueError("internal error: a non-contiguous or misaligned array reached C")
    return buf(k.ctype, arr)


def contig(x, dtype=None):
    """x as a C-contiguous, aligned array (ascontiguousarray keeps a misaligned buffer
    as it is, e.g. np.frombuffer at an odd offset: loading floats from it is UB in C)."""
    if dtype is None and x.flags.c_contiguous and x.flags.aligned:
        return x
    x = np.ascontiguousarray(x, dtype)
    return x if x.flags.aligned else x.copy()


def check(status):
    """Raise for a kernel's non-zero status (-2: out of memory)."""
    if status == -2:
        raise MemoryError("C kernel could not allocate scratch memory")
    if status:
        raise RuntimeError(f"C kernel failed with status {status}")


def result(out, shape, dtype, no_alias=()):
    """A fresh result array, or the caller's ``out`` once its shape, dtype and layout
    are checked. ``no_alias``: inputs the kernel reads after writing out."""
    if out is None:
        return np.empty(shape, dtype)
    if (out.shape != tuple(shape) or out.dtype != dtype or not out.flags.c_contiguous
            or not out.flags.aligned or not out.flags.writeable):
        raise ValueError(f"out must be a writeable, aligned, C-contiguous {dtype} array of "
                         f"shape {shape}")
    if any(np.shares_memory(out, x) for x in no_alias):
        raise ValueError("out must not overlap this kernel's inputs")
    return out
