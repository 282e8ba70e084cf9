"""Arithmetic of the Tensor (a mixin of ``Tensor``): operators, elementwise math,
activations, softmax and matmul.

Each method checks and converts its arguments in Python (dtypes, devices,
shapes), then calls one primitive from ``functions``: every op, operators
included, runs through ``Function.apply``.
"""
import warnings

import numpy as np

from . import dtypes
from . import functions as F
from ._convert import to_array
from ._int_rules import int64_or_uint64, vet_pow, vet_sub, wrapped_int
from .backend import of_array as _backend_of
from .shapes import broadcast_shapes, broadcasts, numpy_names

_SCALARS = (bool, int, float, np.number, np.bool_)


def _operator(fn, op, doc=None, reverse=False, floating=False, vet=None):
    """The operator method that applies fn (an elementwise Function) to self and other.
    Another tensor of the same dtype and array type needs no conversion: it goes
    straight to fn.apply (that test costs ~0.1 us, _pair ~0.25), and shapes that do
    not broadcast come back from numpy as a ValueError, which _pair words as PyTorch
    does. A Python number beside a CPU float tensor becomes a 0-d constant of its dtype
    here, as _pair would make it (~0.2 us less, a tenth of ``x * 2.0``). Everything
    else is converted and checked by _pair first. ``vet(self, other,
    reverse)`` sees the operands the float fast paths do not (sub refuses bools, pow
    takes integer exponents its own way): it raises, returns the result, or None to
    go on as usual."""
    apply = fn.apply
    float_only = floating or vet is not None  # the fast path is for float tensors only

    def method(self, other):
        sd = self._data
        if type(other) is type(self):
            od = other._data
            if od.dtype is sd.dtype and type(od) is type(sd) and (
                    not float_only or sd.dtype.kind == "f"):
                try:
                    return apply(other, self) if reverse else apply(self, other)
                except ValueError:
                    if broadcasts(sd.shape, od.shape):
                        raise
        elif (type(other) is float or type(other) is int and -(1 << 63) <= other < 1 << 64) \
                and sd.dtype.kind == "f" and type(sd) is np.ndarray:
            c = self._make(np.array(other, sd.dtype))
            return apply(c, self) if reverse else apply(self, c)
        if vet is not None and (sd.dtype.kind != "f" or (type(other) is not float and
                                                         type(other) is not int)):
            out = vet(self, other, reverse)
            if out is not None:
                return out
        return apply(*self._pair(other, reverse, op, floating))
    method.__doc__ = doc
    return method


class TensorMath:
    __slots__ = ()

    # ---- arguments ---------------------------------------------------------------------
    def _axis(self, dim, ndim=None):
        """dim as a non-negative axis of a tensor with ndim (default: self's) dims."""
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
        """other as a Tensor beside self: a tensor as it is; data as tg.tensor infers it;
        a number as a 0-d constant of self's dtype (a float with an integer tensor gives
        float32, an int with a bool tensor int64: PyTorch's rules), on self's device."""
        if isinstance(other, TensorMath):
            return other
        if not isinstance(other, _SCALARS):
            return self._make(to_array(other, None))
        dt = self._data.dtype
        if isinstance(other, (float, np.floating)) and dt.kind != "f":
            dt = dtypes.default_float.np
        elif dt.kind == "b" and not isinstance(other, (bool, np.bool_)):
            dt = np.dtype(np.int64)
        if dt.kind in "iu" and isinstance(other, (int, np.integer)) and \
                not isinstance(other, bool):
            other = wrapped_int(int(other), dt)
        arr = np.array(other, dtype=dt)
        if type(self._data) is not np.ndarray and self.is_cuda:
            arr = _backend_of(self._data).scalar(arr)  # cached: no copy to the GPU per step
        return self._make(arr)

    def _pair(self, other, reverse=False, op="operation", floating=False, broadcast=True):
        """(self, other) as two tensors of one dtype on one device whose shapes broadcast
        (in that order, or reversed), with PyTorch's promotion and errors."""
        sd = self._data
        if isinstance(other, TensorMath):
            od = other._data
            # the common case, kept short: one dtype (identical objects) and array type
            if od.dtype is sd.dtype and type(od) is type(sd) and (
                    not floating or sd.dtype.kind == "f"):
                if broadcast and od.shape != sd.shape:
                    broadcast_shapes(sd.shape, od.shape, op)
                return (other, self) if reverse else (self, other)
        elif (type(other) is float or type(other) is int) and sd.dtype.kind == "f":
            # a Python number takes a float tensor's dtype (on the CPU made here: _lift's
            # checks cost ~0.3 us, a third of the op)
            if type(other) is int and not -(1 << 63) <= other < 1 << 64:
                int64_or_uint64(other)
            b = self._make(np.array(other, sd.dtype)) if type(sd) is np.ndarray else \
                self._lift(other)
            return (b, self) if reverse else (self, b)
        if floating and isinstance(other, (int, np.integer)) and not isinstance(other, bool):
            other = float(int64_or_uint64(int(other)))  # ints wrap only in integer ops
        a, b = self, self._lift(other)
        if reverse:
            a, b = b, a
        if a.device != b.device and b._data.ndim == 0 and b.device == "cpu":
            b = b.to(a.device)  # a CPU scalar tensor joins any device, as in PyTorch
        elif a.device != b.device and a._data.ndim == 0 and a.device == "cpu":
            a = a.to(b.device)
        if a.device != b.device:
            raise RuntimeError(f"{op}: expected all tensors on the same device, got {a.device} "
                               f"and {b.device}")
        dt = dtypes.promote(a.dtype, b.dtype, a._data.ndim == 0, b._data.ndim == 0)
        if floating and not dt.is_floating_point:
            dt = dtypes.default_float
        if broadcast:
            broadcast_shapes(a._data.shape, b._data.shape, op)
        return a.to(dt), b.to(dt)

    def _floating(self):
        return self if self._data.dtype.kind == "f" else self.to(dtypes.default_float)

    def _compare(self, op, other):
        if other is None:  # `t == None` is a question about identity, as in PyTorch
            return op == "ne"
        a, b = self._pair(other, op=op)
        return self._make(_backend_of(a._data).binary(op, a._data, b._data))

    # ---- operators ------------------------------------------------------------------------
    __add__ = _operator(F.Add, "add", "self + other, broadcasting; Python numbers take "
                                      "self's dtype.")
    __radd__ = _operator(F.Add, "add", reverse=True)
    __sub__ = _operator(F.Sub, "sub", "self - other, broadcasting (bools refused, as in "
                                      "PyTorch).", vet=vet_sub)
    __rsub__ = _operator(F.Sub, "sub", reverse=True, vet=vet_sub)
    __mul__ = _operator(F.Mul, "mul", "self * other, broadcasting.")
    __rmul__ = _operator(F.Mul, "mul", reverse=True)
    __truediv__ = _operator(F.Div, "div", "self / other, broadcasting (integers divide as "
                                          "floats).", floating=True)
    __rtruediv__ = _operator(F.Div, "div", reverse=True, floating=True)
    __pow__ = _operator(F.Pow, "pow", "self ** other, broadcasting; integer tensors take "
                                      "integer powers as PyTorch does.", vet=vet_pow)
    __rpow__ = _operator(F.Pow, "pow", reverse=True, vet=vet_pow)
    def __matmul__(self, o): return self.matmul(o)
    def __rmatmul__(self, o): return self._lift(o).matmul(self)
    def __neg__(self):
        try:
            return F.Neg.apply(self)
        except TypeError:  # numpy's refusal, reworded as PyTorch's (no cost when it works)
            if self._data.dtype.kind != "b":
                raise
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.") from None
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

    # ---- elementwise functions ----------------------------------------------------------------
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

    def abs(self):
        """Absolute value; the gradient is sign(x) (0 at 0). Bools are refused (PyTorch's
        NotImplementedError)."""
        if self._data.dtype.kind == "b":
            raise NotImplementedError('"abs" not implemented for tg.bool; convert with .long() '
                                      "first, or use the bool tensor as it is")
        return F.Abs.apply(self)

    def sign(self):
        """-1, 0 or 1 per element (zero gradient); a bool tensor is its own sign."""
        if self._data.dtype.kind == "b":
            return self.clone()
        return F.Sign.apply(self)

    def step(self):
        """Heaviside step: 1 where x > 0, else 0 (zero gradient)."""
        return F.Step.apply(self)

    def heaviside(self, values):
        """PyTorch's heaviside: step(x), with `values` where x == 0 (zero gradient)."""
        return F.Heaviside.apply(*self._pair(values, op="heaviside"))

    def maximum(self, other):
        """Elementwise larger of self and other (ties share the gradient)."""
        return F.Maximum.apply(*self._pair(other, op="maximum"))

    def minimum(self, other):
        """Elementwise smaller of self and other (ties share the gradient)."""
        return F.Minimum.apply(*self._pair(other, op="minimum"))

    def clamp(self, min=None, max=None):  # noqa: A002 - PyTorch's names
        """Limit values to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorMath) or isinstance(max, TensorMath):
            out = self if min is None else self.maximum(min)
            return out if max is None else out.minimum(max)
        x = self if isinstance(min or 0, int) and isinstance(max or 0, int) else self._floating()
        return F.Clamp.apply(x, min=min, max=max)

    clip = clamp

    def where(self, condition, other):
        """``tg.where(condition, self, other)``."""
        cond = self._lift(condition)
        if cond.dtype == dtypes.uint8:  # PyTorch still accepts (and warns about) uint8
            warnings.warn("where received a uint8 condition tensor. This behavior is "
                          "deprecated; use a boolean condition instead.", UserWarning,
                          stacklevel=2)
            cond = cond != 0
        elif cond.dtype != dtypes.bool_:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {cond.dtype!r}")
        a, b = self._pair(other, op="where")
        broadcast_shapes(tuple(cond.shape), broadcast_shapes(a._data.shape, b._data.shape),
                         "where")
        return F.Where.apply(cond, a, b)

    # ---- activations ------------------------------------------------------------------------
    def relu(self):
        """max(x, 0); the gradient is 1 where x > 0 (bools refused, as in PyTorch)."""
        if self._data.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        return F.Relu.apply(self)

    def leaky_relu(self, negative_slope=0.01):
        """x where x > 0, else negative_slope * x."""
        return F.LeakyRelu.apply(self, negative_slope=float(negative_slope))

    def tanh(self):
        """Hyperbolic tangent; its gradient is 1 - tanh(x)^2."""
        return F.Tanh.apply(self._floating())

    def erf(self):
        """The error function 2/sqrt(pi) * int_0^x e^(-t^2) dt; its gradient is
        2/sqrt(pi) e^(-x^2)."""
        return F.Erf.apply(self._floating())

    def sigmoid(self):
        """1 / (1 + e^-x), stable for any x; its gradient is s(1 - s)."""
        return F.Sigmoid.apply(self._floating())

    @numpy_names
    def softmax(self, dim):
        """exp(x) / sum(exp(x)) along dim, computed after subtracting the max."""
        return F.Softmax.apply(self._floating(), axis=self._axis(dim))

    @numpy_names
    def log_softmax(self, dim):
        """log(softmax(x)) along dim, computed as x - logsumexp(x)."""
        return F.LogSoftmax.apply(self._floating(), axis=self._axis(dim))

    # ---- matmul ------------------------------------------------------------------------------
    def matmul(self, other):
        """Matrix product with PyTorch's rules for 1-D operands and broadcast batch dims."""
        if not isinstance(other, TensorMath) and self.is_floating_point():
            other = self._make(np.asarray(other, dtype=self._data.dtype))
        if isinstance(other, TensorMath) and other.dtype != self.dtype:
            # as PyTorch: no silent promotion inside a matrix product
            raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got "
                               f"{self.dtype!r} and {other.dtype!r}; convert one first, e.g. "
                               f"with .float() or .double()")
        a, b = self._pair(other, op="matmul", broadcast=False)
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError("both arguments to matmul need to be at least 1D, got "
                               f"{a.ndim}D and {b.ndim}D")
        va, vb = a.ndim == 1, b.ndim == 1
        a = a.unsqueeze(0) if va else a
        b = b.unsqueeze(1) if vb else b
        if a.shape[-1] != b.shape[-2]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[-2]}x"
                               f"{a.shape[-1]} and {b.shape[-2]}x{b.shape[-1]})")
        if a.ndim > 2 and b.ndim == 2 and not vb:
            pass  # a's leading dims are rows of one product (MatMul's 2-D right side)
        elif a.ndim > 2 or b.ndim > 2:
            batch = broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]), "matmul")
            if tuple(a.shape[:-2]) != batch:
                a = a.expand(batch + tuple(a.shape[-2:]))
            if tuple(b.shape[:-2]) != batch:
                b = b.expand(batch + tuple(b.shape[-2:]))
        out = F.MatMul.apply(a, b)
        if va:
            out = out.squeeze(-2)
        if vb:
            out = out.squeeze(-1)
        return out
