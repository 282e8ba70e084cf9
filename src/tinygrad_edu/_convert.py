"""Conversions at the Tensor's door: data to arrays (numpy's inference with
PyTorch's dtype rules; GPU arrays stay on their GPU) and the arguments of
``Tensor.to`` / ``Module.to``."""
import numpy as np

from . import backend as _backend
from . import dtypes
from .device import device as _device
from .tensor_ops import TensorOps


def parse_to(*args, **kwargs):
    """(dtype, device) from the arguments of ``Tensor.to`` / ``Module.to``: a dtype, a
    device (string or tg.device), a tensor to match, or keywords. A CUDA device that
    cannot be used here raises, saying why."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)  # copies here are ordered on one stream anyway
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, TensorOps):
            dtype, device = a.dtype, a.device
        elif isinstance(a, str):
            device = a
        else:
            dtype = a
    if device is not None:
        device = _device(device)
        if device.type != "cpu":
            _backend.get(device)
    return (None if dtype is None else dtypes.to_dtype(dtype)), device


def _moves(src, dst):
    """True if a tensor on src must be copied to be on dst ('cuda' means the current GPU)."""
    return dst is not None and (src.type != dst.type or dst.index not in (None, src.index))


def _to_array(data, dtype):
    """numpy array from nested lists, scalars, arrays or Tensors (PyTorch's inference:
    Python floats -> float32, ints -> int64, bools -> bool)."""
    if isinstance(data, TensorOps):
        data = data._data
    if not isinstance(data, np.ndarray) and hasattr(data, "__cuda_array_interface__"):
        return _device_array(data, dtype)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"could not convert strings to a tensor: {data!r}")
    try:
        arr = np.array(data) if dtype is None else np.array(data, dtype=dtype.np)
    except ValueError as e:  # ragged nesting, or strings inside the lists
        raise (TypeError if "string" in str(e) else ValueError)(
            f"could not convert {type(data).__name__} to a tensor: every row must have the "
            f"same length and hold numbers ({e})") from None
    if dtype is not None:
        return arr
    if arr.dtype == object:
        raise TypeError(f"could not convert {type(data).__name__} to a tensor: "
                        "expected numbers, nested lists of numbers or an array")
    native = isinstance(data, (np.ndarray, np.generic))  # numpy keeps its own dtype
    if arr.dtype.kind == "f" and not native:
        arr = arr.astype(dtypes.default_float.np)  # Python floats -> float32
    elif arr.dtype.kind in "iu" and not native:
        arr = arr.astype(np.int64)
    elif arr.dtype.kind in "USc":
        what = "complex numbers" if arr.dtype.kind == "c" else "strings"
        raise TypeError(f"could not convert {what} to a tensor: {data!r}")
    if arr.dtype not in dtypes._BY_NP:
        arr = arr.astype(np.float64 if arr.dtype.kind in "fc" else np.int64)
    return arr


def _device_array(arr, dtype):
    """A GPU array (CuPy's or a CUDA tensor's) stays on its GPU, with numpy's rules."""
    arr = _backend.cuda_backend().xp.asarray(arr)
    if dtype is not None:
        return arr.astype(dtype.np, copy=False)
    if arr.dtype not in dtypes._BY_NP:
        return arr.astype(np.float64 if arr.dtype.kind in "fc" else np.int64)
    return arr
