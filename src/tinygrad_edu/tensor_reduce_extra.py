"""Reductions, cumulative ops and matrix products beyond the core (prod, norm, median,
cumprod, bmm, ...) of ``Tensor`` (a mixin; issue 18).

Most are compositions of existing ops (std_mean is std and mean, nansum a sum with
NaN masked out, cummax a gather at running-maximum indices); a primitive of
``functions.reduce_extra`` only where one is needed (prod, cumprod, logcumsumexp).
Matrix products and the linear algebra are in ``tensor_linalg`` (LinalgOps)."""
import collections

import numpy as np

from . import dtypes
from . import functions as F
from .backend import of_array as _backend_of
from .functions.reduce_extra import accumulate
from .tensor_linalg import LinalgOps

# the names that tg also offers as functions (tg.xxx(t, ...)): see functional.py
FUNCTIONAL: tuple[str, ...] = (
    "prod", "norm", "std_mean", "var_mean", "aminmax", "median", "mode", "count_nonzero",
    "nansum", "nanmean", "cumprod", "cummax", "cummin", "logcumsumexp", "diff",
    "bmm", "addmm", "baddbmm", "mv", "dot", "vdot", "inner", "matrix_power", "inverse", "det",
)

aminmax_result = collections.namedtuple("aminmax", ["min", "max"])
median_result = collections.namedtuple("median", ["values", "indices"])
mode_result = collections.namedtuple("mode", ["values", "indices"])
cummax_result = collections.namedtuple("cummax", ["values", "indices"])
cummin_result = collections.namedtuple("cummin", ["values", "indices"])


def _dim_error(op, ax):
    return IndexError(f"{op}(): Expected reduction dim {ax} to have non-zero size.")


class ReduceExtraOps(LinalgOps):
    __slots__ = ()

    # ---- products and sums ------------------------------------------------------------------
    def prod(self, dim=None, keepdim=False, *, dtype=None):
        """Product of all elements, or along one int dim; integers and bools give int64.
        The gradient is the product of the other entries (exact with zeros)."""
        if isinstance(dim, (tuple, list)):
            raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__} "
                            f"(PyTorch's prod reduces one dim or all)")
        x = self._reduce_dtype(dtype, "prod")
        if dim is None:
            return F.Prod.apply(x.reshape(-1), axis=0)
        ax = self._axis(dim)
        if x._data.ndim == 0:
            return x.clone()
        return F.Prod.apply(x, axis=ax, keepdim=keepdim)

    def _nan_free(self):
        if self._data.dtype.kind != "f":
            return self
        xp = _backend_of(self._data).xp
        ok = self._make(~xp.isnan(self._data))
        return self.where(ok, self._make(xp.zeros((), self._data.dtype)))

    def nansum(self, dim=None, keepdim=False, *, dtype=None):
        """Sum treating NaN as zero (whose gradient is zero)."""
        x = self.long() if dtype is None and self._data.dtype.kind in "biu" else self
        return x._nan_free().sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, *, dtype=None):
        """Mean of the non-NaN entries (NaN where there are none)."""
        x = self.to(dtype) if dtype is not None else self
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                               f"dtype but got {x.dtype!r}")
        xp = _backend_of(x._data).xp
        count = x._make((~xp.isnan(x._data)).astype(x._data.dtype))
        return x._nan_free().sum(dim, keepdim) / count.sum(dim, keepdim)

    def count_nonzero(self, dim=None):
        """The number of non-zero entries (over dim: an int, a tuple, or all), int64."""
        nz = self._make(self._data != 0)
        return nz.sum(dim)

    # ---- statistics pairs -------------------------------------------------------------------
    def std_mean(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """(std, mean) over dim."""
        return (self.std(dim, unbiased, keepdim, correction=correction),
                self.mean(dim, keepdim))

    def var_mean(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        """(var, mean) over dim."""
        return (self.var(dim, unbiased, keepdim, correction=correction),
                self.mean(dim, keepdim))

    def aminmax(self, *, dim=None, keepdim=False):
        """(min, max) over dim (all elements by default)."""
        axes = None if dim is None else self._axes(dim)
        sizes = self._data.shape if axes is None else [self._data.shape[a] for a in axes]
        if 0 in sizes or (dim is None and self._data.size == 0):
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as "
                               "the operation has no identity.")
        if dim is not None and self._data.ndim == 0:
            return aminmax_result(self.clone(), self.clone())
        return aminmax_result(self.amin(dim, keepdim), self.amax(dim, keepdim))

    # ---- order statistics -------------------------------------------------------------------
    def _pick(self, ax, idx, keepdim):
        """(values, indices) for int64 index array idx (keepdim shape) along ax."""
        index = self._make(idx.astype(np.int64))
        values = self.gather(ax, index)
        if not keepdim:
            values, index = values.squeeze(ax), index.squeeze(ax)
        return values, index

    def median(self, dim=None, keepdim=False):
        """No dim: the lower median of all elements (NaN if any is NaN; the gradient is
        shared by the entries equal to it). With dim: (values, indices) of the lower
        median along dim (among equal values, which index is PyTorch's own choice)."""
        if self._data.dtype.kind == "b":
            raise NotImplementedError('"median" not implemented for tg.bool; convert the '
                                      "input with .long() or .float() first")
        if dim is None:
            if self._data.size == 0:
                return self._make(np.array(np.nan, self._data.dtype)).to(self.device)
            flat = self.reshape(-1)
            xp = _backend_of(flat._data).xp
            order = flat._order(0, False)
            m = flat._data[order[(flat._data.size - 1) // 2]]
            if self._data.dtype.kind == "f" and bool(xp.isnan(flat._data).any()):
                m = xp.asarray(np.nan, dtype=flat._data.dtype)
            hit = (flat._data == m) | (xp.isnan(flat._data) & xp.isnan(m)) \
                if self._data.dtype.kind == "f" else flat._data == m
            mt = self._make(xp.asarray(m))
            if not self.is_floating_point():
                return mt
            share = self._make((hit / hit.sum()).astype(flat._data.dtype))
            zero = self._make(xp.zeros((), flat._data.dtype))
            return mt + ((flat - mt).where(self._make(hit), zero) * share).sum()
        ax = self._axis(dim)
        if self._data.ndim == 0:
            return median_result(self.clone(), self._make(np.zeros((), np.int64)))
        n = self._data.shape[ax]
        if n == 0:
            raise _dim_error("median", ax)
        order = self._order(ax, False)      # stable, NaN last
        k = (n - 1) // 2
        xp = _backend_of(self._data).xp
        pick = order[(slice(None),) * ax + (slice(k, k + 1),)]
        if self._data.dtype.kind == "f":
            nans = xp.isnan(self._data)
            first_nan = xp.argmax(nans, axis=ax, keepdims=True)
            pick = xp.where(nans.any(axis=ax, keepdims=True), first_nan, pick)
        return median_result(*self._pick(ax, pick, keepdim))

    def mode(self, dim=-1, keepdim=False):
        """(values, indices): the most frequent value along dim (the smallest among equally
        frequent ones) and the last index where it occurs."""
        ax = self._axis(dim)
        if self._data.ndim == 0:
            return mode_result(self.clone(), self._make(np.zeros((), np.int64)))
        n = self._data.shape[ax]
        if n == 0:
            raise _dim_error("mode", ax)
        xp = _backend_of(self._data).xp
        a = xp.moveaxis(self._data, ax, -1)
        s = xp.sort(a, axis=-1)
        counts = (s[..., :, None] == s[..., None, :]).sum(-1)
        best = xp.take_along_axis(s, xp.argmax(counts, axis=-1)[..., None], axis=-1)
        pos = xp.where(a == best, xp.arange(n), -1).max(axis=-1, keepdims=True)
        return mode_result(*self._pick(ax, xp.moveaxis(pos, -1, ax), keepdim))

    # ---- cumulative -------------------------------------------------------------------------
    def cumprod(self, dim, *, dtype=None):
        """Running product along dim; integers and bools give int64 (exact gradient with
        zeros, as PyTorch's)."""
        x = self._reduce_dtype(dtype, "cumprod")
        if x._data.dtype.kind == "b":   # dtype=bool: PyTorch has no such kernel either
            raise NotImplementedError('"cumprod" not implemented for tg.bool; pass an integer '
                                      "or floating dtype")
        ax = self._axis(dim)
        if x._data.ndim == 0:
            return F.Cumprod.apply(x.reshape(1), axis=0).reshape(())
        return F.Cumprod.apply(x, axis=ax)

    def _cum_extreme(self, dim, ufunc, result):
        ax = self._axis(dim)
        if self._data.ndim == 0:
            return result(self.clone(), self._make(np.zeros((), np.int64)))
        xp = _backend_of(self._data).xp
        a = self._data
        be = _backend_of(a)
        run = accumulate(be, ufunc, a, ax)
        new = a == run                      # a new running extreme, or a tie of it: latest
        if a.dtype.kind == "f":
            new = new | xp.isnan(a)
        shape = [1] * a.ndim
        shape[ax] = a.shape[ax]
        pos = xp.where(new, xp.arange(a.shape[ax]).reshape(shape), 0)
        idx = accumulate(be, "maximum", pos, ax).astype(np.int64)
        index = self._make(idx)
        return result(self.gather(ax, index), index)

    def cummax(self, dim):
        """(values, indices): the running maximum along dim and where it was (the latest
        index among ties; NaN propagates)."""
        return self._cum_extreme(dim, "maximum", cummax_result)

    def cummin(self, dim):
        """(values, indices): the running minimum along dim and where it was."""
        return self._cum_extreme(dim, "minimum", cummin_result)

    def logcumsumexp(self, dim):
        """log(cumsum(exp(x))) along dim, without overflow."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f'"logcumsumexp" not implemented for {self.dtype!r}; '
                                      f"convert the input with .float() first")
        ax = self._axis(dim)
        if self._data.ndim == 0:
            return F.LogCumSumExp.apply(self.reshape(1), axis=0).reshape(())
        return F.LogCumSumExp.apply(self, axis=ax)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """The n-th forward difference along dim (prepend / append joined first)."""
        if self._data.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        ax = self._axis(dim)
        x = self
        if n == 0:
            return x
        parts = [t for t in (prepend, x, append) if t is not None]
        if any(t.ndim != x.ndim for t in parts):
            raise RuntimeError("diff expects prepend or append to be the same dimension as "
                               "input")
        if len(parts) > 1:
            dt = parts[0].dtype
            for p in parts[1:]:
                dt = dtypes.promote(dt, p.dtype)
            x = F.Cat.apply(*[p.to(dt) for p in parts], axis=ax)
        for _ in range(n):
            m = x._data.shape[ax]
            if m == 0:
                break
            hi, lo = x.narrow(ax, 1, m - 1), x.narrow(ax, 0, m - 1)
            x = hi.logical_xor(lo) if x._data.dtype.kind == "b" else hi - lo
        return x
