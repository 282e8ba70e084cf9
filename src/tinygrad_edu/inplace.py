"""In-place operations (``+=``, ``add_``, ``zero_``, ``x[i] = v``) and the
version counters that keep them honest.

Outside the graph an in-place op simply writes the array (what optimizers do
under ``no_grad``). Inside it (grad mode on, and the tensor or the new values
requiring grad) the op is recorded: the tensor takes the new node as its
``grad_fn``, and a node that needs the old values gets a copy of them. Every
write bumps the tensor's version counter (shared with its views), so a
backward that would read values changed since its forward raises instead of
returning a wrong gradient.
"""
import numpy as np

from . import autograd
from .backend import of_array as _backend_of, writeable as _writeable
from . import functions as F
from ._rng import draw, resolve
from .shapes import broadcasts_to


_UFUNCS = {"add_": "add", "sub_": "subtract", "mul_": "multiply", "div_": "true_divide"}


def _can_cast(src, dst):
    """PyTorch's rule for writing a result of dtype src into a tensor of dtype dst: any
    narrowing within floats or within integers (int16 into uint8 wraps, as its casts
    do), bools into anything; never a float into an integer or bool, nor a number into
    a bool (``canCast`` in c10, looser than numpy's same_kind between int and uint)."""
    if src.kind == "f":
        return dst.kind == "f"
    return src.kind == "b" or dst.kind != "b"


class InplaceOps:
    __slots__ = ()

    def _check_inplace(self):
        if self._requires_grad and self._ctx is None and autograd.is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation; wrap it in `with tg.no_grad():` (as optimizers do)")

    def _recording(self, other=None):
        return autograd.is_grad_enabled() and (
            self._requires_grad or bool(getattr(other, "_requires_grad", False)))

    def _keep_old_values(self, node):
        """Give the nodes that read self's current values a private copy of them: the
        new node if it saved self (``y.mul_(y)``), self's own node if it saved its output."""
        old = self._ctx
        uses_self = any(t is self for t in node.saved)
        out = old.saved[old._out_at] if old is not None and old._out_at >= 0 else None
        if not uses_self and (out is None or out._data is not self._data):
            return
        snap = self._make(self._data.copy(), self._requires_grad)
        snap._ctx = old
        snap._version = [self._version[0]]
        if uses_self:
            node._replace_saved(self, snap)
        if out is not None and out._data is self._data:
            old._replace_saved(out, snap.detach())

    def _commit(self, result, op):
        """Write result's values into self; a recorded result makes self its output."""
        self._check_inplace()
        if result._data.shape != self._data.shape:
            raise RuntimeError(f"{op}: output with shape {list(self._data.shape)} doesn't match "
                               f"the broadcast shape {list(result._data.shape)}")
        if result._data.dtype != self._data.dtype:
            if not _can_cast(result._data.dtype, self._data.dtype):
                raise RuntimeError(f"{op}: result type {result.dtype!r} can't be cast to the "
                                   f"desired output type {self.dtype!r}")
            result = result.to(self.dtype)
        node = result._ctx
        if node is not None:
            if self._ctx is not None and self._ctx.is_view:
                raise RuntimeError(
                    f"{op}: in-place change of a view ({self._ctx.name()}) of a tensor that is "
                    "part of the graph is not supported: the base tensor would keep a stale "
                    "gradient. Build a new tensor instead (e.g. with tg.cat or tg.where).")
            self._keep_old_values(node)
        _backend_of(self._data).xp.copyto(self._data, result._data, casting="unsafe")
        self._version[0] += 1
        if node is not None:
            self._ctx = node
            self._requires_grad = True
            out = node.saved[node._out_at] if node._out_at >= 0 else None
            if out is not None and out._data is result._data:  # its output lives in self now
                node._replace_saved(out, self.detach(), self._version[0])
        return self

    def _inplace(self, op, other, name):
        if not self._recording(other) and self._write_direct(other, name):
            return self
        return self._commit(op(self, other), name)

    def _write_direct(self, other, name):
        """Outside the graph, ``self op= other`` with one ufunc pass straight into self's
        array (what every optimizer step does; no temporary, no copy). Only the plain
        cases: a float self and a Python number or same-dtype tensor broadcasting to it."""
        a = self._data
        if a.dtype.kind != "f" or not _writeable(a):
            return False
        if type(other) in (int, float):
            b = other
        elif isinstance(other, InplaceOps) and other._data.dtype == a.dtype and \
                broadcasts_to(other._data.shape, a.shape):
            b = other._data
        else:
            return False
        getattr(_backend_of(a).xp, _UFUNCS[name])(a, b, out=a)
        self._version[0] += 1
        return True

    def __iadd__(self, o): return self._inplace(type(self).__add__, o, "add_")
    def __isub__(self, o): return self._inplace(type(self).__sub__, o, "sub_")
    def __imul__(self, o): return self._inplace(type(self).__mul__, o, "mul_")
    def __itruediv__(self, o): return self._inplace(type(self).__truediv__, o, "div_")

    def _scaled_plain(self, other, alpha):
        """True where ``alpha * other`` can be formed first, as optimizer steps do
        (``p.add_(g, alpha=-lr)``): a float self, a number alpha, other a number or a
        tensor of self's dtype. Other cases go through ``add(other, alpha=)``'s checks."""
        return self._data.dtype.kind == "f" and isinstance(alpha, (int, float)) and \
            not isinstance(alpha, bool) and (
            type(other) in (int, float) or
            (isinstance(other, InplaceOps) and other._data.dtype == self._data.dtype))

    def add_(self, other, *, alpha=1):
        """self += alpha * other, in place."""
        if type(alpha) is int and alpha == 1:
            return self.__iadd__(other)
        if self._scaled_plain(other, alpha):
            return self.__iadd__(other * alpha)
        return self._commit(self.add(other, alpha=alpha), "add_")

    def sub_(self, other, *, alpha=1):
        """self -= alpha * other, in place."""
        if type(alpha) is int and alpha == 1:
            return self.__isub__(other)
        if self._scaled_plain(other, alpha):
            return self.__isub__(other * alpha)
        return self._commit(self.sub(other, alpha=alpha), "sub_")

    def mul_(self, other):
        """self *= other, in place."""
        return self.__imul__(other)

    def div_(self, other):
        """self /= other, in place."""
        return self.__itruediv__(other)

    multiply_, subtract_ = mul_, sub_

    def true_divide_(self, other):
        """self /= other, in place."""
        return self.__itruediv__(other)

    def _overwrite(self, src, op):
        """Replace every value by src (broadcast); recorded, the gradient goes to src."""
        src = self._lift(src)
        if src.device != self.device:  # copy_ (and fills drawn on the CPU) cross devices
            src = src.to(self.device)
        xp = _backend_of(self._data).xp
        if not self._recording(src):
            self._check_inplace()
            xp.copyto(self._data, src._data, casting="unsafe")
            self._version[0] += 1
            return self
        keep_none = self._make(xp.zeros(self._data.shape, dtype=bool))
        return self._commit(self.where(keep_none, src), op)

    def zero_(self):
        """Fill with zeros in place."""
        return self._overwrite(0, "zero_")

    def fill_(self, value):
        """Fill with one value in place."""
        return self._overwrite(value, "fill_")

    def _fill_random(self, kind, scale, shift, op, generator):
        rng = resolve(generator, op)
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{op} expects a floating point tensor, got {self.dtype!r}")
        values = draw(kind, self._data.shape, self._data.dtype, rng) * scale + shift
        return self._overwrite(self._make(values.astype(self._data.dtype, copy=False)), op)

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill in place with samples of N(mean, std^2) (``generator`` or the global one)."""
        return self._fill_random("normal", std, mean, "normal_", generator)

    def uniform_(self, a=0.0, b=1.0, *, generator=None):
        """Fill in place with samples from [a, b) (PyTorch's ``from``, ``to``)."""
        return self._fill_random("uniform", b - a, a, "uniform_", generator)

    def copy_(self, src):
        """Copy src's values (broadcast, converted) into self."""
        return self._overwrite(src, "copy_")

    def __setitem__(self, index, value):
        index = self._index(index)
        value = self._lift(value)
        if value.device != self.device:
            value = value.to(self.device)
        target = self._data[index].shape
        if not broadcasts_to(value._data.shape, target):
            raise RuntimeError(f"setitem: shape mismatch: value tensor of shape "
                               f"{list(value._data.shape)} cannot be broadcast to indexing result "
                               f"of shape {list(target)}")
        if not self._recording(value):
            self._check_inplace()
            self._data[index] = value._data
            self._version[0] += 1
            return
        # Recorded as where(mask, scattered value, self): both sides keep a gradient.
        # With repeated indices numpy's last write wins; `won` zeroes the others so
        # the scatter-add below places each element's final value exactly once.
        xp = _backend_of(self._data).xp
        writer = xp.full(self._data.shape, -1, dtype=np.int64)
        ids = xp.arange(int(np.prod(target)), dtype=np.int64).reshape(target)
        writer[index] = ids
        won = self._make((writer[index] == ids).astype(self._data.dtype))
        placed = F.IndexAdd.apply(value.to(self.dtype).expand(target) * won,
                                  shape=self._data.shape, index=index)
        mask = self._make(writer >= 0)
        self._commit(placed.where(mask, self), "setitem")
