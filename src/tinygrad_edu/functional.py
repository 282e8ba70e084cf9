"""The functional API (PyTorch's torch.functional): ``tg.exp(x)``, ``tg.cat([...])``,
``tg.where(c, a, b)``..., each the Tensor method of the same name."""
from . import dtypes
from . import functions as F
from .einsum import einsum  # noqa: F401 - tg.einsum
from .factories import as_tensor
from . import tensor_movement, tensor_reduce_extra, tensor_select
from .tensor import Tensor


def _method(name):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):  # noqa: A002 - PyTorch's argument name
        return method(as_tensor(input), *args, **kwargs)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = method.__doc__ or f"Functional form of ``Tensor.{name}``."
    return fn


_FUNCTIONAL = (
    "exp", "log", "sqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu", "leaky_relu",
    "step", "heaviside", "clamp", "clip", "maximum", "minimum", "pow", "add", "sub", "mul",
    "div", "matmul", "mm", "sum", "mean", "var", "std", "max", "min", "amax", "amin",
    "argmax", "argmin", "logsumexp", "softmax", "log_softmax", "reshape", "flatten",
    "squeeze", "unsqueeze", "transpose", "permute", "eq", "ne", "lt", "le", "gt", "ge",
    "all", "any", "erf", "masked_fill", "tril", "triu", "cumsum", "flip", "gather", "scatter",
    "scatter_add", "index_select", "sort", "argsort", "topk", "narrow", "split", "chunk",
    "unflatten", "repeat_interleave", "multinomial", "select", "tensor_split",
) + (  # issue 18: elementwise math, predicates and logical ops
    "log2", "log10", "exp2", "log1p", "expm1", "rsqrt", "reciprocal", "square", "floor", "ceil",
    "round", "trunc", "fix", "frac", "erfc", "tan", "asin", "arcsin", "acos", "arccos", "atan",
    "arctan", "atan2", "arctan2", "sinh", "cosh", "asinh", "arcsinh", "acosh", "arccosh",
    "atanh", "arctanh", "copysign", "remainder", "fmod", "lerp", "logaddexp", "hypot", "xlogy",
    "sinc", "nan_to_num", "float_power", "divide", "isnan", "isinf", "isposinf", "isneginf",
    "isfinite", "isclose", "allclose", "equal", "signbit", "logical_and", "logical_or",
    "logical_xor", "logical_not",
) + tensor_reduce_extra.FUNCTIONAL + tensor_movement.FUNCTIONAL + tensor_select.FUNCTIONAL
globals().update({name: _method(name) for name in _FUNCTIONAL})


def where(condition, input=None, other=None):  # noqa: A002
    """Elements of ``input`` where condition holds, else of ``other`` (broadcasting);
    ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return as_tensor(condition).nonzero(as_tuple=True)
    if not isinstance(input, Tensor):
        input = other._lift(input) if isinstance(other, Tensor) else as_tensor(input)
    return input.where(condition, other)


def cat(tensors, dim=0):
    """Join tensors along an existing dimension."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    first = tensors[0]
    if first.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated; "
                           "use tg.stack or unsqueeze it first")
    ax = first._axis(dim)
    dt = first.dtype
    for i, t in enumerate(tensors):
        if t.ndim != first.ndim:
            raise RuntimeError(f"cat(): tensors must have the same number of dimensions: got "
                               f"{first.ndim} and {t.ndim} (tensor number {i} in the list)")
        for d, (x, y) in enumerate(zip(first.shape, t.shape)):
            if d != ax and x != y:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {ax}. "
                                   f"Expected size {x} but got size {y} for tensor number "
                                   f"{i} in the list.")
        dt = dtypes.promote(dt, t.dtype)
    return F.Cat.apply(*[t.to(dt) for t in tensors], axis=ax)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Join equally shaped tensors along a new dimension."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise RuntimeError("stack(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at "
                               f"entry {i}")
    ax = tensors[0]._axis(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(ax) for t in tensors], dim=ax)


__all__ = list(_FUNCTIONAL) + ["einsum", "where", "cat", "concat", "concatenate", "stack"]
from . import functional_movement  # noqa: E402 - issue 18: tg.meshgrid, tg.hstack, ...
from .functional_movement import *  # noqa: E402,F401,F403
__all__ += functional_movement.__all__
