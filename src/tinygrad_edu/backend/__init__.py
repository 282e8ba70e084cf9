"""Backend selection: one flat kernel module per backend, same names in all.

``TG_BACKEND=numpy|c`` picks the CPU backend; by default the compiled C
backend is used when it is importable, numpy otherwise (with a one-line
warning, so an install without a C compiler still works).
"""
import os
import warnings

from . import numpy_backend

_cpu = None


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
    return _cpu


def get(device="cpu"):
    """The backend for a device string ('cpu' only until the CUDA backend lands)."""
    if device == "cpu":
        return cpu_backend()
    raise RuntimeError(f"unknown device {device!r}: only 'cpu' is supported")


def backend_info():
    """Which backend runs CPU tensors and what the compiled core was built with."""
    be = cpu_backend()
    info = {"backend": be.name}
    if hasattr(be, "info"):
        info.update(be.info())
    return info
