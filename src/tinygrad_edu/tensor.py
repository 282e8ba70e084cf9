"""The Tensor: an array, its device, its gradient and the graph node that made it.

This file holds storage, conversion and the autograd-facing API; the methods that
compute are mixins: arithmetic in ``tensor_math.py``, reductions in
``tensor_reduce.py``, shapes and indexing in ``tensor_shape.py``, in-place ops in
``inplace.py`` and ``tensor_inplace_math.py``, the smaller vocabulary (``addcmul``,
``new_zeros``, ``stride``, ``register_hook``, ...) in ``tensor_vocab.py``. Every op
runs through ``Function.apply`` (autograd.py).
"""
import weakref

from . import autograd, dtypes
from . import functions as F
from . import backend as _backend
from ._convert import to_array
from .device import device as _device
from ._repr import format_tensor
from .inplace import InplaceOps
from .interop import InteropOps
from .tensor_bitwise import BitwiseOps
from .tensor_index import IndexOps
from .tensor_inplace_math import InplaceMathOps
from .tensor_math import TensorMath
from .tensor_math_extra import MathOps
from .tensor_movement import MovementOps
from .tensor_reduce import ReduceOps
from .tensor_reduce_extra import ReduceExtraOps
from .tensor_select import SelectOps
from .tensor_shape import ShapeOps
from .tensor_vocab import VocabOps

_new = object.__new__


_TYPE_NAMES = {dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor",
               dtypes.float16: "HalfTensor", dtypes.int64: "LongTensor",
               dtypes.int32: "IntTensor", dtypes.int16: "ShortTensor",
               dtypes.int8: "CharTensor", dtypes.uint8: "ByteTensor",
               dtypes.bool_: "BoolTensor"}


class Size(tuple):
    """A tensor's shape: a tuple that prints like ``tg.Size([2, 3])``."""

    def __repr__(self):
        return f"tg.Size({list(self)})"

    def numel(self):
        """The number of elements."""
        n = 1
        for d in self:
            n *= d
        return n


class Tensor(VocabOps, InplaceMathOps, MathOps, InplaceOps, ShapeOps, IndexOps, MovementOps,
             SelectOps, TensorMath, ReduceOps, ReduceExtraOps, InteropOps, BitwiseOps):
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(data)`` always makes a floating tensor (float32 unless ``dtype``
    says otherwise), as ``torch.Tensor`` does; ``tg.tensor(data)`` infers the
    dtype from the data.
    """
    __slots__ = ("_data", "_requires_grad", "_grad", "_ctx", "_version", "__weakref__")
    __array_priority__ = 1000  # ndarray <op> Tensor defers to the Tensor operator

    def __init__(self, data, requires_grad=False, dtype=None):
        data = data._data if isinstance(data, Tensor) else data
        self._data = to_array(data, dtypes.to_dtype(dtype) or dtypes.default_float)
        self._requires_grad = False
        self._grad = None
        self._ctx = None
        self._version = [0]  # a list so that views can share one counter
        if requires_grad:
            self.requires_grad = True

    @staticmethod
    def _make(data, requires_grad=False):
        """A Tensor around an existing backend array (no copy, no checks): how ops,
        backwards and factories wrap their results. Always a plain Tensor, also when
        called on a subclass (an op on an nn.Parameter gives a Tensor)."""
        t = _new(Tensor)
        t._data = data
        t._requires_grad = requires_grad
        t._grad = None
        t._ctx = None
        t._version = [0]
        return t

    # ---- basic attributes -------------------------------------------------------
    @property
    def shape(self):
        """The size of each dimension, as a tg.Size (a tuple)."""
        return Size(self._data.shape)

    @property
    def dtype(self):
        """The element type, e.g. tg.float32."""
        return dtypes.of_array(self._data)

    @property
    def device(self):
        """Where the data lives: tg.device('cpu') or tg.device('cuda:0')."""
        return _backend.device_of(self._data)

    @property
    def is_cuda(self):
        """True if the data lives on a GPU."""
        return _backend.device_of(self._data).type == "cuda"

    @property
    def ndim(self):
        """The number of dimensions."""
        return self._data.ndim

    def dim(self):
        """The number of dimensions."""
        return self._data.ndim

    def size(self, dim=None):
        """The shape, or the length of one dimension."""
        if dim is None:
            return self.shape
        return self._data.shape[self._axis(dim)]

    def numel(self):
        """The number of elements."""
        return int(self._data.size)

    nelement = numel

    def is_floating_point(self):
        """True for float dtypes."""
        return self._data.dtype.kind == "f"

    def is_contiguous(self):
        """True if the memory is C-contiguous."""
        return bool(self._data.flags.c_contiguous)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__

    # ---- autograd -------------------------------------------------------------------
    @property
    def requires_grad(self):
        """Whether operations on this tensor are recorded for backward."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        """Whether operations on this tensor are recorded for backward."""
        value = bool(value)
        if self._ctx is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                               "Use .detach() to get a leaf that shares this data.")
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients "
                               f"(this one is {self.dtype!r}); convert it first with .float()")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The accumulated gradient (None until a backward reaches this tensor)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"{list(value._data.shape)} to a tensor of size "
                                   f"{list(self._data.shape)}; use .grad of the same shape")
        self._grad = value

    @property
    def is_leaf(self):
        """True for tensors not produced by a recorded op (their .grad is kept)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The graph node that made this tensor (None for leaves)."""
        return self._ctx

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            self._ctx._retained = weakref.ref(self)

    @property
    def retains_grad(self):
        """True if retain_grad() was called on this non-leaf."""
        return self._ctx is not None and self._ctx._retained is not None

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf."""
        autograd.backward(self, gradient, retain_graph, create_graph)

    def detach(self):
        """The same data, cut from the graph (shares memory and the version counter)."""
        t = self._make(self._data)
        t._version = self._version
        return t

    @property
    def data(self):
        """The values as a tensor outside the graph; assigning replaces them."""
        return self.detach()

    @data.setter
    def data(self, value):
        new = (value._data if isinstance(value, Tensor) else
               _backend.to_device(to_array(value, self.dtype), self.device))
        if self._requires_grad and new.dtype.kind != "f":
            raise RuntimeError("data set to a tensor that requires gradients must be floating "
                               f"point, got {dtypes.of_array(new)!r}")
        self._data = new
        self._version[0] += 1  # a node that saved this tensor would read the new values

    def _ones_like(self):
        if self._data.ndim == 0:  # the seed of loss.backward(): a constant, on any device
            return self._lift(1.0)
        xp = _backend.of_array(self._data).xp
        return self._make(xp.ones(self._data.shape, self._data.dtype))

    # ---- conversion ---------------------------------------------------------------
    def numpy(self):
        """The values as a numpy array sharing memory (detach first if it requires grad)."""
        if self._requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self.is_cuda:
            raise TypeError(f"can't convert {self.device} device type tensor to numpy. Use "
                            "Tensor.cpu() to copy the tensor to host memory first.")
        return self._data

    def numpy_view(self):
        """The underlying array (internal use; no grad check)."""
        return self._data

    def item(self):
        """The single value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar; item() needs exactly one element")
        return self._data.reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists."""
        return self._data.tolist()

    def __float__(self): return float(self.item())
    def __int__(self): return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self._data.size} values is "
                               "ambiguous; use .any() or .all()")
        return bool(self.item())

    def to(self, *args, **kwargs):
        """Convert dtype and/or device: ``to(tg.float64)``, ``to('cuda')``, ``to(other)``;
        self when nothing changes, else a copy that gradients flow back through."""
        dtype, dev = parse_to(*args, **kwargs)
        move = moves(self.device, dev)
        if dtype == self.dtype:
            dtype = None
        if dtype is None and not move:
            return self
        return F.Cast.apply(self, dtype=None if dtype is None else dtype.np,
                            device=dev if move else None)

    def float(self):
        """Convert to float32."""
        return self.to(dtypes.float32)

    def double(self):
        """Convert to float64."""
        return self.to(dtypes.float64)

    def long(self):
        """Convert to int64 (leaves the graph)."""
        return self.to(dtypes.int64)

    def int(self):
        """Convert to int32 (leaves the graph)."""
        return self.to(dtypes.int32)

    def bool(self):
        """Convert to bool (leaves the graph)."""
        return self.to(dtypes.bool_)

    def half(self):
        """Convert to float16."""
        return self.to(dtypes.float16)

    def type(self, dtype=None):
        """With no argument the type name ('tg.FloatTensor', PyTorch's spelling); with a
        dtype (or such a name) the tensor converted to it."""
        if dtype is None:
            return "tg." + _TYPE_NAMES[self.dtype]
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            match = [d for d, n in _TYPE_NAMES.items() if n == name]
            if not match:
                raise ValueError(f"invalid type: {dtype!r}")
            dtype = match[0]
        return self.to(dtype)

    def type_as(self, other):
        """Convert to other's dtype."""
        return self.to(other.dtype)

    def cpu(self):
        """This tensor in CPU memory (self if it is there already)."""
        return self.to("cpu")

    def cuda(self, device=None):
        """This tensor on a GPU (``device``: 'cuda', 'cuda:0' or an index)."""
        return self.to(f"cuda:{device}" if isinstance(device, int) else (device or "cuda"))

    def clone(self):
        """A differentiable copy."""
        return F.Cast.apply(self, dtype=self._data.dtype)

    def contiguous(self):
        """self if its memory is C-contiguous, else a contiguous copy."""
        return self if self._data.flags.c_contiguous else self.clone()

    def __repr__(self):
        return format_tensor(self)

    def __format__(self, spec):
        # f"{loss:.4f}" works on a 0-d tensor, as in PyTorch
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __str__(self):
        return repr(self)  # subclasses (nn.Parameter) print their own repr


def parse_to(*args, **kwargs):
    """(dtype, device) from the arguments of ``Tensor.to`` / ``Module.to``: a dtype, a
    device (string or tg.device), a tensor to match, or keywords. A CUDA device that
    cannot be used here raises, saying why."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)  # copies here are ordered on one stream anyway
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, str):
            device = a
        else:
            dtype = a
    if device is not None:
        device = _device(device)
        if device.type != "cpu":
            _backend.get(device)
    return (None if dtype is None else dtypes.to_dtype(dtype)), device


def moves(src, dst):
    """True if a tensor on src must be copied to be on dst ('cuda' means the current GPU)."""
    return dst is not None and (src.type != dst.type or dst.index not in (None, src.index))
