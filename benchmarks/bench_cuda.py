"""How fast is a training epoch on an NVIDIA GPU: tinygrad_edu on CuPy against PyTorch
CUDA eager and a hand-written CuPy loop, same GPU, same run.

MLP 784-512-10 (ReLU), cross-entropy, plain SGD (lr 0.1), 60,000 samples of
Fashion-MNIST's shape (random values: the time does not depend on them) that
live on the GPU; each epoch gathers one shuffled copy and slices batches from
it, for all three alike. Epochs of the three alternate; the figure is the
median of the timed epochs after a warm-up one, closed by a device
synchronize. Plus the launch overhead of a tiny op (1-element add), which is
what small batches pay per op. Without CuPy or a GPU it says why and records
the targets as unmeasured.
"""
import math
import time

import numpy as np
from _harness import Bench, fmt_time, optional

N, D, H, C, LR = 60_000, 784, 512, 10, 0.1


def framework_epoch(lib, data, batch):
    """One epoch in tinygrad_edu or PyTorch: the same code, PyTorch's names in both."""
    model, opt, X, Y = data
    F = lib.nn.functional
    perm = lib.randperm(N, device="cuda")
    xs, ys = X[perm], Y[perm]
    for i in range(0, N, batch):
        opt.zero_grad()
        F.cross_entropy(model(xs[i:i + batch]), ys[i:i + batch]).backward()
        opt.step()
    lib.cuda.synchronize()


def cupy_epoch(cp, data, batch):
    """What a user would write by hand: cuBLAS GEMMs and CuPy array expressions."""
    (w1, b1, w2, b2), X, Y = data
    perm = cp.random.permutation(N)
    xs, ys = X[perm], Y[perm]
    for i in range(0, N, batch):
        x, y = xs[i:i + batch], ys[i:i + batch]
        n = x.shape[0]
        h = cp.maximum(x @ w1.T + b1, 0)
        s = h @ w2.T + b2
        e = cp.exp(s - s.max(1, keepdims=True))
        g = e / e.sum(1, keepdims=True)
        g[cp.arange(n), y] -= 1
        g /= n
        gh = (g @ w2) * (h > 0)
        w2 -= LR * (g.T @ h)
        b2 -= LR * g.sum(0)
        w1 -= LR * (gh.T @ x)
        b1 -= LR * gh.sum(0)
    cp.cuda.Stream.null.synchronize()


def setup(tg, torch, cp):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N, D), dtype=np.float32)
    Y = rng.integers(0, C, N)
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(D, H), tg.nn.ReLU(), tg.nn.Linear(H, C)).to("cuda")
    ours = (model, tg.optim.SGD(model.parameters(), lr=LR), tg.tensor(X, device="cuda"),
            tg.tensor(Y, device="cuda"))
    peers = {}
    if torch is not None and torch.cuda.is_available():
        tm = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(),
                                 torch.nn.Linear(H, C)).cuda()
        peers["PyTorch CUDA eager"] = (framework_epoch, torch, (
            tm, torch.optim.SGD(tm.parameters(), lr=LR), torch.tensor(X, device="cuda"),
            torch.tensor(Y, device="cuda")))
    ws = [cp.asarray(p.detach().cpu().numpy()) for p in model.parameters()]
    peers["CuPy by hand"] = (cupy_epoch, cp, (ws, cp.asarray(X), cp.asarray(Y)))
    return ours, peers


def launch_overhead(tg, torch, cp, reps):
    """Seconds per 1-element add, launches queued back to back, then one sync."""
    def per_op(add, sync, x):
        best = math.inf
        for _ in range(reps):
            sync()
            t = time.perf_counter()
            for _ in range(1000):
                add(x)
            sync()
            best = min(best, (time.perf_counter() - t) / 1000)
        return best
    out = {"tinygrad_edu": per_op(lambda x: x + x, tg.cuda.synchronize, tg.ones(1, device="cuda"))}
    if torch is not None and torch.cuda.is_available():
        out["PyTorch"] = per_op(lambda x: x + x, torch.cuda.synchronize,
                                torch.ones(1, device="cuda"))
    out["CuPy"] = per_op(lambda x: x + x, cp.cuda.Stream.null.synchronize, cp.ones(1))
    return out


def main():
    b = Bench(__doc__)
    b.parse()
    import tinygrad_edu as tg
    why = tg.cuda.why_unavailable()
    targets = [("CUDA epoch, batch 128 vs PyTorch eager", 1.0),
               ("CUDA epoch, batch 1024 vs PyTorch eager", 1.2)]
    if why:
        print(f"no GPU measurement: {why}")
        for name, thr in targets:
            b.target(name, math.nan, "<=", thr, detail="no CUDA here")
        b.finish()
        return
    import cupy as cp
    torch = optional("torch")
    print(f"GPU: {tg.cuda.get_device_name()}; CuPy {cp.__version__}; torch "
          f"{torch.__version__ if torch else 'not installed'}", flush=True)
    ours, peers = setup(tg, torch, cp)
    epochs = 2 if b.quick else 5
    t = b.table("Seconds per epoch, MLP 784-512-10, SGD, 60k samples on the GPU",
                ["batch", "tinygrad_edu", *peers, *(f"ours / {p}" for p in peers)],
                note=f"median of {epochs} epochs after a warm-up, alternating")
    for batch, (name, thr) in zip((128, 1024), targets):
        times = {k: [] for k in ["tinygrad_edu", *peers]}
        for rep in range(epochs + 1):
            s = time.perf_counter()
            framework_epoch(tg, ours, batch)
            times["tinygrad_edu"].append(time.perf_counter() - s)
            for k, (fn, lib, data) in peers.items():
                s = time.perf_counter()
                fn(lib, data, batch)
                times[k].append(time.perf_counter() - s)
        med = {k: float(np.median(v[1:])) for k, v in times.items()}
        t.add(batch, *(f"{med[k]:.3f} s" for k in times),
              *(f"{med['tinygrad_edu'] / med[p]:.2f}x" for p in peers))
        ref = "PyTorch CUDA eager"
        b.target(name, med["tinygrad_edu"] / med[ref] if ref in med else math.nan, "<=", thr,
                 detail=f"{med['tinygrad_edu']:.3f} s vs {med.get(ref, math.nan):.3f} s")
    b.show(t)
    lo = launch_overhead(tg, torch, cp, 3 if b.quick else 7)
    t2 = b.table("Launch overhead: one 1-element add (best of repeats, 1000 queued)",
                 ["op", *lo, *(f"ours / {k}" for k in list(lo)[1:])])
    t2.add("x + x", *(fmt_time(v) for v in lo.values()),
           *(f"{lo['tinygrad_edu'] / v:.2f}x" for v in list(lo.values())[1:]))
    b.show(t2)
    b.finish()


if __name__ == "__main__":
    main()
