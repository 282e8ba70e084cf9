"""Masking, gather/scatter, cumulative, sorting and splitting methods of ``Tensor``
(a mixin): the ops language models reach for (masked_fill, tril, gather, topk,
multinomial, split...). Arguments are checked here, in Python, before any kernel;
most ops are one primitive from ``functions.indexing`` or a composition."""
import collections
import math

import numpy as np

from . import functions as F
from ._rng import resolve as _resolve_rng
from .backend import host as _host, of_array as _backend_of
from .shapes import broadcast_shapes

sort_result = collections.namedtuple("sort", ["values", "indices"])
topk_result = collections.namedtuple("topk", ["values", "indices"])


class IndexOps:
    __slots__ = ()

    # ---- masks ------------------------------------------------------------------------------
    def masked_fill(self, mask, value):
        """self with ``value`` where the boolean ``mask`` (broadcast) is True."""
        mask = self._lift(mask)
        if mask.dtype.np.kind != "b":
            raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with dtype "
                               f"{mask.dtype!r}; compare first, e.g. mask == 0")
        value = self._lift(value)
        if value.ndim:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s)")
        broadcast_shapes(self._data.shape, mask._data.shape, "masked_fill")
        if value.dtype != self.dtype:
            value = value.to(self.dtype)
        return F.Where.apply(mask, value, self)

    def masked_fill_(self, mask, value):
        """masked_fill in place (mask broadcasts to self's shape)."""
        return self._commit(self.masked_fill(mask, value), "masked_fill_")

    def _triangle(self, diagonal, op, lower):
        if self._data.ndim < 2:
            raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape "
                               f"{list(self._data.shape)}")
        n, m = self._data.shape[-2:]
        xp = _backend_of(self._data).xp
        keep = xp.tri(n, m, k=diagonal, dtype=bool) if lower else \
            ~xp.tri(n, m, k=diagonal - 1, dtype=bool)
        return F.Where.apply(self._make(keep), self, self._make(xp.zeros((), self._data.dtype)))

    def tril(self, diagonal=0):
        """The lower triangle of the last two dims (j - i <= diagonal kept), zeros above."""
        return self._triangle(int(diagonal), "tril", lower=True)

    def triu(self, diagonal=0):
        """The upper triangle of the last two dims (j - i >= diagonal kept), zeros below."""
        return self._triangle(int(diagonal), "triu", lower=False)

    def tril_(self, diagonal=0):
        """tril in place."""
        return self._commit(self.tril(diagonal), "tril_")

    def triu_(self, diagonal=0):
        """triu in place."""
        return self._commit(self.triu(diagonal), "triu_")

    # ---- cumulative and flip ------------------------------------------------------------------
    def cumsum(self, dim, dtype=None):
        """Running sum along dim; integers and bools sum as int64, as in PyTorch."""
        x = self.to(dtype) if dtype is not None else \
            self.long() if self._data.dtype.kind in "biu" else self
        if x._data.dtype == np.bool_:
            raise NotImplementedError('"cumsum_out_cpu" not implemented for \'Bool\'')
        ax = self._axis(dim)
        if x._data.ndim == 0:
            return F.Cumsum.apply(x.reshape(1), axis=0).reshape(())
        return F.Cumsum.apply(x, axis=ax)

    def flip(self, *dims):
        """Reverse the order of elements along the given dims (a copy, as PyTorch's)."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        axes = self._axes(tuple(dims))
        return F.Flip.apply(self, axes=axes or ())

    # ---- gather and scatter -----------------------------------------------------------------
    def _index_arg(self, index, op, dim, src=None):
        """(axis, index array) for gather/scatter, checked against self (and src)."""
        if not hasattr(index, "_data"):
            raise TypeError(f"{op}(): index must be a Tensor, got {type(index).__name__}")
        ax, idx = self._axis(dim), index._data
        if idx.dtype.kind not in "iu":
            raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype!r}")
        shape, ishape = self._data.shape, idx.shape
        if idx.ndim != self._data.ndim:
            raise RuntimeError(f"{op}(): Index tensor must have the same number of dimensions as "
                               f"input tensor (index shape {list(ishape)}, input {list(shape)})")
        for d, (i, s) in enumerate(zip(ishape, shape)):
            if d != ax and i > s:
                raise RuntimeError(f"{op}(): Size does not match at dimension {d} expected index "
                                   f"{list(ishape)} to be no larger than self {list(shape)} "
                                   f"apart from dimension {ax}")
        if src is not None and any(i > s for i, s in zip(ishape, src._data.shape)):
            raise RuntimeError(f"{op}(): Expected index {list(ishape)} to be no larger size than "
                               f"src {list(src._data.shape)}")
        n = shape[ax] if shape else 1
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
            bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
            raise RuntimeError(f"{op}(): index {bad} is out of bounds for dimension {ax} with "
                               f"size {n}")
        return ax, idx

    def gather(self, dim, index, *, sparse_grad=False):
        """out[i][j] = self[index[i][j]][j] for dim 0 (and likewise for any dim)."""
        ax, idx = self._index_arg(index, "gather", dim)
        if self._data.ndim == 0:
            return F.Gather.apply(self.reshape(1), index=idx.reshape(1), axis=0).reshape(())
        return F.Gather.apply(self, index=idx, axis=ax)

    def _source(self, src, index, op):
        """src as a tensor of self's dtype cut to index's shape (a number fills it)."""
        if not hasattr(src, "_data"):
            xp = _backend_of(self._data).xp
            return self._make(xp.full(index._data.shape, src, dtype=self._data.dtype))
        if src.dtype != self.dtype:
            raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype (got "
                               f"{self.dtype!r} and {src.dtype!r})")
        cut = tuple(slice(0, n) for n in index._data.shape)
        return src if src._data.shape == index._data.shape else src[cut]

    def scatter(self, dim, index, src=None, *, value=None, reduce=None):
        """self with src (a tensor or a number) written at the positions gather reads."""
        if reduce == "add":
            return self.scatter_add(dim, index, src if src is not None else value)
        if reduce is not None:
            raise NotImplementedError(f"scatter(): reduce={reduce!r} is not supported; use "
                                      "reduce='add' (scatter_add)")
        src = value if src is None else src
        ax, idx = self._index_arg(index, "scatter", dim, src if hasattr(src, "_data") else None)
        src = self._source(src, index, "scatter")
        if self._data.ndim == 0:
            return F.Scatter.apply(self.reshape(1), src.reshape(1), index=idx.reshape(1),
                                   axis=0).reshape(())
        return F.Scatter.apply(self, src, index=idx, axis=ax)

    def scatter_add(self, dim, index, src):
        """self plus src's values added at the positions gather reads (repeats add up)."""
        ax, idx = self._index_arg(index, "scatter_add", dim, src)
        src = self._source(src, index, "scatter_add")
        if self._data.ndim == 0:
            return self + F.GatherAdjoint.apply(src.reshape(1), shape=(1,), index=idx.reshape(1),
                                                axis=0).reshape(())
        return self + F.GatherAdjoint.apply(src, shape=self._data.shape, index=idx, axis=ax)

    def scatter_(self, dim, index, src=None, *, value=None, reduce=None):
        """scatter in place."""
        return self._commit(self.scatter(dim, index, src, value=value, reduce=reduce), "scatter_")

    def scatter_add_(self, dim, index, src):
        """scatter_add in place."""
        return self._commit(self.scatter_add(dim, index, src), "scatter_add_")

    def index_select(self, dim, index):
        """The entries at the positions of a 1-D index along dim."""
        ax = self._axis(dim)
        idx = getattr(index, "_data", None)
        if idx is None or idx.dtype.kind not in "iu":
            raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
        if idx.ndim > 1:
            raise IndexError(f"index_select(): Index is supposed to be a vector, got shape "
                             f"{list(idx.shape)}")
        n = self._data.shape[ax] if self._data.ndim else 1
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
            raise IndexError(f"index_select(): index out of range: indices must be in [0, "
                             f"{n - 1}] for dimension {ax} of shape {list(self._data.shape)}")
        if self._data.ndim == 0:
            return self.reshape(1)[idx.reshape(-1)].reshape(idx.shape)
        return F.GetItem.apply(self, index=(slice(None),) * ax + (idx.reshape(-1),))

    # ---- sorting ----------------------------------------------------------------------------
    def _order(self, ax, descending):
        """Indices that sort along ax (stable; NaN counts as the largest, as in PyTorch)."""
        a, xp = self._data, _backend_of(self._data).xp
        if not descending:
            return xp.argsort(a, axis=ax, kind="stable")
        if a.dtype.kind != "f":  # ~ reverses the order of bools and integers exactly
            return xp.argsort(~a, axis=ax, kind="stable")
        first = xp.argsort(-a, axis=ax, kind="stable")
        nan_last = ~xp.isnan(xp.take_along_axis(a, first, axis=ax))
        return xp.take_along_axis(first, xp.argsort(nan_last, axis=ax, kind="stable"), axis=ax)

    def sort(self, dim=-1, descending=False, *, stable=False):
        """(values, indices) sorted along dim; values carry the gradient."""
        ax = self._axis(dim)
        if self._data.ndim == 0:
            return sort_result(F.Flip.apply(self, axes=()), self._make(np.zeros((), np.int64)))
        idx = self._make(self._order(ax, descending).astype(np.int64))
        return sort_result(self.gather(ax, idx), idx)

    def argsort(self, dim=-1, descending=False, *, stable=False):
        """The indices that sort along dim."""
        return self.sort(dim, descending, stable=stable).indices

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002 - PyTorch's name
        """(values, indices) of the k largest (or smallest) entries along dim."""
        ax = self._axis(dim)
        n = self._data.shape[ax] if self._data.ndim else 1
        if not 0 <= k <= n:
            raise RuntimeError(f"topk(): selected index k out of range: k={k} for dimension "
                               f"{ax} of size {n}")
        if self._data.ndim == 0:
            return topk_result(*self.sort())
        idx = self._make(self._order(ax, largest)[(slice(None),) * ax + (slice(0, k),)]
                         .astype(np.int64))
        return topk_result(self.gather(ax, idx), idx)

    # ---- splitting --------------------------------------------------------------------------
    def narrow(self, dim, start, length):
        """The slice start:start+length along dim (a view)."""
        ax = self._axis(dim)
        n = self._data.shape[ax]
        start = start + n if start < 0 else start
        if not 0 <= start <= n or length < 0 or start + length > n:
            raise RuntimeError(f"narrow(): start ({start}) + length ({length}) exceeds dimension "
                               f"size ({n}).")
        return self[(slice(None),) * ax + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim=0):
        """Pieces along dim: of one size (the last may be smaller) or of the listed sizes."""
        ax = self._axis(dim)
        n = self._data.shape[ax]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n or min(sizes, default=0) < 0:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                                   f"(input tensor's size at dimension {ax}), but got "
                                   f"split_sizes={sizes}")
        else:
            size = int(split_size_or_sections)
            if size <= 0 and not (size == 0 and n == 0):
                raise RuntimeError(f"split expects split_size be non-negative, but got "
                                   f"split_size={size}")
            sizes = [min(size, n - s) for s in range(0, n, size)] if n else [0]
        starts = np.cumsum([0] + sizes[:-1])
        return tuple(self.narrow(ax, int(s), k) for s, k in zip(starts, sizes))

    def select(self, dim, index):
        """The slice at ``index`` along dim, with that dim removed (a view): x.select(1, i)
        is x[:, i]."""
        ax = self._axis(dim)
        n = self._data.shape[ax]
        if not -n <= index < n:
            raise IndexError(f"select(): index {index} out of range for tensor of size "
                             f"{list(self._data.shape)} at dimension {ax}")
        return self[(slice(None),) * ax + (int(index),)]

    def tensor_split(self, indices_or_sections, dim=0):
        """Pieces along dim: ``n`` sections as equal as can be (the first ones one longer),
        or cut before each of the listed indices (a list, or a 1-D integer tensor)."""
        ax = self._axis(dim)
        n = self._data.shape[ax]
        cuts = indices_or_sections
        if hasattr(cuts, "_data"):
            cuts = cuts._data.tolist() if cuts.ndim == 1 else int(cuts.item())
        if isinstance(cuts, (list, tuple)):
            bounds = [0] + [min(max(int(c) + (n if c < 0 else 0), 0), n) for c in cuts] + [n]
        else:
            k = int(cuts)
            if k <= 0:
                raise RuntimeError(f"number of sections must be larger than 0, got {k}")
            bounds = [i * (n // k) + min(i, n % k) for i in range(k + 1)]
        return tuple(self.narrow(ax, a, max(b - a, 0)) for a, b in zip(bounds, bounds[1:]))

    def chunk(self, chunks, dim=0):
        """Up to ``chunks`` pieces of equal size along dim (the last may be smaller)."""
        if chunks <= 0:
            raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        n = self._data.shape[self._axis(dim)]
        return self.split(max(math.ceil(n / chunks), 1 if n else 0) or 1, dim)

    def unflatten(self, dim, sizes):
        """Split dim into the given sizes (one may be -1)."""
        ax = self._axis(dim)
        shape, sizes = self._data.shape, tuple(int(s) for s in sizes)
        known = math.prod(s for s in sizes if s != -1)
        if -1 in sizes and known and shape[ax] % known == 0:
            sizes = tuple(shape[ax] // known if s == -1 else s for s in sizes)
        if math.prod(sizes) != shape[ax] or min(sizes, default=0) < 0:
            raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                               f"size of dim {ax} ({shape[ax]}) in the input tensor")
        return self.reshape(shape[:ax] + sizes + shape[ax + 1:])

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Each element repeated ``repeats`` times (a number, or one count per element)."""
        x = self.reshape(-1) if dim is None else self
        ax = x._axis(0 if dim is None else dim)
        n = x._data.shape[ax] if x._data.ndim else 1
        reps = _host(repeats._data) if hasattr(repeats, "_data") else np.asarray(repeats)
        reps = reps.reshape(-1) if reps.size == 1 or reps.ndim else reps
        if reps.size != 1 and reps.shape != (n,):
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.size} and input.size({ax}) = {n}")
        if (reps < 0).any():
            raise RuntimeError("repeat_interleave(): repeats can not be negative")
        picks = np.repeat(np.arange(n), np.broadcast_to(reps, (n,)))
        return x.index_select(ax, x._make(picks.astype(np.int64)).to(x.device))

    # ---- sampling ---------------------------------------------------------------------------
    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Indices drawn from the rows of non-negative weights (no gradient)."""
        rng = _resolve_rng(generator, "multinomial")
        if self._data.ndim not in (1, 2):
            raise RuntimeError(f"multinomial(): prob_dist must be 1 or 2 dim, got shape "
                               f"{list(self._data.shape)}")
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                               f"{self.dtype!r}")
        w = _host(self._data).astype(np.float64).reshape(-1, self._data.shape[-1])
        n = w.shape[1]
        if not np.isfinite(w).all() or (w < 0).any():
            raise RuntimeError("multinomial(): probability tensor contains either `inf`, `nan` or "
                               "element < 0")
        if (w.sum(1) <= 0).any():
            raise RuntimeError("multinomial(): invalid multinomial distribution (sum of "
                               "probabilities <= 0)")
        if not replacement and num_samples > n:
            raise RuntimeError(f"multinomial(): cannot sample n_sample > prob_dist.size(-1) "
                               f"samples without replacement ({num_samples} > {n})")
        if replacement:
            cdf = np.cumsum(w, axis=1)
            u = rng.random((w.shape[0], num_samples)) * cdf[:, -1:]
            out = np.stack([np.searchsorted(c, r, side="right") for c, r in zip(cdf, u)])
            out = np.minimum(out, n - 1)
        else:  # exponential races: the k first arrivals of rate-w clocks, zeros never before
            with np.errstate(divide="ignore"):
                arrival = rng.exponential(size=w.shape) / w
            out = np.argsort(arrival, axis=1, kind="stable")[:, :num_samples]
        out = out.reshape(self._data.shape[:-1] + (num_samples,)).astype(np.int64)
        return self._make(out).to(self.device)
