"""op_table rows for batch normalisation (tinygrad_edu.nn.functional_norm.batch_norm),
each against a numpy formula written from PyTorch's documentation.

Training rows normalise with the batch's statistics; their input is drawn from the
``distinct`` domain (no two values tie) and N >= 2, so every channel's variance is
at least 0.25**2 / 4 and the finite differences stay well conditioned. Running
statistics are made fresh inside each call (updating them must not disturb the
function or its gradient) or, in eval rows, derived deterministically from C.
Weight and bias are inputs, so their gradients are checked too."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.nn.functional_norm import batch_norm


@st.composite
def bn_args(draw, affine=True):
    """(N, C, *spatial) with N 2-4, C 1-4 and 0-2 spatial dims (numel <= 64), plus
    weight and bias of shape [C] when affine (one [C] vector for "w" or "b" alone);
    eps drawn."""
    n, c = draw(st.integers(2, 4)), draw(st.integers(1, 4))
    k = draw(st.integers(0, 2))
    spatial = tuple(draw(st.integers(1, 3 if k == 1 else 2)) for _ in range(k))
    params = ((c,), (c,)) if affine is True else ((c,),) if affine else ()
    return ((n, c) + spatial,) + params, {"eps": draw(st.sampled_from([1e-5, 1e-3]))}


def _fixed_stats(c, like=None):
    """Running mean and variance for C channels (variance in [0.5, 1.25])."""
    mean = np.linspace(-0.5, 0.5, c)
    var = 0.5 + 0.25 * np.arange(c)
    if like is None:
        return mean, var
    return (tg.tensor(mean, dtype=like.dtype, device=like.device),
            tg.tensor(var, dtype=like.dtype, device=like.device))


def _bshape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _bn_np(x, mean, var, w, b, eps):
    # in float64 whatever the inputs' dtype: the reference is the exact value
    s = _bshape(x)
    out = (x.astype(np.float64) - mean.reshape(s)) / np.sqrt(var.reshape(s) + eps)
    if w is not None:
        out = out * w.astype(np.float64).reshape(s)
    if b is not None:
        out = out + b.astype(np.float64).reshape(s)
    return out.astype(x.dtype)


def _train_np(x, w=None, b=None, eps=1e-5):
    axes = (0, *range(2, x.ndim))
    xd = x.astype(np.float64)
    return _bn_np(x, xd.mean(axis=axes), xd.var(axis=axes), w, b, eps)


def _train_tg(x, w=None, b=None, eps=1e-5):
    # fresh running stats each call: the in-place update happens, the result is pure
    rm = tg.zeros(x.shape[1], dtype=x.dtype, device=x.device)
    rv = tg.ones(x.shape[1], dtype=x.dtype, device=x.device)
    return batch_norm(x, rm, rv, w, b, training=True, momentum=0.3, eps=eps)


def _bias_only(fn):
    """fn with its one [C] vector as the bias (the fused node's has_b-only case)."""
    return lambda x, b, eps=1e-5: fn(x, None, b, eps=eps)


def _train_nostats_tg(x, w=None, b=None, eps=1e-5):
    return batch_norm(x, None, None, w, b, training=True, eps=eps)


def _eval_np(x, w=None, b=None, eps=1e-5):
    return _bn_np(x, *_fixed_stats(x.shape[1]), w, b, eps)


def _eval_tg(x, w=None, b=None, eps=1e-5):
    return batch_norm(x, *_fixed_stats(x.shape[1], like=x), w, b, training=False, eps=eps)


def rows(Row):
    """The batch-norm rows, built with op_table's Row class."""
    return [
        Row("batch_norm", _train_tg, _train_np, bn_args(), ("distinct", "any", "any"),
            smooth=True),
        Row("batch_norm_no_affine", _train_tg, _train_np, bn_args(affine=False), "distinct",
            smooth=True),
        Row("batch_norm_no_running_stats", _train_nostats_tg, _train_np, bn_args(),
            ("distinct", "any", "any"), smooth=True),
        # the fused training node with a weight alone and with a bias alone
        Row("batch_norm_weight_only", _train_tg, _train_np, bn_args(affine="w"),
            ("distinct", "any"), smooth=True),
        Row("batch_norm_bias_only", _bias_only(_train_tg), _bias_only(_train_np),
            bn_args(affine="b"), ("distinct", "any"), smooth=True),
        # eval: an affine map of x with fixed statistics (bilinear in x and weight)
        Row("batch_norm_eval", _eval_tg, _eval_np, bn_args(), smooth=True),
        Row("batch_norm_eval_no_affine", _eval_tg, _eval_np, bn_args(affine=False)),
    ]


REQUIRED_NORM = ["batch_norm", "batch_norm_eval"]
