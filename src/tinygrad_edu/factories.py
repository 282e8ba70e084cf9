"""Ways to make tensors: from data, filled, random, ranges (PyTorch's names)."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from ._convert import to_array
from .backend import cuda_backend, get as _get_backend, to_device
from .device import CPU, device as _device
from .tensor import Tensor
from .shapes import size_arg
from ._rng import draw, generator, resolve as _resolve  # noqa: F401 - re-exported

_default = CPU


def set_default_device(dev: object) -> None:
    """Where factory functions (tg.tensor, tg.zeros, tg.randn, ...) and new layers put
    their tensors when no ``device=`` is given; ``None`` restores the CPU."""
    global _default
    new = CPU if dev is None else _device(dev)
    if new.type == "cuda":
        _get_backend(new)  # fails here, with the reason, if CUDA is unusable
    _default = new


def get_default_device() -> _device:
    """The device factory functions use when no ``device=`` is given."""
    return _default


def _new(array: Any, dtype: Any = None, requires_grad: bool = False,
         device: Any = None) -> Tensor:
    # made on the CPU (so seeded draws are the same on every device), then moved
    dev = _device(device) if device is not None else get_default_device()
    if device is not None or dev is not CPU:
        array = to_device(array, dev)
    t = Tensor._make(array if dtype is None else array.astype(dtypes.to_dtype(dtype).np,
                                                              copy=False))
    if requires_grad:
        t.requires_grad = True
    return t


def _float(dtype: Any) -> np.dtype:
    return (dtypes.to_dtype(dtype) or dtypes.default_float).np


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           device: str | None = None) -> Tensor:
    """A new tensor holding a copy of data; dtype inferred (float -> float32, int -> int64)."""
    data = data._data if isinstance(data, Tensor) else data
    return _new(to_array(data, dtypes.to_dtype(dtype)).copy(), None, requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: str | None = None) -> Tensor:
    """data as a tensor, sharing memory where it can, as ``torch.as_tensor``: a tensor
    as it is (converted if dtype or device say so), a numpy array without a copy,
    other data (lists, numbers) as ``tg.tensor`` reads it."""
    if isinstance(data, Tensor):
        return data if dtype is None and device is None else \
            data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray) and data.dtype in dtypes._BY_NP:
        return _new(np.asarray(data), dtype, False, device)
    return _new(to_array(data, dtypes.to_dtype(dtype)), None, False, device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a numpy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    dtypes.to_dtype(array.dtype)
    # a plain ndarray view of a subclass (np.matrix keeps 2-D rows): same memory, numpy rules
    return Tensor._make(array if type(array) is np.ndarray else np.asarray(array))


def from_dlpack(ext_tensor: Any) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack (a PyTorch tensor,
    a numpy or CuPy array, ...), on the CPU or a CUDA GPU, as ``torch.from_dlpack``."""
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack expects an object with __dlpack__ (such as a PyTorch "
                        f"tensor or a numpy array), got {type(ext_tensor).__name__}")
    dev = ext_tensor.__dlpack_device__() if hasattr(ext_tensor, "__dlpack_device__") else None
    if dev is not None and int(dev[0]) == 2:  # kDLCUDA
        return Tensor._make(to_array(cuda_backend().xp.from_dlpack(ext_tensor), None))
    if dev is not None and int(dev[0]) != 1:
        raise RuntimeError(f"from_dlpack: only CPU and CUDA memory can be shared (DLPack "
                           f"device type {int(dev[0])}); move it to the CPU first")
    return from_numpy(np.from_dlpack(ext_tensor))


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False,
          device: str | None = None) -> Tensor:
    """A tensor of zeros (float32 unless dtype says otherwise)."""
    return _new(np.zeros(size_arg(size, "zeros"), _float(dtype)), None, requires_grad, device)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False,
         device: str | None = None) -> Tensor:
    """A tensor of ones."""
    return _new(np.ones(size_arg(size, "ones"), _float(dtype)), None, requires_grad, device)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False,
          device: str | None = None) -> Tensor:
    """An uninitialised tensor (its values are whatever the memory held)."""
    return _new(np.empty(size_arg(size, "empty"), _float(dtype)), None, requires_grad, device)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False,
         device: str | None = None) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype from the value if not given)."""
    if not isinstance(fill_value, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"full(): fill_value must be a number, not {type(fill_value).__name__}")
    if dtype is None:
        dtype = dtypes.to_dtype(type(fill_value)) if isinstance(fill_value, (bool, int, float)) \
            else dtypes.default_float
    return _new(np.full(size_arg((size,), "full"), fill_value, dtypes.to_dtype(dtype).np), None,
                requires_grad, device)


def rand(*size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False,
         device: str | None = None) -> Tensor:
    """Uniform samples from [0, 1) (from ``generator``, a tg.Generator, if given)."""
    rng = _resolve(generator, "rand")
    return _new(draw("uniform", size_arg(size, "rand"), _float(dtype), rng), None,
                requires_grad, device)


def randn(*size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False,
          device: str | None = None) -> Tensor:
    """Standard normal samples (from ``generator``, a tg.Generator, if given)."""
    rng = _resolve(generator, "randn")
    return _new(draw("normal", size_arg(size, "randn"), _float(dtype), rng), None,
                requires_grad, device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: Any = None, requires_grad: bool = False, device: str | None = None) -> Tensor:
    """Samples of N(mean, std^2): scalars with ``size``, or elementwise for tensor
    mean/std (broadcast), as ``torch.normal``."""
    if size is None:
        shape = np.broadcast_shapes(np.shape(_values(mean)), np.shape(_values(std)))
    else:
        shape = size_arg((size,), "normal")
    if np.any(np.asarray(_values(std)) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_values(std)}")
    dt = dtype or next((x.dtype for x in (mean, std) if isinstance(x, Tensor)), None)
    z = draw("normal", shape, _float(dt), _resolve(generator, "normal"))
    return _new((z * _values(std) + _values(mean)).astype(z.dtype, copy=False), None,
                requires_grad, device)


def _values(x: Any) -> Any:
    return x.detach().numpy() if isinstance(x, Tensor) else x


def randint(low: int, high: Any = None, size: Any = (), *, generator: Any = None,
            dtype: Any = None, device: str | None = None) -> Tensor:
    """Uniform integers in [low, high); ``randint(high, size)`` as in PyTorch too."""
    if isinstance(high, (tuple, list)):
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"randint(): expects 'low' to be less than 'high', but got "
                           f"low={low} >= high={high}")
    rng = _resolve(generator, "randint")
    return _new(rng.integers(low, high, size=size_arg((size,), "randint")),
                dtype or dtypes.int64, False, device)


def randperm(n: int, *, generator: Any = None, dtype: Any = None,
             device: str | None = None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    n = size_arg((n,), "randperm")[0]
    return _new(_resolve(generator, "randperm").permutation(n), dtype or dtypes.int64, False,
                device)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None,
           requires_grad: bool = False, device: str | None = None) -> Tensor:
    """Values from start to end (exclusive), step apart; int64 when all arguments are
    ints. The length is ceil((end - start) / step) in float64 and value i is
    start + i * step, as PyTorch computes them (int64 truncates the arguments to
    integers first; the other integer dtypes truncate start and step after the length).
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if ints else dtypes.default_float
    dt = dtypes.to_dtype(dtype)
    if dt == dtypes.int64:  # PyTorch truncates the arguments for int64 first
        given, (start, end, step) = step, (int(v) for v in (start, end, step))
        if step == 0 and given != 0:
            raise ValueError("arange(): step must be nonzero (after truncating it to an "
                             "integer for the int64 result)")
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if not all(np.isfinite(float(v)) for v in (start, end)):
        raise RuntimeError(f"arange(): unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange(): upper bound and larger bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    n = int(np.ceil((float(end) - float(start)) / float(step)))
    if dt.is_floating_point:
        values = float(start) + np.arange(n, dtype=np.float64) * float(step)
        return _new(values.astype(dt.np), None, requires_grad, device)
    # the other integer dtypes: the length from the arguments, then integer steps
    whole = int(start) + np.arange(n, dtype=np.int64) * int(step)
    return _new(whole.astype(dt.np), None, requires_grad, device)


def linspace(start: Any, end: Any, steps: int, dtype: Any = None, requires_grad: bool = False,
             device: str | None = None) -> Tensor:
    """``steps`` evenly spaced values from start to end inclusive."""
    steps = size_arg((steps,), "linspace")[0]
    return _new(np.linspace(start, end, steps, dtype=np.float64).astype(_float(dtype)),
                None, requires_grad, device)


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, dtype: Any = None,
             requires_grad: bool = False, device: str | None = None) -> Tensor:
    """``steps`` values from base**start to base**end, evenly spaced in the exponent."""
    steps = size_arg((steps,), "logspace")[0]
    dt = dtypes.to_dtype(dtype) or dtypes.default_float
    exps = np.linspace(start, end, steps, dtype=np.float64)
    values = np.power(float(base), exps)
    if not dt.is_floating_point:
        values = np.round(values)  # base**k for integer k, without float error
    return _new(values.astype(dt.np), None, requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False,
        device: str | None = None) -> Tensor:
    """The n x m identity matrix."""
    n, m = size_arg((n, n if m is None else m), "eye")
    return _new(np.eye(n, m, dtype=_float(dtype)), None, requires_grad, device)


def _like(t: Tensor, fn: Any, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    dt = dtypes.to_dtype(dtype) or t.dtype
    return _new(fn(t.shape, dt.np), None, requires_grad, t.device if device is None else device)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, *,
               device: Any = None) -> Tensor:
    """Zeros with t's shape (and dtype and device unless given)."""
    return _like(t, np.zeros, dtype, requires_grad, device)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, *,
              device: Any = None) -> Tensor:
    """Ones with t's shape."""
    return _like(t, np.ones, dtype, requires_grad, device)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False, *,
              device: Any = None) -> Tensor:
    """fill_value with t's shape (converted to t's dtype: 2.7 fills an int64 tensor
    with 2)."""
    return _like(t, lambda s, d: np.full(s, fill_value).astype(d), dtype, requires_grad, device)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, *,
               device: Any = None) -> Tensor:
    """Uninitialised, with t's shape."""
    return _like(t, np.empty, dtype, requires_grad, device)


def _float_draw(kind: str, kernel: str) -> Any:
    def fn(shape: Any, dt: np.dtype) -> Any:
        if dt.kind != "f":
            raise NotImplementedError(f'"{kernel}" not implemented for '
                                      f"{dtypes.to_dtype(dt)!r}; pass dtype=tg.float32")
        return draw(kind, shape, dt)
    return fn


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, *,
              device: Any = None) -> Tensor:
    """Uniform [0, 1) samples with t's shape (floating dtypes only)."""
    return _like(t, _float_draw("uniform", "rand_like"), dtype, requires_grad, device)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False, *,
               device: Any = None) -> Tensor:
    """Standard normal samples with t's shape (floating dtypes only)."""
    return _like(t, _float_draw("normal", "randn_like"), dtype, requires_grad, device)


def randint_like(t: Tensor, low: int = 0, high: Any = None, *, dtype: Any = None,
                 requires_grad: bool = False, device: Any = None) -> Tensor:
    """Uniform integers in [low, high) with t's shape and dtype (``randint_like(t, high)``
    as in PyTorch too)."""
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={low} >= to={high}")
    return _like(t, lambda s, d: generator().integers(low, high, size=s).astype(d), dtype,
                 requires_grad, device)
