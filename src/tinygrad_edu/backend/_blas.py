"""Thread count of numpy's own BLAS (OpenBLAS), through its C API via ctypes.

Why: numpy's OpenBLAS keeps a pool of its own. When a numpy matmul and our
kernels take turns, each pool's threads spin or sleep while the other works,
and on a 2-core machine every switch can cost milliseconds. The C backend
therefore limits OpenBLAS to one thread at import (its remaining calls are
small) unless the user chose a count (OPENBLAS_NUM_THREADS or
TG_BLAS_THREADS). threadpoolctl is not needed: the library is found in the
process's own memory map (or numpy's bundled ``numpy.libs``) and its
``openblas_set_num_threads`` is called under whichever symbol suffix that
build uses.
"""
import ctypes
import glob
import os

import numpy as np

# scipy-openblas wheels (numpy >= 2) prefix and suffix every symbol
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")
_lib = None


def _candidates():
    try:
        with open("/proc/self/maps") as f:  # already loaded by numpy: the very copy in use
            for line in f:
                path = line.split()[-1]
                if "openblas" in os.path.basename(path).lower() and path.startswith("/"):
                    yield path
    except OSError:
        pass
    libs = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    yield from sorted(glob.glob(os.path.join(libs, "*openblas*")))


def _find():
    global _lib
    if _lib is None:
        _lib = False
        for path in _candidates():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
            getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
            if setter is not None and getter is not None:
                setter.restype, getter.restype = None, ctypes.c_int
                _lib = (setter, getter)
                break
    return _lib or None


def get_threads():
    """OpenBLAS's thread count, or None when numpy does not use OpenBLAS."""
    found = _find()
    return int(found[1]()) if found else None


def set_threads(n):
    """Set OpenBLAS's thread count; returns the previous count (None: no OpenBLAS)."""
    found = _find()
    if not found:
        return None
    before = int(found[1]())
    found[0](int(n))
    return before


def limit_at_import():
    """One OpenBLAS thread unless the user chose a count; returns the count set or None."""
    want = os.environ.get("TG_BLAS_THREADS", "").strip()
    if not want and os.environ.get("OPENBLAS_NUM_THREADS", "").strip():
        return None  # the user's own choice for numpy
    n = int(want) if want else 1
    return n if set_threads(n) is not None else None
