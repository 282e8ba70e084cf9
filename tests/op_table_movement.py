"""op_table rows for tensor_movement and functional_movement (issue 18), each against
numpy. Ops that return several tensors (unbind, broadcast_tensors, meshgrid) are
stacked into one. Products (outer, cross, kron, tensordot, cdist) are smooth: they get
the second-order check; cdist draws well separated points so no distance is 0."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import strategies as S

U = S.shapes(allow_zero=True).map(lambda s: ((s,), {}))


def _shape(min_dims=1, max_dims=3, **kw):
    return S.shapes(min_dims=min_dims, max_dims=max_dims, max_side=3, max_numel=24, **kw)


@st.composite
def dim_of(draw, min_dims=1, **extra):
    shape = draw(_shape(min_dims))
    nd = len(shape)
    kw = {"dim": draw(st.integers(-nd, nd - 1))}
    kw.update({k: draw(v) for k, v in extra.items()})
    return (shape,), kw


@st.composite
def two_dims(draw, min_dims=2, offset=False):
    shape = draw(_shape(min_dims, 4))
    nd = len(shape)
    a, b = draw(st.permutations(range(nd)))[:2]
    kw = {"d1": a - nd * draw(st.integers(0, 1)), "d2": b}
    if offset:
        kw["offset"] = draw(st.integers(-3, 3))
    return (shape,), kw


@st.composite
def rot_args(draw):
    (shape,), kw = draw(two_dims())
    return (shape,), {"k": draw(st.integers(-3, 4)), "dims": (kw["d1"], kw["d2"])}


@st.composite
def unfold_args(draw):
    shape = draw(_shape(1))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    size = draw(st.integers(0, shape[dim]))
    return (shape,), {"dim": dim, "size": size, "step": draw(st.integers(1, 3))}


@st.composite
def tile_args(draw):
    shape = draw(_shape(0))
    reps = tuple(draw(st.lists(st.integers(1, 2), min_size=0, max_size=len(shape) + 1)))
    return (shape,), {"reps": reps}


@st.composite
def move_args(draw):
    shape = draw(_shape(1, 4))
    nd = len(shape)
    k = draw(st.integers(1, nd))
    src = draw(st.permutations(range(nd)))[:k]
    dst = draw(st.permutations(range(nd)))[:k]
    return (shape,), {"source": tuple(src), "destination": tuple(dst)}


@st.composite
def bcast_to_args(draw):
    target = draw(_shape(0))
    shape = tuple(draw(st.sampled_from([1, s])) for s in target[draw(st.integers(0, len(target))):])
    return (shape,), {"size": target}


def vec(n_lo=1, n_hi=4):
    return st.integers(n_lo, n_hi).map(lambda n: (n,))


pair_vecs = st.tuples(vec(), vec()).map(lambda ss: (ss, {}))


@st.composite
def cross_args(draw):
    shape = list(draw(_shape(1)))
    dim = draw(st.integers(0, len(shape) - 1))
    shape[dim] = 3
    other = [draw(st.sampled_from([1, s])) if i != dim else 3 for i, s in enumerate(shape)]
    return (tuple(shape), tuple(other)), {"dim": dim - len(shape) * draw(st.integers(0, 1))}


@st.composite
def kron_args(draw):
    return (draw(S.shapes(max_dims=2, max_side=3)), draw(S.shapes(max_dims=3, max_side=2))), {}


@st.composite
def tensordot_args(draw):
    k = draw(st.integers(0, 2))
    shared = tuple(draw(st.integers(1, 3)) for _ in range(k))
    a = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))) + shared
    b = shared + tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2))))
    return (a, b), {"dims": k}


@st.composite
def cdist_args(draw):
    m = draw(st.integers(1, 3))
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    return (batch + (draw(st.integers(1, 3)), m), batch + (draw(st.integers(1, 3)), m)), \
        {"p": draw(st.sampled_from([1.0, 2.0, 3.0]))}


@st.composite
def stack_args(draw, kind):
    n = draw(st.integers(1, 3))
    if kind == "hstack":
        rows = draw(st.integers(1, 3))
        return tuple((rows, draw(st.integers(1, 3))) for _ in range(n)), {}
    if kind in ("vstack", "column_stack"):
        m = draw(st.integers(1, 3))
        return tuple(draw(st.sampled_from([(m,), (draw(st.integers(1, 2)), m)]))
                     if kind == "vstack" else
                     draw(st.sampled_from([(m,), (m, draw(st.integers(1, 2)))]))
                     for _ in range(n)), {}
    a, b = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return tuple((a, b, draw(st.integers(1, 2))) for _ in range(n)), {}


def _diag_embed_np(x, offset, d1, d2):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    i = np.arange(x.shape[-1])
    out[..., i + max(-offset, 0), i + max(offset, 0)] = x
    nd = x.ndim + 1
    return np.moveaxis(out, (-2, -1), (d1 % nd, d2 % nd))


def _unfold_np(x, dim, size, step):
    w = np.lib.stride_tricks.sliding_window_view(x, size, axis=dim)
    return w[(slice(None),) * (dim % x.ndim) + (slice(None, None, step),)]


def _cdist_np(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    return (d ** p).sum(-1) ** (1 / p)


def _block_diag_np(*xs):
    xs = [x.reshape(1, -1) if x.ndim < 2 else x for x in xs]
    out = np.zeros((sum(x.shape[0] for x in xs), sum(x.shape[1] for x in xs)), xs[0].dtype)
    r = c = 0
    for x in xs:
        out[r:r + x.shape[0], c:c + x.shape[1]] = x
        r, c = r + x.shape[0], c + x.shape[1]
    return out


def _combinations_np(x, r):
    import itertools
    return np.array(list(itertools.combinations(x, r)), x.dtype).reshape(-1, r)


def rows(Row):
    """The rows, built with op_table's Row class."""
    m2 = _shape(2).map(lambda s: ((s,), {}))
    return [
        Row("fliplr", lambda x: tg.fliplr(x), np.fliplr, m2),
        Row("flipud", lambda x: x.flipud(), np.flipud, _shape(1).map(lambda s: ((s,), {}))),
        Row("roll", lambda x, dim, shift: x.roll(shift, dim), lambda x, dim, shift:
            np.roll(x, shift, dim), dim_of(shift=st.integers(-4, 4))),
        Row("roll_flat", lambda x: tg.roll(x, 3), lambda x: np.roll(x, 3), U),
        Row("rot90", lambda x, k, dims: tg.rot90(x, k, dims),
            lambda x, k, dims: np.rot90(x, k, dims), rot_args()),
        Row("diag", lambda x: tg.diag(x, 1), lambda x: np.diag(x, 1),
            st.sampled_from([(2,), (3,), (2, 3), (3, 3)]).map(lambda s: ((s,), {}))),
        Row("diagonal", lambda x, offset, d1, d2: x.diagonal(offset, d1, d2),
            lambda x, offset, d1, d2: np.diagonal(x, offset, d1, d2), two_dims(offset=True)),
        Row("diag_embed", lambda x, offset, d1, d2: tg.diag_embed(x, offset, d1, d2),
            _diag_embed_np, two_dims(min_dims=2, offset=True).map(
                lambda a: ((a[0][0][:-1],), a[1]))),
        Row("trace", lambda x: tg.trace(x), lambda x: np.asarray(np.trace(x)),
            _shape(2, 2).map(lambda s: ((s,), {}))),
        Row("tile", lambda x, reps: tg.tile(x, reps), np.tile, tile_args()),
        Row("movedim", lambda x, source, destination: tg.movedim(x, source, destination),
            np.moveaxis, move_args()),
        Row("swapaxes", lambda x, d1, d2: tg.swapaxes(x, d1, d2),
            lambda x, d1, d2: np.swapaxes(x, d1, d2), two_dims()),
        Row("unbind", lambda x, dim: tg.stack(x.unbind(dim)[::-1]),
            lambda x, dim: np.flip(np.moveaxis(x, dim, 0), 0), dim_of()),
        Row("broadcast_to", lambda x, size: tg.broadcast_to(x, size),
            lambda x, size: np.broadcast_to(x, size),
            bcast_to_args()),
        Row("broadcast_tensors", lambda a, b: tg.stack(tg.broadcast_tensors(a, b)),
            lambda a, b: np.stack(np.broadcast_arrays(a, b)), S.pairs_of_broadcastable().map(
                lambda ss: (ss, {}))),
        Row("tensor_unfold", lambda x, dim, size, step: x.unfold(dim, size, step), _unfold_np,
            unfold_args()),
        Row("outer", lambda a, b: tg.outer(a, b), np.outer, pair_vecs, smooth=True),
        Row("cross", lambda a, b, dim: tg.cross(a, b, dim=dim),
            lambda a, b, dim: np.cross(*np.broadcast_arrays(a, b), axis=dim), cross_args(),
            smooth=True),
        Row("kron", lambda a, b: tg.kron(a, b), np.kron, kron_args(), smooth=True),
        Row("tensordot", lambda a, b, dims: tg.tensordot(a, b, dims),
            lambda a, b, dims: np.asarray(np.tensordot(a, b, dims)), tensordot_args(),
            smooth=True),
        Row("cdist", lambda a, b, p: tg.cdist(a, b, p), _cdist_np, cdist_args(), "distinct"),
        Row("hstack", lambda *xs: tg.hstack(xs), lambda *xs: np.hstack(xs),
            stack_args("hstack")),
        Row("vstack", lambda *xs: tg.vstack(xs), lambda *xs: np.vstack(xs),
            stack_args("vstack")),
        Row("dstack", lambda *xs: tg.dstack(list(xs)), lambda *xs: np.dstack(xs),
            stack_args("dstack")),
        Row("column_stack", lambda *xs: tg.column_stack(xs), lambda *xs: np.column_stack(xs),
            stack_args("column_stack")),
        Row("atleast_3d", lambda x: tg.atleast_3d(x), np.atleast_3d,
            _shape(0, 2).map(lambda s: ((s,), {}))),
        Row("meshgrid", lambda a, b: tg.stack(tg.meshgrid(a, b, indexing="xy")),
            lambda a, b: np.stack(np.meshgrid(a, b, indexing="xy")), pair_vecs),
        Row("cartesian_prod", lambda a, b: tg.cartesian_prod(a, b),
            lambda a, b: np.stack([g.reshape(-1) for g in np.meshgrid(a, b, indexing="ij")], 1),
            pair_vecs),
        Row("block_diag", lambda *xs: tg.block_diag(*xs), _block_diag_np,
            st.lists(S.shapes(max_dims=2, max_side=3), min_size=1, max_size=3).map(
                lambda ss: (tuple(ss), {}))),
        Row("combinations", lambda x: tg.combinations(x, 2), lambda x: _combinations_np(x, 2),
            vec(0, 4).map(lambda s: ((s,), {}))),
    ]


REQUIRED_MOVEMENT = """fliplr flipud roll rot90 diag diagonal diag_embed trace tile movedim
swapaxes unbind broadcast_to broadcast_tensors tensor_unfold outer cross kron tensordot cdist hstack
vstack dstack column_stack atleast_3d meshgrid cartesian_prod block_diag combinations""".split()
