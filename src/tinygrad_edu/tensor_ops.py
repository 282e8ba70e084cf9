"""Tensor operators and composite ops, as a mixin of ``Tensor``.

Each method validates its arguments (shapes, dims, dtypes) in Python, then
calls one primitive from ``functions`` or composes several.
"""
import functools
from typing import Any

import numpy as np

from . import dtypes
from . import functions as F
from .anomaly_mode import _anomaly
from .grad_mode import _mode as _grad_mode
from .backend import _BY_TYPE, of_array as _backend_of
from .shapes import broadcast_shapes

_SCALARS = (bool, int, float, np.number, np.bool_)
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _numpy_names(method):
    """Also accept numpy's spellings axis= and keepdims=, as PyTorch does."""
    @functools.wraps(method)
    def wrapper(self, *args, **kw):
        if kw:
            if "axis" in kw:
                kw["dim"] = kw.pop("axis")
            if "keepdims" in kw:
                kw["keepdim"] = kw.pop("keepdims")
        return method(self, *args, **kw)
    return wrapper


def _op_name(op):
    """An op's name for messages: given as a string or as its Function class."""
    return op if isinstance(op, str) else op.__name__.lower()


def _arith(fn, doc=None, reverse=False, floating=False):
    """The operator method for fn, an elementwise _Binary Function.

    Its fast lane serves the common cases: two float tensors of one class, dtype
    and array type, not both 0-d, or a float tensor (not 0-d) and a Python number.
    It goes straight to the backend kernel, which broadcasts, and
    ``fn._apply_same``. Everything else (mixed dtypes, 0-d results, devices,
    anomaly mode, shapes that do not broadcast, for PyTorch's error) takes the
    general ``_pair`` and ``apply`` path. The lane saves about 1 us of the 3 us a
    small op costs."""
    assert "forward" not in vars(fn), f"{fn.__name__}: the lane computes forward itself"
    kernel, record = fn.kernel, fn._apply_same

    def op(self, o):
        sd = self._data
        dt = sd.dtype
        if type(o) is type(self):
            od = o._data
            # identity tests: an equal dtype that is not the same object takes the slow path
            fast = ((dt is _F32 or dt is _F64) and od.dtype is dt and type(od) is type(sd)
                    and (sd.ndim or od.ndim))  # two 0-d arrays would give a numpy scalar
        elif type(o) is float or type(o) is int:
            fast = (dt is _F32 or dt is _F64) and type(sd) is np.ndarray and sd.ndim
            if fast:
                od = np.array(o, dt)  # a Python number takes our dtype
                o = self._cls._make(od, False)
        else:
            fast = False
        # an ndarray subclass (np.matrix) has no backend of its own: apply makes it plain
        be = _BY_TYPE.get(type(sd))
        if not fast or be is None or _anomaly.enabled:
            return self._binary(fn, o, reverse, floating)
        k = getattr(be, kernel)
        try:
            out = k(od, sd) if reverse else k(sd, od)
        except ValueError:  # shapes that do not broadcast: the general path words it
            return self._binary(fn, o, reverse, floating)
        if not (self._requires_grad or o._requires_grad) or not _grad_mode.enabled:
            return self._cls._make(out, False)
        return record(o, self, out, be) if reverse else record(self, o, out, be)

    op.__doc__ = doc
    return op


class TensorOps:
    __slots__ = ()
    _cls: Any = None  # set to Tensor by tensor.py

    # ---- argument helpers ------------------------------------------------------------
    def _axis(self, dim, ndim=None):
        ndim = self._data.ndim if ndim is None else ndim
        lo, hi = -max(ndim, 1), max(ndim, 1) - 1
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        if not lo <= dim <= hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                             f"but got {dim})")
        return int(dim) % max(ndim, 1) if ndim else 0

    def _axes(self, dim):
        """None (all axes) or a sorted tuple of distinct non-negative axes."""
        if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            return None
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        axes = tuple(sorted({self._axis(d) for d in dims}))
        if len(axes) != len(dims):
            raise RuntimeError(f"dim {list(dims)} appears multiple times in the list of dims")
        return axes if self._data.ndim else None

    def _lift(self, other):
        """Scalars, lists and arrays as tensors; a Python float with an integer tensor
        gives float32 (PyTorch's rule), other scalars take the tensor's dtype."""
        if isinstance(other, TensorOps):
            return other
        if isinstance(other, _SCALARS):
            dt = self.dtype
            if isinstance(other, (float, np.floating)) and not dt.is_floating_point:
                dt = dtypes.default_float
            elif dt == dtypes.bool_ and not isinstance(other, (bool, np.bool_)):
                dt = dtypes.int64
            return self._const(np.array(other, dtype=dt.np))
        return self._cls._lift_data(other)

    def _const(self, arr):
        """A constant tensor of a 0-d numpy array, on self's device."""
        if type(self._data) is not np.ndarray and self.is_cuda:
            arr = _backend_of(self._data).scalar(arr)
        return self._cls._make(arr, False)

    def _pair(self, other, reverse=False, op="operation", floating=False, broadcast=True):
        sd = self._data
        if isinstance(other, self._cls) and other._data.dtype == sd.dtype and \
                type(other._data) is type(sd) and (not floating or sd.dtype.kind == "f"):
            # the common cases, fast: same dtype, same shape or a plain broadcast
            od = other._data
            if broadcast and od.shape != sd.shape and od.ndim and sd.ndim:
                broadcast_shapes(sd.shape, od.shape, _op_name(op))
            return (other, self) if reverse else (self, other)
        if type(other) in (int, float) and sd.dtype.kind == "f":
            b = np.array(other, sd.dtype)
            b = self._cls._make(b, False) if type(sd) is np.ndarray else self._const(b)
            return (b, self) if reverse else (self, b)  # a Python number takes our dtype
        op = _op_name(op)
        b = self._lift(other)
        a = self
        if reverse:
            a, b = b, a
        if a.device != b.device and b._data.ndim == 0 and b.device == "cpu":
            b = a._const(b._data)  # a CPU scalar tensor joins any device, as in PyTorch
        elif a.device != b.device and a._data.ndim == 0 and a.device == "cpu":
            a = b._const(a._data)
        if a.device != b.device:
            raise RuntimeError(f"{op}: expected all tensors on the same device, got {a.device} "
                               f"and {b.device}")
        dt = dtypes.promote(a.dtype, b.dtype, a._data.ndim == 0, b._data.ndim == 0)
        if floating and not dt.is_floating_point:
            dt = dtypes.default_float
        if broadcast:
            broadcast_shapes(a._data.shape, b._data.shape, op)
        return a.to(dt), b.to(dt)

    def _binary(self, fn, other, reverse=False, floating=False):
        return fn.apply(*self._pair(other, reverse, fn, floating))

    def _floating(self):
        return self if self._data.dtype.kind == "f" else self.to(dtypes.default_float)

    def _compare(self, kernel, other):
        if other is None:  # `t == None` is a question about identity, as in PyTorch
            return kernel == "ne"
        a, b = self._pair(other, op=kernel)
        be = _backend_of(a._data)
        xp_a, xp_b = be.xp.broadcast_arrays(a._data, b._data)
        return self._cls._make(getattr(be, kernel)(xp_a, xp_b), False)

    # ---- arithmetic ---------------------------------------------------------------------
    __add__ = _arith(F.Add, "self + other, broadcasting; Python numbers take self's dtype.")
    __radd__ = _arith(F.Add, reverse=True)
    __sub__ = _arith(F.Sub, "self - other, broadcasting.")
    __rsub__ = _arith(F.Sub, reverse=True)
    __mul__ = _arith(F.Mul, "self * other, broadcasting.")
    __rmul__ = _arith(F.Mul, reverse=True)
    __truediv__ = _arith(F.Div, "self / other, broadcasting (integers divide as floats).",
                         floating=True)
    __rtruediv__ = _arith(F.Div, reverse=True, floating=True)
    __pow__ = _arith(F.Pow, "self ** other, broadcasting.")
    __rpow__ = _arith(F.Pow, reverse=True)
    def __matmul__(self, o): return self.matmul(o)
    def __rmatmul__(self, o): return self._lift(o).matmul(self)
    def __neg__(self): return F.Neg.apply(self)
    def __abs__(self): return self.abs()

    add, sub, mul, div, pow = __add__, __sub__, __mul__, __truediv__, __pow__
    multiply, subtract, divide, true_divide = mul, sub, div, div

    def __eq__(self, o):
        """Elementwise ==, a bool tensor (no gradient)."""
        return self._compare("eq", o)

    def __ne__(self, o):
        """Elementwise !=."""
        return self._compare("ne", o)

    def __lt__(self, o):
        """Elementwise <."""
        return self._compare("lt", o)

    def __le__(self, o):
        """Elementwise <=."""
        return self._compare("le", o)

    def __gt__(self, o):
        """Elementwise >."""
        return self._compare("gt", o)

    def __ge__(self, o):
        """Elementwise >=."""
        return self._compare("ge", o)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __and__(self, o): return self._cls._make(self._data & self._lift(o)._data, False)
    def __or__(self, o): return self._cls._make(self._data | self._lift(o)._data, False)
    def __invert__(self): return self._cls._make(~self._data, False)

    # ---- elementwise functions -------------------------------------------------------------
    def exp(self):
        """e to the power of each element."""
        return F.Exp.apply(self._floating())

    def log(self):
        """Natural logarithm (log 0 = -inf)."""
        return F.Log.apply(self._floating())

    def sqrt(self):
        """Square root of each element."""
        return F.Sqrt.apply(self._floating())

    def sin(self):
        """Sine of each element (radians)."""
        return F.Sin.apply(self._floating())

    def cos(self):
        """Cosine of each element (radians)."""
        return F.Cos.apply(self._floating())

    def tanh(self):
        """Hyperbolic tangent; its gradient is 1 - tanh(x)^2."""
        return F.Tanh.apply(self._floating())

    def sigmoid(self):
        """1 / (1 + e^-x), stable for any x; its gradient is s(1 - s)."""
        return F.Sigmoid.apply(self._floating())

    def abs(self):
        """Absolute value; the gradient is sign(x) (0 at 0)."""
        return F.Abs.apply(self)

    def sign(self):
        """-1, 0 or 1 per element (zero gradient)."""
        return F.Sign.apply(self)

    def relu(self):
        """max(x, 0); the gradient is 1 where x > 0."""
        return F.Relu.apply(self)

    def step(self):
        """Heaviside step: 1 where x > 0, else 0 (zero gradient)."""
        return F.Step.apply(self)

    def leaky_relu(self, negative_slope=0.01):
        """x where x > 0, else negative_slope * x."""
        return F.LeakyRelu.apply(self, negative_slope=float(negative_slope))

    def heaviside(self, values):
        """PyTorch's heaviside: step(x), with `values` where x == 0 (zero gradient)."""
        return F.Heaviside.apply(*self._pair(values, op="heaviside"))

    def maximum(self, other):
        """Elementwise larger of self and other (ties share the gradient)."""
        return self._binary(F.Maximum, other)

    def minimum(self, other):
        """Elementwise smaller of self and other (ties share the gradient)."""
        return self._binary(F.Minimum, other)

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        """Limit values to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorOps) or isinstance(max, TensorOps):
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        x = self if isinstance(min or 0, int) and isinstance(max or 0, int) else self._floating()
        return F.Clamp.apply(x, min=min, max=max)

    clip = clamp

    def where(self, condition, other):
        """``tg.where(condition, self, other)``."""
        return self._cls._where(condition, self, other)
