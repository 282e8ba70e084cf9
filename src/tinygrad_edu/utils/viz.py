"""Look at the graph behind a tensor: Graphviz pictures, a text tree, plots.

    dot = tg.viz.to_dot(loss, params=model)   # DOT source, no dependency
    tg.viz.draw(loss, "graph.svg")            # needs graphviz (pip) + dot (apt)
    tg.viz.explain(loss)                      # the same graph as an indented tree

Tensors are boxes (parameters named after the Module that owns them), ops are
ovals named by their ``grad_fn``, and arrows point the way the data flows. With
``modules=`` (a :func:`trace_modules` record of the forward pass) the ops of each
layer are drawn inside a box named after it ("conv1: Conv2d"), and explain tags
each line with its layer: a convolution's unfold and matmul, a batch norm's dozen
elementwise ops read as the layer they are.
"""
from __future__ import annotations

import os
import sys
from typing import TextIO

from ..tensor import Tensor
from ._graph import GraphNode, ParamsArg, TensorInfo, collect, norm, stats, values_text
from ._scopes import ModuleTrace, Scope, trace_modules
from .plots import plot_activation, plot_history

__all__ = ["ModuleTrace", "draw", "explain", "plot_activation", "plot_history", "to_dot",
           "trace_modules"]

_COLORS = {"param": "lightblue", "leaf": "palegreen", "root": "darkolivegreen1",
           "tensor": "white", "op": "lightgrey", "layer": "moccasin"}


def _shape_text(t: TensorInfo) -> str:
    dims = ", ".join(map(str, t.shape)) + ("," if len(t.shape) == 1 else "")
    return f"({dims}) {t.dtype or '?'} cpu"


def _tensor_lines(t: TensorInfo, show_values: bool, max_values: int) -> list[str]:
    lines = [t.name] if t.name else []
    lines.append(_shape_text(t))
    if t.values is not None:
        small = show_values and t.values.size <= max_values
        lines.append("data " + values_text(t.values, max_values) if small else stats(t.values))
    if t.grad is not None:
        small = show_values and t.grad.size <= max_values
        lines.append("grad " + values_text(t.grad, max_values) if small else
                     f"grad norm {norm(t.grad)}")
    return lines


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(tensor: Tensor, params: ParamsArg = None, show_values: bool = False,
           max_values: int = 16, rankdir: str = "TB", grads: bool = False,
           modules: ModuleTrace | None = None, layers: bool = False) -> str:
    """Graphviz DOT source of the graph that computed ``tensor``.

    Args:
        tensor: the output to draw (a loss, a layer's output, any tensor).
        params: names for tensors: ``dict(model.named_parameters())``, a Module, or any
            ``{name: tensor}``; by default the names of every live Module's parameters.
        show_values: write out values and gradients of tensors with at most
            ``max_values`` elements; otherwise (and for bigger ones) min/max/norm.
        rankdir: Graphviz layout direction ("TB" top to bottom, "LR" left to right).
        grads: show d(tensor)/d(each tensor), computed now (``tensor`` must be a single
            number and its graph not yet freed by ``backward()``); otherwise the ``.grad``
            of leaves (and of ``retain_grad()`` tensors) after backward.
        modules: what :func:`trace_modules` recorded while the forward ran: each module
            call's ops and parameters are drawn inside a box labelled with its name,
            class and settings (nested modules: nested boxes).
        layers: with ``modules``, draw each call of a module that holds no other
            module (a Conv2d, a BatchNorm2d, a pooling) as one box with its output
            shape, instead of its ops: the net as its layers.

    Returns:
        The DOT text; one node per tensor and per op, edges in data-flow direction.
    """
    if modules is not None and not isinstance(modules, ModuleTrace):
        raise TypeError("modules must be what tg.viz.trace_modules(model) recorded, got "
                        f"{type(modules).__name__}")
    if layers and modules is None:
        raise ValueError("layers=True needs modules=: the record of tg.viz.trace_modules")
    nodes = collect(tensor, params, grads)
    out = ["digraph tinygrad_edu {", f"  rankdir={rankdir};",
           '  node [fontname="Helvetica", fontsize=10];']
    scopes = [None if modules is None else modules.scope_of(n.source) for n in nodes]
    group = _layer_groups(scopes, modules) if layers and modules is not None else {}
    last = len(nodes) - 1
    decls: list[list[str]] = [[] for _ in nodes]
    edges: list[list[str]] = [[] for _ in nodes]
    done: set[tuple[str, str]] = set()
    for i, n in enumerate(nodes):
        t = n.tensor
        g = group.get(i)
        if g is not None:  # a layer drawn as one box: declared once, by its last node
            if i == g[-1]:
                s = scopes[i]
                assert s is not None
                label = "\n".join([s.label] + ([f"({s.extra})"] if s.extra else []) +
                                  [_shape_text(t)])
                decls[i].append(f"  t{i} [shape=box, style=\"filled,rounded\", "
                                f"fillcolor={_COLORS['layer']}, label={_quote(label)}];")
        else:
            kind = ("root" if i == last else "param" if t.name and n.op is None else
                    "leaf" if n.op is None else "tensor")
            label = "\n".join(_tensor_lines(t, show_values, max_values))
            decls[i].append(f"  t{i} [shape=box, style=filled, fillcolor={_COLORS[kind]}, "
                            f"label={_quote(label)}];")
        if n.op is None:
            continue
        if g is None:
            decls[i].append(f"  op{i} [shape=oval, style=filled, "
                            f"fillcolor={_COLORS['op']}, label={_quote(n.op)}];")
        into = f"op{i}" if g is None else f"t{g[-1]}"
        for j in n.inputs:
            gj = group.get(j)
            src = f"t{j}" if gj is None else f"t{gj[-1]}"
            if g is None and gj is None:  # op to op: every use drawn (x * x: two arrows)
                edges[i].append(f"  {src} -> {into};")
            elif src != into and (src, into) not in done:  # inside a layer: not drawn
                done.add((src, into))
                edges[i].append(f"  {src} -> {into};")
        if g is None:
            edges[i].append(f"  op{i} -> t{i};")
    if modules is None:
        for d, e in zip(decls, edges):
            out += d + e
    else:
        # a layer box sits in the cluster of the module that holds that layer
        where = [s.parent if i in group and s is not None else s for i, s in enumerate(scopes)]
        out += _clustered(where, decls, modules)
        out += [line for e in edges for line in e]
    out.append("}")
    return "\n".join(out) + "\n"


def _layer_groups(scopes: list[Scope | None], modules: ModuleTrace) -> dict[int, list[int]]:
    """node index -> the node indices of its layer (a call of a module that holds no
    other module), for the nodes of such calls."""
    holders = {id(s.parent) for s in modules.scopes if s.parent is not None}
    members: dict[int, list[int]] = {}
    for i, s in enumerate(scopes):
        if s is not None and id(s) not in holders:
            members.setdefault(id(s), []).append(i)
    return {i: m for m in members.values() for i in m}


def _clustered(scopes: list[Scope | None], decls: list[list[str]],
               modules: ModuleTrace) -> list[str]:
    """The node declarations, those of each module call inside a (nested) cluster."""
    members: dict[Scope | None, list[int]] = {}
    children: dict[Scope | None, list[Scope]] = {}
    linked: set[int] = set()
    for i, s in enumerate(scopes):
        members.setdefault(s, []).append(i)
        while s is not None and id(s) not in linked:  # every box up to the outermost
            linked.add(id(s))
            children.setdefault(s.parent, []).append(s)
            s = s.parent
    order = {id(s): k for k, s in enumerate(modules.scopes)}
    out: list[str] = []
    # (scope, depth, closing?) on an explicit stack: clusters open, fill, then close
    stack: list[tuple[Scope | None, int, bool]] = [(None, 0, False)]
    while stack:
        scope, depth, closing = stack.pop()
        pad = "  " * depth
        if closing:
            out.append(pad + "}")
            continue
        if scope is not None:
            label = scope.label + (f"\n({scope.extra})" if scope.extra else "")
            out.append(f"{pad}subgraph cluster_{order[id(scope)]} {{ label={_quote(label)}; "
                       "style=rounded; color=steelblue; fontname=Helvetica; fontsize=10;")
            stack.append((scope, depth, True))
        out += [pad + line for i in members.get(scope, []) for line in decls[i]]
        kids = sorted(children.get(scope, []), key=lambda c: order[id(c)], reverse=True)
        stack += [(c, depth + 1, False) for c in kids]
    return out


_HOW_TO_GET = ("drawing needs the graphviz Python package and the Graphviz 'dot' program: "
               "pip install graphviz, and apt-get install graphviz (Debian/Ubuntu) or "
               "brew install graphviz (macOS); tg.viz.to_dot() gives the DOT text without them")


def draw(tensor: Tensor, path: str | os.PathLike[str], params: ParamsArg = None,
         show_values: bool = False, format: str | None = None,  # noqa: A002 - graphviz's name
         **kwargs: object) -> str:
    """Render the graph of ``tensor`` to ``path`` (SVG, PNG, PDF: from the suffix or
    ``format``) with Graphviz; other keywords go to :func:`to_dot`. Returns the path.

    Raises:
        RuntimeError: if the ``graphviz`` package or the ``dot`` program is missing.
    """
    path = os.fspath(path)
    stem, suffix = os.path.splitext(path)
    fmt = format or suffix.lstrip(".").lower() or "svg"
    try:
        import graphviz
    except ImportError:
        raise RuntimeError(_HOW_TO_GET) from None
    src = graphviz.Source(to_dot(tensor, params, show_values, **kwargs))  # type: ignore[arg-type]
    try:
        data = src.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(_HOW_TO_GET) from None
    target = path if suffix else f"{stem}.{fmt}"
    with open(target, "wb") as f:
        f.write(data)
    return target


# ---- explain: the graph as a text tree ---------------------------------------------
def _line(n: GraphNode, show_values: bool, max_values: int,
          modules: ModuleTrace | None = None) -> str:
    t = n.tensor
    head = n.op if n.op is not None else (t.name or ("leaf" if t.requires_grad else "tensor"))
    parts = [head, _shape_text(t)]
    if n.op is not None and t.name:
        parts.insert(1, f"'{t.name}'")
    parts += _tensor_lines(t, show_values, max_values)[1 + bool(t.name):]
    scope = None if modules is None else modules.scope_of(n.source)
    if scope is not None:
        parts.append(f"[{scope.label}]")
    return "  ".join(parts)


def explain(tensor: Tensor, params: ParamsArg = None, show_values: bool = False,
            max_values: int = 16, max_lines: int | None = 200, file: TextIO | None = None,
            grads: bool = False, modules: ModuleTrace | None = None) -> None:
    """Print the graph of ``tensor`` as an indented tree, output at the top, inputs
    below, with each tensor's shape, value statistics and (after ``backward()``)
    gradient norm: where gradients vanish or explode shows at a glance.

    Intermediate tensors show values while the graph still holds them and gradients
    if ``retain_grad()`` was called on them; ``grads=True`` (before ``backward()``, on a
    loss) computes and shows the gradient norm at every tensor, ``.grad`` untouched.
    A node used twice is written once and then referred to as ``(see #n)``. Prints to
    ``file`` (stdout by default) at most ``max_lines`` lines (``None``: all), saying how
    many were left out. With ``modules`` (a :func:`trace_modules` record) each line
    ends with the layer that made it, ``[conv1: Conv2d]``."""
    if modules is not None and not isinstance(modules, ModuleTrace):
        raise TypeError("modules must be what tg.viz.trace_modules(model) recorded, got "
                        f"{type(modules).__name__}")
    nodes = collect(tensor, params, grads)
    shared = {i for i, n in enumerate(nodes) if n.consumers > 1}
    lines: list[str] = []
    written: set[int] = set()
    cap = 16  # deeper than this, the indent stops growing and the line says the depth
    stack: list[tuple[int, str, str, int]] = [(len(nodes) - 1, "", "", 0)]
    total = 1 + sum(len(n.inputs) for n in nodes)  # one line per edge, plus the root
    while stack and (max_lines is None or len(lines) < max_lines):
        i, prefix, branch, depth = stack.pop()
        tag = f" #{i}" if i in shared else ""
        shown = prefix + branch if depth <= cap else f"{' ' * 3 * cap}[depth {depth}] "
        if i in written:
            lines.append(f"{shown}(see #{i}: {nodes[i].op or nodes[i].tensor.name or 'leaf'})")
            continue
        written.add(i)
        lines.append(shown + _line(nodes[i], show_values, max_values, modules) + tag)
        kids = nodes[i].inputs
        child_prefix = prefix + ("" if depth == 0 else "   " if branch == "└─ " else "│  ")
        if depth >= cap:
            child_prefix = prefix
        for k, j in reversed(list(enumerate(kids))):
            stack.append((j, child_prefix, "└─ " if k == len(kids) - 1 else "├─ ", depth + 1))
    if max_lines is not None and total > len(lines):
        lines.append(f"... {total - len(lines)} more lines (explain(..., max_lines=None) "
                     "shows all)")
    (file or sys.stdout).write("\n".join(lines) + "\n")

