"""op_table rows for the language-model tensor ops (tinygrad_edu.tensor_index and
einsum) and scaled_dot_product_attention, each against numpy.

op_table's inputs are floats, so integer indices and boolean masks are drawn as a
``seed`` keyword and built the same way on both sides. Scatter's indices are
distinct along the scattered dim (with repeats one write wins, and finite
differences would see only the winner while PyTorch's gradient goes to all)."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
import strategies as S


def _rng(seed):
    return np.random.default_rng(seed)


@st.composite
def gather_args(draw, distinct=False, src=False):
    """x's shape (1-3 dims), dim, the index's shape (no larger than x off dim) and a seed."""
    shape = draw(S.shapes(min_dims=1, max_dims=3, max_side=3))
    nd = len(shape)
    dim = draw(st.integers(-nd, nd - 1))
    ishape = [draw(st.integers(0 if i != dim % nd else 1, s)) if distinct or i != dim % nd
              else draw(st.integers(1, 4)) for i, s in enumerate(shape)]
    shapes = (shape, tuple(ishape)) if src else (shape,)
    return shapes, {"dim": dim, "ishape": tuple(ishape), "seed": draw(st.integers(0, 99)),
                    "n": shape[dim % nd]}


def _index(ishape, n, seed, dim, distinct=False):
    if not distinct:
        return _rng(seed).integers(0, n, ishape)
    full = list(ishape)
    full[dim % len(ishape)] = n   # a permutation of range(n) along dim, cut to ishape
    perm = np.argsort(_rng(seed).random(full), axis=dim % len(ishape))
    return perm[tuple(slice(0, k) for k in ishape)]


def _gather_np(x, dim, ishape, seed, n):
    idx = _index(ishape, n, seed, dim)
    cut = tuple(slice(0, k) if i != dim % x.ndim else slice(None) for i, k in enumerate(ishape))
    return np.take_along_axis(x[cut], idx, axis=dim)


def _scatter_tg(x, src, dim, ishape, seed, n, add=False):
    idx = tg.tensor(_index(ishape, n, seed, dim, distinct=not add), device=x.device)
    return x.scatter_add(dim, idx, src) if add else x.scatter(dim, idx, src)


def _scatter_np(x, src, dim, ishape, seed, n, add=False):
    idx = _index(ishape, n, seed, dim, distinct=not add)
    grids = list(np.ix_(*[np.arange(k) for k in ishape]))
    grids[dim % x.ndim] = idx
    out = x.copy()
    if add:
        np.add.at(out, tuple(grids), src)
    else:
        out[tuple(grids)] = src
    return out


@st.composite
def select_args(draw):
    shape = draw(S.shapes(min_dims=1, max_dims=3, max_side=3))
    dim = draw(st.integers(0, len(shape) - 1))
    return (shape,), {"dim": dim, "k": draw(st.integers(0, 4)), "seed": draw(st.integers(0, 99))}


def _select_idx(n, k, seed):
    return _rng(seed).integers(0, n, k)


@st.composite
def mask_args(draw):
    shape = draw(S.shapes(allow_zero=True))
    mshape = tuple(draw(st.sampled_from([1, s])) for s in shape)[draw(st.integers(0, len(shape))):]
    return (shape,), {"mshape": mshape, "seed": draw(st.integers(0, 99)),
                      "value": draw(st.sampled_from([0.0, -1.5]))}


def _mask(mshape, seed):
    return _rng(seed).random(mshape) < 0.5


@st.composite
def tri_args(draw):
    return (draw(S.shapes(min_dims=2, max_dims=4, allow_zero=True)),), \
        {"diagonal": draw(st.integers(-2, 2))}


@st.composite
def dim_args(draw, allow_tuple=False):
    shape, dim = draw(S.shape_and_dim(min_dims=1, allow_none=False, allow_tuple=allow_tuple))
    return (shape,), {"dim": dim}


@st.composite
def split_args(draw):
    shape = draw(S.shapes(min_dims=1, max_dims=3))
    dim = draw(st.integers(0, len(shape) - 1))
    return (shape,), {"dim": dim, "size": draw(st.integers(1, 4))}


def _split_tg(x, dim, size):
    return tg.cat([p * (i + 1) for i, p in enumerate(x.split(size, dim))], dim)


def _split_np(x, dim, size):
    parts = np.split(x, range(size, x.shape[dim], size), axis=dim)
    return np.concatenate([p * (i + 1) for i, p in enumerate(parts)], axis=dim)


_EINSUM = {   # equation: the operands' shapes from sizes a, b, c, d
    "ij,jk->ik": lambda a, b, c, d: [(a, b), (b, c)],
    "bij,bjk->bik": lambda a, b, c, d: [(d, a, b), (d, b, c)],
    "bhqd,bhkd->bhqk": lambda a, b, c, d: [(d, 2, a, b), (d, 2, c, b)],
    "ij->j": lambda a, b, c, d: [(a, b)],
    "i,j->ij": lambda a, b, c, d: [(a,), (b,)],
    "...ij,...jk": lambda a, b, c, d: [(d, a, b), (b, c)],
    "ijk,k": lambda a, b, c, d: [(a, b, c), (c,)],
}


@st.composite
def einsum_args(draw):
    eq = draw(st.sampled_from(sorted(_EINSUM)))
    sizes = [draw(st.integers(1, 3)) for _ in range(4)]
    return tuple(_EINSUM[eq](*sizes)), {"eq": eq}


@st.composite
def sdpa_args(draw):
    b, L, S_, E, Ev = (draw(st.integers(1, 3)) for _ in range(5))
    kind = draw(st.sampled_from(["none", "causal", "bool", "float"]))
    return ((b, L, E), (b, S_, E), (b, S_, Ev)), {"kind": kind, "seed": draw(st.integers(0, 99))}


def _sdpa_tg(q, k, v, kind, seed):
    L, S_ = q.shape[-2], k.shape[-2]
    if kind == "bool":
        return F.scaled_dot_product_attention(q, k, v, tg.tensor(_mask((L, S_), seed)))
    if kind == "float":
        bias = tg.tensor(_rng(seed).standard_normal((L, S_)), dtype=q.dtype, device=q.device)
        return F.scaled_dot_product_attention(q, k, v, bias)
    return F.scaled_dot_product_attention(q, k, v, is_causal=kind == "causal")


def _sdpa_np(q, k, v, kind, seed):
    L, S_ = q.shape[-2], k.shape[-2]
    s = q.astype(np.float64) @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    keep = np.ones((L, S_), bool) if kind in ("none", "float") else \
        np.tri(L, S_, dtype=bool) if kind == "causal" else _mask((L, S_), seed)
    if kind == "float":
        s = s + _rng(seed).standard_normal((L, S_)).astype(q.dtype)
    s = np.where(keep, s, -np.inf)
    m = np.max(np.where(keep, s, 0), axis=-1, keepdims=True)
    e = np.where(keep, np.exp(s - m), 0.0)
    tot = e.sum(-1, keepdims=True)
    w = np.divide(e, tot, out=np.zeros_like(e), where=tot > 0)  # empty rows: zeros
    return (w @ v).astype(q.dtype)


@st.composite
def linear_nd_args(draw):
    """x [..., in] with 1-2 leading dims, w [out, in], b [out]: F.linear on a sequence."""
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=2, max_size=3)))
    n_in, n_out = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return (lead + (n_in,), (n_out, n_in), (n_out,)), {}


def rows(Row):
    """The rows, built with op_table's Row class."""
    def gather_tg(x, dim, ishape, seed, n):
        return x.gather(dim, tg.tensor(_index(ishape, n, seed, dim), device=x.device))
    return [
        Row("gather", gather_tg, _gather_np, gather_args()),
        Row("scatter", _scatter_tg, _scatter_np, gather_args(distinct=True, src=True)),
        Row("scatter_add", lambda x, s, **kw: _scatter_tg(x, s, add=True, **kw),
            lambda x, s, **kw: _scatter_np(x, s, add=True, **kw), gather_args(src=True)),
        Row("index_select",
            lambda x, dim, k, seed: x.index_select(dim, tg.tensor(_select_idx(
                x.shape[dim], k, seed), device=x.device)),
            lambda x, dim, k, seed: np.take(x, _select_idx(x.shape[dim], k, seed), axis=dim),
            select_args()),
        Row("masked_fill",
            lambda x, mshape, seed, value: x.masked_fill(tg.tensor(_mask(mshape, seed),
                                                                   device=x.device), value),
            lambda x, mshape, seed, value: np.where(_mask(mshape, seed), x.dtype.type(value), x),
            mask_args()),
        Row("tril", lambda x, diagonal: x.tril(diagonal),
            lambda x, diagonal: np.tril(x, diagonal), tri_args()),
        Row("triu", lambda x, diagonal: tg.triu(x, diagonal),
            lambda x, diagonal: np.triu(x, diagonal), tri_args()),
        Row("cumsum", lambda x, dim: x.cumsum(dim),
            lambda x, dim: np.cumsum(x, axis=dim, dtype=x.dtype), dim_args()),
        Row("flip", lambda x, dim: x.flip(dim), lambda x, dim: np.flip(x, dim),
            dim_args(allow_tuple=True)),
        Row("sort_values", lambda x, dim: x.sort(dim, descending=True).values,
            lambda x, dim: -np.sort(-x, axis=dim), dim_args(), "distinct"),
        Row("topk_values", lambda x, dim: x.topk(min(2, x.shape[dim]), dim).values,
            lambda x, dim: np.take(-np.sort(-x, axis=dim), range(min(2, x.shape[dim])), dim),
            dim_args(), "distinct"),
        Row("split", _split_tg, _split_np, split_args()),
        Row("repeat_interleave", lambda x, dim, size: x.repeat_interleave(size, dim),
            lambda x, dim, size: np.repeat(x, size, axis=dim), split_args()),
        Row("einsum", lambda *xs, eq: tg.einsum(eq, *xs),
            lambda *xs, eq: np.einsum(eq, *xs).astype(xs[0].dtype), einsum_args(),
            smooth=True),
        Row("scaled_dot_product_attention", _sdpa_tg, _sdpa_np, sdpa_args(), smooth=True),
        # [B, T, in] rows in one GEMM; the weight gradient a product over all rows
        Row("linear_nd", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
            linear_nd_args(), smooth=True),
        Row("matmul_nd_2d", lambda x, w: x @ w.t(), lambda x, w: x @ w.T,
            linear_nd_args().map(lambda a: (a[0][:2], {})), smooth=True),
    ]


REQUIRED_INDEX = ["gather", "scatter", "scatter_add", "index_select", "masked_fill", "tril",
                  "triu", "cumsum", "flip", "sort_values", "topk_values", "split",
                  "repeat_interleave", "einsum", "scaled_dot_product_attention", "linear_nd",
                  "matmul_nd_2d"]
