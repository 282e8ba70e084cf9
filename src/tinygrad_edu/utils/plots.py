"""Plots for learners (matplotlib, the ``train`` extra, imported only when called)."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..factories import linspace
from ..tensor import Tensor

_NO_MPL = ("plotting needs matplotlib: pip install matplotlib "
           "(or pip install 'tinygrad_edu[train]')")


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise RuntimeError(_NO_MPL) from None
    if not os.environ.get("DISPLAY") and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")  # no screen: draw into files
    import matplotlib.pyplot as plt
    return plt


def _finish(plt: Any, fig: Any, path: str | os.PathLike[str] | None) -> Any:
    fig.tight_layout()
    if path is not None:
        fig.savefig(os.fspath(path), dpi=100)
        plt.close(fig)
    return fig


def plot_activation(fn: Callable[[Tensor], Tensor], start: float = -10.0, end: float = 10.0,
                    steps: int = 100, title: str | None = None,
                    path: str | os.PathLike[str] | None = None) -> Any:
    """Draw ``y = fn(x)`` and its derivative side by side, the derivative computed by
    autograd exactly as the lesson does: ``x = linspace(start, end, steps,
    requires_grad=True)``, ``fn(x).sum().backward()``, plot ``x.grad``.

    For an elementwise ``fn``, ``x.grad`` is the derivative at each point (for a
    function mixing elements, such as softmax, it is the gradient of the sum).
    Saves to ``path`` if given; returns the matplotlib Figure.
    """
    plt = _pyplot()
    x = linspace(start, end, steps, requires_grad=True)
    y = fn(x)
    if not isinstance(y, Tensor) or tuple(y.shape) != tuple(x.shape):
        raise ValueError("fn must map a 1-D tensor to a tensor of the same shape")
    y.sum().backward()
    assert x.grad is not None  # backward through fn reached x
    xs, ys, gs = x.detach().numpy(), y.detach().numpy(), x.grad.numpy()
    name = title or getattr(fn, "__name__", "f")
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(xs, ys)
    a.set(xlabel="x", ylabel=f"{name}(x)", title=name)
    b.plot(xs, gs, color="tab:orange")
    b.set(xlabel="x", ylabel="x.grad", title=f"derivative of {name} (autograd)")
    for ax in (a, b):
        ax.grid(True, alpha=0.3)
    return _finish(plt, fig, path)


def plot_history(history: Mapping[str, Sequence[float]],
                 path: str | os.PathLike[str] | None = None) -> Any:
    """Loss and accuracy curves per epoch from a dict of lists, e.g. ``{"loss": [...],
    "train_acc": [...], "test_acc": [...]}``: keys with "loss" go left, the others
    (accuracies) right. Saves to ``path`` if given; returns the matplotlib Figure."""
    if not history or not any(len(v) for v in history.values()):
        raise ValueError("history is empty: expected a dict of per-epoch lists")
    plt = _pyplot()
    losses = {k: v for k, v in history.items() if "loss" in k}
    others = {k: v for k, v in history.items() if "loss" not in k}
    panels = [(losses, "loss")] * bool(losses) + [(others, "accuracy")] * bool(others)
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for ax, (curves, what) in zip(axes[0], panels):
        for k, v in curves.items():
            ax.plot(np.arange(1, len(v) + 1), np.asarray(v, dtype=float), marker="o",
                    label=k.replace("_", " "))
        ax.set(xlabel="epoch", ylabel=what, title=what)
        ax.legend()
        ax.grid(True, alpha=0.3)
    return _finish(plt, fig, path)
