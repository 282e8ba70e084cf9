"""Activations beyond ReLU as functions (re-exported by nn.functional): elu, selu, celu,
softplus, softsign, mish, hardswish, hardsigmoid, hardtanh, relu6, logsigmoid, softmin,
glu, prelu, threshold, tanhshrink, hardshrink and softshrink, with PyTorch's arguments,
defaults and errors.

Each is a composition of Tensor ops, so autograd gives every gradient of any order.
Where a function has a kink, the composition is chosen so that the gradient there is
PyTorch's: hardtanh, hardsigmoid and the shrinks pass no gradient at their corners
(``masked_fill`` and ``where`` route it), elu's at 0 is alpha (the exponential side),
softplus switches to x only above ``threshold``, prelu's at 0 is the weight.
"""
import warnings

from .. import dtypes
from ..factories import as_tensor
from ..tensor import Tensor
from .functional_lm import _apply, _floating

__all__ = ["celu", "celu_", "elu", "elu_", "glu", "hardshrink", "hardsigmoid", "hardswish",
           "hardtanh", "hardtanh_", "logsigmoid", "mish", "prelu", "relu6", "selu", "selu_",
           "softmin", "softplus", "softshrink", "softsign", "tanhshrink", "threshold",
           "threshold_"]
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _input(input, name, floating=True):  # noqa: A002
    """input as a Tensor (data is converted as tg.tensor does); with ``floating`` an
    integer tensor is refused as PyTorch refuses it."""
    if not isinstance(input, Tensor):
        try:
            input = as_tensor(input)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}(): argument 'input' must be a tg.Tensor or numeric data, "
                            f"not {type(input).__name__} ({e})") from None
    if floating:
        _floating(input, name)
    return input


def _no_bool(x, name, error=NotImplementedError, why=None):
    """PyTorch refuses bool tensors in these functions (with its exception type)."""
    if x.dtype == dtypes.bool_:
        raise error(why or f'"{name}" not implemented for tg.bool; convert the input with '
                    f".float() first")


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    """scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1)); the exponential side
    reads 0 unless x <= 0, so a large x (or NaN) makes no inf whose zero gradient would be
    NaN (NaN takes the x side, gradient 1, as in PyTorch)."""
    neg = ((x.where(x <= 0, 0.0) * input_scale).exp() - 1.0) * alpha   # as PyTorch
    out = neg.where(x <= 0, x)
    return out if scale == 1.0 else out * scale


def elu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x where x > 0, else alpha * (exp(x) - 1)."""
    input = _input(input, "elu")
    return _apply(lambda x: _elu(x, alpha), input, inplace)


def elu_(input, alpha=1.0):  # noqa: A002
    """elu in place."""
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):  # noqa: A002
    """scale * elu(x, alpha) with the self-normalising constants (alpha ~ 1.6733,
    scale ~ 1.0507)."""
    input = _input(input, "selu")
    return _apply(lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE), input, inplace)


def selu_(input):  # noqa: A002
    """selu in place."""
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):  # noqa: A002
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""
    input = _input(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU (celu divides x by "
                           "alpha)")
    return _apply(lambda x: _elu(x, alpha, input_scale=1.0 / alpha), input, inplace)


def celu_(input, alpha=1.0):  # noqa: A002
    """celu in place."""
    return celu(input, alpha, inplace=True)


def softplus(input, beta=1.0, threshold=20.0):  # noqa: A002
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    x = _input(input, "softplus")
    z = x * beta
    soft = z.masked_fill(z > threshold, 0.0).exp().log1p() / beta
    return x.where(z > threshold, soft)


def softsign(input):  # noqa: A002
    """x / (1 + |x|)."""
    x = _input(input, "softsign", floating=False)
    _no_bool(x, "softsign")
    return x / (x.abs() + 1)


def mish(input, inplace=False):  # noqa: A002
    """x * tanh(softplus(x))."""
    input = _input(input, "mish")
    return _apply(lambda x: x * softplus(x).tanh(), input, inplace)


def _hardsigmoid(x):
    return ((x + 3.0) / 6.0).masked_fill(x <= -3.0, 0.0).masked_fill(x >= 3.0, 1.0)


def hardsigmoid(input, inplace=False):  # noqa: A002
    """0 below -3, 1 above 3, x / 6 + 1/2 between (no gradient at -3 and 3)."""
    input = _input(input, "hardsigmoid")
    return _apply(_hardsigmoid, input, inplace)


def hardswish(input, inplace=False):  # noqa: A002
    """x * hardsigmoid(x)."""
    input = _input(input, "hardswish")
    return _apply(lambda x: x * _hardsigmoid(x), input, inplace)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):  # noqa: A002
    """x limited to [min_val, max_val]; no gradient at or beyond the limits."""
    input = _input(input, "hardtanh", floating=False)
    _no_bool(input, "hardtanh", RuntimeError, "Bool inputs not supported for hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val (got {min_val} > "
                         f"{max_val})")
    return _apply(lambda x: x.masked_fill(x <= min_val, min_val).masked_fill(x >= max_val,
                                                                               max_val),
                  input, inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):  # noqa: A002
    """hardtanh in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):  # noqa: A002
    """min(max(x, 0), 6): hardtanh(x, 0, 6)."""
    input = _input(input, "relu6", floating=False)
    _no_bool(input, "relu6", RuntimeError, "Bool inputs not supported for hardtanh (relu6)")
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):  # noqa: A002
    """log(sigmoid(x)), computed as min(x, 0) - log1p(exp(-|x|)) (PyTorch's formula)."""
    x = _input(input, "logsigmoid")
    return x.minimum(0.0) - (-x.abs()).exp().log1p()


def softmin(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002
    """softmax(-x) along dim: the smallest entries get the largest weights."""
    x = _input(input, "softmin", floating=False)
    _no_bool(x, "softmin", RuntimeError, "softmin: negation, the `-` operator, on a bool tensor "
             "is not supported; convert the input with .float() first")
    _floating(x, "softmin")
    x = x if dtype is None else x.to(dtype)
    if dim is None:
        warnings.warn("Implicit dimension choice for softmin has been deprecated. Change the "
                      "call to include dim=X as an argument.", UserWarning,
                      stacklevel=_stacklevel)
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return (-x).softmax(dim)


def glu(input, dim=-1):  # noqa: A002
    """a * sigmoid(b), where a and b are the two halves of input along dim."""
    x = _input(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    ax = x._axis(dim)
    if x.shape[ax] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {ax} is size "
                           f"{x.shape[ax]}")
    a, b = x.chunk(2, ax)
    return a * b.sigmoid()


def prelu(input, weight):  # noqa: A002
    """x where x > 0, else weight * x; weight holds one slope or one per channel (dim 1)."""
    x = _input(input, "prelu", floating=False)
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' must be Tensor, not {type(weight).__name__}")
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if weight.dtype != x.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {x.dtype!r} and "
                           f"{weight.dtype!r}")
    _floating(x, "prelu")
    channels = x.shape[1] if x.ndim >= 2 else 1
    n = weight.numel()
    if n not in (1, channels):
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {n} and channel size = {channels}.")
    w = weight.reshape(()) if n == 1 else weight.reshape((1, n) + (1,) * (x.ndim - 2))
    return x.where(x > 0, w * x)


def threshold(input, threshold, value, inplace=False):  # noqa: A002
    """x where x > threshold, else value."""
    input = _input(input, "threshold", floating=False)
    _no_bool(input, "threshold")
    return _apply(lambda x: x.masked_fill(x <= threshold, value), input, inplace)


_threshold = threshold


def threshold_(input, threshold, value):  # noqa: A002
    """threshold in place."""
    return _threshold(input, threshold, value, inplace=True)


def tanhshrink(input):  # noqa: A002
    """x - tanh(x)."""
    x = _input(input, "tanhshrink", floating=False)
    _no_bool(x, "tanhshrink", RuntimeError, "tanhshrink: subtraction, the `-` operator, with a "
             "bool tensor is not supported; convert the input with .float() first")
    return x - x.tanh()


def hardshrink(input, lambd=0.5):  # noqa: A002
    """x where |x| > lambd, else 0."""
    x = _input(input, "hardshrink")
    return x.masked_fill((x >= -lambd) & (x <= lambd), 0.0)


def softshrink(input, lambd=0.5):  # noqa: A002
    """x - lambd above lambd, x + lambd below -lambd, 0 between: x - clamp(x, -lambd, lambd)."""
    x = _input(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be in range [0, inf) for input dtype "
                           f"{x.dtype!r}, but found {lambd}")
    return x - x.clamp(-lambd, lambd)
