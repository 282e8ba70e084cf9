"""op_table rows for tensor_reduce_extra and tensor_linalg (issue 18), each against numpy.

Order statistics and running extremes draw ``distinct`` inputs (no ties: their gradient
goes to one entry); prod and cumprod also run on inputs with exact zeros (``_zeroed``:
every third entry 0), whose gradient is the product of the other entries. Matrices for
inv / solve / det are 0.2 a + 2 I (diagonally dominant: far from singular); those for the
singular values 0.02 a + diag(0.5, 1, 1.5, ...) (``_spread``: singular values at least
0.18 apart and away from 0, where the spectral norm and the SVD are differentiable; of
order 1, so that finite differences stay accurate)."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import strategies as S

INF = float("inf")


@st.composite
def red_args(draw, keepdim=True, allow_none=True, allow_tuple=True, min_reduced=1):
    shape, dim = draw(S.shape_and_dim(min_dims=1, allow_none=allow_none,
                                      allow_tuple=allow_tuple, min_reduced=min_reduced))
    kw = {} if dim is None else {"dim": dim}
    if dim is not None and keepdim:
        kw["keepdim"] = draw(st.booleans())
    return (shape,), kw


@st.composite
def dim_args(draw, min_side=1):
    shape, dim = draw(S.shape_and_dim(min_dims=1, allow_none=False, allow_tuple=False,
                                      min_side=min_side))
    return (shape,), {"dim": dim}


@st.composite
def diff_args(draw):
    (shape,), kw = draw(dim_args())
    kw["n"] = draw(st.integers(1, 2))
    ax = kw["dim"] % len(shape)
    extra = shape[:ax] + (draw(st.integers(1, 2)),) + shape[ax + 1:]
    if draw(st.booleans()):
        return (shape, extra), kw | {"with_": "prepend"}
    return (shape, extra), kw | {"with_": "append"}


@st.composite
def mats(draw, kind):
    n, k, m, b = (draw(st.integers(1, 4)) for _ in range(4))
    return {"mm": ((n, k), (k, m)), "bmm": ((b, n, k), (b, k, m)), "mv": ((n, k), (k,)),
            "dot": ((k,), (k,)), "addmm": ((m,), (n, k), (k, m)),
            "baddbmm": ((1, n, m), (b, n, k), (b, k, m)),
            "inner": ((n, k), (m, k)), "square": ((b, k, k),), "rect": ((b, n, m),),
            "matrix": ((n, m),), "solve": ((b, k, k), (b, k, m)),
            "solve_vec": ((k, k), (k,))}[kind], {}


def _zeroed_np(x):
    return x * (np.arange(x.size).reshape(x.shape) % 3 != 1)


def _zeroed(x):
    return x * tg.tensor(np.arange(x.numel()).reshape(tuple(x.shape)) % 3 != 1).to(x.dtype)


def _prod_np(x, dim=None, keepdim=False):
    return np.prod(x, axis=dim, keepdims=keepdim)


def _well(a):
    return a * 0.2 + tg.eye(a.shape[-1], dtype=a.dtype) * 2.0


def _well_np(a):
    return a * 0.2 + np.eye(a.shape[-1], dtype=a.dtype) * 2.0


def _spread_np(a):
    k = min(a.shape[-2:])
    e = np.zeros(a.shape[-2:])
    e[range(k), range(k)] = 0.5 * np.arange(1, k + 1)
    return a * 0.02 + e


def _spread(a):
    return a * 0.02 + tg.tensor(_spread_np(np.zeros(tuple(a.shape[-2:]))), dtype=a.dtype)


def _svd_uu(a, full_matrices=False):
    """U diag(S^2) U^T (= A A^T): reads U and S, not the signs of U's columns."""
    U, S, _ = tg.linalg.svd(_spread(a), full_matrices=full_matrices)
    k = S.shape[-1]
    Uk = U[..., :k]
    return (Uk * S.unsqueeze(-2) ** 2).matmul(Uk.transpose(-2, -1))


def _svd_vv(a):
    """Vh^T diag(S) Vh (= (A^T A)^(1/2)): reads Vh and S."""
    _, S, Vh = tg.linalg.svd(_spread(a), full_matrices=False)
    return (Vh.transpose(-2, -1) * S.unsqueeze(-2)).matmul(Vh)


def _svd_vv_np(a):
    _, s, vh = np.linalg.svd(_spread_np(a), full_matrices=False)
    return (np.swapaxes(vh, -2, -1) * s[..., None, :]) @ vh


def _svd_usv(a):
    """U diag(S) Vh of the full factorisation (= A): all three parts at once."""
    U, S, Vh = tg.linalg.svd(_spread(a))
    k = S.shape[-1]
    return (U[..., :k] * S.unsqueeze(-2)).matmul(Vh[..., :k, :])


def _median_np(x, dim):
    s = np.sort(x, axis=dim)
    return np.take(s, [(x.shape[dim] - 1) // 2], axis=dim).squeeze(dim)


def _diff_tg(x, extra, n, dim, with_):
    return tg.diff(x, n=n, dim=dim, **{with_: extra})


def _diff_np(x, extra, n, dim, with_):
    return np.diff(x, n=n, axis=dim, **{with_: extra})


def _lcse_np(x, dim):
    return np.logaddexp.accumulate(x, axis=dim)


def _cum_np(f):
    return lambda x, dim: f.accumulate(x, axis=dim)


def _vnorm_np(x, ord=2, dim=None, keepdim=False):  # noqa: A002
    a = np.abs(x)
    if ord == INF:
        return np.max(a, axis=dim, keepdims=keepdim)
    return np.sum(a ** ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)


def _mnorm_np(a, ord):  # noqa: A002
    return np.linalg.norm(a, ord=ord, axis=(-2, -1))


def _dual(f):  # a pair of results summed, so a row checks both
    return lambda *xs, **kw: sum(f(*xs, **kw))


def rows(Row):
    """The rows, built with op_table's Row class."""
    R1 = red_args(allow_tuple=False)
    return [
        Row("prod", lambda x, **kw: tg.prod(x, **kw), _prod_np, R1, smooth=True),
        Row("prod_zeros", lambda x, **kw: _zeroed(x).prod(**kw),
            lambda x, **kw: _prod_np(_zeroed_np(x), **kw), R1, smooth=True),
        Row("nansum", lambda x, **kw: tg.nansum(x, **kw), _sum_np, red_args()),
        Row("nanmean", lambda x, **kw: x.nanmean(**kw), _mean_np, red_args()),
        Row("std_mean", _dual(tg.std_mean),
            lambda x, **kw: _std_np(x, **kw) + _mean_np(x, **kw), red_args(min_reduced=2),
            "pos", smooth=True),
        Row("var_mean", _dual(lambda x, **kw: x.var_mean(**kw)),
            lambda x, **kw: _std_np(x, **kw) ** 2 + _mean_np(x, **kw),
            red_args(min_reduced=2), smooth=True),
        Row("aminmax", _dual(tg.aminmax),
            lambda x, **kw: _amin_np(x, **kw) + _amax_np(x, **kw),
            red_args(allow_tuple=False), "distinct"),
        Row("median", lambda x: tg.median(x), lambda x: _median_np(x.reshape(-1), 0),
            S.shapes(min_dims=1).map(lambda s: ((s,), {})), "distinct"),
        Row("median_dim", lambda x, dim: x.median(dim).values, _median_np, dim_args(),
            "distinct"),
        Row("mode_dim", lambda x, dim: tg.mode(x, dim)[0], lambda x, dim: np.min(x, axis=dim),
            dim_args(), "distinct"),
        Row("cumprod", lambda x, dim: tg.cumprod(x, dim), _cum_np(np.multiply), dim_args(),
            smooth=True),
        Row("cumprod_zeros", lambda x, dim: _zeroed(x).cumprod(dim),
            lambda x, dim: np.multiply.accumulate(_zeroed_np(x), axis=dim), dim_args(),
            smooth=True),
        Row("cummax", lambda x, dim: tg.cummax(x, dim).values, _cum_np(np.maximum), dim_args(),
            "distinct"),
        Row("cummin", lambda x, dim: x.cummin(dim)[0], _cum_np(np.minimum), dim_args(),
            "distinct"),
        Row("logcumsumexp", lambda x, dim: tg.logcumsumexp(x, dim), _lcse_np, dim_args(),
            smooth=True),
        Row("diff", _diff_tg, _diff_np, diff_args(), layouts=False),
        Row("norm", lambda x, **kw: tg.norm(x, **kw), _vnorm_np, red_args(), "nonzero",
            smooth=True),
        Row("norm_p3", lambda x, **kw: x.norm(3, **kw), lambda x, **kw: _vnorm_np(x, 3, **kw),
            red_args(), "nonzero", smooth=True),
        Row("vector_norm_1", lambda x, **kw: tg.linalg.vector_norm(x, 1, **kw),
            lambda x, **kw: _vnorm_np(x, 1, **kw), red_args(), "nonzero"),
        Row("vector_norm_inf", lambda x, **kw: tg.linalg.vector_norm(x, INF, **kw),
            lambda x, **kw: _vnorm_np(x, INF, **kw), red_args(), "distinct"),
        Row("matrix_norm_fro", lambda a: tg.linalg.matrix_norm(a),
            lambda a: _mnorm_np(a, "fro"), mats("square"), "nonzero", smooth=True),
        # continuous values away from 0 (|x|'s kink): sums of |x| over distinct values
        # on a 0.25 grid would tie, and the gradient of a tied max is shared
        Row("matrix_norm_1", lambda a: tg.linalg.matrix_norm(a, 1), lambda a: _mnorm_np(a, 1),
            mats("square"), "nonzero"),
        Row("matrix_norm_inf", lambda a: tg.linalg.matrix_norm(a, INF),
            lambda a: _mnorm_np(a, INF), mats("square"), "nonzero"),
        Row("matrix_norm_2", lambda a: tg.linalg.matrix_norm(_spread(a), 2),
            lambda a: _mnorm_np(_spread_np(a), 2), mats("rect"), smooth=True),
        Row("matrix_norm_neg2", lambda a: tg.linalg.norm(_spread(a), -2, dim=(-2, -1)),
            lambda a: _mnorm_np(_spread_np(a), -2), mats("rect"), smooth=True),
        Row("matrix_norm_nuc", lambda a: _spread(a).norm("nuc"),
            lambda a: _mnorm_np(_spread_np(a), "nuc"), mats("rect"), smooth=True),
        Row("svdvals", lambda a: tg.linalg.svdvals(_spread(a)),
            lambda a: np.linalg.svd(_spread_np(a), compute_uv=False), mats("rect"),
            smooth=True),
        Row("svd_uu", _svd_uu, lambda a: _spread_np(a) @ np.swapaxes(_spread_np(a), -2, -1),
            mats("rect"), smooth=True),
        Row("svd_vv", _svd_vv, _svd_vv_np, mats("rect"), smooth=True),
        Row("svd_full", _svd_usv, _spread_np, mats("matrix"), smooth=True),
        Row("mm", lambda a, b: tg.mm(a, b), np.matmul, mats("mm")),
        Row("bmm", lambda a, b: a.bmm(b), np.matmul, mats("bmm")),
        Row("mv", lambda a, b: tg.mv(a, b), np.matmul, mats("mv")),
        Row("dot", lambda a, b: tg.dot(a, b), np.dot, mats("dot")),
        Row("vdot", lambda a, b: a.vdot(b), np.vdot, mats("dot")),
        Row("inner", lambda a, b: tg.inner(a, b), np.inner, mats("inner")),
        Row("addmm", lambda c, a, b: tg.addmm(c, a, b, beta=0.5, alpha=2.0),
            lambda c, a, b: 0.5 * c + 2.0 * (a @ b), mats("addmm")),
        Row("baddbmm", lambda c, a, b: c.baddbmm(a, b, alpha=-1.5),
            lambda c, a, b: c - 1.5 * (a @ b), mats("baddbmm")),
        Row("matrix_power", lambda a: tg.matrix_power(a, 3),
            lambda a: np.linalg.matrix_power(a, 3), mats("square"), smooth=True),
        Row("matrix_power_neg", lambda a: tg.linalg.matrix_power(_well(a), -2),
            lambda a: np.linalg.matrix_power(_well_np(a), -2), mats("square"), smooth=True),
        Row("inv", lambda a: tg.linalg.inv(_well(a)), lambda a: np.linalg.inv(_well_np(a)),
            mats("square"), smooth=True),
        Row("det", lambda a: tg.linalg.det(_well(a)), lambda a: np.linalg.det(_well_np(a)),
            mats("square"), smooth=True),
        Row("solve", lambda a, b: tg.linalg.solve(_well(a), b),
            lambda a, b: np.linalg.solve(_well_np(a), b), mats("solve"), smooth=True),
        Row("solve_vector", lambda a, b: tg.linalg.solve(_well(a), b),
            lambda a, b: np.linalg.solve(_well_np(a), b), mats("solve_vec"), smooth=True),
    ]


def _sum_np(x, dim=None, keepdim=False):
    return np.sum(x, axis=None if dim is None else dim, keepdims=keepdim)


def _mean_np(x, dim=None, keepdim=False):
    return np.mean(x, axis=dim, keepdims=keepdim)


def _std_np(x, dim=None, keepdim=False):
    return np.std(x, axis=dim, ddof=1, keepdims=keepdim)


def _amin_np(x, dim=None, keepdim=False):
    return np.min(x, axis=dim, keepdims=keepdim)


def _amax_np(x, dim=None, keepdim=False):
    return np.max(x, axis=dim, keepdims=keepdim)


REQUIRED_REDUCE = """prod prod_zeros nansum nanmean std_mean var_mean aminmax median median_dim
mode_dim cumprod cumprod_zeros cummax cummin logcumsumexp diff norm vector_norm_1
vector_norm_inf matrix_norm_fro matrix_norm_1 matrix_norm_inf mm bmm mv dot vdot inner addmm
baddbmm matrix_power inv det solve matrix_norm_2 matrix_norm_neg2 matrix_norm_nuc svdvals
svd_uu svd_vv svd_full""".split()
