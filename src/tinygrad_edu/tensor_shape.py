"""Shape, movement and indexing methods of ``Tensor`` (a mixin).

Shapes are resolved and checked here, in Python, so a shape mistake is a
clear error before any kernel runs.
"""
import math

import numpy as np

from . import functions as F
from . import backend as _backend
from .shapes import shape_arg


class ShapeOps:
    __slots__ = ()

    # ---- shape and movement -----------------------------------------------------------------
    def reshape(self, *shape):
        """Same data in a new shape; one dimension may be -1 (inferred)."""
        shape, n = list(shape_arg(shape)), self._data.size
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred (-1)")
        known = math.prod(d for d in shape if d != -1)
        if -1 in shape and known and n % known == 0:
            shape[shape.index(-1)] = n // known
        if math.prod(shape) != n or any(d < 0 for d in shape):
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {n}")
        shape = tuple(shape)
        return F.Reshape.apply(self, shape=shape)

    def view(self, *shape):
        """reshape that must share memory: a layout it cannot view (e.g. a transpose
        flattened) is an error, as in PyTorch, instead of a silent copy. ``view(dtype)``
        reinterprets the bytes (tensor_movement)."""
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list)) and \
                not hasattr(type(shape[0]), "__index__"):
            return self._view_dtype(shape[0])
        out = self.reshape(*shape)
        if self._data.size and not np.may_share_memory(out._data, self._data):
            raise RuntimeError(f"view size is not compatible with input tensor's size and stride "
                               f"(shape {list(self._data.shape)}, strides in elements "
                               f"{[st // self._data.itemsize for st in self._data.strides]}): "
                               "at least one dimension spans across two contiguous subspaces. "
                               "Use .reshape(...) instead.")
        return out

    def view_as(self, other):
        """reshape to other's shape."""
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge dims start_dim..end_dim into one."""
        if self._data.ndim == 0:
            return self.reshape(1)
        s, e = self._axis(start_dim), self._axis(end_dim)
        shape = self._data.shape
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        return self.reshape(shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])

    def squeeze(self, dim=None):
        """Drop size-1 dimensions (all of them, or those in dim)."""
        axes = (self._axes(dim) or ()) if dim is not None else range(self._data.ndim)
        shape = tuple(n for i, n in enumerate(self._data.shape) if not (i in axes and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim):
        """Insert a size-1 dimension at dim."""
        ax = self._axis(dim, self._data.ndim + 1)
        shape = self._data.shape
        return self.reshape(shape[:ax] + (1,) + shape[ax:])

    def permute(self, *dims):
        """Reorder the dimensions (a view)."""
        dims = shape_arg(dims)
        axes = tuple(self._axis(d) for d in dims)
        if sorted(axes) != list(range(self._data.ndim)):
            raise RuntimeError(f"permute: dims {list(dims)} are not a permutation of the "
                               f"{self._data.ndim} dimensions")
        return F.Permute.apply(self, dims=axes)

    def transpose(self, dim0, dim1):
        """Swap two dimensions (a view)."""
        axes = list(range(self._data.ndim))
        a, b = self._axis(dim0), self._axis(dim1)
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(*axes)

    @property
    def T(self):
        """The dimensions reversed (the transpose of a matrix)."""
        return self.permute(*reversed(range(self._data.ndim)))

    def _matrices_t(self, name):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                               f"matrices. Got {self._data.ndim}-D tensor.")
        return self.transpose(-2, -1)

    @property
    def mT(self):  # noqa: N802 - PyTorch's name
        """The last two dimensions swapped (a batch of matrices transposed; a view)."""
        return self._matrices_t("mT")

    @property
    def mH(self):  # noqa: N802 - PyTorch's name
        """The conjugate transpose of a batch of matrices: ``mT`` (tensors here are real)."""
        return self._matrices_t("mH")

    @property
    def H(self):  # noqa: N802 - PyTorch's name
        """The conjugate transpose of a matrix (2-D; real tensors: the transpose; a 0-d
        tensor is returned as it is, as PyTorch still allows)."""
        if self._data.ndim == 0:
            return self
        if self._data.ndim != 2:
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                               f"{self._data.ndim}-D tensor." + (
                                   " For batches of matrices, consider using tensor.mH"
                                   if self._data.ndim > 2 else ""))
        return self.transpose(0, 1)

    def reshape_as(self, other):
        """``reshape(other.shape)``."""
        return self.reshape(tuple(other.shape))

    def t(self):
        """Transpose of a tensor with at most 2 dimensions."""
        if self._data.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, got {self._data.ndim}")
        return self.T

    def expand(self, *sizes):
        """Broadcast to a larger shape without copying (-1 keeps a dimension)."""
        sizes, shape = shape_arg(sizes), self._data.shape
        if len(sizes) < len(shape):
            raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                               f"number of dimensions ({len(shape)})")
        lead = len(sizes) - len(shape)
        target = tuple(shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
        if any(s < 0 for s in target):
            raise RuntimeError(f"expand: the expanded size {list(sizes)} is not allowed: -1 keeps "
                               f"an existing dimension of {list(shape)}, new leading "
                               "dimensions need a size >= 0")
        for i, n in enumerate(shape):
            if n != 1 and n != target[lead + i]:
                raise RuntimeError(f"The expanded size of the tensor ({target[lead + i]}) must "
                                   f"match the existing size ({n}) at non-singleton dimension "
                                   f"{lead + i}. Target sizes: {list(sizes)}. Tensor sizes: "
                                   f"{list(shape)}")
        return F.Expand.apply(self, shape=target)

    def expand_as(self, other):
        """expand to other's shape."""
        return self.expand(other.shape)

    def repeat(self, *sizes):
        """Tile the tensor ``sizes[i]`` times along each dimension."""
        sizes = shape_arg(sizes)
        if len(sizes) < self._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        shape = (1,) * (len(sizes) - self._data.ndim) + self._data.shape
        inter = tuple(x for n in shape for x in (1, n))
        target = tuple(x for r, n in zip(sizes, shape) for x in (r, n))
        out = self.reshape(inter).expand(target)
        return out.reshape(tuple(r * n for r, n in zip(sizes, shape)))

    def _index(self, index):
        """Normalise an index: tensors and lists become arrays, always a tuple."""
        items = index if isinstance(index, tuple) else (index,)
        out = []
        for it in items:
            if isinstance(it, ShapeOps):
                it = it._data
                it = int(it) if it.ndim == 0 and it.dtype.kind in "iu" else it
            elif isinstance(it, list):
                it = np.asarray(it)
            if isinstance(it, np.ndarray) and it.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int or bool tensors")
            if isinstance(it, np.ndarray) and self.is_cuda:
                it = _backend.to_device(it, self.device)  # CPU indices for a GPU tensor
            out.append(it)
        out = tuple(out)
        return self._torch_order(out) if _numpy_order_differs(out) else out

    def _torch_order(self, index):
        """An index that mixes integers with index arrays as PyTorch reads it: integers
        first (each drops its dim), then the arrays, so x[1, :, idx] keeps idx's dim where
        it is (numpy counts the integer as an array and would move that dim to the
        front). Returned as one array of coordinates per dim, in PyTorch's result layout,
        so reading (getitem) and writing (setitem) both follow it."""
        first, rest = [], []
        for it in index:
            if _is_int(it):
                first.append(it)
            elif it is None or it is Ellipsis:
                rest.append(it)
                first += [it] if it is Ellipsis else []
            else:
                is_mask = getattr(it, "dtype", None) is not None and it.dtype.kind == "b"
                first += [slice(None)] * (it.ndim if is_mask else 1)
                rest.append(it)
        xp = _backend.of_array(self._data).xp
        ids = xp.arange(self._data.size).reshape(self._data.shape)
        return tuple(xp.unravel_index(ids[tuple(first)][tuple(rest)], self._data.shape))

    def __getitem__(self, index):
        return F.GetItem.apply(self, index=self._index(index))


def _is_int(it):
    return isinstance(it, (int, np.integer)) and not isinstance(it, (bool, np.bool_))


def _numpy_order_differs(index):
    """Would numpy lay out this normalised index's result unlike PyTorch? Only when
    integers sit between (or beside) index arrays that PyTorch, which applies the
    integers first, sees as adjacent while numpy, which counts integers as arrays, sees
    them split by a slice, and so moves the indexed dims to the front."""
    arrays = [k for k, it in enumerate(index) if not isinstance(it, slice)
              and getattr(it, "ndim", 0) > 0]
    if not arrays or not any(_is_int(it) for it in index):
        return False
    advanced = [k for k, it in enumerate(index) if _is_int(it) or k in arrays]
    numpy_adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    torch_adjacent = all(_is_int(index[k]) or k in arrays
                         for k in range(arrays[0], arrays[-1] + 1))
    return torch_adjacent and not numpy_adjacent
