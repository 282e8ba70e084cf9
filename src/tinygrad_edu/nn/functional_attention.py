"""Attention for tg.nn.functional (re-exported there): ``scaled_dot_product_attention``
with PyTorch's signature, masks and shapes, composed of Tensor ops (matmul, masked
softmax), and the weights-returning core that ``nn.MultiheadAttention`` shares."""
import math

import numpy as np

from ..backend import host
from ..factories import rand
from .functional_conv import _tensor_arg


def _mask_rows(weights, blocked):
    """Rows whose every key is blocked attend to nothing: zeros (PyTorch's result), not
    the NaN of a softmax over -inf only. ``blocked`` is a bool tensor or None."""
    if blocked is None:
        return weights
    empty = blocked.all(-1, keepdim=True)
    return weights.masked_fill(empty, 0.0) if bool(host(empty._data).any()) else weights


def attention(q, k, v, keep=None, bias=None, dropout_p=0.0, scale=None):
    """(softmax(q k^T * scale + bias, masked to ``keep``) @ v, the weights): ``keep`` is
    a bool tensor (True attends), ``bias`` a float tensor added to the scores."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    blocked = None
    if keep is not None:
        blocked = ~keep
        scores = scores.masked_fill(blocked, float("-inf"))
    weights = _mask_rows(scores.softmax(-1), blocked)
    if dropout_p > 0.0:
        keep_w = rand(*weights.shape, dtype=weights.dtype, device=weights.device) >= dropout_p
        weights = weights * (keep_w.to(weights.dtype) * (1.0 / (1.0 - dropout_p)))
    return weights @ v, weights


def _check_qkv(q, k, v):
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise RuntimeError(f"scaled_dot_product_attention(): Expected query, key, and value to "
                           f"all be at least 2 dimensional, but got query.dim: {q.ndim} key.dim: "
                           f"{k.ndim} and value.dim: {v.ndim} instead.")
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention(): query and key must have the same "
                           f"embedding size, got query {list(q.shape)} and key {list(k.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention(): key and value must have the same "
                           f"sequence length, got key {list(k.shape)} and value {list(v.shape)}")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise RuntimeError(f"scaled_dot_product_attention(): the batch dimensions of query "
                           f"{list(q.shape)}, key {list(k.shape)} and value {list(v.shape)} do "
                           f"not broadcast") from None


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T / sqrt(E) + mask) V over the last two dims (..., L, E) x (..., S, E);
    a bool attn_mask marks the pairs that may attend (True), a float one is added to
    the scores; is_causal keeps j <= i. dropout_p drops attention weights (always, as
    PyTorch's functional form does: pass 0.0 in eval)."""
    fn = "scaled_dot_product_attention"
    q, k, v = (_tensor_arg(t, name, fn) for t, name in
               ((query, "query"), (key, "key"), (value, "value")))
    _check_qkv(q, k, v)
    if enable_gqa:
        raise NotImplementedError(f"{fn}(): enable_gqa is not supported")
    L, S = q.shape[-2], k.shape[-2]
    keep = bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{fn}(): Explicit attn_mask should not be set when "
                               "is_causal=True")
        keep = q._make(np.tri(L, S, dtype=bool)).to(q.device)
    elif attn_mask is not None:
        m = _tensor_arg(attn_mask, "attn_mask", fn)
        try:
            np.broadcast_shapes(tuple(m.shape), q.shape[:-2] + (L, S))
        except ValueError:
            raise RuntimeError(f"{fn}(): attn_mask of shape {list(m.shape)} does not broadcast "
                               f"to the attention weights' shape {list(q.shape[:-2]) + [L, S]}"
                               ) from None
        if m.dtype.np.kind == "b":
            keep = m
        else:
            bias = m if m.dtype == q.dtype else m.to(q.dtype)
    return attention(q, k, v, keep, bias, dropout_p, scale)[0]
