"""Reductions of the Tensor (a mixin like ``tensor_math``): sum, mean, var, max and
argmax, logsumexp, all/any. Each validates dims in Python, then calls one
primitive from ``functions`` or composes several."""
import collections
import math

from . import dtypes
from . import functions as F
from .backend import of_array as _backend_of
from .shapes import numpy_names

max_result = collections.namedtuple("max", ["values", "indices"])
min_result = collections.namedtuple("min", ["values", "indices"])


class ReduceOps:
    __slots__ = ()

    # ---- reductions ---------------------------------------------------------------------------
    def _count(self, axes):
        shape = self._data.shape
        return math.prod([shape[a] for a in axes] if axes is not None else shape)

    def _reduce_dtype(self, dtype, op):
        """The input converted for a reduction with PyTorch's result dtype: ``dtype`` if
        given (the sum then runs, and wraps around, in it), else int64 for integers and
        bools, else self's own."""
        if dtype is None:
            return self.long() if self._data.dtype.kind in "biu" else self
        if isinstance(dtype, (str, int, float)):   # torch's argument parser refuses these
            raise TypeError(f"{op}() received an invalid combination of arguments - got "
                            f"(dtype={type(dtype).__name__}, ), but expected a tg.dtype")
        return self.to(dtypes.to_dtype(dtype))

    @numpy_names
    def sum(self, dim=None, keepdim=False, dtype=None):
        """Sum over ``dim`` (int, tuple, or all), keeping reduced dims as size 1 if asked;
        integers and bools sum as int64 unless ``dtype`` is given."""
        x = self._reduce_dtype(dtype, "sum")
        return F.Sum.apply(x, axis=self._axes(dim), keepdim=keepdim)

    @numpy_names
    def mean(self, dim=None, keepdim=False, *, dtype=None):
        """Average over dim (all elements by default), in ``dtype`` if given (floating)."""
        if dtype is not None:
            d = dtypes.to_dtype(self._reduce_dtype(dtype, "mean").dtype)
            if not d.is_floating_point:
                raise RuntimeError(f"mean(): could not infer output dtype. Optional dtype must "
                                   f"be either a floating point or complex dtype. Got: {d!r}")
            return self.to(d).mean(dim, keepdim)
        if not self.is_floating_point():
            raise RuntimeError(f"mean(): input dtype must be floating point, got {self.dtype!r};"
                               " convert it first with .float() or pass dtype=")
        # an empty reduction divides 0 by 0: nan, as in PyTorch
        return self.sum(dim, keepdim) / float(self._count(self._axes(dim)))

    @numpy_names
    def var(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Variance; unbiased (n - 1) by default, or ``correction`` as in PyTorch 2."""
        corr = (1 if unbiased else 0) if correction is None else correction
        if not self.is_floating_point():
            raise RuntimeError(f"var(): input dtype must be floating point, got {self.dtype!r};"
                               " convert it first with .float()")
        x = self
        diff = x - x.mean(dim, keepdim=True)
        return (diff * diff).sum(dim, keepdim) / float(max(self._count(self._axes(dim)) - corr, 0))

    @numpy_names
    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """Standard deviation, sqrt of var (unbiased by default)."""
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def _nonempty_reduction(self, axes, op):
        shape = self._data.shape
        if any(shape[a] == 0 for a in (axes if axes is not None else range(len(shape)))):
            raise RuntimeError(f"{op}(): cannot reduce over a zero-size dimension (shape "
                               f"{list(shape)}): there is no identity for {op}")
        return axes

    @numpy_names
    def amax(self, dim=None, keepdim=False):
        """Largest values over dim; ties share the gradient evenly."""
        axes = self._nonempty_reduction(self._axes(dim), "amax")
        return F.Amax.apply(self, axis=axes, keepdim=keepdim)

    @numpy_names
    def amin(self, dim=None, keepdim=False):
        """Smallest values over dim; ties share the gradient evenly."""
        axes = self._nonempty_reduction(self._axes(dim), "amin")
        return F.Amin.apply(self, axis=axes, keepdim=keepdim)

    def _extreme(self, dim, keepdim, reduce, arg, result):
        if isinstance(dim, ReduceOps):  # max(a, b): the elementwise maximum
            return self.maximum(dim) if result is max_result else self.minimum(dim)
        if dim is None:
            self._check_nonempty(result.__name__)
            return reduce(self)
        ax = self._axis(dim)
        self._check_nonempty(result.__name__, ax)
        be = _backend_of(self._data)
        idx = be.reduce(arg, self._data, ax, keepdims=True)
        grid = tuple(idx if i == ax else be.xp.arange(n).reshape([-1 if j == i else 1
                                                               for j in range(idx.ndim)])
                     for i, n in enumerate(self._data.shape))
        values = F.GetItem.apply(self, index=grid)
        indices = self._make(idx)
        if not keepdim:
            values, indices = values.squeeze(ax), indices.squeeze(ax)
        return result(values, indices)

    @numpy_names
    def max(self, dim=None, keepdim=False):
        """No dim: the largest value; with dim: (values, indices); with a tensor: maximum."""
        return self._extreme(dim, keepdim, lambda x: x.amax(), "argmax", max_result)

    @numpy_names
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
        if self._data.dtype.kind == "b":
            raise RuntimeError(f"{kernel}(): does not support bool input")
        be = _backend_of(self._data)
        self._check_nonempty(kernel, None if dim is None else self._axis(dim))
        if dim is None:
            return self._make(be.xp.asarray(be.reduce(kernel, self._data.reshape(-1), 0)))
        return self._make(be.reduce(kernel, self._data, self._axis(dim), keepdim))

    @numpy_names
    def argmax(self, dim=None, keepdim=False):
        """Index of the largest value (of the flattened tensor when dim is None)."""
        return self._arg("argmax", dim, keepdim)

    @numpy_names
    def argmin(self, dim=None, keepdim=False):
        """Index of the smallest value (of the flattened tensor when dim is None)."""
        return self._arg("argmin", dim, keepdim)

    @numpy_names
    def logsumexp(self, dim, keepdim=False):
        """log(sum(exp(x))) over dim, computed without overflow."""
        x = self._floating()
        if x._count(x._axes(dim)) == 0:  # an empty sum: log(0) = -inf, as in PyTorch
            out = x.sum(dim, keepdim=True).log()
            return out if keepdim else out.squeeze(self._axes(dim))
        m = x.detach().amax(dim, keepdim=True)
        xp = _backend_of(m._data).xp
        m = self._make(xp.where(xp.isfinite(m._data), m._data, 0).astype(m._data.dtype))
        out = (x - m).exp().sum(dim, keepdim=True).log() + m
        return out if keepdim else out.squeeze(self._axes(dim))

    @numpy_names
    def all(self, dim=None, keepdim=False):
        """True where every element (over dim) is non-zero (uint8 for uint8, as PyTorch)."""
        return self._logical_reduce(self._data.all(axis=self._axes(dim), keepdims=keepdim))

    @numpy_names
    def any(self, dim=None, keepdim=False):
        """True where any element (over dim) is non-zero (uint8 for uint8, as PyTorch)."""
        return self._logical_reduce(self._data.any(axis=self._axes(dim), keepdims=keepdim))

    def _logical_reduce(self, out):
        out = out[...]
        return self._make(out.astype(self._data.dtype) if self._data.dtype == "uint8" else out)
