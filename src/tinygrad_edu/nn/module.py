"""Module and Parameter: the containers every layer and model is built from.

A Module registers, by attribute assignment, its Parameters (tensors to train),
its buffers (tensors to save but not train) and its sub-Modules, and walks them
for ``parameters()``, ``state_dict()``, ``train()`` and friends, with PyTorch's
names and dotted keys (``fc1.weight``).
"""
from __future__ import annotations

import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TextIO, TypeVar

import numpy as np

from .. import dtypes
from ..grad_mode import no_grad
from ..tensor import Tensor, parse_to
from ._state import _checked_values
from .summary import summarize


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable; requires grad by default.

    ``Parameter(t)`` shares ``t``'s memory; operations on it return plain Tensors.
    """
    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.empty((0,), dtypes.default_float.np)
        src = data if isinstance(data, Tensor) else Tensor(data)
        self._data = src._data
        self._requires_grad = False
        self._grad = None
        self._ctx = None
        self._version = src._version
        if requires_grad:
            self.requires_grad = True

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _check_name(name: Any, kind: str) -> None:
    # A dot would make the state_dict key ambiguous ("a.b" = child a's b?).
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if "." in name or name == "":
        raise KeyError(f'{kind} name can\'t contain "." or be empty, got: "{name}"')


_LIVE: weakref.WeakSet[Module] = weakref.WeakSet()
M = TypeVar("M", bound="Module")


def live_modules() -> list[Module]:
    """Every Module alive now (a weak registry: tg.viz names parameters from it)."""
    return list(_LIVE)


class Module:
    """Base class of every layer and model: subclass it, assign layers and Parameters
    in ``__init__`` (after ``super().__init__()``), and define ``forward``."""
    training = True

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        _LIVE.add(self)

    # ---- registration -------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, (Parameter, Module)) and params is None:
            raise AttributeError("cannot assign parameters or modules before "
                                 "Module.__init__() call (call super().__init__() first)")
        if params is not None and name in params and not (value is None or
                                                          isinstance(value, Parameter)):
            raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                            "(tg.nn.Parameter or None expected); to change its values, "
                            f"assign to .{name}.data")
        if name in self.__dict__.get("_buffers", ()) and not (
                value is None or isinstance(value, (Tensor, Module))):
            # (a silent plain attribute would drop the buffer from the state_dict)
            raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                            "(tg.Tensor or None expected)")
        if params is not None:
            if value is None and name in params:
                params[name] = None
                return
            for d in (self._parameters, self._buffers, self._modules):
                d.pop(name, None)
            self.__dict__.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
                return
            if isinstance(value, Module):
                self._modules[name] = value
                return
            if name in self.__dict__.get("_buffer_names", ()) and (
                    value is None or isinstance(value, Tensor)):
                self._buffers[name] = value
                return
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: look in the registries.
        d = self.__dict__
        for reg in ("_parameters", "_buffers", "_modules"):
            if reg in d and name in d[reg]:
                return d[reg][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for reg in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(reg, {}):
                del self.__dict__[reg][name]
                self.__dict__.get("_buffer_names", set()).discard(name)  # gone for good
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a Parameter (or None) under ``name``."""
        _check_name(name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (tg.nn.Parameter or None required)")
        self.__dict__.pop(name, None)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None,
                        persistent: bool = True) -> None:
        """Add a tensor that is saved in state_dict but not trained (e.g. running stats)."""
        _check_name(name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (tg.Tensor or None required)")
        names = self.__dict__.setdefault("_buffer_names", set())
        names.add(name)
        skip = self.__dict__.setdefault("_non_persistent", set())
        if persistent:  # registering a name again may flip it
            skip.discard(name)
        else:
            skip.add(name)
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        _check_name(name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    # ---- walking the tree -------------------------------------------------------------
    def named_modules(self, memo: set[int] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every descendant, each once
        (or under every name it is reachable by, with ``remove_duplicate=False``)."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:  # preorder without recursion, children in registration order
            name, m = stack.pop()
            if remove_duplicate:
                if id(m) in memo:
                    continue
                memo.add(id(m))
            yield name, m
            kids = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()
                    if c is not None]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every descendant."""
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the direct children."""
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct child modules."""
        for _, m in self.named_children():
            yield m

    def _named_members(self, registry: str, prefix: str = "",
                       recurse: bool = True) -> Iterator[tuple[str, Any]]:
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mod_name, m in mods:
            for k, v in getattr(m, registry).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{mod_name}.{k}" if mod_name else k), v

    def named_parameters(self, prefix: str = "",
                         recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) for every parameter, shared ones once."""
        return self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Every Parameter of this module and its descendants (what an optimizer takes)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "",
                      recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) for every buffer."""
        return self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Every buffer of this module and its descendants."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def apply(self: M, fn: Callable[[Module], Any]) -> M:
        """Call ``fn`` on every descendant (children first) and on self; returns self."""
        for m in reversed(list(self.modules())):
            fn(m)
        return self

    # ---- modes and gradients ----------------------------------------------------------
    def train(self: M, mode: bool = True) -> M:
        """Set training mode (Dropout active) on this module and its descendants."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self: M) -> M:
        """Set evaluation mode (same as ``train(False)``)."""
        return self.train(False)

    def requires_grad_(self: M, requires_grad: bool = True) -> M:
        """Turn gradient recording on or off for every parameter."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter (to None by default, like PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.zero_()

    # ---- dtype and device -------------------------------------------------------------
    def _cast(self: M, dtype: Any, device: Any = None, every: bool = False) -> M:
        # in place, as PyTorch: an optimizer made before .to() keeps the same Parameters;
        # gradients follow their parameters. Only floating tensors change dtype, unless
        # ``every`` (Module.type)
        with no_grad():
            for t in (*self.parameters(), *self.buffers()):
                want = dtype if every or t.is_floating_point() else None
                if device is None and want is None:
                    continue
                t.data = t.data.to(device=device, dtype=want)
                if t.grad is not None:
                    t.grad = t.grad.to(device=device, dtype=want)
        return self

    def half(self: M) -> M:
        """Cast floating parameters and buffers (and their gradients) to float16."""
        return self._cast(dtypes.float16)

    def float(self: M) -> M:
        """Cast floating parameters and buffers (and their gradients) to float32."""
        return self._cast(dtypes.float32)

    def double(self: M) -> M:
        """Cast floating parameters and buffers (and their gradients) to float64."""
        return self._cast(dtypes.float64)

    def type(self: M, dst_type: Any) -> M:
        """Cast EVERY parameter and buffer (integer ones too) to ``dst_type``; returns
        self. Parameters that require grad must stay floating."""
        d = dtypes.to_dtype(dst_type)
        if not d.is_floating_point and any(p.requires_grad for p in self.parameters()):
            raise RuntimeError(f"Module.type({d!r}): data set to a tensor that requires "
                               f"gradients must be floating point or complex dtype")
        return self._cast(d, every=True)

    def to(self: M, *args: Any, **kwargs: Any) -> M:
        """Move and/or cast parameters and buffers in place: ``to('cuda')``,
        ``to(tg.float64)``, ``to('cpu', tg.float32)``; returns self. Only floating
        dtypes (integer buffers keep theirs)."""
        dtype, device = parse_to(*args, **kwargs)
        if dtype is not None and not dtypes.to_dtype(dtype).is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dtypes.to_dtype(dtype)!r}")
        return self._cast(dtype, device) if dtype is not None or device is not None else self

    def cpu(self: M) -> M:
        """Move parameters and buffers to the CPU; returns self."""
        return self.to("cpu")

    def cuda(self: M, device: Any = None) -> M:
        """Move parameters and buffers to a GPU; returns self."""
        return self.to(f"cuda:{device}" if isinstance(device, int) else (device or "cuda"))

    # ---- state dict ---------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> OrderedDict[str, Tensor]:
        """An ordered dict of every parameter and persistent buffer by dotted name,
        detached (sharing memory with the module). A shared module appears under each
        of its names, as in PyTorch, so a checkpoint loads into either structure."""
        out = OrderedDict()
        for mod_name, m in self.named_modules(prefix=prefix.rstrip("."),
                                              remove_duplicate=False):
            skip = m.__dict__.get("_non_persistent", ())
            items = list(m._parameters.items()) + [(k, b) for k, b in m._buffers.items()
                                                   if k not in skip]
            for k, v in items:
                if v is not None:
                    out[f"{mod_name}.{k}" if mod_name else k] = v.detach()
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> _IncompatibleKeys:
        """Copy values (Tensors, numpy arrays, or anything numpy can read, such as a
        PyTorch CPU tensor) into the parameters and buffers of the same names. With
        ``strict`` a missing or unexpected key, or a value of another kind (int/bool into
        float or back) is an error, all listed in one message; a shape mismatch always
        is. float64 values load into float32 parameters (converted), as in PyTorch.
        Returns (missing_keys, unexpected_keys)."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}")
        for name, m in self.named_modules():  # lazy layers size their placeholders first
            hook = getattr(m, "_lazy_load_hook", None)
            if hook is not None:
                hook(state_dict, f"{name}." if name else "")
        own = self.state_dict()
        values, missing, unexpected = _checked_values(own, state_dict, strict, type(self).__name__)
        with no_grad():
            for k, v in values.items():
                own[k].copy_(v)
        return _IncompatibleKeys(missing, unexpected)

    # ---- calling and printing -----------------------------------------------------------
    def summary(self, input_size: Any, dtype: Any = None, file: TextIO | None = None) -> Any:
        """Print the layers, output shapes and parameter counts for an input of
        ``input_size`` (batch dimension included), like torchinfo; returns a ModelSummary."""
        return summarize(self, input_size, dtype=dtype, file=file)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module: override it in every subclass (call the module,
        ``model(x)``, rather than ``forward`` directly)."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward``."""
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in ``repr`` (override in layers)."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {child}")
        main = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                main += lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))
