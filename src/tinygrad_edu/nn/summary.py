"""Module.summary: a torchinfo-style table of layers, output shapes and parameters.

It runs one forward pass on a random input (no graph, eval mode, a private random
generator so the global one is untouched) and records every module call. No hooks:
each module's ``forward`` is wrapped on the instance for the duration of the pass.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from .. import dtypes
from ..factories import from_numpy
from ..grad_mode import no_grad
from ..tensor import Tensor


@dataclass
class SummaryRow:
    """One module call: its name, class, nesting depth, output shape and parameters."""
    name: str
    kind: str
    depth: int
    output_shape: Any = None   # list of ints, a list of them (tuple outputs), or None
    params: int | None = None  # None: no parameters of its own (or counted at a first call)


class ModelSummary:
    """What ``Module.summary`` printed: ``rows``, ``total_params``, ``trainable_params``;
    ``str()`` gives the table again."""

    def __init__(self, rows: list[SummaryRow], total: int, trainable: int, nbytes: int):
        self.rows, self.total_params, self.trainable_params = rows, total, trainable
        self.params_bytes = nbytes

    def __str__(self) -> str:
        w = [max([len("Layer (type)")] + [len(_label(r)) for r in self.rows]) + 2, 24, 12]
        rule = "=" * sum(w)
        out = [rule, "Layer (type)".ljust(w[0]) + "Output Shape".ljust(w[1]) + "Param #",
               rule]
        for r in self.rows:
            params = "--" if r.params is None else f"{r.params:,}"
            out.append(_label(r).ljust(w[0]) + _shape(r.output_shape).ljust(w[1]) + params)
        out += [rule, f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                f"Params size (MB): {self.params_bytes / 1e6:.2f}", rule]
        return "\n".join(out)

    def __repr__(self) -> str:
        return (f"ModelSummary(layers={len(self.rows)}, total_params={self.total_params:,}, "
                f"trainable_params={self.trainable_params:,})")


def _label(r: SummaryRow) -> str:
    if r.depth == 0:
        return r.kind
    return "│ " * (r.depth - 1) + "├─" + r.kind + (f": {r.name.rsplit('.', 1)[-1]}"
                                                  if r.name else "")


def _shape_of(out: Any) -> Any:
    if isinstance(out, Tensor):
        return list(out.shape)
    if isinstance(out, (tuple, list)) and out and all(isinstance(o, Tensor) for o in out):
        return [list(o.shape) for o in out]
    return None


def _shape(shape: Any) -> str:
    if shape is None:
        return "--"
    if shape and isinstance(shape[0], list):
        return ", ".join(map(str, shape))
    return str(shape)


def _inputs(input_size: Any, dtype: Any, device: Any) -> list[Tensor]:
    if isinstance(input_size, Tensor):
        return [input_size]
    sizes = input_size if (isinstance(input_size, Sequence) and input_size and
                           isinstance(input_size[0], Sequence)) else [input_size]
    rng = np.random.default_rng(0)
    out = []
    for s in sizes:
        shape = tuple(int(d) for d in s)
        out.append(from_numpy(rng.standard_normal(shape).astype(dtype.np)).to(device))
    return out


def summarize(model: Any, input_size: Any, dtype: Any = None,
              file: TextIO | None = None) -> ModelSummary:
    """Run ``model`` once on a random input of ``input_size`` and print the table."""
    if dtype is None:
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()),
                     dtypes.default_float)
    first = next(iter(model.parameters()), None)  # random inputs go where the model is
    xs = _inputs(input_size, dtypes.to_dtype(dtype), "cpu" if first is None else first.device)
    rows: list[SummaryRow] = []
    depth = [0]
    names = {id(m): n for n, m in model.named_modules()}
    seen: set[int] = set()

    def wrap(m: Any) -> Any:
        inner = m.forward

        def forward(*args: Any, **kwargs: Any) -> Any:
            own = sum(p.numel() for p in m._parameters.values() if p is not None)
            row = SummaryRow(names.get(id(m), ""), type(m).__name__, depth[0],
                             params=own if own and id(m) not in seen else None)
            seen.add(id(m))
            rows.append(row)
            depth[0] += 1
            try:
                out = inner(*args, **kwargs)
            finally:
                depth[0] -= 1
            row.output_shape = _shape_of(out)  # the shape, not the tensor
            return out
        return forward

    mods = list(model.modules())
    saved = [(m, m.__dict__.get("forward"), m.training) for m in mods]
    try:
        for m in mods:
            object.__setattr__(m, "forward", wrap(m))
            object.__setattr__(m, "training", False)
        with no_grad():
            model(*xs)
    finally:
        for m, fwd, mode in saved:
            del m.__dict__["forward"]
            if fwd is not None:
                m.__dict__["forward"] = fwd
            object.__setattr__(m, "training", mode)
    params = list(model.parameters())
    summary = ModelSummary(rows, sum(p.numel() for p in params),
                           sum(p.numel() for p in params if p.requires_grad),
                           sum(int(p.detach().numpy().nbytes) for p in params))
    print(summary, file=file or sys.stdout)
    return summary

