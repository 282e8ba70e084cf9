"""Data types with PyTorch's names (``tg.float32``...), each wrapping a numpy dtype."""
import builtins

import numpy as np


class DType:
    """A tensor element type; compares equal to the matching numpy dtype too."""
    __slots__ = ("name", "np", "is_floating_point")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"

    @property
    def itemsize(self):
        return self.np.itemsize

    def __repr__(self):
        return f"tg.{self.name}"

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.np == other.np
        try:
            return self.np == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.np)


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
uint8 = DType("uint8", np.uint8)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
bool_ = DType("bool", np.bool_)
half, float, double = float16, float32, float64  # noqa: A001 - PyTorch aliases
short, int, long = int16, int32, int64  # noqa: A001

_BY_NP = {d.np: d for d in (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)}
_PY = {"float": float32, "int": int64, "bool": bool_}
default_float = float32


def to_dtype(x):
    """Normalise a DType, numpy dtype, Python type or name to a DType."""
    if isinstance(x, DType):
        return x
    if x is None:
        return None
    if isinstance(x, type) and x.__name__ in _PY and x.__module__ == "builtins":
        return _PY[x.__name__]
    try:
        return _BY_NP[np.dtype(x)]
    except (TypeError, KeyError):
        if "bfloat16" in str(x):
            raise TypeError(f"unsupported dtype {x!r}: tinygrad_edu stores arrays in numpy, "
                            "which has no bfloat16; use tg.float16 (half) or tg.float32") from None
        raise TypeError(f"unsupported dtype {x!r}; use one of tg.float16, tg.float32, "
                        "tg.float64, tg.uint8, tg.int8, tg.int16, tg.int32, tg.int64, "
                        "tg.bool") from None


def of_array(a):
    """The DType of a numpy/cupy array (an unsupported one is converted by the caller)."""
    return _BY_NP[a.dtype]


def _category(d):
    return 2 if d.is_floating_point else (0 if d.np.kind == "b" else 1)


def promote(a, b, a_is_0d=False, b_is_0d=False):
    """PyTorch-style result type of two tensor dtypes (bool < ints < floats, wider wins).

    A 0-d tensor beside a dimensioned one acts like a Python scalar: it only
    decides the result when it is of a higher category (float over int)."""
    if a == b:
        return a
    if a_is_0d != b_is_0d and _category(a) == _category(b):
        return b if a_is_0d else a
    if a.is_floating_point != b.is_floating_point:  # int + float32 stays float32
        return a if a.is_floating_point else b
    return to_dtype(np.promote_types(a.np, b.np))


class finfo:  # noqa: N801 - PyTorch's name
    """Machine limits of a floating dtype (default: the default float), as torch.finfo:
    bits, eps, max, min, tiny (= smallest_normal), resolution, dtype (its name)."""

    def __init__(self, type=None):  # noqa: A002 - PyTorch's argument name
        d = to_dtype(type) or default_float
        if not d.is_floating_point:
            raise TypeError(f"tg.finfo() requires a floating point input type (got {d!r}). "
                            f"Use tg.iinfo to handle integer types")
        f = np.finfo(d.np)
        self.bits, self.dtype = f.bits, d.name
        num = builtins.float
        self.eps, self.max, self.min = num(f.eps), num(f.max), num(f.min)
        self.tiny = self.smallest_normal = num(f.smallest_normal)
        self.resolution = 10.0 ** -f.precision  # PyTorch's: exactly 1e-6 for float32

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:  # noqa: N801 - PyTorch's name
    """Limits of an integer dtype, as torch.iinfo: bits, min, max, dtype (its name)."""

    def __init__(self, type):  # noqa: A002 - PyTorch's argument name
        d = to_dtype(type)
        if d.is_floating_point:
            raise TypeError(f"tg.iinfo() requires an integer input type (got {d!r}). "
                            f"Use tg.finfo to handle floating point types")
        if d.np.kind == "b":
            raise TypeError(f"{d!r} is not supported by tg.iinfo")
        i = np.iinfo(d.np)
        self.bits, self.dtype = i.bits, d.name
        self.min, self.max = builtins.int(i.min), builtins.int(i.max)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
