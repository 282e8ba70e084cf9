"""op_table rows for tg.nn.functional: layers and losses, each against a numpy
formula written from PyTorch's documentation. Integer targets and class weights
are derived deterministically from the drawn shapes (inputs are all floats)."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


def _targets(n, c, ignore=False):
    t = (np.arange(n) * 7 + 3) % c
    if ignore and n > 1:
        t[1::3] = -100   # ignore_index rows
    return t


def _class_weight(c):
    return 0.5 + np.arange(c) * 0.25


def _reduce_np(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _log_softmax_np(x, axis=1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


# ---- argument strategies ------------------------------------------------------------------
@st.composite
def linear_args(draw, bias=True, batch_dims=1):
    lead = tuple(draw(st.integers(1, 4)) for _ in range(batch_dims))
    k, m = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    shapes = (lead + (k,), (m, k)) + (((m,),) if bias else ())
    return shapes, {}


@st.composite
def class_args(draw, weighted=False, ignore=False, extra_dim=False):
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    shape = (n, c) + ((draw(st.integers(1, 3)),) if extra_dim else ())
    kw = {"reduction": draw(REDUCTIONS)}
    if weighted:
        kw["weighted"] = True
    if ignore:
        kw["ignore"] = True
    return (shape,), kw


@st.composite
def pair_args(draw, max_dims=3):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=max_dims)))
    return (shape, shape), {"reduction": draw(REDUCTIONS)}


# ---- cross-entropy family ---------------------------------------------------------------
def _ce_tg(x, reduction, weighted=False, ignore=False, log_probs=False):
    n, c = x.shape[0], x.shape[1]
    t = _targets(n * (int(np.prod(x.shape[2:])) if x.ndim > 2 else 1), c, ignore)
    t = t.reshape((n,) + tuple(x.shape[2:]))
    w = tg.tensor(_class_weight(c), dtype=x.dtype) if weighted else None
    fn = F.nll_loss if log_probs else F.cross_entropy
    return fn(x, tg.tensor(t), weight=w, reduction=reduction)


def _ce_np(x, reduction, weighted=False, ignore=False, log_probs=False):
    n, c = x.shape[0], x.shape[1]
    xm = np.moveaxis(x, 1, -1).reshape(-1, c)
    t = _targets(len(xm), c, ignore)
    lp = xm if log_probs else _log_softmax_np(xm)
    keep = t != -100
    safe = np.where(keep, t, 0)
    w = (_class_weight(c)[safe] if weighted else np.ones(len(t))) * keep
    loss = -lp[np.arange(len(t)), safe] * w
    if reduction == "none":
        return loss.reshape((n,) + x.shape[2:])
    return loss.sum() / w.sum() if reduction == "mean" else loss.sum()


def _ce_probs_np(x, p, reduction):
    loss = -(_log_softmax_np(x) * p).sum(axis=1)
    return _reduce_np(loss, reduction)


# ---- binary cross-entropy ---------------------------------------------------------------
def _prob(x):   # "unit" inputs (-0.9, 0.9) -> probabilities (0.14, 0.86)
    return x * 0.4 + 0.5


def _bce_np(x, y, reduction):
    p, y = _prob(x), _prob(y)
    return _reduce_np(-(y * np.log(p) + (1 - y) * np.log(1 - p)), reduction)


def _bce_logits_np(x, y, reduction, pos_weight=None):
    y = _prob(y)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * y * np.log(1 / (1 + np.exp(-x))) + (1 - y) * np.log(1 / (1 + np.exp(x))))
    return _reduce_np(loss, reduction)


def _smooth_l1_np(a, b, reduction, beta=0.5):
    d = np.abs(a - b)
    return _reduce_np(np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


def _dropout_tg(x):
    tg.manual_seed(7)   # the same mask on every call: finite differences see one function
    return F.dropout(x, 0.3)


def _dropout_np(x):
    # tg's mask: raw 32-bit draws of the seeded generator against 0.3 * 2**32
    n = x.size
    raw = np.random.default_rng(7).bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
    keep = (raw >= np.uint32(int(0.3 * 2 ** 32))).reshape(x.shape)
    return x * keep.astype(x.dtype) * x.dtype.type(1 / 0.7)


def rows(Row):
    """The nn rows, built with op_table's Row class."""
    return [
        Row("linear", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
            linear_args(), smooth=True),
        Row("linear_nobias", lambda x, w: F.linear(x, w), lambda x, w: x @ w.T,
            linear_args(bias=False)),
        Row("linear_batched", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
            linear_args(batch_dims=2)),
        # a Linear layer and its activation (nn.Sequential's common pair): positive
        # inputs keep every pre-activation away from the kink at 0, on the active side
        # for relu, on the negative (slope) side for leaky_relu
        Row("linear_relu", lambda x, w, b: F.relu(F.linear(x, w, b)),
            lambda x, w, b: np.maximum(x @ w.T + b, 0), linear_args(), "pos"),
        Row("linear_leaky_relu",
            lambda x, w, b: F.leaky_relu(F.linear(x, -w, -b), 0.1),
            lambda x, w, b: 0.1 * (x @ -w.T - b), linear_args(), "pos"),
        Row("cross_entropy", _ce_tg, _ce_np, class_args(), smooth=True),
        Row("cross_entropy_weight_ignore", _ce_tg, _ce_np,
            class_args(weighted=True, ignore=True), smooth=True),
        Row("cross_entropy_kdim", _ce_tg, _ce_np, class_args(extra_dim=True)),
        Row("cross_entropy_probs", lambda x, p, reduction: F.cross_entropy(
            x, p, reduction=reduction), _ce_probs_np,
            class_args().map(lambda a: ((a[0][0], a[0][0]), a[1])), ("any", "pos"),
            smooth=True),
        Row("nll_loss", lambda x, **kw: _ce_tg(x, log_probs=True, **kw),
            lambda x, **kw: _ce_np(x, log_probs=True, **kw),
            class_args(weighted=True, ignore=True)),
        Row("dropout", _dropout_tg, _dropout_np, pair_args().map(lambda a: (a[0][:1], {}))),
        Row("mse_loss", lambda a, b, reduction: F.mse_loss(a, b, reduction=reduction),
            lambda a, b, reduction: _reduce_np((a - b) ** 2, reduction), pair_args(),
            smooth=True),
        Row("l1_loss", lambda a, b, reduction: F.l1_loss(a, b, reduction=reduction),
            lambda a, b, reduction: _reduce_np(np.abs(a - b), reduction), pair_args(),
            ("nonzero", "pos")),
        Row("smooth_l1_loss", lambda a, b, reduction: F.smooth_l1_loss(
            a, b, reduction=reduction, beta=0.5), _smooth_l1_np, pair_args()),
        Row("binary_cross_entropy", lambda x, y, reduction: F.binary_cross_entropy(
            _prob(x), _prob(y), reduction=reduction), _bce_np, pair_args(), "unit",
            smooth=True),
        Row("binary_cross_entropy_with_logits",
            lambda x, y, reduction: F.binary_cross_entropy_with_logits(
                x * 3.0, _prob(y), reduction=reduction),
            lambda x, y, reduction: _bce_logits_np(x * 3.0, y, reduction),
            pair_args(), ("any", "unit"), smooth=True),
        Row("bce_with_logits_pos_weight",
            lambda x, y, pw: F.binary_cross_entropy_with_logits(x, _prob(y), pos_weight=pw),
            lambda x, y, pw: _bce_logits_np(x, y, "mean", pw),
            pair_args(max_dims=2).map(lambda a: (a[0] + (a[0][0][-1:] if a[0][0] else (),),
                                                 {})),
            ("any", "unit", "pos"), smooth=True),
    ]


REQUIRED_NN = """linear dropout cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss
binary_cross_entropy binary_cross_entropy_with_logits""".split()
