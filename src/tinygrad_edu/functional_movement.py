"""Issue 18's movement functions that are not Tensor methods in PyTorch (tg.meshgrid,
tg.hstack, tg.block_diag, tg.cdist, tg.triu_indices, ...), each a composition of
existing ops: reshape, expand, cat, permute, matmul and reductions. Re-exported by
functional.py, so they are ``tg.xxx``; also re-exports issue 18's new factories and
dtype queries (logspace, randint_like, finfo, iinfo)."""
import numpy as np

from . import dtypes
from . import functions as F
from .dtypes import finfo, iinfo
from .factories import as_tensor, logspace, randint_like
from .factories import _new
from .backend import of_array as _backend_of
from .shapes import broadcast_shapes as _broadcast2
from .tensor import Size

__all__ = ["meshgrid", "broadcast_tensors", "broadcast_shapes", "block_diag",
           "cartesian_prod", "triu_indices", "tril_indices", "hstack", "vstack", "row_stack",
           "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "cdist",
           "tensordot", "logspace", "randint_like", "finfo", "iinfo"]


def _tensors(args, op):
    """f(a, b), f([a, b]) and f((a, b)) as a list of tensors."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = args[0]
    return [as_tensor(t) for t in args]


def _seq(tensors, op):
    """The sequence argument of the stack functions (a tuple or list of tensors)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return [as_tensor(t) for t in tensors]


def _cat(tensors, dim):
    from .functional import cat  # functional imports this module
    return cat(tensors, dim)


def _one_or_tuple(args, out):
    single = len(args) == 1 and not isinstance(args[0], (list, tuple))
    return out[0] if single else tuple(out)


def atleast_1d(*tensors):
    """Each tensor with at least 1 dimension (a 0-d one as [1]); one tensor in, one out."""
    out = [t if t.ndim >= 1 else t.reshape(1) for t in _tensors(tensors, "atleast_1d")]
    return _one_or_tuple(tensors, out)


def atleast_2d(*tensors):
    """Each tensor with at least 2 dimensions: 0-d as [1, 1], [n] as [1, n]."""
    out = [t if t.ndim >= 2 else t.reshape(1, -1) for t in _tensors(tensors, "atleast_2d")]
    return _one_or_tuple(tensors, out)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dimensions: 0-d as [1, 1, 1], [n] as [1, n, 1],
    [m, n] as [m, n, 1]."""
    def lift(t):
        if t.ndim >= 3:
            return t
        if t.ndim == 2:
            return t.unsqueeze(-1)
        return t.reshape(1, -1, 1)
    return _one_or_tuple(tensors, [lift(t) for t in _tensors(tensors, "atleast_3d")])


def hstack(tensors):
    """Join horizontally: 1-D tensors end to end, others along dim 1."""
    ts = [atleast_1d(t) for t in _seq(tensors, "hstack")]
    return _cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors):
    """Join vertically (along dim 0), 1-D tensors as rows."""
    return _cat([atleast_2d(t) for t in _seq(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors):
    """Join depthwise (along dim 2), after atleast_3d."""
    return _cat([atleast_3d(t) for t in _seq(tensors, "dstack")], 2)


def column_stack(tensors):
    """Join as columns: 0-d and 1-d tensors become columns, others join along dim 1."""
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in _seq(tensors, "column_stack")]
    return _cat(ts, 1)


def broadcast_shapes(*shapes):
    """The shape that all the given shapes broadcast to (PyTorch's error if none)."""
    out = ()
    for s in shapes:
        out = _broadcast2(out, (s,) if isinstance(s, int) else tuple(s), "broadcast_shapes")
    return Size(out)


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape."""
    ts = _tensors(tensors, "broadcast_tensors")
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: with indexing 'ij' (the default) output i
    varies along dim i; 'xy' swaps the first two dims (as numpy's meshgrid)."""
    ts = _tensors(tensors, "meshgrid")
    if indexing not in (None, "ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    if not ts:
        raise RuntimeError("torch.meshgrid: Expected at least one tensor")
    for i, t in enumerate(ts):
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t.ndim}D (tensor {i})")
        if t.dtype != ts[0].dtype or t.device != ts[0].device:
            raise RuntimeError("torch.meshgrid: Expected all tensors in the tensor list to have "
                               f"the same dtype and device, got {ts[0].dtype!r} on "
                               f"{ts[0].device} and {t.dtype!r} on {t.device}")
    ts = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    n = len(ts)
    out = [t.reshape((1,) * i + (-1,) + (1,) * (n - i - 1)).expand(shape)
           for i, t in enumerate(ts)]
    if swap:  # the grids of (y, x, ...) in 'ij' order, handed back as (x, y, ...)
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, one per row."""
    ts = _tensors(tensors, "cartesian_prod")
    for t in ts:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    from .functional import stack
    return stack([g.reshape(-1) for g in grids], 1)


def block_diag(*tensors):
    """The tensors (0-d, 1-d or 2-d) as blocks along the diagonal of one matrix, zeros
    elsewhere; the dtype promoted over all of them."""
    ts = _tensors(tensors, "block_diag")
    for i, t in enumerate(ts):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.ndim} dimensions")
    if not ts:
        return _new(np.zeros((1, 0), np.float32))
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = dtypes.promote(dt, t.dtype)
    ts = [t.to(dt).reshape(1, -1) if t.ndim < 2 else t.to(dt) for t in ts]
    width = sum(t.shape[1] for t in ts)
    rows, left = [], 0
    xp = _backend_of(ts[0]._data).xp
    for t in ts:
        r, c = t.shape
        parts = [t._make(xp.zeros((r, left), dt.np)), t,
                 t._make(xp.zeros((r, width - left - c), dt.np))]
        rows.append(F.Cat.apply(*parts, axis=1))
        left += c
    return F.Cat.apply(*rows, axis=0)


def _indices(tri, row, col, offset, dtype, device):
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    dt = dtypes.to_dtype(dtype) or dtypes.int64
    if dt not in (dtypes.int64, dtypes.int32):
        raise NotImplementedError(f"\"{tri}_indices\" not implemented for {dt!r}")
    fn = np.triu_indices if tri == "triu" else np.tril_indices
    return _new(np.stack(fn(row, offset, col)).astype(dt.np).reshape(2, -1), None, False,
                device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None):
    """The [2, N] coordinates (row-major) of the upper triangle of a row x col matrix
    (j - i >= offset)."""
    return _indices("triu", row, col, offset, dtype, device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None):
    """The [2, N] coordinates of the lower triangle (j - i <= offset)."""
    return _indices("tril", row, col, offset, dtype, device)


def tensordot(a, b, dims=2):
    """Sum of products over dims of a and b: ``dims`` an int (a's last n with b's first
    n) or two lists of dims; computed as one matrix product."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError(f"both dimension lists should have same length (got {len(da)} and "
                           f"{len(db)})")
    if a.dtype == dtypes.bool_ or b.dtype == dtypes.bool_:
        raise NotImplementedError('"tensordot" not implemented for tg.bool')
    da, db = [a._axis(d) for d in da], [b._axis(d) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[x]} in dim {x} and second has size {b.shape[y]} in "
                               f"dim {y}")
    ra = [d for d in range(a.ndim) if d not in da]
    rb = [d for d in range(b.ndim) if d not in db]
    k = int(np.prod([a.shape[d] for d in da]))
    am = a.permute(*ra, *da).reshape(-1, k)
    bm = b.permute(*db, *rb).reshape(k, -1)
    return am.matmul(bm).reshape(tuple(a.shape[d] for d in ra) + tuple(b.shape[d] for d in rb))


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M]
    -> [..., P, R]; the gradient at a zero distance is 0, as PyTorch's."""
    for name, t in (("X1", x1), ("X2", x2)):
        if not t.is_floating_point():
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{t.dtype!r}")
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X{1 if x1.ndim < 2 else 2}"
                           f" got: {min(x1.ndim, x2.ndim)}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values, got {p}")
    d = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()
    if p == 0:
        return d.sign().sum(-1)  # a count with a zero gradient, as PyTorch's
    if p == 1:
        return d.sum(-1)
    if p == float("inf"):
        return d.amax(-1)
    s = (d * d).sum(-1) if p == 2 else (d ** p).sum(-1)
    zero = s == 0
    return (s.masked_fill(zero, 1.0) ** (1.0 / p)).masked_fill(zero, 0.0)
