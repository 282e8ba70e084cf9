"""Lazy layers, as in PyTorch (d2l writes every model with them): LazyLinear, LazyConv1d,
LazyConv2d, LazyConvTranspose2d, LazyBatchNorm1d and LazyBatchNorm2d learn their input
size (in_features, in_channels, num_features) from the first batch.

Until then their parameters are UninitializedParameter placeholders (running stats:
UninitializedBuffer) that refuse to be computed with. The first call, or a
load_state_dict, sizes them in place, so an optimizer built before it holds the very
same objects, now ordinary Parameters. Then the module becomes the ordinary class
(``type(m) is nn.Linear``): PyTorch assigns ``__class__``, and so do we.
"""
from typing import Any

from .. import dtypes
from ..factories import empty
from ..grad_mode import no_grad
from ..tensor import Tensor
from .conv import Conv1d, Conv2d, ConvTranspose2d
from .layers import Linear
from .module import Parameter
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyModuleMixin", "LazyLinear",
           "LazyConv1d", "LazyConv2d", "LazyConvTranspose2d", "LazyBatchNorm1d",
           "LazyBatchNorm2d"]

_USE = ("Attempted to use an uninitialized parameter in {}. This error happens when you "
        "are using a `LazyModule` or explicitly manipulating `UninitializedParameter` "
        "objects. When using LazyModules Call `forward` with a dummy batch to initialize "
        "the parameters before calling tg functions")
_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error "
          "usually happens in `load_state_dict` when trying to load an uninitialized "
          "parameter into an initialized one. Call `forward` to initialize the parameters "
          "before accessing their attributes.")
# What a placeholder still answers: where it lives and how it trains, what Module.to()
# and an optimizer's constructor ask. Everything else of the Tensor API refuses.
_ALLOWED = frozenset({"shape", "data", "detach", "materialize", "cls_to_become", "dtype",
                      "device", "is_cuda", "is_floating_point", "requires_grad",
                      "requires_grad_", "grad", "is_leaf", "grad_fn", "retains_grad",
                      "to", "float", "double", "half", "cpu", "cuda"})


class UninitializedTensorMixin:
    """A tensor without a shape yet: ``materialize(shape)`` gives it one, in place."""
    __slots__ = ()
    cls_to_become: type[Tensor] = Tensor

    def materialize(self, shape, device=None, dtype=None):
        """Allocate (uninitialised) memory of ``shape`` and become ``cls_to_become``."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        dtype = self.dtype if dtype is None else dtype
        device = self.device if device is None else device
        Tensor.data.fset(self, empty(shape, dtype=dtype, device=device))
        self.__class__ = self.cls_to_become

    def __getattribute__(self, name):
        # Every Tensor method would quietly compute on the 0-element stand-in: refuse.
        if name[:1] == "_" or name in _ALLOWED or not hasattr(Tensor, name):
            return object.__getattribute__(self, name)
        raise ValueError(_USE.format(f"Tensor.{name}"))

    @property
    def shape(self):
        """Refused: there is no shape until the first call (PyTorch's RuntimeError)."""
        raise RuntimeError(_SHAPE)

    @property
    def data(self):
        """The 0-element stand-in (as in PyTorch), which keeps the dtype and device."""
        return Tensor.detach(self)

    @data.setter
    def data(self, value):
        Tensor.data.fset(self, value)

    def detach(self):
        """The placeholder itself: state_dict() lists it, as PyTorch's does."""
        return self

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__


def _refuse(name):
    def method(self, *args, **kwargs):
        raise ValueError(_USE.format(f"Tensor.{name}"))
    method.__name__ = name
    return method


# operators are looked up on the type, past __getattribute__ (== stays: `p in list` uses it)
for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__matmul__",
              "__rmatmul__", "__neg__", "__abs__", "__lt__", "__le__", "__gt__", "__ge__",
              "__iadd__", "__isub__", "__imul__", "__itruediv__", "__getitem__",
              "__setitem__", "__len__", "__iter__", "__bool__", "__float__", "__int__",
              "__index__", "__array__", "__format__"):
    if hasattr(Tensor, _name):
        setattr(UninitializedTensorMixin, _name, _refuse(_name))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet; becomes a Parameter when materialized."""
    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(empty(0, dtype=dtype, device=device), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer (e.g. a running mean) whose shape is not known yet; becomes a Tensor."""
    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        dtype = dtypes.to_dtype(dtype) or dtypes.default_float
        super().__init__([], dtype=dtype)
        Tensor.data.fset(self, empty(0, dtype=dtype, device=device))  # on that device
        self.requires_grad = requires_grad


def _is_lazy(t):
    return isinstance(t, UninitializedTensorMixin)


def _ckpt_shape(value):
    """The shape of a checkpoint entry (a Tensor, array, PyTorch tensor), or None."""
    if value is None or _is_lazy(value) or not hasattr(value, "shape"):
        return None
    return tuple(value.shape)


class LazyModuleMixin:
    """What the lazy layers share. A layer names the attribute it infers (``_in_name``),
    how to read it from the first input (``_infer_size``) or a checkpoint
    (``_size_from_state``) and its tensors' shapes once known (``_shapes``)."""
    cls_to_become: Any = None   # the ordinary class, e.g. Linear
    _in_name = ""

    def _lazy_start(self):
        """Swap the constructor's 0-sized parameters and float buffers for placeholders."""
        # register_*, not setattr: they keep the state_dict order (all ours persist)
        for name, p in list(self.named_parameters(recurse=False)):
            self.register_parameter(name, UninitializedParameter(p.requires_grad, p.device,
                                                                 p.dtype))
        for name, b in list(self.named_buffers(recurse=False)):
            if b.is_floating_point():  # not num_batches_tracked, an int count
                self.register_buffer(name, UninitializedBuffer(False, b.device, b.dtype))

    def has_uninitialized_params(self):
        """True while a parameter or buffer of this module is still a placeholder."""
        return any(map(_is_lazy, (*self.parameters(recurse=False),
                                  *self.buffers(recurse=False))))

    def _placeholders(self):
        return [(t, type(t)) for t in (*self.parameters(recurse=False),
                                       *self.buffers(recurse=False)) if _is_lazy(t)]

    def _materialize(self, n):
        setattr(self, self._in_name, n)
        for name, shape in self._shapes(n).items():
            t = getattr(self, name)
            if _is_lazy(t):
                t.materialize(shape)
        # the target's own default initialisation (PyTorch: reset_parameters)
        self.cls_to_become.reset_parameters(self)

    def _undo(self, placeholders):
        """Back to the placeholders: a refused first batch or checkpoint changes nothing."""
        setattr(self, self._in_name, 0)
        for t, cls in placeholders:
            Tensor.data.fset(t, empty(0, dtype=t.dtype, device=t.device))
            t.__class__ = cls

    def initialize_parameters(self, input, *args, **kwargs):  # noqa: A002
        """Size every placeholder from the first input (called by the first call)."""
        with no_grad():
            self._materialize(self._infer_size(input))

    def reset_parameters(self):
        """Nothing to draw until the shapes are known: the first call draws them."""

    def __call__(self, *args, **kwargs):
        lazy, placeholders = type(self), self._placeholders()
        if placeholders:
            self.initialize_parameters(*args, **kwargs)
            if self.has_uninitialized_params():
                raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        if self.cls_to_become is None:  # a lazy module of your own that keeps its class
            return self.forward(*args, **kwargs)
        self.__class__ = self.cls_to_become
        try:
            return self(*args, **kwargs)
        except Exception:
            self.__class__ = lazy
            if placeholders:
                self._undo(placeholders)
            raise

    def _lazy_load_hook(self, state_dict, prefix=""):
        """Size the placeholders from a checkpoint (before load_state_dict compares
        shapes); returns the placeholders it filled."""
        placeholders = self._placeholders()
        n = self._size_from_state(state_dict, prefix) if placeholders else None
        if n is None:
            return []
        with no_grad():
            self._materialize(n)
        return placeholders

    def load_state_dict(self, state_dict, strict=True):
        """Module.load_state_dict, sizing the placeholders from the checkpoint first
        (and back to lazy if the load fails). In a model that holds lazy layers,
        Module.load_state_dict calls each one's ``_lazy_load_hook`` the same way."""
        placeholders = self._lazy_load_hook(state_dict)
        try:
            return super().load_state_dict(state_dict, strict)
        except Exception:
            if placeholders:
                self._undo(placeholders)
            raise


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose in_features is the size of the first input's last dim."""
    cls_to_become = Linear
    _in_name = "in_features"

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, out_features, bias=bias, device=device, dtype=dtype)
        self._lazy_start()

    def _infer_size(self, input):  # noqa: A002
        return input.shape[-1]

    def _size_from_state(self, state_dict, prefix):
        shape = _ckpt_shape(state_dict.get(prefix + "weight"))
        return shape[-1] if shape else None

    def _shapes(self, n):
        return {"weight": (self.out_features, n), "bias": (self.out_features,)}


class _LazyConvMixin(LazyModuleMixin):
    """in_channels from dim 1 of a batched input (dim 0 of an unbatched one)."""
    _in_name = "in_channels"

    def _lazy_conv_start(self):
        # _ConvNd wants in_channels > 0: it was built with `groups`, which always divides
        self.in_channels = 0
        self._lazy_start()

    def _infer_size(self, input):  # noqa: A002
        d = self._dims
        if input.dim() not in (d + 1, d + 2):
            raise RuntimeError(f"Expected {d + 1}D (unbatched) or {d + 2}D (batched) input "
                               f"to {type(self).__name__}, but got input of size: "
                               f"{list(input.shape)}")
        n = input.shape[1] if input.dim() == d + 2 else input.shape[0]
        if n % self.groups:
            raise ValueError(f"in_channels must be divisible by groups (the input has {n} "
                             f"channels, groups={self.groups})")
        return n

    def _size_from_state(self, state_dict, prefix):
        shape = _ckpt_shape(state_dict.get(prefix + "weight"))
        if not shape or len(shape) < 2:
            return None
        return shape[0] if self.transposed else shape[1] * self.groups

    def _shapes(self, n):
        out, g = self.out_channels, self.groups
        w = (n, out // g) if self.transposed else (out, n // g)
        return {"weight": (*w, *self.kernel_size), "bias": (out,)}


class _LazyConvNd(_LazyConvMixin):
    """LazyConv1d's and LazyConv2d's arguments (the transposed conv has its own)."""

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias,
                         padding_mode=padding_mode, device=device, dtype=dtype)
        self._lazy_conv_start()


class LazyConv1d(_LazyConvNd, Conv1d):
    """A Conv1d whose in_channels is read from the first input."""
    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNd, Conv2d):
    """A Conv2d whose in_channels is read from the first input."""
    cls_to_become = Conv2d


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """A ConvTranspose2d whose in_channels is read from the first input."""
    cls_to_become = ConvTranspose2d

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(groups, out_channels, kernel_size, stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups, bias=bias,
                         dilation=dilation, padding_mode=padding_mode, device=device,
                         dtype=dtype)
        self._lazy_conv_start()


class _LazyNormMixin(LazyModuleMixin):
    """num_features from dim 1 of the first input (after the target's dim check)."""
    _in_name = "num_features"

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__(0, eps=eps, momentum=momentum, affine=affine,
                         track_running_stats=track_running_stats, device=device, dtype=dtype,
                         bias=bias)
        self._lazy_start()

    def _infer_size(self, input):  # noqa: A002
        self._check_input_dim(input)
        return input.shape[1]

    def _size_from_state(self, state_dict, prefix):
        for name in ("weight", "bias", "running_mean", "running_var"):
            shape = _ckpt_shape(state_dict.get(prefix + name))
            if shape:
                return shape[0]
        return None

    def _shapes(self, n):
        return dict.fromkeys(("weight", "bias", "running_mean", "running_var"), (n,))


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """A BatchNorm1d whose num_features is read from the first input."""
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """A BatchNorm2d whose num_features is read from the first input."""
    cls_to_become = BatchNorm2d
