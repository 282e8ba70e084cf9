"""Which module call made each op of a graph: the grouping behind ``tg.viz``'s boxes.

A convolution is several primitive ops (unfold, reshape, matmul, add), a batch norm a
dozen (mean, subtract, square, divide, ...): drawn op by op, a CNN's graph is a pile in
which no layer can be found. ``trace_modules(model)`` wraps every module's ``forward``
on the instance (as ``Module.summary`` does; no hooks are needed) for the duration of a
``with`` block; when a call returns, the ops between its inputs and its outputs are
its own, unless an inner module call has claimed them already (so the innermost wins).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..autograd import Function
from ..tensor import Tensor


@dataclass(eq=False)
class Scope:
    """One call of one module: its dotted name in the model ("" for the model itself),
    its class, the call that contains it (``parent``), and its text for a picture."""
    name: str
    kind: str
    parent: Scope | None
    extra: str = ""                              # the module's extra_repr()
    params: list[int] = field(default_factory=list)  # ids of its own parameters

    @property
    def label(self) -> str:
        """'conv1: Conv2d' (the model itself: its class name alone)."""
        return f"{self.name}: {self.kind}" if self.name else self.kind

    def within(self, other: Scope) -> bool:
        """Is this call ``other`` or nested inside it?"""
        s: Scope | None = self
        while s is not None:
            if s is other:
                return True
            s = s.parent
        return False


class ModuleTrace:
    """The module calls recorded by :func:`trace_modules`: ``scopes`` in call order and
    the scope of each recorded op. It keeps the ops alive (it holds them) until dropped."""

    def __init__(self) -> None:
        self.scopes: list[Scope] = []
        self._ops: dict[int, tuple[Function, Scope]] = {}
        self._params: dict[int, tuple[Tensor, Scope]] = {}

    def scope_of(self, obj: Any) -> Scope | None:
        """The innermost module call that made ``obj`` (an op of the graph) or that
        owns it (a parameter, first call); None outside every recorded call."""
        held: Any = self._ops.get(id(obj)) or self._params.get(id(obj))
        return held[1] if held is not None and held[0] is obj else None

    def __len__(self) -> int:
        return len(self._ops)

    def __repr__(self) -> str:
        return f"ModuleTrace(calls={len(self.scopes)}, ops={len(self._ops)})"

    def _claim(self, outputs: list[Tensor], bounds: set[int], scope: Scope) -> None:
        # Walk back from the outputs to the call's inputs; an op already claimed by a
        # call nested in this one is passed through, one claimed by any other call (a
        # tensor the module reached without an argument) ends the walk there.
        stack = [t._ctx for t in outputs if t._ctx is not None]
        seen: set[int] = set()
        while stack:
            fn = stack.pop()
            if id(fn) in seen or id(fn) in bounds:
                continue
            seen.add(id(fn))
            held = self._ops.get(id(fn))
            if held is not None and held[0] is fn:
                if not held[1].within(scope):
                    continue
            else:
                self._ops[id(fn)] = (fn, scope)
            stack.extend(p for p in fn.parents if isinstance(p, Function))


def _tensors(obj: Any) -> list[Tensor]:
    """The tensors in a module's arguments or result (nested tuples, lists, dicts)."""
    out: list[Tensor] = []
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            out.append(o)
        elif isinstance(o, (tuple, list)):
            stack.extend(o)
        elif isinstance(o, dict):
            stack.extend(o.values())
    return out


@contextmanager
def trace_modules(model: Any) -> Iterator[ModuleTrace]:
    """Record which module call makes each op while the ``with`` block runs::

        with tg.viz.trace_modules(model) as trace:
            loss = loss_fn(model(x), y)
        tg.viz.draw(loss, "cnn.svg", modules=trace)   # one box per layer

    Every module's ``forward`` is wrapped on the instance and restored on leaving
    the block (also after an error); the model's results are unchanged. Ops are
    recorded only where a graph is (grad mode on, parameters requiring grad)."""
    trace = ModuleTrace()
    names = {id(m): n for n, m in model.named_modules()}
    stack: list[Scope] = []

    def wrap(m: Any) -> Any:
        inner = m.forward

        def forward(*args: Any, **kwargs: Any) -> Any:
            scope = Scope(names.get(id(m), ""), type(m).__name__,
                          stack[-1] if stack else None, m.extra_repr())
            trace.scopes.append(scope)
            stack.append(scope)
            try:
                out = inner(*args, **kwargs)
            finally:
                stack.pop()
            for p in m._parameters.values():  # after the call: a lazy module's exist now
                if p is not None and id(p) not in trace._params:
                    trace._params[id(p)] = (p, scope)
                    scope.params.append(id(p))
            bounds = {id(t._ctx) for t in _tensors((args, kwargs)) if t._ctx is not None}
            trace._claim(_tensors(out), bounds, scope)
            return out
        return forward

    mods = list(model.modules())
    saved = [(m, m.__dict__.get("forward")) for m in mods]
    try:
        for m in mods:
            object.__setattr__(m, "forward", wrap(m))
        yield trace
    finally:
        for m, fwd in saved:
            m.__dict__.pop("forward", None)
            if fwd is not None:
                m.__dict__["forward"] = fwd
