"""Do the nn kernels pay? Each public operation a training step uses (linear
forward, activation forward and backward, bias gradient, row softmax /
log_softmax, softmax-cross-entropy forward+backward, SGD and Adam steps) timed
against the numpy composite a user would write, at 784-512-10 batch-128 sizes.

    python benchmarks/bench_fused.py [--quick] [--json PATH]

Two figures per row: "ours" is the backend's fused kernel called on arrays (the issue's
target: kernel vs composite) and the public operation with its autograd
bookkeeping (what a user pays). A backend without the kernel is reported.
"""
import _harness as H
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu.backend import cpu_backend, numpy_backend as SPEC

B, D_IN, D_H, C = 128, 784, 512, 10
SLOPE = 0.01


BE = cpu_backend()


# the backend entry point of each elementwise op and reduction, from the specification
_ENTRY = {**dict.fromkeys(SPEC._UNARY, "unary"), **dict.fromkeys(SPEC._BINARY, "binary"),
          **dict.fromkeys(SPEC._REDUCE, "reduce")}


def _kernel(name, *args, **kw):
    """A call of backend kernel `name` on arrays (an elementwise op or a reduction by
    its name, else a fused kernel), or None where the backend lacks it."""
    entry = _ENTRY.get(name)
    fn = getattr(BE, entry) if entry else getattr(BE, name, None)
    if fn is None:
        return None
    return (lambda: fn(name, *args, **kw)) if entry else (lambda: fn(*args, **kw))


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
    gr = g * (z > 0)
    return [
        (f"linear fwd {B}x{D_IN}->{D_H}", _kernel("linear", x, w, b),
         lambda: F.linear(X, W, Bb), lambda: x @ w.T + b),
        (f"linear+ReLU fwd {B}x{D_IN}->{D_H}", None,
         lambda: F.relu(F.linear(X, W, Bb)), lambda: np.maximum(x @ w.T + b, 0)),
        (f"linear+LeakyReLU fwd {B}x{D_IN}->{D_H}", None,
         lambda: F.leaky_relu(F.linear(X, W, Bb), SLOPE), lambda: _np_leaky(x @ w.T + b)),
        (f"linear fwd {B}x{D_H}->{C}", _kernel("linear", h, w2, b2),
         lambda: F.linear(H_, W2, B2), lambda: h @ w2.T + b2),
        (f"ReLU bwd {B}x{D_H}", _kernel("relu_backward", g, z), _grad_of(F.relu(Z), Z, G),
         lambda: g * (z > 0)),
        (f"LeakyReLU bwd {B}x{D_H}", _kernel("leaky_relu_backward", g, z, SLOPE),
         _grad_of(F.leaky_relu(Z, SLOPE), Z, G), lambda: np.where(z > 0, g, SLOPE * g)),
        (f"bias grad {B}x{D_H}->{D_H}", _kernel("sum", g, (0,)), _grad_of(Ylin, Bonly, G),
         lambda: g.sum(0)),
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
        out += [(f"softmax {rows}x{cols}", _kernel("softmax", x, 1),
                 lambda X=X: F.softmax(X, dim=1), lambda x=x: _np_softmax(x)),
                (f"log_softmax {rows}x{cols}", _kernel("softmax", x, 1, True),
                 lambda X=X: F.log_softmax(X, dim=1), lambda x=x: _np_log_softmax(x))]
    logits = rng.standard_normal((B, C), dtype=np.float32)
    y = rng.integers(0, C, B)
    L, Y = tg.tensor(logits, requires_grad=True), tg.from_numpy(y)

    def ours():
        L.grad = None
        F.cross_entropy(L, Y).backward()
    out.append((f"softmax-CE fwd+bwd {B}x{C}", _kernel("softmax_cross_entropy", logits, y),
                ours, lambda: _np_cross_entropy(logits, y)))
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


def _kernel_sgd(ps, gs, lr, momentum):
    if not hasattr(BE, "sgd_step"):
        return None
    ps, bufs = [p.copy() for p in ps], [np.zeros_like(p) if momentum else None for p in ps]
    return lambda: [BE.sgd_step(p, g, buf, lr, momentum=momentum)
                    for p, g, buf in zip(ps, gs, bufs)]


def _kernel_adam(ps, gs, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    if not hasattr(BE, "adam_step"):
        return None
    ps = [p.copy() for p in ps]
    ms, vs, t = [np.zeros_like(p) for p in ps], [np.zeros_like(p) for p in ps], [0]

    def step():
        t[0] += 1
        for p, g, m, v in zip(ps, gs, ms, vs):
            BE.adam_step(p, g, m, v, t[0], lr, b1, b2, eps)
    return step


def optimizer_cases(rng):
    ps, gs = _model_arrays(rng)
    n = sum(p.size for p in ps)
    return [
        (f"SGD step ({n} params)", _kernel_sgd(ps, gs, 0.1, 0),
         _tg_optimizer(tg.optim.SGD, ps, gs, lr=0.1), _np_sgd(ps, gs, 0.1, 0)),
        (f"SGD momentum 0.9 step ({n} params)", _kernel_sgd(ps, gs, 0.1, 0.9),
         _tg_optimizer(tg.optim.SGD, ps, gs, lr=0.1, momentum=0.9),
         _np_sgd(ps, gs, 0.1, 0.9)),
        (f"Adam step ({n} params)", _kernel_adam(ps, gs),
         _tg_optimizer(tg.optim.Adam, ps, gs, lr=1e-3), _np_adam(ps, gs)),
    ]


def main():
    bench = H.Bench(__doc__)
    bench.start()
    rng = np.random.default_rng(0)
    for title, cases in (("Layer kernels", layer_cases(rng)),
                         ("Softmax and softmax-cross-entropy", softmax_cases(rng)),
                         ("Optimizer steps (784-512-10 MLP parameters, in place)",
                          optimizer_cases(rng))):
        table = H.TimeTable(bench, title, ["numpy"], extra=["public op", "op: x faster"])
        for label, kernel, public, composite in cases:
            if kernel is None:  # no backend kernel: the public op is all there is
                label, kernel, public = label + " (no kernel)", public, None
            runs = {"ours": kernel, "numpy": composite, "public": public}
            res = bench.compare({k: f for k, f in runs.items() if f is not None})
            extra = ("-", "-") if public is None else (
                H.time_cell(res["public"]), f"{H.speedup(res, 'public', 'numpy'):.2f}x")
            ratio = table.add(label, res, *extra)["numpy"]
            bench.target(f"fused {label} vs numpy composite", ratio, ">=", 3.0)
        bench.show(table.table)
    bench.finish()


if __name__ == "__main__":
    main()
