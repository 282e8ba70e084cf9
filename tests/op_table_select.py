"""op_table rows for tensor_select (issue 18) and the nn.functional extras, each
against numpy.

Integer indices, boolean masks and the ±1 targets of the ranking losses are drawn as
a ``seed`` keyword and built the same way on both sides (op_table's inputs are
floats). index_copy and put without accumulate write at distinct positions (with
repeats one write wins); amax/amin draw distinct values (no ties). The losses with
kinks draw uniform values, not the lattice of the distinct domain, on which distances
tie (triplet_margin_loss's swap) and kinks are hit exactly."""
import math

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
import strategies as S
from op_table_index import _index, _mask, _rng, gather_args, mask_args


def _t(a, like):
    return tg.tensor(a, device=like.device)


# ---- scatter_reduce -----------------------------------------------------------------------
def reduce_args(reduce):
    return st.tuples(gather_args(src=True), st.booleans()).map(
        lambda a: (a[0][0], dict(a[0][1], reduce=reduce, include_self=a[1])))


def _grids(ishape, idx, dim):
    grids = list(np.ix_(*[np.arange(k) for k in ishape]))
    grids[dim % len(ishape)] = idx
    return tuple(grids)


def _scatter_reduce_tg(x, src, dim, ishape, seed, n, reduce, include_self):
    idx = _t(_index(ishape, n, seed, dim), x)
    return x.scatter_reduce(dim, idx, src, reduce, include_self=include_self)


def _scatter_reduce_np(x, src, dim, ishape, seed, n, reduce, include_self):
    where = _grids(ishape, _index(ishape, n, seed, dim), dim)
    out, hit = x.copy(), np.zeros(x.shape, bool)
    hit[where] = True
    ident = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
    if not include_self:
        out[hit] = ident
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[reduce]
    ufunc.at(out, where, src)
    if reduce == "mean":
        count = np.where(hit & (not include_self), 0.0, 1.0)
        np.add.at(count, where, 1.0)
        out = out / count
    return out.astype(x.dtype)


# ---- index_add / index_copy / index_fill ---------------------------------------------------
@st.composite
def index_family_args(draw, distinct=False, source=True):
    shape = draw(S.shapes(min_dims=1, max_dims=3, max_side=3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    k = draw(st.integers(0, n if distinct else 4))
    sshape = tuple(k if i == dim % len(shape) else s for i, s in enumerate(shape))
    return ((shape, sshape) if source else (shape,)), \
        {"dim": dim, "k": k, "seed": draw(st.integers(0, 99)), "distinct": distinct}


def _vector(n, k, seed, distinct):
    rng = _rng(seed)
    return rng.permutation(n)[:k] if distinct else rng.integers(0, n, k)


def _along(x, dim, idx):
    return (slice(None),) * (dim % x.ndim) + (idx,)


def _index_add_np(x, s, dim, k, seed, distinct, alpha=1.0):
    out = x.copy()
    np.add.at(out, _along(x, dim, _vector(x.shape[dim], k, seed, distinct)), s * alpha)
    return out


def _index_copy_np(x, s, dim, k, seed, distinct):
    out = x.copy()
    out[_along(x, dim, _vector(x.shape[dim], k, seed, distinct))] = s
    return out


def _index_fill_np(x, dim, k, seed, distinct):
    out = x.copy()
    out[_along(x, dim, _vector(x.shape[dim], k, seed, distinct))] = -1.5
    return out


# ---- masks and flat positions ---------------------------------------------------------------
def _masked_select_np(x, mshape, seed, value):
    m = _mask(mshape, seed)
    shape = np.broadcast_shapes(x.shape, m.shape)
    return np.broadcast_to(x, shape)[np.broadcast_to(m, shape)]


def _masked_scatter_tg(x, src, mshape, seed, value):
    return x.masked_scatter(_t(_mask(mshape, seed), x), src)


def _masked_scatter_np(x, src, mshape, seed, value):
    m = np.broadcast_to(_mask(mshape, seed), x.shape)
    out = x.copy()
    out[m] = src.reshape(-1)[:int(m.sum())]
    return out


def masked_scatter_args():
    return mask_args().map(lambda a: ((a[0][0], (max(S.numel(a[0][0]), 1),)), a[1]))


@st.composite
def flat_args(draw, distinct=False):
    shape = draw(S.shapes(min_dims=0, max_dims=3, max_side=3))
    n = S.numel(shape)
    ishape = draw(S.shapes(min_dims=0, max_dims=2, max_side=3, max_numel=n if distinct else 9))
    return (shape, ishape), {"seed": draw(st.integers(0, 99)), "distinct": distinct}


def _flat_index(n, ishape, seed, distinct):
    k = S.numel(ishape)
    rng = _rng(seed)
    pos = rng.permutation(n)[:k] if distinct else rng.integers(0, n, k)
    return (pos - n * rng.integers(0, 2, k)).reshape(ishape)   # some counted from the end


def _put_np(x, src, seed, distinct):
    out = x.reshape(-1).copy()
    idx = _flat_index(x.size, src.shape, seed, distinct).reshape(-1)
    if distinct:
        out[idx] = src.reshape(-1)
    else:
        np.add.at(out, idx, src.reshape(-1))
    return out.reshape(x.shape)


def _put_tg(x, src, seed, distinct):
    return x.put(_t(_flat_index(x.numel(), tuple(src.shape), seed, distinct), x), src,
                 accumulate=not distinct)


def _take_along_np(x, dim, k, seed):
    ishape = tuple(k if i == dim % x.ndim else 1 for i in range(x.ndim))
    return np.take_along_axis(x, _rng(seed).integers(0, x.shape[dim], ishape), axis=dim)


def _take_along_tg(x, dim, k, seed):
    ishape = tuple(k if i == dim % x.ndim else 1 for i in range(x.ndim))
    return x.take_along_dim(_t(_rng(seed).integers(0, x.shape[dim], ishape), x), dim)


@st.composite
def take_along_args(draw):
    shape = draw(S.shapes(min_dims=1, max_dims=3, max_side=3))
    return (shape,), {"dim": draw(st.integers(-len(shape), len(shape) - 1)),
                      "k": draw(st.integers(0, 4)), "seed": draw(st.integers(0, 99))}


# ---- nn.functional extras -------------------------------------------------------------------
@st.composite
def rows_args(draw, n=2, min_dims=1, max_dims=3):
    """n inputs of one shape (at least one element) and a dim of it."""
    shape = draw(S.shapes(min_dims=min_dims, max_dims=max_dims, max_side=3))
    return (shape,) * n, {"dim": draw(st.integers(-len(shape), len(shape) - 1))}


def _norm_np(x, p, axis, keepdims=False):
    return np.sum(np.abs(x) ** p, axis=axis, keepdims=keepdims) ** (1 / p)


def _sign(shape, seed):
    return np.where(_rng(seed).random(shape) < 0.5, -1.0, 1.0)


def _reduce_np(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def loss_args(n=2, batch=False):
    return st.tuples(S.shapes(min_dims=2 if batch else 0, max_dims=3, max_side=3),
                     st.sampled_from(["mean", "sum", "none"]), st.integers(0, 99)).map(
        lambda a: ((a[0],) * n, {"reduction": a[1], "seed": a[2]}))


def _pairs(fn_tg, fn_np):
    """A loss of (x, y, ±1 target from seed) as rows see it: x and y inputs."""
    def tg_side(x, y, reduction, seed):
        return fn_tg(x, y, _t(_sign(tuple(x.shape), seed), x).to(x.dtype), reduction)

    def np_side(x, y, reduction, seed):
        return _reduce_np(fn_np(x, y, _sign(x.shape, seed)), reduction).astype(x.dtype)
    return tg_side, np_side


_MARGIN_TG, _MARGIN_NP = _pairs(
    lambda a, b, t, r: F.margin_ranking_loss(a, b, t, margin=0.3, reduction=r),
    lambda a, b, t: np.maximum(-t * (a - b) + 0.3, 0))


def _cos_emb_np(a, b, t, margin=0.1):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return np.where(t == 1, 1 - cos, np.maximum(cos - margin, 0))


def rows(Row):
    """The rows, built with op_table's Row class."""
    out = [Row(f"scatter_reduce_{r}", _scatter_reduce_tg, _scatter_reduce_np, reduce_args(r),
               "distinct" if r in ("amax", "amin") else "any", smooth=r == "prod")
           for r in ("sum", "prod", "mean", "amax", "amin")]
    return out + [
        Row("index_add", lambda x, s, **kw: x.index_add(kw["dim"], _t(_vector(
            x.shape[kw["dim"]], kw["k"], kw["seed"], False), x), s, alpha=2.5),
            lambda x, s, **kw: _index_add_np(x, s, alpha=2.5, **kw), index_family_args()),
        Row("index_copy", lambda x, s, **kw: x.index_copy(kw["dim"], _t(_vector(
            x.shape[kw["dim"]], kw["k"], kw["seed"], True), x), s),
            _index_copy_np, index_family_args(distinct=True)),
        Row("index_fill", lambda x, **kw: x.index_fill(kw["dim"], _t(_vector(
            x.shape[kw["dim"]], kw["k"], kw["seed"], False), x), -1.5),
            _index_fill_np, index_family_args(source=False)),
        Row("masked_select", lambda x, mshape, seed, value: x.masked_select(
            _t(_mask(mshape, seed), x)), _masked_select_np, mask_args()),
        Row("masked_scatter", _masked_scatter_tg, _masked_scatter_np, masked_scatter_args()),
        Row("take", lambda x, i, seed, distinct: x.take(_t(_flat_index(
            x.numel(), tuple(i.shape), seed, False), x)) + 0 * i.sum(),
            lambda x, i, seed, distinct: x.reshape(-1)[_flat_index(x.size, i.shape, seed,
                                                                   False)] + 0 * i.sum(),
            flat_args().filter(lambda a: S.numel(a[0][0]) > 0)),
        Row("take_along_dim", _take_along_tg, _take_along_np, take_along_args()),
        Row("put", _put_tg, _put_np, flat_args().filter(lambda a: S.numel(a[0][0]) > 0).map(
            lambda a: ((a[0][0], a[0][1]), a[1]))),
        Row("put_distinct", _put_tg, _put_np, flat_args(distinct=True).filter(
            lambda a: S.numel(a[0][0]) > 0)),
        Row("normalize", lambda x, dim: F.normalize(x, dim=dim),
            lambda x, dim: x / np.maximum(_norm_np(x, 2, dim, True), 1e-12),
            rows_args(1), "nonzero", smooth=True),
        Row("normalize_p1", lambda x, dim: F.normalize(x, p=1, dim=dim),
            lambda x, dim: x / np.maximum(_norm_np(x, 1, dim, True), 1e-12),
            rows_args(1), "nonzero"),
        Row("cosine_similarity", lambda a, b, dim: F.cosine_similarity(a, b, dim),
            lambda a, b, dim: ((a / _norm_np(a, 2, dim, True)) *
                               (b / _norm_np(b, 2, dim, True))).sum(dim),
            rows_args(2), "nonzero", smooth=True),
        Row("pairwise_distance", lambda a, b, dim: F.pairwise_distance(a, b, p=3.0),
            lambda a, b, dim: _norm_np(a - b + 1e-6, 3.0, -1), rows_args(2)),
        Row("kl_div", lambda x, t, reduction, seed: F.kl_div(
            x, t, reduction="batchmean" if reduction == "mean" else reduction),
            lambda x, t, reduction, seed: (
                (t * (np.log(t) - x)).sum() / (x.shape[0] if x.ndim else 1)
                if reduction == "mean" else _reduce_np(t * (np.log(t) - x), reduction)),
            loss_args(), ("any", "pos"), smooth=True),
        Row("kl_div_log_target", lambda x, t, reduction, seed: F.kl_div(
            x, t, reduction=reduction if reduction != "mean" else "sum", log_target=True),
            lambda x, t, reduction, seed: _reduce_np(
                np.exp(t) * (t - x), reduction if reduction != "mean" else "sum"),
            loss_args(), smooth=True),
        Row("huber_loss", lambda x, y, reduction, seed: F.huber_loss(x, y, reduction, 0.7),
            lambda x, y, reduction, seed: _reduce_np(np.where(
                np.abs(x - y) < 0.7, 0.5 * (x - y) ** 2, 0.7 * (np.abs(x - y) - 0.35)),
                reduction), loss_args()),
        Row("poisson_nll_loss", lambda x, t, reduction, seed: F.poisson_nll_loss(
            x, t, log_input=False, full=True, reduction=reduction),
            lambda x, t, reduction, seed: _reduce_np(
                x - t * np.log(x + 1e-8) + np.where(
                    t > 1, t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t), 0), reduction),
            loss_args(), "pos", smooth=True),
        Row("gaussian_nll_loss", lambda x, t, v, reduction, seed: F.gaussian_nll_loss(
            x, t, v, full=True, reduction=reduction),
            lambda x, t, v, reduction, seed: _reduce_np(
                0.5 * (np.log(v) + (x - t) ** 2 / v) + 0.5 * math.log(2 * math.pi), reduction),
            loss_args(3), ("any", "any", "pos"), smooth=True),
        Row("margin_ranking_loss", _MARGIN_TG, _MARGIN_NP, loss_args()),
        Row("hinge_embedding_loss", lambda x, reduction, seed: F.hinge_embedding_loss(
            x, _t(_sign(tuple(x.shape), seed), x).to(x.dtype), 0.5, reduction=reduction),
            lambda x, reduction, seed: _reduce_np(np.where(
                _sign(x.shape, seed) == 1, x, np.maximum(0.5 - x, 0)), reduction),
            loss_args(1)),
        Row("triplet_margin_loss", lambda a, p, n, reduction, seed: F.triplet_margin_loss(
            a, p, n, margin=2.0, swap=True, reduction=reduction),
            lambda a, p, n, reduction, seed: _reduce_np(np.maximum(
                _norm_np(a - p + 1e-6, 2, -1) - np.minimum(_norm_np(a - n + 1e-6, 2, -1),
                                                           _norm_np(p - n + 1e-6, 2, -1))
                + 2.0, 0), reduction), loss_args(3, batch=True)),
        Row("cosine_embedding_loss", lambda a, b, reduction, seed: F.cosine_embedding_loss(
            a, b, _t(_sign(tuple(a.shape[:1]), seed), a).to(a.dtype), 0.1, reduction=reduction),
            lambda a, b, reduction, seed: _reduce_np(
                _cos_emb_np(a, b, _sign(a.shape[:1], seed)), reduction),
            loss_args(batch=True).map(lambda a: ((a[0][0][:2],) * 2, a[1]))),
        Row("multilabel_soft_margin_loss", lambda x, t, reduction, seed:
            F.multilabel_soft_margin_loss(x, t, reduction=reduction),
            lambda x, t, reduction, seed: _reduce_np(np.mean(
                t * np.log1p(np.exp(-x)) + (1 - t) * np.log1p(np.exp(x)), -1), reduction),
            loss_args(batch=True), smooth=True),
    ]


REQUIRED_SELECT: list[str] = [
    "scatter_reduce_sum", "scatter_reduce_prod", "scatter_reduce_mean", "scatter_reduce_amax",
    "scatter_reduce_amin", "index_add", "index_copy", "index_fill", "masked_select",
    "masked_scatter", "take", "take_along_dim", "put", "put_distinct", "normalize",
    "normalize_p1", "cosine_similarity", "pairwise_distance", "kl_div", "kl_div_log_target",
    "huber_loss", "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "triplet_margin_loss", "cosine_embedding_loss",
    "multilabel_soft_margin_loss"]
