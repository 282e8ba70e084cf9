"""Indexing-style methods of ``Tensor`` beyond gather/scatter (index_add, masked_select,
nonzero, take, unique, bincount, ...; a mixin; issue 18).

The differentiable ones are compositions of gather, scatter, scatter_add (their
adjoint) and getitem, so their gradients are those ops' (PyTorch's); scatter_reduce's
amax, amin and prod are one primitive (functions.select.ScatterReduce). The counting
and searching ops (nonzero, unique, bincount, histc, searchsorted) return new tensors
outside the graph, as PyTorch's do."""
import collections

import numpy as np

from . import dtypes
from . import functions as F
from .backend import host as _host, of_array as _backend_of
from .shapes import broadcast_shapes

# the names that tg also offers as functions (tg.xxx(t, ...)): see functional.py
FUNCTIONAL: tuple[str, ...] = (
    "scatter_reduce", "index_add", "index_copy", "index_fill", "masked_select",
    "masked_scatter", "nonzero", "argwhere", "take", "take_along_dim", "put", "bucketize",
    "searchsorted", "unique", "bincount", "histc",
)
_REDUCES = ("sum", "prod", "mean", "amax", "amin")
unique_result = collections.namedtuple("unique", ["values", "inverse", "counts"])


def _dtype_name(t):
    return repr(t.dtype)


class SelectOps:
    __slots__ = ()

    # ---- helpers ----------------------------------------------------------------------------
    def _host_tensor(self, arr, dtype=None):
        """A tensor on self's device around a host array (results of counting ops)."""
        arr = np.array(arr, dtype=dtype, order="C")  # (ascontiguousarray makes 0-d 1-d)
        return self._make(arr).to(self.device)

    def _vector_index(self, index, dim, op, error=IndexError, prefix=True, negative=False):
        """(axis, 1-D index array) for index_add/_copy/_fill, checked against self
        (negative positions count from the end only where PyTorch allows them)."""
        ax = self._axis(dim)
        idx = getattr(index, "_data", None)
        if idx is None or idx.dtype.kind not in "iu":
            got = _dtype_name(index) if idx is not None else type(index).__name__
            raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index but got: {got}")
        if idx.ndim > 1:
            raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: "
                             f"{idx.ndim} with size: {list(idx.shape)}")
        n = self._data.shape[ax] if self._data.ndim else 1
        low = -n if negative else 0
        if idx.size and (int(idx.min()) < low or int(idx.max()) >= n):
            bad = int(idx.min()) if int(idx.min()) < low else int(idx.max())
            raise error(f"{op + '(): ' if prefix else ''}index {bad} is out of bounds for "
                        f"dimension {ax} with size {n}")
        return ax, idx.reshape(-1) % max(n, 1)

    def _spread(self, idx, ax, source, op):
        """The 1-D index along ax spread to source's shape (gather/scatter's index)."""
        if source.dtype != self.dtype:
            raise RuntimeError(f"{op}(): self ({_dtype_name(self)}) and source "
                               f"({_dtype_name(source)}) must have the same scalar type")
        shape, sshape = self._data.shape, source._data.shape
        if len(sshape) != len(shape) or any(a != b for d, (a, b) in
                                            enumerate(zip(shape, sshape)) if d != ax):
            raise RuntimeError(f"source tensor shape must match self tensor shape, excluding "
                               f"the specified dimension. Got self.shape = {list(shape)} "
                               f"source.shape = {list(sshape)}")
        if sshape[ax] != idx.size:
            raise IndexError(f"{op}(): Number of indices ({idx.size}) should be equal to "
                             f"source.size(dim) ({sshape[ax]})")
        xp = _backend_of(self._data).xp
        lined = idx.reshape((1,) * ax + (-1,) + (1,) * (len(shape) - ax - 1))
        return self._make(xp.broadcast_to(lined, sshape).copy())

    def _bool_mask(self, mask, op):
        mask = self._lift(mask)
        if mask.dtype != dtypes.bool_:
            raise RuntimeError(f"{op}: expected BoolTensor for mask")
        return mask

    # ---- scatter-style ----------------------------------------------------------------------
    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """self with src's values reduced into gather's positions by ``reduce`` (sum,
        prod, mean, amax, amin); include_self=False leaves self's values out there."""
        if reduce not in _REDUCES:
            raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                               f"got {reduce}")
        if not hasattr(src, "_data"):
            raise TypeError(f"scatter_reduce(): argument 'src' must be Tensor, not "
                            f"{type(src).__name__}")
        ax, idx = self._index_arg(index, "scatter_reduce", dim, src)
        src = self._source(src, index, "scatter_reduce")
        if self._data.ndim == 0:
            return self.reshape(1).scatter_reduce(0, index.reshape(1), src.reshape(1), reduce,
                                                  include_self=include_self).reshape(())
        if reduce in ("amax", "amin", "prod"):
            return F.ScatterReduce.apply(self, src, index=idx, axis=ax, reduce=reduce,
                                         include_self=bool(include_self))
        base = self if include_self else self.scatter(ax, index, value=0)
        total = base.scatter_add(ax, index, src)
        if reduce == "sum":
            return total
        xp = _backend_of(self._data).xp
        ones = self._make(xp.ones(self._data.shape, self._data.dtype))
        counts = (ones if include_self else ones.scatter(ax, index, value=0)).scatter_add(
            ax, index, self._make(xp.ones(idx.shape, self._data.dtype)))
        if self._data.dtype.kind == "f":
            return total / counts
        return total.div(counts, rounding_mode="floor")

    def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
        """scatter_reduce in place."""
        return self._commit(self.scatter_reduce(dim, index, src, reduce,
                                                include_self=include_self), "scatter_reduce_")

    def index_add(self, dim, index, source, *, alpha=1):
        """self with alpha * source's slices added at the positions of a 1-D index
        along dim (repeats add up)."""
        ax, idx = self._vector_index(index, dim, "index_add_", RuntimeError, prefix=False)
        full = self._spread(idx, ax, source, "index_add_")
        return self.scatter_add(ax, full, source if alpha == 1 else source * alpha)

    def index_add_(self, dim, index, source, *, alpha=1):
        """index_add in place."""
        return self._commit(self.index_add(dim, index, source, alpha=alpha), "index_add_")

    def index_copy(self, dim, index, source):
        """self with source's slices written at the positions of a 1-D index along dim."""
        ax, idx = self._vector_index(index, dim, "index_copy_")
        return self.scatter(ax, self._spread(idx, ax, source, "index_copy_"), source)

    def index_copy_(self, dim, index, source):
        """index_copy in place."""
        return self._commit(self.index_copy(dim, index, source), "index_copy_")

    def index_fill(self, dim, index, value):
        """self with ``value`` in the slices at the positions of a 1-D index along dim."""
        ax, idx = self._vector_index(index, dim, "index_fill_", prefix=False, negative=True)
        xp = _backend_of(self._data).xp
        n = self._data.shape[ax] if self._data.ndim else 1
        mask = xp.zeros(n, dtype=bool)
        mask[idx] = True
        mask = mask.reshape((-1,) + (1,) * (self._data.ndim - ax - 1)) if self._data.ndim \
            else mask.reshape(())
        return self.masked_fill(self._make(mask), value)

    def index_fill_(self, dim, index, value):
        """index_fill in place."""
        return self._commit(self.index_fill(dim, index, value), "index_fill_")

    # ---- masks ------------------------------------------------------------------------------
    def masked_select(self, mask):
        """The 1-D tensor of self's entries where the boolean mask (broadcast) is True."""
        mask = self._bool_mask(mask, "masked_select")
        shape = broadcast_shapes(self._data.shape, mask._data.shape, "masked_select")
        x = self if self._data.shape == shape else self.expand(shape)
        m = _backend_of(mask._data).xp.broadcast_to(mask._data, shape)
        return F.GetItem.apply(x.reshape(-1), index=(m.reshape(-1),))

    def masked_scatter(self, mask, source):
        """self with source's leading values written, in order, where mask is True."""
        mask = self._bool_mask(mask, "masked_scatter")
        if source.dtype != self.dtype:
            raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes "
                               f"but got {_dtype_name(self)} and {_dtype_name(source)}")
        shape = broadcast_shapes(self._data.shape, mask._data.shape, "masked_scatter")
        xp = _backend_of(mask._data).xp
        m = xp.broadcast_to(mask._data, shape)
        n = int(m.sum())
        if source.numel() < n:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        x = self if self._data.shape == shape else self.expand(shape)
        if not source.numel():
            return x.clone()
        pos = xp.maximum(xp.cumsum(m.reshape(-1)) - 1, 0).reshape(shape)
        picked = F.GetItem.apply(source.reshape(-1), index=(pos,))
        return F.Where.apply(self._make(m.copy()), picked, x)

    def masked_scatter_(self, mask, source):
        """masked_scatter in place (mask broadcasts to self's shape)."""
        return self._commit(self.masked_scatter(mask, source), "masked_scatter_")

    # ---- flat positions ---------------------------------------------------------------------
    def _flat_index(self, index, op):
        """index's array as non-negative positions into self flattened (IndexError past
        the end, as PyTorch's)."""
        idx = getattr(index, "_data", None)
        if idx is None or idx.dtype.kind not in "iu":
            raise RuntimeError(f"{op}(): Expected a long tensor for index, but got "
                               f"{index.dtype if idx is not None else type(index).__name__}")
        n = self._data.size
        if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
            bad = int(idx.min()) if int(idx.min()) < -n else int(idx.max())
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             f"elements.")
        return idx % max(n, 1)

    def take(self, index):
        """self's entries at flat positions (self read as 1-D), in index's shape."""
        idx = self._flat_index(index, "take")
        return F.GetItem.apply(self.reshape(-1), index=(idx,))

    def take_along_dim(self, indices, dim=None):
        """gather along dim after broadcasting self and indices over the other dims
        (dim=None: both flattened)."""
        if dim is None:
            return self.reshape(-1).gather(0, indices.reshape(-1))
        ax = self._axis(dim)
        if indices.ndim != self._data.ndim:
            raise RuntimeError(f"take_along_dim(): input and indices should have the same "
                               f"number of dimensions, but got {self._data.ndim} dimensions "
                               f"for input, and {indices.ndim} dimensions for indices")
        sizes = list(self._data.shape)
        sizes[ax] = indices.shape[ax]
        shape = list(broadcast_shapes(tuple(sizes), tuple(indices.shape), "take_along_dim"))
        idx = indices.expand(shape)
        shape[ax] = self._data.shape[ax]
        return self.expand(shape).gather(ax, idx)

    def put(self, index, source, accumulate=False):
        """self with source's values at flat positions (accumulate=True adds them)."""
        idx = self._flat_index(index, "put_")
        if source.numel() != idx.size:
            raise IndexError(f"put_(): Expected source and index to have the same number of "
                             f"elements, but got source.numel() = {source.numel()}, "
                             f"index.numel() = {idx.size}")
        flat, src, where = self.reshape(-1), source.reshape(-1), self._make(idx.reshape(-1))
        out = flat.scatter_add(0, where, src) if accumulate else flat.scatter(0, where, src)
        return out.reshape(self._data.shape)

    def put_(self, index, source, accumulate=False):
        """put in place."""
        return self._commit(self.put(index, source, accumulate), "put_")

    # ---- counting and searching (no gradient) ----------------------------------------------
    def nonzero(self, *, as_tuple=False):
        """The int64 [n, ndim] coordinates of the nonzero entries (as_tuple: one 1-D
        tensor per dim)."""
        a = _host(self._data)
        if as_tuple:
            coords = np.nonzero(a.reshape(1) if a.ndim == 0 else a)
            return tuple(self._host_tensor(c, np.int64) for c in coords)
        return self._host_tensor(np.argwhere(a), np.int64)

    def argwhere(self):
        """nonzero(): the coordinates of the nonzero entries, one row each."""
        return self.nonzero()

    def _search(self, values, right, side, out_int32, sorter, op):
        """searchsorted of values into self (1-D, or matching values' leading dims)."""
        if side is not None:
            if side not in ("left", "right"):
                raise RuntimeError(f"searchsorted(): side can only be 'left' or 'right' "
                                   f"but got {side}")
            if right and side == "left":
                raise RuntimeError("searchsorted(): side and right can't be set to "
                                   "opposites, got side of left while right was True")
            right = side == "right"
        seq = _host(self._data)
        vals = _host(values._data) if hasattr(values, "_data") else np.asarray(values)
        if sorter is not None:
            seq = np.take_along_axis(seq, _host(sorter._data), axis=-1)
        how = "right" if right else "left"
        if seq.ndim <= 1:
            out = np.searchsorted(seq.reshape(-1), vals, side=how)
        else:
            if seq.shape[:-1] != vals.shape[:-1]:
                raise RuntimeError(f"{op}: boundaries tensor should be 1 dimension or the first "
                                   f"N-1 dimensions of boundaries tensor and input value tensor "
                                   f"must match, but we got boundaries tensor "
                                   f"{list(seq.shape)} and input value tensor "
                                   f"{list(vals.shape)}")
            rows = seq.reshape(-1, seq.shape[-1])
            out = np.stack([np.searchsorted(r, v, side=how) for r, v in
                            zip(rows, vals.reshape(-1, vals.shape[-1]))]).reshape(vals.shape)
        return self._host_tensor(np.asarray(out), np.int32 if out_int32 else np.int64)

    def searchsorted(self, values, *, out_int32=False, right=False, side=None, sorter=None):
        """tg.searchsorted(sorted_sequence, values): where each value would be inserted
        to keep the (last dim of the) sequence sorted; right=True after equal values."""
        return self._search(values, right, side, out_int32, sorter, "searchsorted()")

    def bucketize(self, boundaries, *, out_int32=False, right=False):
        """tg.bucketize(input, boundaries): the bucket of each element between the 1-D
        sorted boundaries (right=False: boundaries[i-1] < x <= boundaries[i])."""
        if boundaries.ndim != 1:
            raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim"
                               f"({boundaries.ndim})")
        return boundaries._search(self, right, None, out_int32, None, "bucketize")

    def unique(self, sorted=True, return_inverse=False, return_counts=False,  # noqa: A002
               dim=None):
        """The distinct values (sorted), with the inverse map and counts if asked;
        dim: distinct slices along dim."""
        a = _host(self._data)
        ax = None if dim is None else self._axis(dim)
        vals, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=ax)
        inverse = inverse.reshape(a.shape if ax is None else (a.shape[ax],))
        out = [self._host_tensor(vals)]
        if return_inverse:
            out.append(self._host_tensor(inverse, np.int64))
        if return_counts:
            out.append(self._host_tensor(counts, np.int64))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights=None, minlength=0):
        """How often each value 0, 1, ... occurs in a 1-D non-negative integer tensor
        (or the sum of the weights at its positions); at least minlength bins."""
        if self._data.dtype.kind not in "iu":
            raise NotImplementedError(f'"bincount" not implemented for {self.dtype!r}; '
                                      "count integer class indices")
        a = _host(self._data)
        if a.ndim != 1 or (a.size and a.min() < 0):
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        if minlength < 0:
            raise RuntimeError("minlength should be >= 0")
        if weights is None:
            return self._host_tensor(np.bincount(a, minlength=minlength), np.int64)
        w = _host(weights._data)
        if w.ndim != 1 or w.shape != a.shape:
            raise RuntimeError("weights should be 1-d and have the same length as input")
        dt = w.dtype if w.dtype.kind == "f" else np.float64
        return self._host_tensor(np.bincount(a, w.astype(np.float64), minlength), dt)

    def histc(self, bins=100, min=0, max=0):  # noqa: A002 - PyTorch's names
        """Counts of the values in ``bins`` equal bins over [min, max] (min == max: the
        data's range); values outside are ignored."""
        if self._data.dtype.kind != "f":
            raise NotImplementedError(f'"histc" not implemented for {self.dtype!r}; convert '
                                      "the input with .float() first")
        if bins <= 0:
            raise RuntimeError(f"histc(): bins must be > 0, but got {bins} for "
                               "dimension 0")
        if max < min:
            raise RuntimeError("histc: max must be larger than min")
        a = _host(self._data).reshape(-1)
        lo, hi = float(min), float(max)
        if lo == hi and a.size:
            lo, hi = float(a.min()), float(a.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        a = a[(a >= lo) & (a <= hi)]
        pos = np.floor((a - lo) * bins / (hi - lo)).astype(np.int64)
        counts = np.bincount(np.minimum(pos, bins - 1), minlength=bins)
        return self._host_tensor(counts, self._data.dtype)
