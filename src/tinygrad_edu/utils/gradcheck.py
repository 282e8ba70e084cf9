"""Check analytic gradients against central differences, as a learner (or a test) would."""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import autograd
from ..backend import host, writeable
from ..factories import zeros_like
from ..tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when an analytic and a numerical derivative disagree."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _host64(a: Any) -> np.ndarray:
    """An array's values as float64 numpy (read back from the GPU for CUDA tensors)."""
    return host(a).astype(np.float64, copy=False)


def _flat_outputs(fn: Callable[..., Any], inputs: Sequence[Any]) -> np.ndarray:
    with autograd.no_grad():
        outs = _as_tuple(fn(*inputs))
    return np.concatenate([_host64(o._data).ravel() for o in outs])


def _numerical_jacobian(fn: Callable[..., Any], inputs: Sequence[Any], x: Tensor,
                        eps: float) -> np.ndarray:
    """d(all outputs, flattened) / d(x, flattened) by central differences: (n_out, n_in)."""
    data = x._data
    cols = []
    for j in range(data.size):
        idx = np.unravel_index(j, data.shape)
        orig = data[idx].copy()
        data[idx] = orig + eps
        plus = _flat_outputs(fn, inputs)
        data[idx] = orig - eps
        minus = _flat_outputs(fn, inputs)
        data[idx] = orig
        cols.append((plus - minus) / (2 * eps))
    n_out = _flat_outputs(fn, inputs).size
    return np.stack(cols, axis=1) if cols else np.zeros((n_out, 0))


def _analytic_jacobians(fn: Callable[..., Any], inputs: Sequence[Any],
                        diff: list[Tensor]) -> list[np.ndarray]:
    """One (n_out, n_in) Jacobian per differentiated input, a row per output element."""
    outs = [o for o in _as_tuple(fn(*inputs))]
    n_out = sum(o.numel() for o in outs)
    jac = [np.zeros((n_out, x.numel())) for x in diff]
    row = 0
    for k, out in enumerate(outs):
        for i in range(out.numel()):
            if not out.requires_grad:
                row += 1
                continue
            seeds = [zeros_like(o) for o in outs]
            seeds[k]._data.reshape(-1)[i] = 1
            live = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
            grads = autograd.grad([o for o, _ in live], diff, [s for _, s in live],
                                  retain_graph=True, allow_unused=True)
            for j, g in enumerate(grads):
                if g is not None:
                    jac[j][row] = _host64(g._data).ravel()
            row += 1
    return jac


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """True if ``fn``'s analytic gradients match central differences for every input
    that requires grad; otherwise raise naming the input, the element and both values."""
    inputs = _as_tuple(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: at least one input tensor must have requires_grad=True")
    if any(x.dtype != np.float64 for x in diff):
        warnings.warn("gradcheck: inputs are not float64; finite differences will be imprecise",
                      stacklevel=2)
    analytic = _analytic_jacobians(fn, inputs, diff)
    for n, (x, a) in enumerate(zip(diff, analytic)):
        num = _numerical_jacobian(fn, inputs, x, eps)
        bad = np.argwhere(~(np.abs(a - num) <= atol + rtol * np.abs(num)))
        if bad.size:
            out_i, in_j = bad[0]
            pos = next(i for i, t in enumerate(inputs) if t is x)
            msg = (f"Jacobian mismatch for input {pos} (differentiable input {n}), "
                   f"element {tuple(int(i) for i in np.unravel_index(in_j, x.shape))} of "
                   f"shape {list(x.shape)}, output "
                   f"element {out_i}: numerical {float(num[out_i, in_j])!r} vs analytic "
                   f"{float(a[out_i, in_j])!r} (atol={atol}, rtol={rtol})")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, seed: int = 0) -> bool:
    """gradcheck of the gradient itself (second derivatives through create_graph)."""
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _as_tuple(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [Tensor._make(rng.standard_normal(o.shape).astype(o._data.dtype)).to(
                        o.device) for o in outs]
    grad_outputs = [g.detach().requires_grad_() for g in _as_tuple(grad_outputs)]
    n_in = len(inputs)

    def first_grads(*args: Any) -> tuple[Any, ...]:
        xs, gs = args[:n_in], args[n_in:]
        with autograd.enable_grad():  # also when the numerical pass evaluates this
            ys = _as_tuple(fn(*xs))
            grads = autograd.grad(ys, [xs[i] for i in diff_idx], gs, create_graph=True,
                                  allow_unused=True)
        return tuple(g if g is not None else xs[i] * 0 for g, i in zip(grads, diff_idx))

    return gradcheck(first_grads, tuple(inputs) + tuple(grad_outputs), eps, atol, rtol,
                     raise_exception)


def numerical_gradient(f: Callable[[Any], Any], x: Any, h: float = 1e-4) -> Any:
    """Central-difference gradient of a scalar function f at x: (f(x+h) - f(x-h)) / 2h
    per element, as written by hand in the curriculum. x: Tensor or numpy array.

    As in the lesson, x itself is nudged in place (and restored), so an f that reads
    x through a closure (``lambda w: net.loss(x, t)``) works too. For a float64 x, f
    receives x; otherwise f receives a float64 copy nudged in step with x (with
    h = 1e-4, float32 rounding alone would swamp the differences). The result has
    x's floating dtype."""
    is_tensor = isinstance(x, Tensor)
    own: Any = x._data if is_tensor else x if isinstance(x, np.ndarray) else None
    writable = own is not None and own.dtype.kind == "f" and writeable(own)
    orig = own if own is not None else np.asarray(x)
    if writable and own.dtype == np.float64:
        work, probe, mirror = own, x, None
    else:
        work = orig.astype(np.float64)
        probe = Tensor._make(work) if is_tensor else work
        mirror = own if writable else None
    grad = np.zeros(work.shape)
    with autograd.no_grad():
        for j in range(work.size):
            idx = np.unravel_index(j, work.shape)
            keep = work[idx].copy()  # a CuPy 0-d index is a view: the nudge would move it
            saved = mirror[idx].copy() if mirror is not None else None
            diffs = []
            for step in (h, -h):
                work[idx] = keep + step
                if mirror is not None:
                    mirror[idx] = work[idx]
                diffs.append(float(f(probe)))
            work[idx] = keep
            if mirror is not None:
                mirror[idx] = saved
            grad[idx] = (diffs[0] - diffs[1]) / (2 * h)
    out_dtype = orig.dtype if orig.dtype.kind == "f" else np.float64
    grad = grad.astype(out_dtype)
    return Tensor._make(grad).to(x.device) if is_tensor else grad
