"""The language-model chapter's layers: Embedding, LayerNorm, RMSNorm, GELU and SiLU,
with PyTorch's constructor arguments, parameter names and shapes, initialisation
and reprs, so state_dicts move between the two."""
import numbers
import operator

from .. import dtypes
from ..factories import empty
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import init
from .functional_lm import (_padding_index, _refuse_unsupported, embedding, gelu, layer_norm,
                            rms_norm, silu)
from .module import Module, Parameter


def _shape(normalized_shape):
    """An int or a sequence of ints as a tuple of ints (as PyTorch's norm layers take it)."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    return tuple(operator.index(s) for s in normalized_shape)


class Embedding(Module):
    """A lookup table: ``weight[i]`` (a row of embedding_dim numbers) for each integer
    index i of the input, so the output has shape ``[*input.shape, embedding_dim]``.

    The weight is drawn from N(0, 1), as in PyTorch; the ``padding_idx`` row starts
    at zero and gets no gradient. ``_weight`` (used as is) and ``_freeze`` serve
    ``from_pretrained``. ``max_norm``, ``scale_grad_by_freq`` and ``sparse=True``
    are not supported.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        # refused here rather than at the first forward: the layer could never run
        _refuse_unsupported(max_norm, scale_grad_by_freq, sparse, "Embedding")
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = _padding_index(padding_idx, num_embeddings, "Embedding")
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        if _weight is None:
            dtype = dtypes.to_dtype(dtype) or dtypes.default_float
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype,
                                          device=device), requires_grad=not _freeze)
            self.reset_parameters()
        else:   # PyTorch keeps a given weight as it is: no init, no zeroed padding row
            if list(_weight.shape) != [num_embeddings, embedding_dim]:
                raise AssertionError(f"Embedding(): Shape of weight does not match "
                                     f"num_embeddings and embedding_dim: expected "
                                     f"[{num_embeddings}, {embedding_dim}], got "
                                     f"{list(_weight.shape)}")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """Draw the weight from N(0, 1) and zero the padding row."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self):
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)   # a view: writes into the weight

    def forward(self, input):  # noqa: A002
        return embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is ``embeddings`` (2-D, memory shared), frozen
        (no gradient) unless ``freeze=False``; the padding row is not zeroed."""
        if not isinstance(embeddings, Tensor):
            raise TypeError(f"Embedding.from_pretrained(): embeddings must be a tg.Tensor, not "
                            f"{type(embeddings).__name__}")
        if embeddings.ndim != 2:
            raise AssertionError(f"Embedding.from_pretrained(): Embeddings parameter is "
                                 f"expected to be 2-dimensional, got shape "
                                 f"{list(embeddings.shape)}")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx=padding_idx, max_norm=max_norm, norm_type=norm_type,
                   scale_grad_by_freq=scale_grad_by_freq, sparse=sparse, _weight=embeddings,
                   _freeze=freeze)


class LayerNorm(Module):
    """Normalise each sample over its last dims (``normalized_shape``) to zero mean and
    unit variance, then scale by ``weight`` (ones) and shift by ``bias`` (zeros), both
    of shape ``normalized_shape``; ``elementwise_affine=False`` has neither."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = dtypes.to_dtype(dtype) or dtypes.default_float
        if elementwise_affine:
            self.weight = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight to 1, bias to 0."""
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class RMSNorm(Module):
    """Divide each sample by its root mean square over the last dims
    (``normalized_shape``), then scale by ``weight`` (ones). ``eps=None``: the
    machine epsilon of the input's dtype, as in PyTorch."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = _shape(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            dtype = dtypes.to_dtype(dtype) or dtypes.default_float
            self.weight = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight to 1."""
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, input):  # noqa: A002
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GELU(Module):
    """x * Phi(x) (Phi: the standard normal CDF); ``approximate='tanh'`` uses the tanh
    formula of the GPT-2 code."""

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):  # noqa: A002
        return gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x) (the swish of LLaMA's feed-forward layers)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return silu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""
