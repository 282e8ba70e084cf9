"""Tensor operators and composite ops, as a mixin of ``Tensor``.

Each method validates its arguments (shapes, dims, dtypes) in Python, then
calls one primitive from ``functions`` or composes several.
"""
import collections
import functools
import math
from typing import Any

import numpy as np

from . import dtypes
from . import functions as F
from .backend import of_array as _backend_of
from .shapes import broadcast_shapes

max_result = collections.namedtuple("max", ["values", "indices"])
min_result = collections.namedtuple("min", ["values", "indices"])
_SCALARS = (bool, int, float, np.number, np.bool_)


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
    def __add__(self, o):
        """self + other, broadcasting; Python numbers take self's dtype."""
        return self._binary(F.Add, o)

    def __radd__(self, o): return self._binary(F.Add, o, reverse=True)

    def __sub__(self, o):
        """self - other, broadcasting."""
        return self._binary(F.Sub, o)

    def __rsub__(self, o): return self._binary(F.Sub, o, reverse=True)

    def __mul__(self, o):
        """self * other, broadcasting."""
        return self._binary(F.Mul, o)

    def __rmul__(self, o): return self._binary(F.Mul, o, reverse=True)

    def __truediv__(self, o):
        """self / other, broadcasting (integers divide as floats)."""
        return self._binary(F.Div, o, floating=True)

    def __rtruediv__(self, o): return self._binary(F.Div, o, reverse=True, floating=True)

    def __pow__(self, o):
        """self ** other, broadcasting."""
        return self._binary(F.Pow, o)

    def __rpow__(self, o): return self._binary(F.Pow, o, reverse=True)
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

    # ---- reductions ---------------------------------------------------------------------------
    def _count(self, axes):
        shape = self._data.shape
        return math.prod([shape[a] for a in axes] if axes is not None else shape)

    @_numpy_names
    def sum(self, dim=None, keepdim=False, dtype=None):
        """Sum over ``dim`` (int, tuple, or all), keeping reduced dims as size 1 if asked."""
        x = self if dtype is None else self.to(dtype)
        if x._data.dtype.kind == "b":
            x = x.long()
        return F.Sum.apply(x, axis=self._axes(dim), keepdim=keepdim)

    @_numpy_names
    def mean(self, dim=None, keepdim=False):
        """Average over dim (all elements by default)."""
        if not self.is_floating_point():
            raise RuntimeError(f"mean(): input dtype must be floating point, got {self.dtype!r};"
                               " convert it first with .float()")
        # an empty reduction divides 0 by 0: nan, as in PyTorch
        return self.sum(dim, keepdim) / float(self._count(self._axes(dim)))

    @_numpy_names
    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Variance; unbiased (n - 1) by default, or ``correction`` as in PyTorch 2."""
        corr = (1 if unbiased else 0) if correction is None else correction
        if not self.is_floating_point():
            raise RuntimeError(f"var(): input dtype must be floating point, got {self.dtype!r};"
                               " convert it first with .float()")
        x = self
        diff = x - x.mean(dim, keepdim=True)
        return (diff * diff).sum(dim, keepdim) / float(max(self._count(self._axes(dim)) - corr, 0))

    @_numpy_names
    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Standard deviation, sqrt of var (unbiased by default)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def _nonempty_reduction(self, axes, op):
        shape = self._data.shape
        if any(shape[a] == 0 for a in (axes if axes is not None else range(len(shape)))):
            raise RuntimeError(f"{op}(): cannot reduce over a zero-size dimension (shape "
                               f"{list(shape)}): there is no identity for {op}")
        return axes

    @_numpy_names
    def amax(self, dim=None, keepdim=False):
        """Largest values over dim; ties share the gradient evenly."""
        axes = self._nonempty_reduction(self._axes(dim), "amax")
        return F.Amax.apply(self, axis=axes, keepdim=keepdim)

    @_numpy_names
    def amin(self, dim=None, keepdim=False):
        """Smallest values over dim; ties share the gradient evenly."""
        axes = self._nonempty_reduction(self._axes(dim), "amin")
        return F.Amin.apply(self, axis=axes, keepdim=keepdim)

    def _extreme(self, dim, keepdim, reduce, arg, result):
        if isinstance(dim, TensorOps):
            return self.maximum(dim) if result is max_result else self.minimum(dim)
        if dim is None:
            self._check_nonempty(result.__name__)
            return reduce(self)
        ax = self._axis(dim)
        self._check_nonempty(result.__name__, ax)
        be = _backend_of(self._data)
        idx = getattr(be, arg)(self._data, axis=ax, keepdims=True)
        grid = tuple(idx if i == ax else be.xp.arange(n).reshape([-1 if j == i else 1
                                                               for j in range(idx.ndim)])
                     for i, n in enumerate(self._data.shape))
        values = F.GetItem.apply(self, index=grid)
        indices = self._cls._make(idx, False)
        if not keepdim:
            values, indices = values.squeeze(ax), indices.squeeze(ax)
        return result(values, indices)

    @_numpy_names
    def max(self, dim=None, keepdim=False):
        """No dim: the largest value; with dim: (values, indices); with a tensor: maximum."""
        return self._extreme(dim, keepdim, lambda x: x.amax(), "argmax", max_result)

    @_numpy_names
    def min(self, dim=None, keepdim=False):
        """No dim: the smallest value; with dim: (values, indices); with a tensor: minimum."""
        return self._extreme(dim, keepdim, lambda x: x.amin(), "argmin", min_result)

    def _check_nonempty(self, op, ax=None):
        """PyTorch's errors for max/argmax-like reductions with nothing to pick from."""
        if ax is None and self._data.size == 0:
            raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() "
                               f"== 0 (shape {list(self._data.shape)}). Specify the reduction "
                               "dim with the 'dim' argument.")
        if ax is not None and self._data.ndim and self._data.shape[ax] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {ax} to have non-zero size "
                             f"(shape {list(self._data.shape)}).")

    def _arg(self, kernel, dim, keepdim):
        be = _backend_of(self._data)
        self._check_nonempty(kernel, None if dim is None else self._axis(dim))
        if dim is None:
            return self._cls._make(be.xp.asarray(getattr(be, kernel)(self._data.reshape(-1),
                                                                     axis=0)), False)
        return self._cls._make(getattr(be, kernel)(self._data, axis=self._axis(dim),
                                                   keepdims=keepdim), False)

    @_numpy_names
    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (of the flattened tensor when dim is None)."""
        return self._arg("argmax", dim, keepdim)

    @_numpy_names
    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest value (of the flattened tensor when dim is None)."""
        return self._arg("argmin", dim, keepdim)

    @_numpy_names
    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over dim, computed without overflow."""
        x = self._floating()
        if x._count(x._axes(dim)) == 0:  # an empty sum: log(0) = -inf, as in PyTorch
            out = x.sum(dim, keepdim=True).log()
            return out if keepdim else out.squeeze(self._axes(dim))
        m = x.detach().amax(dim, keepdim=True)
        xp = _backend_of(m._data).xp
        m = self._cls._make(xp.where(xp.isfinite(m._data), m._data, 0).astype(m._data.dtype), False)
        out = (x - m).exp().sum(dim, keepdim=True).log() + m
        return out if keepdim else out.squeeze(self._axes(dim))

    @_numpy_names
    def softmax(self, dim):
        """exp(x) / sum(exp(x)) along dim, computed after subtracting the max."""
        return F.Softmax.apply(self._floating(), axis=self._axis(dim))

    @_numpy_names
    def log_softmax(self, dim):
        """log(softmax(x)) along dim, computed as x - logsumexp(x)."""
        return F.LogSoftmax.apply(self._floating(), axis=self._axis(dim))

    @_numpy_names
    def all(self, dim=None, keepdim=False):
        """True where every element (over dim) is non-zero."""
        return self._cls._make(self._data.all(axis=self._axes(dim), keepdims=keepdim)[...])

    @_numpy_names
    def any(self, dim=None, keepdim=False):
        """True where any element (over dim) is non-zero."""
        return self._cls._make(self._data.any(axis=self._axes(dim), keepdims=keepdim)[...])
