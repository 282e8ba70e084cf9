"""Multi-head attention and the transformer encoder: ``nn.MultiheadAttention``,
``nn.TransformerEncoderLayer`` and ``nn.TransformerEncoder`` with PyTorch's
arguments, parameter names (``in_proj_weight``, ``self_attn.out_proj.weight``, ...),
initialisation, mask conventions and shapes, so state_dicts move both ways."""
import copy

from .. import dtypes
from ..factories import empty
from . import init
from .functional import gelu, relu
from .functional_attention import attention
from .functional_conv import _tensor_arg
from .layers import Dropout, Linear, ModuleList
from .lm_layers import LayerNorm
from .module import Module, Parameter


def _as_keep(mask, dtype, name):
    """A MultiheadAttention mask (bool: True = may NOT attend; float: added) as the
    (keep, bias) pair of ``attention``."""
    if mask is None:
        return None, None
    if mask.dtype.np.kind == "b":
        return ~mask, None
    return None, (mask if mask.dtype == dtype else mask.to(dtype))


class MultiheadAttention(Module):
    """Attention with ``num_heads`` heads of embed_dim // num_heads features: queries,
    keys and values projected by one packed ``in_proj_weight`` [3E, E], attention per
    head, the heads joined and projected by ``out_proj``. Inputs are (L, N, E), or
    (N, L, E) with batch_first, or unbatched (L, E). ``kdim``/``vdim`` other than
    embed_dim, ``add_bias_kv`` and ``add_zero_attn`` are not supported."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim must be divisible by num_heads (embed_dim="
                                 f"{embed_dim}, num_heads={num_heads})")
        if add_bias_kv or add_zero_attn or kdim not in (None, embed_dim) or \
                vdim not in (None, embed_dim):
            raise NotImplementedError("MultiheadAttention(): kdim/vdim other than embed_dim, "
                                      "add_bias_kv and add_zero_attn are not supported")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.head_dim, self.batch_first = embed_dim // num_heads, batch_first
        self.kdim = self.vdim = embed_dim
        dtype = dtypes.to_dtype(dtype) or dtypes.default_float
        self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, dtype=dtype,
                                              device=device))
        self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype, device=device)) \
            if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)

    def _check(self, q, k, v, key_padding_mask, attn_mask):
        if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
            raise AssertionError(f"MultiheadAttention: query, key and value must all be 2-D "
                                 f"(unbatched) or 3-D (batched), got shapes {list(q.shape)}, "
                                 f"{list(k.shape)} and {list(v.shape)}")
        for name, t in (("query", q), ("key", k), ("value", v)):
            if t.shape[-1] != self.embed_dim:
                raise AssertionError(f"MultiheadAttention: was expecting embedding dimension "
                                     f"of {self.embed_dim}, but got {t.shape[-1]} in {name} "
                                     f"of shape {list(t.shape)}")
        if k.shape != v.shape:
            raise AssertionError(f"MultiheadAttention: key shape {list(k.shape)} does not "
                                 f"match value shape {list(v.shape)}")
        if q.ndim == 3 and k.shape[1] != q.shape[1]:
            raise AssertionError(f"MultiheadAttention: the batch sizes of query {list(q.shape)} "
                                 f"and key {list(k.shape)} differ")
        n, L, S = (q.shape[1] if q.ndim == 3 else None), q.shape[0], k.shape[0]
        if key_padding_mask is not None:
            want = [n, S] if n is not None else [S]
            if list(key_padding_mask.shape) != want:
                raise AssertionError(f"MultiheadAttention: expected key_padding_mask of shape "
                                     f"{want}, but got {list(key_padding_mask.shape)}")
        if attn_mask is not None and list(attn_mask.shape) not in (
                [L, S], [(n or 1) * self.num_heads, L, S]):
            raise RuntimeError(f"MultiheadAttention: The shape of the attn_mask is "
                               f"{list(attn_mask.shape)}, but should be {[L, S]} or "
                               f"{[(n or 1) * self.num_heads, L, S]}.")

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """(attention output like query, the weights (N, L, S) averaged over heads, or
        (N, H, L, S), or None without need_weights)."""
        q, k, v = (_tensor_arg(t, n, "MultiheadAttention") for t, n in
                   ((query, "query"), (key, "key"), (value, "value")))
        if self.batch_first and q.ndim == 3:
            q, k, v = (t.transpose(0, 1) for t in (q, k, v))
        if is_causal and attn_mask is None:  # PyTorch: is_causal is a hint about attn_mask
            raise RuntimeError("MultiheadAttention: Need attn_mask if specifying the is_causal "
                               "hint; pass the causal mask (e.g. tg.ones(L, L).triu(1).bool())")
        self._check(q, k, v, key_padding_mask, attn_mask)
        unbatched = q.ndim == 2
        if unbatched:
            q, k, v = (t.unsqueeze(1) for t in (q, k, v))
            key_padding_mask = None if key_padding_mask is None else key_padding_mask.unsqueeze(0)
        (L, N, E), S, H, D = q.shape, k.shape[0], self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        bs = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        # project, then (seq, N, E) -> (N, H, seq, D)
        q, k, v = ((x @ w[i * E:(i + 1) * E].t() + (bs[i] if bs[i] is not None else 0.0))
                   .reshape(x.shape[0], N, H, D).permute(1, 2, 0, 3)
                   for i, x in enumerate((q, k, v)))
        keep, bias = _as_keep(attn_mask, q.dtype, "attn_mask")
        if keep is not None and keep.ndim == 3:
            keep = keep.reshape(N, H, L, S)
        if bias is not None and bias.ndim == 3:
            bias = bias.reshape(N, H, L, S)
        if key_padding_mask is not None:
            pk, pb = _as_keep(key_padding_mask, q.dtype, "key_padding_mask")
            if pk is not None:
                pk = pk.reshape(N, 1, 1, S)
                keep = pk if keep is None else keep & pk
            else:
                pb = pb.reshape(N, 1, 1, S)
                bias = pb if bias is None else bias + pb
        out, weights = attention(q, k, v, keep, bias, self.dropout if self.training else 0.0)
        out = self.out_proj(out.permute(2, 0, 1, 3).reshape(L, N, E))
        if unbatched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        return out, (weights.mean(-3) if average_attn_weights else weights)



class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward net (Linear, activation, Linear), each with
    dropout, a residual connection and LayerNorm, after (default) or before
    (norm_first) the block, as in PyTorch."""

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1, self.dropout2 = Dropout(dropout), Dropout(dropout)
        if isinstance(activation, str):
            if activation not in ("relu", "gelu"):
                raise RuntimeError(f"activation should be relu/gelu, not {activation}")
            activation = relu if activation == "relu" else gelu
        self.activation = activation

    def _sa_block(self, x, mask, padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """One encoder layer over src (L, N, E) (or (N, L, E) with batch_first)."""
        x = _tensor_arg(src, "src", "TransformerEncoderLayer")
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """``num_layers`` independent copies of encoder_layer, applied in turn (then norm)."""

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """src through every layer with the same masks."""
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return x if self.norm is None else self.norm(x)
