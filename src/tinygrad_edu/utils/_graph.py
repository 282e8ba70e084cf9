"""The graph behind a tensor, as plain records that viz draws and explains.

The autograd graph keeps op nodes (``Function``) and leaf tensors; an op's output
tensor is not stored, so its values are looked up where the graph still holds
them (the op's kept output, a consumer's kept input, a ``retain_grad`` owner).
Walks use explicit stacks: graphs can be 100,000 ops deep.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from .. import autograd
from ..backend import host
from ..autograd import Function
from ..tensor import Tensor

ParamsArg = Union[Mapping[str, Tensor], Any, None]  # a dict, a Module, or None


@dataclass
class TensorInfo:
    """One tensor of the graph: what a picture or a text line shows about it."""
    shape: tuple[int, ...]
    dtype: str | None
    name: str | None = None
    is_leaf: bool = False
    requires_grad: bool = True
    values: np.ndarray | None = None   # None where the graph no longer holds them
    grad: np.ndarray | None = None


@dataclass
class GraphNode:
    """An op (``op`` is its grad_fn name) or a leaf (``op`` is None) and the tensor it
    makes; ``inputs`` are indices of the nodes feeding it, in argument order."""
    op: str | None
    tensor: TensorInfo
    inputs: list[int] = field(default_factory=list)
    consumers: int = 0
    source: Any = None   # the op (Function) or leaf tensor itself: which module made it


def _live_names() -> dict[int, str]:
    """Parameter names from every live Module: the longest dotted name wins (the
    outermost model's, "0.weight" over the child Linear's own "weight")."""
    from ..nn.module import live_modules  # nn sits above utils' core users; late import
    names: dict[int, str] = {}
    for m in live_modules():
        for name, p in m.named_parameters():
            old = names.get(id(p))
            if old is None or name.count(".") > old.count("."):
                names[id(p)] = name
    return names


def _param_names(params: ParamsArg) -> dict[int, str]:
    if params is None:
        return _live_names()
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, Mapping):
        raise TypeError("params must be a dict of name -> tensor (such as "
                        "dict(model.named_parameters())) or a Module, got "
                        f"{type(params).__name__}")
    out: dict[int, str] = {}
    for name, t in params.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"params[{name!r}] is a {type(t).__name__}, not a tensor")
        out[id(t._ctx) if t._ctx is not None else id(t)] = str(name)
    return out


def _known_outputs(fns: Iterable[Function]) -> dict[int, Any]:
    """id(op) -> a Tensor or array holding its output, wherever the graph keeps one."""
    known: dict[int, Any] = {}
    item: Any
    for f in fns:
        for i, item in enumerate(f.saved):  # the inputs and output its backward reads
            if i == f._out_at:
                known.setdefault(id(f), item)
            elif isinstance(item, Tensor) and item._ctx is not None:
                known.setdefault(id(item._ctx), item)
        if f._retained is not None and f._retained() is not None:
            known[id(f)] = f._retained()  # the owner also has the grad: prefer it
    return known


def _as_array(x: Any) -> np.ndarray:
    return host(x._data if isinstance(x, Tensor) else x)


def collect(root: Tensor, params: ParamsArg = None, grads: bool = False) -> list[GraphNode]:
    """The graph behind ``root`` as nodes in data-flow order (inputs before the ops
    that use them; the last node makes ``root``); with ``grads`` every tensor carries
    d(root)/d(it), computed now."""
    if not isinstance(root, Tensor):
        raise TypeError(f"expected a tinygrad_edu Tensor, got {type(root).__name__}")
    names = _param_names(params)
    start: Any = root._ctx if root._ctx is not None else root
    index: dict[int, int] = {}
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(start, False)]
    while stack:  # postorder: every node after its inputs
        obj, expanded = stack.pop()
        if expanded:
            index[id(obj)] = len(order)
            order.append(obj)
            continue
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        stack.append((obj, True))
        if isinstance(obj, Function):
            p: Any
            for p in reversed(obj.parents):
                if p is not None and id(p) not in index:
                    stack.append((p, False))
    nodes = _build(root, order, index, names)
    if grads:
        for node, g in zip(nodes, _gradients(root, order)):
            node.tensor.grad = None if g is None else _as_array(g)
    return nodes


def _gradients(root: Tensor, order: list[Any]) -> list[Any]:
    """d(root)/d(each tensor of the graph), leaving every ``.grad`` and the graph as
    they are. An op's output is not stored, so a stand-in tensor attached to the op
    asks autograd.grad for the gradient flowing into it."""
    if root.numel() != 1:
        raise ValueError(f"grads=True needs a single-number output (a loss), got shape "
                         f"{list(root.shape)}")
    if root._ctx is None:
        return [root._ones_like()]
    handles = []
    for obj in order:
        if isinstance(obj, Function):
            h = Tensor._make(np.empty(0), True)
            h._ctx = obj
            handles.append(h)
        else:
            handles.append(obj)
    return list(autograd.grad(root, handles, retain_graph=True, allow_unused=True))


_DTYPE_NAMES: dict[np.dtype, str] = {}


def _dtype_name(x: Any) -> str:
    dt = _as_array(x).dtype
    if dt not in _DTYPE_NAMES:  # str(dtype) is slow, and a graph may hold 100k tensors
        _DTYPE_NAMES[dt] = str(dt)
    return _DTYPE_NAMES[dt]


def _build(root: Tensor, order: list[Any], index: dict[int, int],
           names: dict[int, str]) -> list[GraphNode]:
    known = _known_outputs(o for o in order if isinstance(o, Function))
    if root._ctx is not None:
        known[id(root._ctx)] = root
    nodes: list[GraphNode] = []
    for obj in order:
        if isinstance(obj, Function):
            held = known.get(id(obj))
            parents: tuple[Any, ...] = obj.parents
            inputs = [index[id(p)] for p in parents if p is not None]
            # An op keeps its output's shape, not its dtype: without the values, the
            # dtype is its first input's (ops see inputs already promoted to one
            # dtype), but for a Cast, which notes the dtype it casts to.
            dtype = (_dtype_name(held) if held is not None else
                     str(vars(obj)["out_dtype"]) if type(obj).__name__ == "Cast" else
                     nodes[inputs[0]].tensor.dtype if inputs else None)
            info = TensorInfo(shape=tuple(obj.shape), dtype=dtype, name=names.get(id(obj)),
                              values=None if held is None else _as_array(held))
            if isinstance(held, Tensor) and held.grad is not None:
                info.grad = _as_array(held.grad)
            node = GraphNode(op=obj.name(), tensor=info, inputs=inputs, source=obj)
        else:
            info = TensorInfo(shape=tuple(obj.shape), dtype=_dtype_name(obj),
                              name=names.get(id(obj)), is_leaf=True,
                              requires_grad=obj.requires_grad, values=_as_array(obj),
                              grad=None if obj.grad is None else _as_array(obj.grad))
            node = GraphNode(op=None, tensor=info, source=obj)
        for i in node.inputs:
            nodes[i].consumers += 1
        nodes.append(node)
    return nodes


def stats(a: np.ndarray) -> str:
    """'min .. max .. norm ..' of an array ('value ..' of a single number)."""
    if a.size == 0:
        return "empty"
    if a.size == 1:
        return f"value {a.item():.4g}"
    f = a.astype(np.float64)
    return f"min {f.min():.4g} max {f.max():.4g} norm {np.sqrt((f * f).sum()):.4g}"


def norm(a: np.ndarray) -> str:
    f = a.astype(np.float64)
    return f"{np.sqrt((f * f).sum()):.4g}"


def values_text(a: np.ndarray, limit: int) -> str:
    """Small arrays written out (4 significant digits), larger ones as stats."""
    if a.size > limit:
        return stats(a)
    return np.array2string(a, separator=", ", max_line_width=10_000,
                           formatter={"float_kind": lambda v: f"{v:.4g}"}).replace("\n", "")
