"""Every public differentiable op of tinygrad_edu, ONCE, as a row.

A row is: name, a tinygrad_edu callable ``fn(*tensors, **kw)``, a numpy
reference ``ref(*arrays, **kw)``, a Hypothesis strategy ``args`` drawing
``(input_shapes, kw)``, the input domain (see strategies.DOMAINS; one name or
one per input), and ``smooth`` (nonlinear and smooth on its domain: gets the
second-order check). ``layouts=False`` keeps inputs contiguous (``view``); ``out_dtype`` fixes
the output dtype; ``jacobian=False`` skips the float64 gradient checks.
``test_op_table.py`` fails when a Function class in ``tinygrad_edu.functions``
is reached by no row, or when a name of ``REQUIRED`` has no row.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import op_table_conv
import op_table_index
import op_table_lm
import op_table_math
import op_table_movement
import op_table_nn
import op_table_norm
import op_table_reduce
import op_table_resize
import op_table_rnn
import op_table_select
import strategies as S


@dataclass
class Row:
    name: str
    fn: Callable
    ref: Callable
    args: st.SearchStrategy
    domain: object = "any"
    smooth: bool = False
    layouts: bool = True
    out_dtype: object = None    # None: same as the input's
    jacobian: bool = True       # False: float32 output, no float64 gradient check

    def __repr__(self):
        return f"Row({self.name})"


# ---- argument strategies: each draws (tuple_of_shapes, kwargs) ---------------
def unary(allow_zero=True, **kw):
    return S.shapes(allow_zero=allow_zero, **kw).map(lambda s: ((s,), {}))


def binary(allow_zero=True):
    return S.pairs_of_broadcastable(allow_zero=allow_zero).map(lambda ss: (ss, {}))


@st.composite
def reduction(draw, keepdim=True, min_reduced=1, allow_none=True, allow_tuple=True,
              min_dims=0):
    min_dims = max(min_dims, 1 if min_reduced > 1 else 0)
    shape, dim = draw(S.shape_and_dim(min_dims=min_dims, allow_none=allow_none,
                                      allow_tuple=allow_tuple, min_reduced=min_reduced))
    kw = {}
    if dim is not None:
        kw["dim"] = dim
        if keepdim:
            kw["keepdim"] = draw(st.booleans())
    return (shape,), kw


@st.composite
def with_dim(draw, min_dims=1):
    shape, dim = draw(S.shape_and_dim(min_dims=min_dims, allow_none=False,
                                      allow_tuple=False))
    return (shape,), {"dim": dim}


@st.composite
def reshape_args(draw):
    shape = draw(S.shapes(allow_zero=True))
    n = S.numel(shape)
    options = [(n,), tuple(reversed(shape)), (-1,)]
    if n and n % 2 == 0:
        options += [(2, -1), (n // 2, 1, 2)]
    return (shape,), {"shape": draw(st.sampled_from(options))}


@st.composite
def dims_args(draw, kind):
    shape = draw(S.shapes(min_dims=1 if kind != "unsqueeze" else 0))
    nd = len(shape)
    if kind == "unsqueeze":
        return (shape,), {"dim": draw(st.integers(-nd - 1, nd))}
    if kind == "transpose":
        return (shape,), {"d0": draw(st.integers(-nd, nd - 1)),
                          "d1": draw(st.integers(-nd, nd - 1))}
    if kind == "permute":
        return (shape,), {"dims": tuple(draw(st.permutations(range(nd))))}
    if kind == "flatten":
        a = draw(st.integers(0, nd - 1))
        return (shape,), {"start_dim": a, "end_dim": draw(st.integers(a, nd - 1))}
    if kind == "squeeze":
        shape = tuple(draw(st.sampled_from([1, s])) for s in shape)
        ones = [i for i, s in enumerate(shape) if s == 1]
        return (shape,), ({"dim": draw(st.sampled_from(ones))} if ones and
                          draw(st.booleans()) else {})
    raise ValueError(kind)


@st.composite
def expand_args(draw):
    shape = draw(S.shapes(max_side=3, max_numel=12))
    lead = draw(st.lists(st.integers(1, 3), max_size=1))
    sizes = [draw(st.sampled_from([1, 3])) if s == 1 else draw(st.sampled_from([s, -1]))
             for s in shape]
    return (shape,), {"sizes": tuple(lead + sizes)}


@st.composite
def repeat_args(draw):
    shape = draw(S.shapes(max_dims=3, max_side=3, max_numel=12))
    extra = draw(st.integers(0, 1))
    return (shape,), {"sizes": tuple(draw(st.integers(1, 2)) for _ in range(len(shape) + extra))}


@st.composite
def index_args(draw, kind, min_second=0):
    first = draw(st.integers(3, 4))
    rest = draw(S.shapes(min_dims=1 if min_second else 0, max_dims=2, max_side=3, max_numel=9))
    if min_second:
        rest = (max(rest[0], min_second),) + rest[1:]
    return ((first,) + rest,), {}


@st.composite
def join_args(draw, stack):
    shape = draw(S.shapes(min_dims=1, max_dims=3, max_side=3, max_numel=12))
    k = draw(st.integers(1, 3))
    nd = len(shape)
    dim = draw(st.integers(-nd - 1, nd) if stack else st.integers(-nd, nd - 1))
    shapes_ = []
    for _ in range(k):
        s = list(shape)
        if not stack:
            s[dim % nd] = draw(st.integers(0 if k > 1 else 1, 3))
        shapes_.append(tuple(s))
    return tuple(shapes_), {"dim": dim}


@st.composite
def matmul_args(draw, kind):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    if kind == "1d1d":
        return ((k,), (k,)), {}
    if kind == "2d1d":
        return ((n, k), (k,)), {}
    if kind == "1d2d":
        return ((k,), (k, m)), {}
    if kind == "2d2d":
        return ((n, k), (k, m)), {}
    ba, bb = draw(S.pairs_of_broadcastable(max_dims=2, max_side=3, max_numel=6))
    return (ba + (n, k), bb + (k, m)), {}


# ---- helpers --------------------------------------------------------------------
def _pattern(shape):
    return (np.arange(S.numel(shape)).reshape(shape) * 7) % 3 == 0


def _where_tg(a, b):
    cond = _pattern(np.broadcast_shapes(tuple(a.shape), tuple(b.shape)))
    return tg.where(tg.tensor(cond), a, b)


def _where_np(a, b):
    return np.where(_pattern(np.broadcast_shapes(a.shape, b.shape)), a, b)


def _softmax_np(x, dim):
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def _lse_np(x, dim, keepdim=False):
    m = x.max(axis=dim, keepdims=True)
    r = np.log(np.exp(x - m).sum(axis=dim, keepdims=True)) + m
    return r if keepdim else np.squeeze(r, axis=dim)


def _red(f):  # numpy reduction with torch's (dim, keepdim) spelling
    return lambda x, dim=None, keepdim=False: f(x, axis=dim, keepdims=keepdim)


def _var_np(x, dim=None, keepdim=False, unbiased=True):
    return np.var(x, axis=dim, ddof=1 if unbiased else 0, keepdims=keepdim)


def _sigmoid_np(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _np_expand(x, sizes):
    lead = len(sizes) - x.ndim
    tgt = [x.shape[i - lead] if (s == -1) else s for i, s in enumerate(sizes)]
    return np.broadcast_to(x, tgt)


MASK_IDX = [0, 2, 0, 1, 0]    # repeated integer indices: grads must accumulate
IDX_2D = [[0, 2], [2, -1]]


def _mask(x):
    return _pattern(tuple(x.shape))


# ---- the table ------------------------------------------------------------------
U, B = unary(), binary()
ROWS = [
    # arithmetic (broadcasting binary)
    Row("add", lambda a, b: a + b, np.add, B),
    Row("sub", lambda a, b: a - b, np.subtract, B),
    Row("mul", lambda a, b: a * b, np.multiply, B, smooth=True),
    Row("truediv", lambda a, b: a / b, np.divide, B, ("any", "nonzero"), smooth=True),
    Row("pow", lambda a, b: a ** b, np.power, B, ("pos", "any"), smooth=True),
    Row("neg", lambda x: -x, np.negative, U),
    # Python scalars on either side
    Row("add_scalar", lambda x: x + 2.5, lambda x: x + 2.5, U),
    Row("radd", lambda x: 2.5 + x, lambda x: 2.5 + x, U),
    Row("rsub", lambda x: 2.5 - x, lambda x: 2.5 - x, U),
    Row("rmul", lambda x: 2.5 * x, lambda x: 2.5 * x, U),
    Row("rtruediv", lambda x: 2.5 / x, lambda x: 2.5 / x, U, "nonzero", smooth=True),
    Row("pow_scalar", lambda x: x ** 3, lambda x: x ** 3, U, smooth=True),
    Row("pow_fn", lambda x: tg.pow(x, 2.5), lambda x: x ** 2.5, U, "pos", smooth=True),
    Row("pow_method", lambda x: x.pow(-1.5), lambda x: x ** -1.5, U, "pos", smooth=True),
    # elementwise unary
    Row("exp", lambda x: tg.exp(x), np.exp, U, smooth=True),
    Row("log", lambda x: x.log(), np.log, U, "pos", smooth=True),
    Row("sqrt", lambda x: tg.sqrt(x), np.sqrt, U, "pos", smooth=True),
    Row("abs", lambda x: x.abs(), np.abs, U, "nonzero"),
    Row("sign", lambda x: tg.sign(x), np.sign, U, "nonzero"),
    Row("sin", lambda x: tg.sin(x), np.sin, U, smooth=True),
    Row("cos", lambda x: x.cos(), np.cos, U, smooth=True),
    Row("clamp", lambda x: x.clamp(min=-0.5, max=0.5), lambda x: np.clip(x, -0.5, 0.5),
        U, "clamp"),
    Row("clip", lambda x: tg.clip(x, -0.5, None), lambda x: np.maximum(x, -0.5), U, "clamp"),
    Row("clamp_max", lambda x: tg.clamp(x, max=0.5), lambda x: np.minimum(x, 0.5), U, "clamp"),
    Row("maximum", lambda a, b: tg.maximum(a, b), np.maximum, B, "distinct"),
    Row("minimum", lambda a, b: tg.minimum(a, b), np.minimum, B, "distinct"),
    Row("where", _where_tg, _where_np, B),
    Row("where_broadcast_cond", lambda a, b, c: tg.where(c > 0, a, b) + 0.0 * c,
        lambda a, b, c: np.where(c > 0, a, b) + 0 * c,
        S.triples_of_broadcastable().map(lambda ss: (ss, {})), ("any", "any", "nonzero")),
    Row("sigmoid", lambda x: x.sigmoid(), _sigmoid_np, U, smooth=True),
    Row("sigmoid_fn", lambda x: tg.sigmoid(x * 60.0), lambda x: _sigmoid_np(x * 60.0), U),
    Row("tanh", lambda x: tg.tanh(x), np.tanh, U, smooth=True),
    Row("relu", lambda x: tg.relu(x), lambda x: np.maximum(x, 0), U, "nonzero"),
    Row("relu_method", lambda x: x.relu(), lambda x: np.maximum(x, 0), U, "nonzero"),
    Row("leaky_relu", lambda x: tg.leaky_relu(x, negative_slope=0.1),
        lambda x: np.where(x > 0, x, 0.1 * x), U, "nonzero"),
    Row("leaky_relu_default", lambda x: tg.leaky_relu(x),
        lambda x: np.where(x > 0, x, 0.01 * x), U, "nonzero"),
    Row("step", lambda x: tg.step(x), lambda x: (x > 0).astype(x.dtype), U, "nonzero"),
    Row("heaviside", lambda x: tg.heaviside(x, tg.tensor(0.5, dtype=x.dtype)),
        lambda x: np.heaviside(x, 0.5), U, "nonzero"),
    # softmax family
    Row("softmax", lambda x, dim: x.softmax(dim), _softmax_np, with_dim(), smooth=True),
    Row("softmax_fn", lambda x, dim: tg.softmax(x, dim=dim), _softmax_np, with_dim()),
    Row("log_softmax", lambda x, dim: tg.log_softmax(x, dim),
        lambda x, dim: np.log(_softmax_np(x, dim)), with_dim(), smooth=True),
    Row("logsumexp", lambda x, dim, keepdim=False: x.logsumexp(dim, keepdim=keepdim),
        _lse_np, reduction(allow_none=False, allow_tuple=False, min_dims=1), smooth=True),
    Row("logsumexp_fn", lambda x, dim: tg.logsumexp(x, dim), lambda x, dim: _lse_np(x, dim),
        with_dim()),
    # reductions
    Row("sum", lambda x, **kw: x.sum(**kw), _red(np.sum), reduction()),
    Row("sum_fn", lambda x, **kw: tg.sum(x, **kw), _red(np.sum), reduction()),
    Row("mean", lambda x, **kw: x.mean(**kw), _red(np.mean), reduction()),
    Row("mean_fn", lambda x, **kw: tg.mean(x, **kw), _red(np.mean), reduction()),
    Row("var", lambda x, **kw: x.var(**kw), _var_np, reduction(min_reduced=2), smooth=True),
    Row("var_biased", lambda x, **kw: tg.var(x, unbiased=False, **kw),
        lambda x, **kw: _var_np(x, unbiased=False, **kw), reduction(min_reduced=2),
        smooth=True),
    Row("std", lambda x, **kw: x.std(**kw), lambda x, **kw: np.sqrt(_var_np(x, **kw)),
        reduction(min_reduced=2), smooth=True),
    Row("std_biased", lambda x, **kw: tg.std(x, unbiased=False, **kw),
        lambda x, **kw: np.sqrt(_var_np(x, unbiased=False, **kw)), reduction(min_reduced=2),
        smooth=True),
    Row("max", lambda x: x.max(), np.max, unary(allow_zero=False), "distinct"),
    Row("min", lambda x: tg.min(x), np.min, unary(allow_zero=False), "distinct"),
    Row("max_dim", lambda x, dim, keepdim=False: x.max(dim=dim, keepdim=keepdim).values,
        _red(np.max), reduction(allow_none=False, allow_tuple=False, min_dims=1), "distinct"),
    Row("min_dim", lambda x, dim, keepdim=False: tg.min(x, dim, keepdim=keepdim)[0],
        _red(np.min), reduction(allow_none=False, allow_tuple=False, min_dims=1), "distinct"),
    # dtype conversion (differentiable, like PyTorch's)
    Row("double", lambda x: x.double() * 2.0, lambda x: x.astype(np.float64) * 2.0, U,
        out_dtype="float64"),
    Row("float", lambda x: x.float() * 2.0, lambda x: x.astype(np.float32) * 2.0, U,
        out_dtype="float32", jacobian=False),
    # other public aliases and PyTorch extras
    Row("amax", lambda x, **kw: x.amax(**kw), _red(np.max), reduction(allow_none=False),
        "distinct"),
    Row("amin", lambda x, **kw: tg.amin(x, **kw), _red(np.min), reduction(allow_none=False),
        "distinct"),
    Row("clone", lambda x: x.clone(), np.copy, U),
    Row("contiguous", lambda x: x.T.contiguous(), lambda x: x.T, U),
    Row("method_aliases", lambda a, b: tg.add(a, b).mul(b).sub(a).div(b * b + 1.0),
        lambda a, b: ((a + b) * b - a) / (b * b + 1.0), B),
    Row("expand_as", lambda a, b: a.expand_as(a + b) * 2.0 - b,
        lambda a, b: np.broadcast_to(a, np.broadcast_shapes(a.shape, b.shape)) * 2.0 - b, B),
    Row("view_as", lambda x: x.T.view_as(x.T) if x.ndim < 2 else x.view_as(x.T),
        lambda x: x.T if x.ndim < 2 else x.reshape(x.T.shape), U, layouts=False),
    Row("mm_t", lambda a, b: tg.mm(a, b.t().t()), np.matmul, matmul_args("2d2d")),
    Row("reshape", lambda x, shape: x.reshape(*shape), lambda x, shape: x.reshape(shape),
        reshape_args()),
    Row("reshape_fn", lambda x, shape: tg.reshape(x, shape), lambda x, shape: x.reshape(shape),
        reshape_args()),
    Row("view", lambda x, shape: x.view(*shape), lambda x, shape: x.reshape(shape),
        reshape_args(), layouts=False),
    Row("flatten", lambda x: x.flatten(), np.ravel, unary()),
    Row("flatten_fn", lambda x, start_dim, end_dim: tg.flatten(x, start_dim, end_dim),
        lambda x, start_dim, end_dim: x.reshape(
            x.shape[:start_dim] + (-1,) + x.shape[end_dim + 1:]), dims_args("flatten")),
    Row("squeeze", lambda x, **kw: x.squeeze(**kw),
        lambda x, dim=None: np.squeeze(x, axis=dim), dims_args("squeeze")),
    Row("unsqueeze", lambda x, dim: tg.unsqueeze(x, dim), lambda x, dim: np.expand_dims(x, dim),
        dims_args("unsqueeze")),
    Row("transpose", lambda x, d0, d1: x.transpose(d0, d1),
        lambda x, d0, d1: np.swapaxes(x, d0, d1), dims_args("transpose")),
    Row("permute", lambda x, dims: x.permute(*dims), lambda x, dims: np.transpose(x, dims),
        dims_args("permute")),
    Row("permute_fn", lambda x, dims: tg.permute(x, dims), lambda x, dims: np.transpose(x, dims),
        dims_args("permute")),
    Row("T", lambda x: x.T, lambda x: x.T, unary(min_dims=2, max_dims=2)),
    Row("expand", lambda x, sizes: x.expand(*sizes), _np_expand, expand_args()),
    Row("repeat", lambda x, sizes: x.repeat(*sizes),
        lambda x, sizes: np.tile(x, sizes), repeat_args()),
    # indexing
    Row("getitem_int", lambda x: x[1], lambda x: x[1], index_args("int")),
    Row("getitem_neg_int", lambda x: x[-1, ...], lambda x: x[-1, ...], index_args("int")),
    Row("getitem_slice", lambda x: x[1:, ...][::2], lambda x: x[1:, ...][::2], index_args("s")),
    Row("getitem_none_ellipsis", lambda x: x[None, ..., None], lambda x: x[None, ..., None],
        index_args("n")),
    Row("getitem_mixed", lambda x: x[:2, None], lambda x: x[:2, None], index_args("n")),
    Row("getitem_mask", lambda x: x[tg.tensor(_mask(x))], lambda x: x[_mask(x)],
        index_args("m")),
    Row("getitem_intarray", lambda x: x[tg.tensor(MASK_IDX)], lambda x: x[MASK_IDX],
        index_args("i")),
    Row("getitem_list", lambda x: x[MASK_IDX], lambda x: x[MASK_IDX], index_args("i")),
    Row("getitem_intarray_2d", lambda x: x[tg.tensor(IDX_2D)], lambda x: x[IDX_2D],
        index_args("i")),
    Row("getitem_two_arrays", lambda x: x[tg.tensor([2, 0, 2]), tg.tensor([1, 1, 0])],
        lambda x: x[[2, 0, 2], [1, 1, 0]], index_args("i", min_second=2)),
    Row("getitem_slice_array", lambda x: x[1:, [1, 0, 1]], lambda x: x[1:, [1, 0, 1]],
        index_args("i", min_second=2)),
    # joining
    Row("cat", lambda *ts, dim: tg.cat(list(ts), dim=dim),
        lambda *a, dim: np.concatenate(a, axis=dim), join_args(stack=False)),
    Row("stack", lambda *ts, dim: tg.stack(list(ts), dim=dim),
        lambda *a, dim: np.stack(a, axis=dim), join_args(stack=True)),
    # matmul
    Row("matmul_1d_1d", lambda a, b: a @ b, np.matmul, matmul_args("1d1d"), smooth=True),
    Row("matmul_2d_1d", lambda a, b: tg.matmul(a, b), np.matmul, matmul_args("2d1d")),
    Row("matmul_1d_2d", lambda a, b: a @ b, np.matmul, matmul_args("1d2d")),
    Row("matmul", lambda a, b: a @ b, np.matmul, matmul_args("2d2d"), smooth=True),
    Row("matmul_batched", lambda a, b: tg.matmul(a, b), np.matmul, matmul_args("batched"),
        smooth=True),
]
ROWS += op_table_nn.rows(Row)
ROWS += op_table_conv.rows(Row)
ROWS += op_table_norm.rows(Row)
ROWS += op_table_resize.rows(Row)
ROWS += op_table_lm.rows(Row)
ROWS += op_table_index.rows(Row)
ROWS += op_table_rnn.rows(Row)
ROWS += op_table_math.rows(Row)
ROWS += op_table_reduce.rows(Row) + op_table_movement.rows(Row) + op_table_select.rows(Row)
ROW_BY_NAME = {r.name: r for r in ROWS}
assert len(ROW_BY_NAME) == len(ROWS), "duplicate row names"

# Every op of the public contract must have a row with this name.
REQUIRED = """add sub mul truediv pow neg radd rsub rmul rtruediv exp log sqrt abs sign
sin cos clamp clip maximum minimum where sigmoid tanh relu leaky_relu step heaviside
softmax log_softmax logsumexp sum mean var std max min max_dim min_dim reshape view
flatten squeeze unsqueeze transpose permute T expand repeat getitem_int getitem_slice
getitem_none_ellipsis getitem_mask getitem_intarray cat stack matmul_1d_1d matmul_2d_1d
matmul_1d_2d matmul matmul_batched""".split() + op_table_nn.REQUIRED_NN + \
    op_table_conv.REQUIRED_CONV + op_table_norm.REQUIRED_NORM + op_table_resize.REQUIRED_RESIZE + \
    op_table_lm.REQUIRED_LM + op_table_index.REQUIRED_INDEX + \
    op_table_rnn.REQUIRED_RNN + op_table_math.REQUIRED_MATH + op_table_reduce.REQUIRED_REDUCE + \
    op_table_movement.REQUIRED_MOVEMENT + op_table_select.REQUIRED_SELECT
