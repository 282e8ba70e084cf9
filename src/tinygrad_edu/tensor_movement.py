"""Movement and construction-by-rearrangement methods of ``Tensor`` (roll, diagonal,
tile, movedim, unbind, ...; a mixin; issue 18).

Every op here is a composition of existing primitives where that is exact: slices and
index arrays (``GetItem``, whose adjoint ``IndexAdd`` also builds diagonal matrices),
``cat``, ``permute``, ``reshape``, ``expand``, ``flip`` and products. Their gradients are
therefore the primitives' gradients. ``diagonal`` and ``unfold`` are views of self (as
in PyTorch), strided reads that no composition gives: ``functions.movement_extra``.
"""
import itertools

import numpy as np

from . import dtypes
from . import functions as F
from .backend import of_array as _backend_of

# the names that tg also offers as functions (tg.xxx(t, ...)): see functional.py
FUNCTIONAL: tuple[str, ...] = (
    "fliplr", "flipud", "roll", "rot90", "diag", "diagonal", "diag_embed", "trace", "tile",
    "movedim", "moveaxis", "swapaxes", "swapdims", "unbind", "broadcast_to", "outer", "ger",
    "cross", "kron", "combinations",
)


_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte",
                "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "bool": "Bool"}


def _ints(dims, op):
    """dims as a tuple of ints (an int, a tuple or a list)."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{op}(): expected ints for the dims, got {type(d).__name__}")
    return dims


class MovementOps:
    __slots__ = ()

    # ---- flips and rotations ------------------------------------------------------------
    def fliplr(self):
        """Reverse the order of columns (dim 1); needs at least 2 dimensions."""
        if self._data.ndim < 2:
            raise RuntimeError("Input must be >= 2-d.")
        return self.flip(1)

    def flipud(self):
        """Reverse the order of rows (dim 0); needs at least 1 dimension."""
        if self._data.ndim < 1:
            raise RuntimeError("Input must be >= 1-d.")
        return self.flip(0)

    def roll(self, shifts, dims=None):
        """Elements shifted by ``shifts`` along ``dims`` (flattened when dims is None),
        those that fall off one end coming back at the other."""
        shifts = _ints(shifts, "roll")
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"roll: shifts {list(shifts)} without dims must be one "
                                   "number (the tensor is flattened)")
            return self.flatten().roll(shifts[0], 0).reshape(self._data.shape)
        dims = _ints(dims, "roll")
        if len(shifts) != len(dims):
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               f"dims:{len(dims)}")
        out = self
        for s, d in zip(shifts, dims):
            ax = self._axis(d)
            n = self._data.shape[ax] if self._data.ndim else 1
            if n == 0 or s % n == 0 or self._data.ndim == 0:
                continue
            k = s % n
            out = F.Cat.apply(out.narrow(ax, n - k, k), out.narrow(ax, 0, n - k), axis=ax)
        return out if out is not self else self.clone()

    def _take(self, index):
        """self[index] for a tuple of ints, slices, Ellipsis and numpy index arrays (moved
        to self's device)."""
        return F.GetItem.apply(self, index=self._index(index))

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first
        towards the second."""
        dims = _ints(dims, "rot90")
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if self._data.ndim < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = "
                               f"{self._data.ndim}")
        a, b = self._axis(dims[0]), self._axis(dims[1])
        if a == b:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {a} "
                               f"and dim1 = {b}")
        k = int(k) % 4
        if k == 1:
            return self.flip(b).transpose(a, b)
        if k == 2:
            return self.flip(a, b)
        if k == 3:
            return self.flip(a).transpose(a, b)
        return self.clone()

    # ---- diagonals ----------------------------------------------------------------------
    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The diagonal of the (dim1, dim2) planes, as a new last dimension: entries
        [i, i + offset] (offset > 0 above the main diagonal, < 0 below). A view, as in
        PyTorch: writes through it reach self."""
        if self._data.ndim < 2:
            raise RuntimeError(f"diagonal dimensions requires ndim larger than 1, got "
                               f"{self._data.ndim}")
        a, b = self._axis(dim1), self._axis(dim2)
        if a == b:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        return F.Diagonal.apply(self, offset=int(offset), a=a, b=b)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Square matrices in the (dim1, dim2) planes of the result with the last
        dimension of self on their ``offset`` diagonal, zeros elsewhere."""
        nd = self._data.ndim + 1
        a, b = self._axis(dim1, nd), self._axis(dim2, nd)
        if a == b:
            raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
        x = self if self._data.ndim else self.reshape(1)
        n = x._data.shape[-1]
        m = n + abs(offset)
        i = np.arange(n)
        rows, cols = i + max(-offset, 0), i + max(offset, 0)
        out = F.IndexAdd.apply(x, shape=x._data.shape[:-1] + (m, m),
                               index=x._index((Ellipsis, rows, cols)))
        rest = [d for d in range(nd) if d not in (a, b)]
        order = [0] * nd
        for src, dst in enumerate(rest + [a, b]):
            order[dst] = src
        return out.permute(*order)

    def diag(self, diagonal=0):
        """A 1-D tensor as a square matrix with it on the given diagonal; of a matrix, its
        given diagonal as a 1-D tensor."""
        if self._data.ndim == 1:
            return self.diag_embed(diagonal)
        if self._data.ndim == 2:   # a copy, as PyTorch's diag (diagonal is the view)
            return self.diagonal(diagonal).clone()
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self._data.ndim}D")

    def trace(self):
        """The sum of the main diagonal of a matrix (integers sum as int64)."""
        if self._data.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim "
                               f"{self._data.ndim}")
        if self._data.dtype.kind == "b":
            raise NotImplementedError('"trace" not implemented for tg.bool')
        d = self.diagonal()
        return (d.long() if self._data.dtype.kind in "biu" else d).sum()

    # ---- rearranging dimensions -----------------------------------------------------------
    def tile(self, *dims):
        """Copies of self repeated along each dimension (``dims`` shorter than ndim is
        padded with leading 1s, as PyTorch's tile)."""
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        dims = _ints(dims, "tile")
        dims = (1,) * (self._data.ndim - len(dims)) + dims
        return self.repeat(*dims)

    def movedim(self, source, destination):
        """Dimensions ``source`` moved to positions ``destination``, the others keeping
        their order."""
        src, dst = _ints(source, "movedim"), _ints(destination, "movedim")
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                               f"({list(src)} dims) should contain the same number of dims as "
                               f"destination ({list(dst)} dims)")
        nd = self._data.ndim
        src = tuple(self._axis(d) for d in src)
        dst = tuple(self._axis(d) for d in dst)
        for what, ds in (("source", src), ("destination", dst)):
            if len(set(ds)) != len(ds):
                raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(ds)})")
        order = [-1] * nd
        for s, d in zip(src, dst):
            order[d] = s
        rest = iter(d for d in range(nd) if d not in src)
        order = [next(rest) if o == -1 else o for o in order]
        return self.permute(*order) if nd else self.clone()

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        """transpose(axis0, axis1) (numpy's name)."""
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def unbind(self, dim=0):
        """The slices along dim, as a tuple (each without that dimension)."""
        if self._data.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        ax = self._axis(dim)
        return tuple(self[(slice(None),) * ax + (i,)] for i in range(self._data.shape[ax]))

    def broadcast_to(self, size):
        """expand to ``size`` (PyTorch's broadcast_to)."""
        return self.expand(size)

    def unfold(self, dimension, size, step):
        """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new
        last dimension (the windows take dimension's place). A view of self, as in
        PyTorch (overlapping windows share elements)."""
        ax = self._axis(dimension)
        n = self._data.shape[ax] if self._data.ndim else 1
        if size > n:
            raise RuntimeError(f"maximum size for tensor at dimension {ax} is {n} but size is "
                               f"{size}")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        if size < 0:
            raise RuntimeError(f"size is {size} but must be >= 0")
        if self._data.ndim == 0:
            return self.reshape(1)
        return F.Windows.apply(self, axis=ax, size=int(size), step=int(step))

    def _view_dtype(self, dtype):
        """The same bytes read as another dtype (``Tensor.view(dtype)``), sharing memory;
        with a different element size the last dimension scales. Not differentiable, as
        in PyTorch: the result is outside the graph."""
        new, d = dtypes.to_dtype(dtype), self._data
        old = dtypes.of_array(d)
        a, b = _TORCH_NAMES[old.name], _TORCH_NAMES[new.name]
        if new.itemsize != old.itemsize:
            why = f"to view {a} as {b} (different element sizes)"
            if d.ndim == 0:
                raise RuntimeError(f"self.dim() cannot be 0 {why}")
            stride = d.strides[-1] // d.itemsize if d.shape[-1] > 1 else 1
            if stride != 1:
                raise RuntimeError(f"self.stride(-1) must be 1 {why}, but got {stride}")
            if new.itemsize > old.itemsize and \
                    (d.shape[-1] * old.itemsize) % new.itemsize:
                raise RuntimeError(f"self.size(-1) must be divisible by "
                                   f"{new.itemsize // old.itemsize} {why}, but got "
                                   f"{d.shape[-1]}")
        out = self._make(d.view(new.np))
        out._version = self._version
        return out

    # ---- products ----------------------------------------------------------------------------
    def outer(self, vec2):
        """The outer product of two 1-D tensors: out[i, j] = self[i] * vec2[j]."""
        if self._data.ndim != 1 or getattr(vec2, "ndim", None) != 1:
            raise RuntimeError(f"outer: expected two 1-D tensors, got {self._data.ndim}-D and "
                               f"{getattr(vec2, 'ndim', type(vec2).__name__)}-D")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along dim (by default the first dimension of
        size 3, as PyTorch's torch.cross without dim), broadcasting the others."""
        if self._data.ndim != other._data.ndim:
            raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions "
                               f"(got {self._data.ndim} and {other._data.ndim})")
        if self._data.dtype.kind == "b" or other._data.dtype.kind == "b":
            raise NotImplementedError('"linalg_cross" not implemented for tg.bool')
        a, b = self._pair(other, op="linalg.cross")
        shape = a._data.shape if a._data.size >= b._data.size else b._data.shape
        if dim is None:
            dims = [d for d, s in enumerate(shape) if s == 3]
            if not dims:
                raise RuntimeError("no dimension of size 3 in input")
            dim = dims[0]
        ax = self._axis(dim)
        for t in (a, b):
            if t._data.shape[ax] != 3:
                raise RuntimeError(f"linalg.cross: inputs dimension {ax} must have length 3. "
                                   f"Got {a._data.shape[ax]} and {b._data.shape[ax]}")
        pick = (slice(None),) * ax
        i1, i2 = np.array([1, 2, 0]), np.array([2, 0, 1])
        return a._take(pick + (i1,)) * b._take(pick + (i2,)) - \
            a._take(pick + (i2,)) * b._take(pick + (i1,))

    def kron(self, other):
        """The Kronecker product: blocks self[i, j] * other (any number of dimensions)."""
        nd = max(self._data.ndim, other._data.ndim)
        a = self.reshape((1,) * (nd - self._data.ndim) + self._data.shape)
        b = other.reshape((1,) * (nd - other._data.ndim) + other._data.shape)
        sa, sb = a._data.shape, b._data.shape
        a = a.reshape(tuple(x for s in sa for x in (s, 1)))
        b = b.reshape(tuple(x for s in sb for x in (1, s)))
        return (a * b).reshape(tuple(x * y for x, y in zip(sa, sb)))

    def combinations(self, r=2, with_replacement=False):
        """The length-r combinations of a 1-D tensor's elements, one per row (as
        itertools.combinations, or combinations_with_replacement)."""
        if self._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(self._data.shape)}")
        if r < 0:
            raise RuntimeError(f"Expect a non-negative number, but got {r}")
        if r == 0:
            return self._make(_backend_of(self._data).xp.empty((0,), self._data.dtype))
        pick = itertools.combinations_with_replacement if with_replacement else \
            itertools.combinations
        idx = np.array(list(pick(range(self._data.shape[0]), r)), dtype=np.int64)
        return self._take((idx.reshape(-1, r),))

