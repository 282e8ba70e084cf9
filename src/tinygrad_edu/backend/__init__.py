"""Backend selection: one flat kernel module per backend, same names in all.

``TG_BACKEND=numpy|c`` picks the CPU backend; by default the compiled C
backend is used when it is importable, numpy otherwise (with a one-line
warning, so an install without a C compiler still works). CUDA tensors run on
``cupy_backend``, imported only when a CUDA device is first asked for.
"""
import os
import warnings

import numpy as np

from ..device import CPU, device
from . import numpy_backend

_cpu = None
_cuda = None
# array type -> backend: Function.apply's per-op lookup is one dict access
_BY_TYPE: dict = {}


def _load_cpu():
    choice = os.environ.get("TG_BACKEND", "c").strip().lower() or "c"
    if choice not in ("c", "numpy"):
        raise ValueError(f"TG_BACKEND must be 'c' or 'numpy', got {choice!r}")
    if choice == "numpy":
        return numpy_backend
    try:
        from . import c_backend
    except ImportError as e:
        warnings.warn(f"tinygrad_edu: C kernels unavailable ({e}); using the numpy backend",
                      RuntimeWarning, stacklevel=3)
        return numpy_backend
    return c_backend


def cpu_backend():
    """The backend module that runs CPU tensors."""
    global _cpu
    if _cpu is None:
        _cpu = _load_cpu()
        _BY_TYPE[np.ndarray] = _cpu
    return _cpu


def cuda_backend():
    """The CuPy backend; RuntimeError saying why when CUDA cannot be used here."""
    global _cuda
    if _cuda is None:
        from . import cupy_backend
        reason = cupy_backend.unavailable_reason()
        if reason:
            raise RuntimeError(f"CUDA is not available: {reason}")
        _cuda = cupy_backend
        _BY_TYPE[cupy_backend.xp.ndarray] = _cuda
    return _cuda


def cuda_available():
    """True if CuPy imports and sees a GPU (never raises)."""
    try:
        cuda_backend()
    except RuntimeError:
        return False
    return True


def get(dev="cpu"):
    """The backend for a device ('cpu', 'cuda', 'cuda:0', or a tg.device)."""
    dev = device(dev)
    if dev.type == "cpu":
        return cpu_backend()
    be = cuda_backend()
    be.check_index(dev.index)
    return be


def of_array(a):
    """The backend that owns array ``a`` (numpy -> CPU backend, CuPy -> CUDA)."""
    be = _BY_TYPE.get(type(a))
    if be is not None:
        return be
    if isinstance(a, np.ndarray):  # a subclass (np.memmap, ...)
        return cpu_backend()
    if _cuda is not None and isinstance(a, _cuda.xp.ndarray):
        return _cuda
    if np.isscalar(a) or isinstance(a, np.generic):
        return cpu_backend()
    raise TypeError(f"not a tensor array: {type(a).__name__}")


def device_of(a):
    """The tg.device where array ``a`` lives."""
    if type(a) is np.ndarray or _cuda is None:
        return CPU
    return _cuda.device_of(a) if isinstance(a, _cuda.xp.ndarray) else CPU


def writeable(a):
    """False for a read-only numpy array (a broadcast view, a user's frozen array);
    CuPy arrays are always writeable."""
    return getattr(a.flags, "writeable", True)


def to_device(a, dev):
    """Array ``a`` on device ``dev`` (the same array if it is already there)."""
    dev = device(dev)
    if dev.type == "cpu":
        return _cuda.to_host(a) if _cuda is not None and isinstance(a, _cuda.xp.ndarray) else a
    return get(dev).from_host(a)


def host(a):
    """The values of any backend array as a numpy array (a copy from the GPU; numpy
    arrays and scalars as they are)."""
    return np.asarray(to_device(a, CPU))


def backend_info():
    """Which backend runs CPU tensors and what the compiled core was built with."""
    be = cpu_backend()
    info = {"backend": be.name}
    if hasattr(be, "info"):
        info.update(be.info())
    return info
