"""Look at the graph behind a tensor: Graphviz pictures, a text tree, plots.

    dot = tg.viz.to_dot(loss, params=model)   # DOT source, no dependency
    tg.viz.draw(loss, "graph.svg")            # needs graphviz (pip) + dot (apt)
    tg.viz.explain(loss)                      # the same graph as an indented tree

Tensors are boxes (parameters named after the Module that owns them), ops are
ovals named by their ``grad_fn``, and arrows point the way the data flows.
"""
from __future__ import annotations

import os
import sys
from typing import TextIO

from ..tensor import Tensor
from ._graph import GraphNode, ParamsArg, TensorInfo, collect, norm, stats, values_text
from .plots import plot_activation, plot_history

__all__ = ["draw", "explain", "plot_activation", "plot_history", "to_dot"]

_COLORS = {"param": "lightblue", "leaf": "palegreen", "root": "darkolivegreen1",
           "tensor": "white", "op": "lightgrey"}


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
           max_values: int = 16, rankdir: str = "TB", grads: bool = False) -> str:
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

    Returns:
        The DOT text; one node per tensor and per op, edges in data-flow direction.
    """
    nodes = collect(tensor, params, grads)
    out = ["digraph tinygrad_edu {", f"  rankdir={rankdir};",
           '  node [fontname="Helvetica", fontsize=10];']
    last = len(nodes) - 1
    for i, n in enumerate(nodes):
        t = n.tensor
        kind = ("root" if i == last else "param" if t.name and n.op is None else
                "leaf" if n.op is None else "tensor")
        label = "\n".join(_tensor_lines(t, show_values, max_values))
        out.append(f"  t{i} [shape=box, style=filled, fillcolor={_COLORS[kind]}, "
                   f"label={_quote(label)}];")
        if n.op is not None:
            out.append(f"  op{i} [shape=oval, style=filled, fillcolor={_COLORS['op']}, "
                       f"label={_quote(n.op)}];")
            out.extend(f"  t{j} -> op{i};" for j in n.inputs)
            out.append(f"  op{i} -> t{i};")
    out.append("}")
    return "\n".join(out) + "\n"


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
def _line(n: GraphNode, show_values: bool, max_values: int) -> str:
    t = n.tensor
    head = n.op if n.op is not None else (t.name or ("leaf" if t.requires_grad else "tensor"))
    parts = [head, _shape_text(t)]
    if n.op is not None and t.name:
        parts.insert(1, f"'{t.name}'")
    parts += _tensor_lines(t, show_values, max_values)[1 + bool(t.name):]
    return "  ".join(parts)


def explain(tensor: Tensor, params: ParamsArg = None, show_values: bool = False,
            max_values: int = 16, max_lines: int | None = 200, file: TextIO | None = None,
            grads: bool = False) -> None:
    """Print the graph of ``tensor`` as an indented tree, output at the top, inputs
    below, with each tensor's shape, value statistics and (after ``backward()``)
    gradient norm: where gradients vanish or explode shows at a glance.

    Intermediate tensors show values while the graph still holds them and gradients
    if ``retain_grad()`` was called on them; ``grads=True`` (before ``backward()``, on a
    loss) computes and shows the gradient norm at every tensor, ``.grad`` untouched.
    A node used twice is written once and then referred to as ``(see #n)``. Prints to
    ``file`` (stdout by default) at most ``max_lines`` lines (``None``: all), saying how
    many were left out."""
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
        lines.append(shown + _line(nodes[i], show_values, max_values) + tag)
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

