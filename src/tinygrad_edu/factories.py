"""Ways to make tensors: from data, filled, random, ranges (PyTorch's names)."""
import numpy as np

from . import dtypes
from .tensor import Tensor, _to_array
from .shapes import size_arg
from ._rng import draw, generator, manual_seed  # noqa: F401 - re-exported

def _new(array, dtype=None, requires_grad=False, device=None):
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"device {device!r} is not available: this build of tinygrad_edu "
                           "runs on the CPU only")
    t = Tensor._make(array if dtype is None else array.astype(dtypes.to_dtype(dtype).np,
                                                              copy=False))
    if requires_grad:
        t.requires_grad = True
    return t


def _float(dtype):
    return (dtypes.to_dtype(dtype) or dtypes.default_float).np


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of data; dtype inferred (float -> float32, int -> int64)."""
    return _new(_to_array(data, dtypes.to_dtype(dtype)).copy(), None, requires_grad, device)


def from_numpy(array):
    """A tensor sharing memory with a numpy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.to_dtype(array.dtype)
    return Tensor._make(array)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros (float32 unless dtype says otherwise)."""
    return _new(np.zeros(size_arg(size, "zeros"), _float(dtype)), None, requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    """A tensor of ones."""
    return _new(np.ones(size_arg(size, "ones"), _float(dtype)), None, requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    """An uninitialised tensor (its values are whatever the memory held)."""
    return _new(np.empty(size_arg(size, "empty"), _float(dtype)), None, requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of ``size`` filled with ``fill_value`` (dtype from the value if not given)."""
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"full(): fill_value must be a number, not {type(fill_value).__name__}")
    if dtype is None:
        dtype = dtypes.to_dtype(type(fill_value)) if isinstance(fill_value, (bool, int, float)) \
            else dtypes.default_float
    return _new(np.full(size_arg((size,), "full"), fill_value, dtypes.to_dtype(dtype).np), None,
                requires_grad, device)


def rand(*size, dtype=None, requires_grad=False, device=None):
    """Uniform samples from [0, 1)."""
    return _new(draw("uniform", size_arg(size, "rand"), _float(dtype)), None, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal samples."""
    return _new(draw("normal", size_arg(size, "randn"), _float(dtype)), None,
                requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, dtype=None, requires_grad=False, device=None):
    """Samples of N(mean, std^2): scalars with ``size``, or elementwise for tensor
    mean/std (broadcast), as ``torch.normal``."""
    if size is None:
        shape = np.broadcast_shapes(np.shape(_values(mean)), np.shape(_values(std)))
    else:
        shape = size_arg((size,), "normal")
    if np.any(np.asarray(_values(std)) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_values(std)}")
    dt = dtype or next((x.dtype for x in (mean, std) if isinstance(x, Tensor)), None)
    z = draw("normal", shape, _float(dt))
    return _new((z * _values(std) + _values(mean)).astype(z.dtype, copy=False), None,
                requires_grad, device)


def _values(x):
    return x.detach().numpy() if isinstance(x, Tensor) else x


def randint(low, high=None, size=(), dtype=None, device=None):
    """Uniform integers in [low, high); ``randint(high, size)`` as in PyTorch too."""
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"randint(): expects 'low' to be less than 'high', but got "
                           f"low={low} >= high={high}")
    return _new(generator().integers(low, high, size=size_arg((size,), "randint")),
                dtype or dtypes.int64, False, device)


def randperm(n, dtype=None, device=None):
    """A random permutation of 0..n-1 (int64)."""
    n = size_arg((n,), "randperm")[0]
    return _new(generator().permutation(n), dtype or dtypes.int64, False, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """Values from start to end (exclusive); int64 when all arguments are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if ints else dtypes.default_float
    return _new(np.arange(start, end, step).astype(dtypes.to_dtype(dtype).np), None,
                requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """``steps`` evenly spaced values from start to end inclusive."""
    steps = size_arg((steps,), "linspace")[0]
    return _new(np.linspace(start, end, steps, dtype=np.float64).astype(_float(dtype)),
                None, requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The n x m identity matrix."""
    n, m = size_arg((n, n if m is None else m), "eye")
    return _new(np.eye(n, m, dtype=_float(dtype)), None, requires_grad, device)


def _like(t, fn, dtype, requires_grad):
    dt = dtypes.to_dtype(dtype) or t.dtype
    return _new(fn(t.shape, dt.np), None, requires_grad, None)


def zeros_like(t, dtype=None, requires_grad=False):
    """Zeros with t's shape (and dtype unless given)."""
    return _like(t, np.zeros, dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    """Ones with t's shape."""
    return _like(t, np.ones, dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    """fill_value with t's shape."""
    return _like(t, lambda s, d: np.full(s, fill_value, d), dtype, requires_grad)


def empty_like(t, dtype=None, requires_grad=False):
    """Uninitialised, with t's shape."""
    return _like(t, np.empty, dtype, requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    """Uniform [0, 1) samples with t's shape."""
    return _like(t, lambda s, d: draw("uniform", s, d), dtype, requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    """Standard normal samples with t's shape."""
    return _like(t, lambda s, d: draw("normal", s, d), dtype, requires_grad)
