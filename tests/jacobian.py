"""Our own Jacobians: numpy central differences and tinygrad_edu's autograd.

Both return one ``(m, n_i)`` matrix per input: row k is d out.flat[k] / d x_i.
Deliberately independent of ``tg.gradcheck`` (which is itself under test).
"""
import numpy as np

import tinygrad_edu as tg
import strategies as S


def leaf(arr, layout="contiguous", requires_grad=True):
    """A float64 leaf tensor holding ``arr`` on the default device; ``layout`` other
    than contiguous hands tinygrad_edu a non-contiguous view (S.layout_tensor)."""
    arr = np.asarray(arr, dtype=np.float64)
    if layout == "contiguous":
        t = tg.tensor(arr, dtype=tg.float64)
    else:
        t = S.layout_tensor(arr, layout)
    return t.requires_grad_(requires_grad)


def to_np(t):
    return np.array(t.detach().cpu().numpy(), dtype=np.float64, copy=True)


def forward_np(fn, arrays, kw):
    """The op's value at ``arrays`` as a float64 array (no graph)."""
    with tg.no_grad():
        return to_np(fn(*[leaf(a, requires_grad=False) for a in arrays], **kw))


def numeric_jacobian(f, arrays, eps=1e-6):
    """Central differences of ``f(list_of_arrays) -> array`` w.r.t. each array."""
    arrays = [np.array(a, dtype=np.float64, copy=True) for a in arrays]
    m = np.asarray(f(arrays)).size
    out = []
    for a in arrays:
        J = np.zeros((m, a.size))
        flat = a.reshape(-1)            # a view: a is a fresh contiguous copy
        for j in range(a.size):
            old = flat[j]
            flat[j] = old + eps
            fp = np.asarray(f(arrays), dtype=np.float64).reshape(-1)
            flat[j] = old - eps
            fm = np.asarray(f(arrays), dtype=np.float64).reshape(-1)
            flat[j] = old
            J[:, j] = (fp - fm) / (2 * eps)
        out.append(J)
    return out


def _onehot_like(out, k):
    e = np.zeros(out.numel())
    e[k] = 1.0
    return tg.tensor(e.reshape(tuple(out.shape)), dtype=out.dtype)


def analytic_jacobian(out, inputs, via="grad"):
    """Rows of the Jacobian from one vector-Jacobian product per output
    element, with ``tg.autograd.grad`` (``via='grad'``) or with
    ``out.backward(gradient=onehot)`` into the leaves' ``.grad``."""
    m = out.numel()
    Js = [np.zeros((m, x.numel())) for x in inputs]
    for k in range(m):
        go = _onehot_like(out, k)
        if via == "grad":
            grads = tg.autograd.grad(out, inputs, grad_outputs=go, retain_graph=True)
        else:
            for x in inputs:
                x.grad = None
            out.backward(gradient=go, retain_graph=True)
            grads = [x.grad for x in inputs]
        for J, g, x in zip(Js, grads, inputs):
            if g is not None:
                assert tuple(g.shape) == tuple(x.shape), (g.shape, x.shape)
                J[k] = to_np(g).reshape(-1)
    return Js


def analytic_gradient(fn, kw, arrays, v):
    """The vector-Jacobian product v^T J at ``arrays`` (fresh graph), flattened
    and concatenated over inputs: the function whose Jacobian is 2nd order."""
    xs = [leaf(a) for a in arrays]
    out = fn(*xs, **kw)
    gs = tg.autograd.grad(out, xs, grad_outputs=tg.tensor(v, dtype=tg.float64))
    return np.concatenate([np.zeros(x.numel()) if g is None else to_np(g).reshape(-1)
                           for g, x in zip(gs, xs)])


def analytic_hessian_rows(fn, kw, arrays, v):
    """The Jacobian of ``analytic_gradient`` by differentiating the gradient
    graph built with ``create_graph=True``: one ``(n_total, n_i)`` block per
    input. A zero-valued anchor keeps every input in the graph, so blocks where
    the gradient does not depend on an input come out as zeros."""
    xs = [leaf(a) for a in arrays]
    out = fn(*xs, **kw)
    gs = tg.autograd.grad(out, xs, grad_outputs=tg.tensor(v, dtype=tg.float64),
                          create_graph=True)
    anchor = sum((x * 0.0).sum() for x in xs)
    n = sum(x.numel() for x in xs)
    blocks = [np.zeros((n, x.numel())) for x in xs]
    row = 0
    for g, x in zip(gs, xs):
        for k in range(x.numel()):
            if g is not None:
                s = (g * _onehot_like(g, k)).sum() + anchor
                hs = tg.autograd.grad(s, xs, retain_graph=True)
                for B, h in zip(blocks, hs):
                    if h is not None:
                        B[row] = to_np(h).reshape(-1)
            row += 1
    return blocks
