"""Do the fused nn kernels pay? Each public operation a training step uses
(linear+activation forward, activation backward, bias gradient, row softmax /
log_softmax, softmax-cross-entropy forward+backward, SGD and Adam steps) timed
against the numpy composite a user would write, at 784-512-10 batch-128 sizes.

    python benchmarks/bench_fused.py [--quick] [--json PATH]

The public operation is what is timed, so a backend kernel (``linear``,
``softmax_cross_entropy``, ``sgd_update``...) is picked up whenever the library
routes to it; the last column says which of the expected backend names exist.
"""
import _harness as H
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.backend import cpu_backend

B, D_IN, D_H, C = 128, 784, 512, 10
SLOPE = 0.01


def _kernels(*names):
    be = cpu_backend()
    have = [n for n in names if hasattr(be, n)]
    return ", ".join(have) if have else "none of " + "/".join(names)


def _grad_of(y, x, g):
    """A call computing dy/dx . g on a graph built once (retain_graph: the graph stays)."""
    return lambda: tg.autograd.grad(y, x, g, retain_graph=True)


def _np_leaky(z):
    return np.where(z > 0, z, SLOPE * z)


def layer_cases(rng):
    """(label, ours, numpy composite, kernel names) for the layer kernels."""
    x = rng.standard_normal((B, D_IN), dtype=np.float32)
    w = rng.standard_normal((D_H, D_IN), dtype=np.float32) * 0.05
    b = rng.standard_normal(D_H, dtype=np.float32)
    h = np.maximum(rng.standard_normal((B, D_H), dtype=np.float32), 0)
    w2 = rng.standard_normal((C, D_H), dtype=np.float32) * 0.05
    b2 = rng.standard_normal(C, dtype=np.float32)
    X, H_ = tg.from_numpy(x), tg.from_numpy(h)
    W, Bb = tg.tensor(w, requires_grad=True), tg.tensor(b, requires_grad=True)
    W2, B2 = tg.tensor(w2, requires_grad=True), tg.tensor(b2, requires_grad=True)
    z = rng.standard_normal((B, D_H), dtype=np.float32)
    g = rng.standard_normal((B, D_H), dtype=np.float32)
    Z, G = tg.tensor(z, requires_grad=True), tg.from_numpy(g)
    # bias gradient alone: only b requires grad, so only the column sums run
    Bonly = tg.tensor(b, requires_grad=True)
    Ylin = F.linear(X, tg.from_numpy(w), Bonly)
    return [
        (f"linear+ReLU fwd {B}x{D_IN}->{D_H}", lambda: F.relu(F.linear(X, W, Bb)),
         lambda: np.maximum(x @ w.T + b, 0), ("linear",)),
        (f"linear+LeakyReLU fwd {B}x{D_IN}->{D_H}",
         lambda: F.leaky_relu(F.linear(X, W, Bb), SLOPE),
         lambda: _np_leaky(x @ w.T + b), ("linear",)),
        (f"linear fwd {B}x{D_H}->{C}", lambda: F.linear(H_, W2, B2),
         lambda: h @ w2.T + b2, ("linear",)),
        (f"ReLU bwd {B}x{D_H}", _grad_of(F.relu(Z), Z, G), lambda: g * (z > 0),
         ("relu_backward",)),
        (f"LeakyReLU bwd {B}x{D_H}", _grad_of(F.leaky_relu(Z, SLOPE), Z, G),
         lambda: np.where(z > 0, g, SLOPE * g), ("leaky_relu_backward",)),
        (f"bias grad {B}x{D_H}->{D_H}", _grad_of(Ylin, Bonly, G), lambda: g.sum(0),
         ("bias_grad", "sum")),
    ]


def _np_softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _np_log_softmax(x):
    s = x - x.max(1, keepdims=True)
    return s - np.log(np.exp(s).sum(1, keepdims=True))


def _np_cross_entropy(x, y):
    """Mean softmax cross-entropy and its gradient, numpy composite."""
    n = x.shape[0]
    lsm = _np_log_softmax(x)
    loss = -lsm[np.arange(n), y].mean()
    grad = np.exp(lsm)
    grad[np.arange(n), y] -= 1
    return loss, grad / n


def softmax_cases(rng):
    out = []
    for rows, cols in ((B, C), (1024, D_H)):
        x = rng.standard_normal((rows, cols), dtype=np.float32)
        X = tg.from_numpy(x)
        out += [(f"softmax {rows}x{cols}", lambda X=X: F.softmax(X, dim=1),
                 lambda x=x: _np_softmax(x), ("softmax",)),
                (f"log_softmax {rows}x{cols}", lambda X=X: F.log_softmax(X, dim=1),
                 lambda x=x: _np_log_softmax(x), ("log_softmax",))]
    logits = rng.standard_normal((B, C), dtype=np.float32)
    y = rng.integers(0, C, B)
    L, Y = tg.tensor(logits, requires_grad=True), tg.from_numpy(y)

    def ours():
        L.grad = None
        F.cross_entropy(L, Y).backward()
    out.append((f"softmax-CE fwd+bwd {B}x{C}", ours, lambda: _np_cross_entropy(logits, y),
                ("softmax_cross_entropy", "cross_entropy")))
    return out


def _model_arrays(rng):
    shapes = [(D_H, D_IN), (D_H,), (C, D_H), (C,)]
    ps = [rng.standard_normal(s, dtype=np.float32) * 0.05 for s in shapes]
    gs = [rng.standard_normal(s, dtype=np.float32) * 0.01 for s in shapes]
    return ps, gs


def _tg_optimizer(cls, ps, gs, **kw):
    params = [tg.tensor(p.copy(), requires_grad=True) for p in ps]
    for p, g in zip(params, gs):
        p.grad = tg.from_numpy(g.copy())
    return cls(params, **kw).step


def _np_sgd(ps, gs, lr, momentum):
    ps, bufs = [p.copy() for p in ps], [np.zeros_like(p) for p in ps]

    def step():
        for p, g, buf in zip(ps, gs, bufs):
            if momentum:
                buf *= momentum
                buf += g
                p -= lr * buf
            else:
                p -= lr * g
    return step


def _np_adam(ps, gs, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    ps = [p.copy() for p in ps]
    ms, vs, t = [np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps], [0]

    def step():
        t[0] += 1
        c1, c2 = 1 - b1 ** t[0], 1 - b2 ** t[0]
        for p, g, m, v in zip(ps, gs, ms, vs):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= lr * (m / c1) / (np.sqrt(v / c2) + eps)
    return step


def optimizer_cases(rng):
    ps, gs = _model_arrays(rng)
    n = sum(p.size for p in ps)
    return [
        (f"SGD step ({n} params)", _tg_optimizer(tg.optim.SGD, ps, gs, lr=0.1),
         _np_sgd(ps, gs, 0.1, 0), ("sgd_update",)),
        (f"SGD momentum 0.9 step ({n} params)",
         _tg_optimizer(tg.optim.SGD, ps, gs, lr=0.1, momentum=0.9),
         _np_sgd(ps, gs, 0.1, 0.9), ("sgd_update",)),
        (f"Adam step ({n} params)", _tg_optimizer(tg.optim.Adam, ps, gs, lr=1e-3),
         _np_adam(ps, gs), ("adam_update",)),
    ]


def main():
    bench = H.Bench(__doc__)
    bench.start()
    rng = np.random.default_rng(0)
    for title, cases in (("Layer kernels", layer_cases(rng)),
                         ("Softmax and softmax-cross-entropy", softmax_cases(rng)),
                         ("Optimizer steps (784-512-10 MLP parameters, in place)",
                          optimizer_cases(rng))):
        table = H.TimeTable(bench, title, ["numpy"], extra=["backend kernels"])
        for label, ours, composite, names in cases:
            res = bench.compare({"ours": ours, "numpy": composite})
            ratio = table.add(label, res, _kernels(*names))["numpy"]
            bench.target(f"fused {label} vs numpy composite", ratio, ">=", 3.0)
        bench.show(table.table)
    bench.finish()


if __name__ == "__main__":
    main()
