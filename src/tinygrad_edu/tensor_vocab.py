"""More of PyTorch's everyday Tensor vocabulary (a mixin of ``Tensor``): ``add`` and
``sub`` with ``alpha``, ``neg`` / ``negative`` / ``absolute`` / ``sgn``, ``addcmul`` /
``addcdiv``, ``clamp_min`` / ``clamp_max``, ``bernoulli``, the ``new_*`` factories,
``byte`` / ``char`` / ``bfloat16``, ``element_size``, ``stride``, ``storage_offset``
and ``register_hook``.

The arithmetic here composes the primitives (``addcmul`` is ``self + value * t1 *
t2`` in the promoted dtype, ``bernoulli`` a step of ``p - u``), so gradients come
from the ops it is made of; the in-place forms are in tensor_inplace_math.py.
"""
import numpy as np

from . import backend as _backend
from . import dtypes, engine
from ._convert import to_array
from ._int_rules import vet_sub
from ._rng import draw, resolve
from .device import device as _device
from .shapes import broadcast_shapes, broadcasts_to, size_arg

_ADDCDIV_INT = ("Integer division with addcdiv is no longer supported, and in a future release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 "
                "/ tensor2)).to(input.dtype) for integer inputs and as (input + value * "
                "tensor1 / tensor2) for float inputs. The future addcdiv behavior is just the "
                "latter implementation: (input + value * tensor1 / tensor2), for all dtypes.")


def _is_one(alpha):
    return type(alpha) is int and alpha == 1


class VocabOps:
    __slots__ = ()

    # ---- add / sub with alpha -------------------------------------------------------------
    def _scaled(self, other, alpha, op):
        """(self, alpha * other), promoted as ``self op other`` is, with PyTorch's checks of
        alpha: no float alpha for an integer result, no bool alpha but for a bool one."""
        a, b = self._pair(other, op=op)
        kind = a._data.dtype.kind
        if isinstance(alpha, (bool, np.bool_)):
            if kind != "b":
                raise RuntimeError("Boolean alpha only supported for Boolean results.")
        elif isinstance(alpha, (float, np.floating)) and kind != "f":
            raise RuntimeError("For integral input tensors, argument alpha must not be a "
                               "floating point number.")
        return a, (b * bool(alpha) if kind == "b" else b * alpha)

    def add(self, other, *, alpha=1):
        """self + alpha * other, broadcasting (``alpha`` a number: an integer for integer
        results, as in PyTorch)."""
        if _is_one(alpha):
            return self.__add__(other)
        a, b = self._scaled(other, alpha, "add")
        return a + b

    def sub(self, other, *, alpha=1):
        """self - alpha * other, broadcasting (bools refused, as in PyTorch)."""
        if _is_one(alpha):
            return self.__sub__(other)
        vet_sub(self, other, False)
        a, b = self._scaled(other, alpha, "sub")
        return a - b

    subtract = sub

    # ---- signs -------------------------------------------------------------------------------
    def neg(self):
        """-self, elementwise (a bool tensor raises: use ``~`` or ``logical_not``)."""
        return self.__neg__()

    negative = neg

    def absolute(self):
        """``abs``: |self| elementwise."""
        return self.abs()

    def sgn(self):
        """The sign of each element (for real tensors, ``sign``)."""
        return self.sign()

    def clamp_min(self, min):  # noqa: A002 - PyTorch's name
        """``clamp(min=min)``: max(self, min) elementwise (a number or a tensor)."""
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002 - PyTorch's name
        """``clamp(max=max)``: min(self, max) elementwise."""
        return self.clamp(max=max)

    # ---- addcmul / addcdiv --------------------------------------------------------------------
    def _addc(self, tensor1, tensor2, value, op):
        """self, tensor1, tensor2 in their common dtype (PyTorch's promotion over the
        three), their broadcast shape checked, and value as that dtype takes it."""
        for pos, (what, t) in enumerate((("tensor1", tensor1), ("tensor2", tensor2)), 2):
            if not isinstance(t, VocabOps):
                raise TypeError(f"{op}(): argument '{what}' (position {pos}) must be Tensor, "
                                f"not {type(t).__name__}")
        ts = (self, tensor1, tensor2)
        broadcast_shapes(self._data.shape, broadcast_shapes(tensor1._data.shape,
                                                            tensor2._data.shape, op), op)
        dt = dtypes.promote(tensor1.dtype, tensor2.dtype, tensor1.ndim == 0, tensor2.ndim == 0)
        dt = dtypes.promote(self.dtype, dt, self.ndim == 0, tensor1.ndim == tensor2.ndim == 0)
        if dt.is_floating_point:
            value = float(value)
        elif dt == dtypes.bool_:
            raise NotImplementedError(f'"{op}" not implemented for tg.bool; convert the inputs '
                                      f"with .long() or .float() first")
        else:
            value = int(value)  # PyTorch truncates a float value for integer results
        return tuple(t.to(dt) for t in ts) + (value,)

    def addcmul(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 * tensor2 elementwise (broadcasting; the dtype promoted
        over all three)."""
        a, t1, t2, value = self._addc(tensor1, tensor2, value, "addcmul")
        return a + (t1 * t2 if value == 1 else t1 * value * t2)

    def addcdiv(self, tensor1, tensor2, *, value=1):
        """self + value * tensor1 / tensor2 elementwise (two integer tensors refused, as
        in PyTorch)."""
        for t in (tensor1, tensor2):
            if not isinstance(t, VocabOps) or t.is_floating_point():
                break
        else:
            raise RuntimeError(_ADDCDIV_INT)
        a, t1, t2, value = self._addc(tensor1, tensor2, value, "addcdiv")
        return a + (t1 / t2 if value == 1 else t1 * value / t2)

    # ---- random draws -------------------------------------------------------------------------
    def bernoulli(self, p=None, *, generator=None):
        """0/1 draws of self's dtype, 1 with probability self (elementwise, in [0, 1]), or p
        for every element when given. Recorded with a zero gradient, as PyTorch's."""
        if p is not None:
            out = self._make(_backend.of_array(self._data).xp.zeros_like(self._data))
            return out.bernoulli_(p, generator=generator)
        rng = resolve(generator, "bernoulli")
        d = self._data
        if d.dtype.kind != "f":
            raise NotImplementedError(f'"bernoulli" not implemented for {self.dtype!r}: its '
                                      "input holds probabilities; convert it with .float()")
        if not bool(((d >= 0) & (d <= 1)).all()):
            raise RuntimeError("bernoulli: expected all probabilities in [0, 1] (Expected p_in "
                               ">= 0 && p_in <= 1 to be true, but got false.)")
        # u < p exactly as the sign of p - u (float subtraction keeps it); float16 compares
        # in float32 so that no draw rounds up to 1
        x = self if d.dtype in (np.float32, np.float64) else self.float()
        u = self._make(draw("uniform", d.shape, x._data.dtype, rng)).to(self.device)
        return (x - u).step().to(self.dtype)

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill in place with 0/1 draws, 1 with probability p (a number, or a tensor of
        probabilities broadcasting to self); any dtype."""
        rng = resolve(generator, "bernoulli_")
        if isinstance(p, VocabOps):
            probs = _backend.host(p._data)
            if not broadcasts_to(probs.shape, self._data.shape):
                raise RuntimeError(f"bernoulli_: p of shape {list(probs.shape)} does not "
                                   f"broadcast to self's shape {list(self._data.shape)}")
            if probs.dtype.kind != "f" or not bool(((probs >= 0) & (probs <= 1)).all()):
                raise RuntimeError("bernoulli_: expected p to hold probabilities in [0, 1] "
                                   f"(a float tensor), got {p.dtype!r} values outside")
        else:
            probs = float(p)
            if not 0 <= probs <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        hits = draw("uniform", self._data.shape, np.float64, rng) < probs
        return self._overwrite(self._make(hits.astype(self._data.dtype)), "bernoulli_")

    # ---- new tensors like self ----------------------------------------------------------------
    def _new_like(self, array, dtype, device, requires_grad):
        dt = dtypes.to_dtype(dtype) or self.dtype
        arr = array.astype(dt.np, copy=False) if array.dtype != dt.np else array
        t = self._make(_backend.to_device(arr, self.device if device is None else
                                          _device(device)))
        if requires_grad:
            t.requires_grad = True
        return t

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A new leaf holding a copy of data, with self's dtype and device unless given
        (integer data in a float tensor's new_tensor is float, as PyTorch's)."""
        data = data._data if isinstance(data, VocabOps) else data
        arr = to_array(_backend.host(data), dtypes.to_dtype(dtype) or self.dtype)
        return self._new_like(np.array(arr), dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of ``size``, with self's dtype and device unless given."""
        return self._new_like(np.zeros(size_arg(size, "new_zeros"), (dtypes.to_dtype(dtype) or
                                                                      self.dtype).np),
                              dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of ``size``, with self's dtype and device unless given."""
        return self._new_like(np.ones(size_arg(size, "new_ones"), (dtypes.to_dtype(dtype) or
                                                                    self.dtype).np),
                              dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor of ``size``, with self's dtype and device unless given."""
        return self._new_like(np.empty(size_arg(size, "new_empty"), (dtypes.to_dtype(dtype) or
                                                                      self.dtype).np),
                              dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """``size`` (a tuple) filled with fill_value converted to self's dtype (or dtype)."""
        if not isinstance(size, (tuple, list)):
            raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, "
                            f"not {type(size).__name__}")
        dt = dtypes.to_dtype(dtype) or self.dtype
        return self._new_like(np.full(size_arg((size,), "new_full"), fill_value).astype(dt.np),
                              dtype, device, requires_grad)

    # ---- dtype conversions and memory layout --------------------------------------------------
    def byte(self):
        """Convert to uint8."""
        return self.to(dtypes.uint8)

    def char(self):
        """Convert to int8."""
        return self.to(dtypes.int8)

    def bfloat16(self):
        """bfloat16 is not available: numpy, which stores every tensor here, has no such
        type (a TypeError that says so; use ``half()`` or ``float()``)."""
        return self.to(dtypes.to_dtype("bfloat16"))

    def element_size(self):
        """Bytes per element."""
        return self._data.dtype.itemsize

    def stride(self, dim=None):
        """The step in elements between neighbours along each dimension (or along dim).
        A C-contiguous tensor reports PyTorch's contiguous strides; a view (a transpose,
        a slice, an expand) its array's, which are PyTorch's for the same view."""
        d = self._data
        if d.flags.c_contiguous:
            strides, step = [], 1
            for n in reversed(d.shape):
                strides.append(step)
                step *= max(n, 1)
            strides = tuple(reversed(strides))
        else:
            strides = tuple(s // d.itemsize for s in d.strides)
        return strides if dim is None else strides[self._axis(dim)]

    def storage_offset(self):
        """Where the first element sits in its memory, in elements: 0 for a tensor with
        memory of its own, the offset into its base's for a view (``x[1:]``, ``x[:, 2]``).
        Counted from the start of the array that owns the memory (a tensor made from a
        numpy slice by ``from_numpy`` counts from the sliced array's start)."""
        a = root = self._data
        while isinstance(root.base, type(a)):
            root = root.base
        if root is a:
            return 0
        return (_address(a) - _address(root)) // a.itemsize

    # ---- hooks --------------------------------------------------------------------------------
    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient during every backward; a
        returned tensor replaces the gradient (for a leaf, before it is accumulated into
        ``.grad``). Returns a handle whose ``remove()`` takes the hook away."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require "
                               "gradient")
        return engine.add_hook(self, hook)


def _address(a):
    return a.data.ptr if hasattr(a.data, "ptr") else a.__array_interface__["data"][0]

