"""Data to arrays at the Tensor's door: numpy's inference with PyTorch's dtype
rules (Python floats -> float32, ints -> int64); GPU arrays stay on their GPU."""
import numpy as np

from . import backend as _backend
from . import dtypes


def to_array(data, dtype):
    """numpy array from nested lists, scalars or arrays (PyTorch's inference:
    Python floats -> float32, ints -> int64, bools -> bool)."""
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
