"""op_table rows for the language-model functions (tinygrad_edu.nn.functional_lm) and
the Erf primitive, each against a numpy formula written from PyTorch's documentation
(erf from Python's math.erf, independent of tg's rational approximation).

Integer indices for embedding are derived deterministically from the drawn shapes
(op_table's inputs are all floats) and repeat, so gradients must accumulate.
Normalised groups have at least 2 elements; layer_norm draws its input from the
``distinct`` domain (the variance stays >= 0.25**2 / 4) and rms_norm from
``nonzero`` (the mean square stays >= 0.01), so finite differences are well
conditioned."""
import math

import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional_lm as FL
from tinygrad_edu.functions import Erf
import strategies as S

_erf_np = np.vectorize(math.erf, otypes=[np.float64])


# ---- embedding -------------------------------------------------------------------------
@st.composite
def embedding_args(draw, padding=False):
    """weight [n, dim] (n 1-5, dim 1-4), the indices' shape (0-2 dims, one side maybe
    0) and, with padding, a padding_idx (maybe negative)."""
    n, dim = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    idx_shape = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    kw = {"idx_shape": idx_shape}
    if padding:
        kw["padding_idx"] = draw(st.integers(-n, n - 1))
    return ((n, dim),), kw


def _indices(idx_shape, n):
    size = int(np.prod(idx_shape))
    return ((np.arange(size) * 3 + 1) % n).reshape(idx_shape)


def _embedding_tg(w, idx_shape):
    return FL.embedding(tg.tensor(_indices(idx_shape, w.shape[0]), device=w.device), w)


def _embedding_np(w, idx_shape):
    return w[_indices(idx_shape, w.shape[0])]


def _pad_mask(n, padding_idx, dtype):
    keep = np.ones((n, 1), dtype=dtype)
    keep[padding_idx] = 0
    return keep


def _embedding_pad_tg(w, idx_shape, padding_idx):
    # The padding row is zeroed first (as nn.Embedding's init does): PyTorch's padding
    # row gets no gradient although the output reads it, which central differences
    # would see; zeroed, neither side depends on it. The missing gradient itself is
    # checked against PyTorch in test_lm_layers.py.
    n = w.shape[0]
    keep = tg.tensor(_pad_mask(n, padding_idx, np.float64), dtype=w.dtype, device=w.device)
    idx = tg.tensor(_indices(idx_shape, n), device=w.device)
    return FL.embedding(idx, w * keep, padding_idx=padding_idx)


def _embedding_pad_np(w, idx_shape, padding_idx):
    return _embedding_np(w * _pad_mask(w.shape[0], padding_idx, w.dtype), idx_shape)


# ---- normalisation -------------------------------------------------------------------------
@st.composite
def norm_args(draw, params=2, rms=False):
    """An input of 0-2 leading dims and 1-2 normalised dims (sides 1-3, at least 2
    elements normalised), plus ``params`` tensors of the normalised shape; eps drawn
    (for rms_norm also None, its default)."""
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    k = draw(st.integers(1, 2))
    norm = tuple(draw(st.integers(1, 3)) for _ in range(k))
    if int(np.prod(norm)) < 2:
        norm = norm[:-1] + (2,)
    eps = draw(st.sampled_from([None, 1e-5, 1e-3] if rms else [1e-5, 1e-3]))
    return (lead + norm,) + (norm,) * params, {"k": k, "eps": eps}


def _axes(x, k):
    return tuple(range(x.ndim - k, x.ndim))


def _layer_norm_tg(x, w=None, b=None, k=1, eps=1e-5):
    return FL.layer_norm(x, tuple(x.shape[x.ndim - k:]), w, b, eps)


def _layer_norm_np(x, w=None, b=None, k=1, eps=1e-5):
    # in float64 whatever the inputs' dtype: the reference is the exact value
    x64, ax = x.astype(np.float64), _axes(x, k)
    out = (x64 - x64.mean(axis=ax, keepdims=True)) / np.sqrt(x64.var(axis=ax, keepdims=True)
                                                             + eps)
    if w is not None:
        out = out * w + b
    return out.astype(x.dtype)


def _rms_norm_tg(x, w=None, k=1, eps=None):
    return FL.rms_norm(x, list(x.shape[x.ndim - k:]), w, eps)


def _rms_norm_np(x, w=None, k=1, eps=None):
    eps = np.finfo(x.dtype).eps if eps is None else eps   # PyTorch's default: the dtype's
    x64 = x.astype(np.float64)
    out = x64 / np.sqrt((x64 ** 2).mean(axis=_axes(x, k), keepdims=True) + eps)
    return (out if w is None else out * w).astype(x.dtype)


# ---- activations ---------------------------------------------------------------------------
def _unary():
    return S.shapes(allow_zero=True).map(lambda s: ((s,), {}))


def _gelu_np(x):
    x64 = x.astype(np.float64)
    return (0.5 * x64 * (1 + _erf_np(x64 / np.sqrt(2.0)))).astype(x.dtype)


def _gelu_tanh_np(x):
    x64 = x.astype(np.float64)
    return (0.5 * x64 * (1 + np.tanh(np.sqrt(2 / np.pi) * (x64 + 0.044715 * x64 ** 3)))
            ).astype(x.dtype)


def _silu_np(x):
    return (x / (1 + np.exp(-x.astype(np.float64)))).astype(x.dtype)


def rows(Row):
    """The language-model rows, built with op_table's Row class."""
    return [
        Row("embedding", _embedding_tg, _embedding_np, embedding_args()),
        Row("embedding_padding_idx", _embedding_pad_tg, _embedding_pad_np,
            embedding_args(padding=True)),
        Row("layer_norm", _layer_norm_tg, _layer_norm_np, norm_args(),
            ("distinct", "any", "any"), smooth=True),
        Row("layer_norm_no_affine", _layer_norm_tg, _layer_norm_np, norm_args(params=0),
            "distinct", smooth=True),
        Row("rms_norm", _rms_norm_tg, _rms_norm_np, norm_args(params=1, rms=True),
            ("nonzero", "any"),
            smooth=True),
        Row("rms_norm_no_weight", _rms_norm_tg, _rms_norm_np, norm_args(params=0, rms=True),
            "nonzero", smooth=True),
        # x * 2.5 spans [-5, 5]: all three ranges of the rational approximation
        Row("erf", lambda x: Erf.apply(x * 2.5), lambda x: _erf_np(x * 2.5).astype(x.dtype),
            _unary(), smooth=True),
        Row("gelu", lambda x: FL.gelu(x), _gelu_np, _unary(), smooth=True),
        Row("gelu_tanh", lambda x: FL.gelu(x, approximate="tanh"), _gelu_tanh_np, _unary(),
            smooth=True),
        Row("silu", lambda x: FL.silu(x), _silu_np, _unary(), smooth=True),
    ]


REQUIRED_LM = ["embedding", "embedding_padding_idx", "layer_norm", "rms_norm", "erf", "gelu",
               "gelu_tanh", "silu"]
