"""How fast are convolutions, pooling and batch norm? conv2d forward and
forward+backward at LeNet and ResNet shapes, max/avg pooling and batch norm,
against PyTorch on the CPU (oneDNN) and a numpy im2col + matmul; conv GFLOP/s
next to the machine's FMA ceiling; and a LeNet (ReLU, max-pool) training step
at batch 256, as an epoch's time (235 steps).

    python benchmarks/bench_conv.py [--quick] [--json PATH]

Ratios are time ratios (ours / theirs): the targets are a LeNet epoch <= 0.8x
PyTorch and conv2d at the ResNet shape >= 70% of the FMA ceiling.
"""
import _harness as H
import numpy as np

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.backend import numpy_backend as SPEC

torch = H.optional("torch")

# (label, batch, in channels, side, out channels, kernel, padding)
CONVS = [("LeNet conv1 1->6 5x5 28x28 b256", 256, 1, 28, 6, 5, 2),
         ("LeNet conv2 6->16 5x5 14x14 b256", 256, 6, 14, 16, 5, 0),
         ("ResNet 64->64 3x3 28x28 b128", 128, 64, 28, 64, 3, 1)]


def _numpy_conv(x, w, p):
    """The textbook im2col convolution in numpy: unfold, then one matmul."""
    cols = SPEC.unfold(x, w.shape[2:], (1, 1), (p, p), (1, 1))
    side = x.shape[2] + 2 * p - w.shape[2] + 1
    return (w.reshape(w.shape[0], -1) @ cols).reshape(x.shape[0], w.shape[0], side, side)


def _conv_cases(rng, quick):
    out = []
    for label, n, c, s, o, k, p in CONVS[:2] if quick else CONVS:
        x = rng.standard_normal((n, c, s, s), dtype=np.float32)
        w = rng.standard_normal((o, c, k, k), dtype=np.float32) * 0.1
        X, W = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
        side = s + 2 * p - k + 1
        flops = 2.0 * n * o * side * side * c * k * k
        fwd = {"ours": lambda X=X, W=W, p=p: F.conv2d(X.detach(), W.detach(), padding=p),
               "numpy": lambda x=x, w=w, p=p: _numpy_conv(x, w, p)}
        both = {"ours": lambda X=X, W=W, p=p: F.conv2d(X, W, padding=p).sum().backward()}
        if torch is not None:
            tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
            fwd["torch"] = lambda tx=tx, tw=tw, p=p: torch.nn.functional.conv2d(
                tx.detach(), tw.detach(), padding=p)
            both["torch"] = lambda tx=tx, tw=tw, p=p: torch.nn.functional.conv2d(
                tx, tw, padding=p).sum().backward()
        out.append((label + " fwd", fwd, flops, label.startswith("ResNet")))
        out.append((label + " fwd+bwd", both, 3 * flops, label.startswith("ResNet")))
    return out


def _layer_cases(rng):
    x = rng.standard_normal((128, 32, 28, 28), dtype=np.float32)
    X, tx = tg.tensor(x, requires_grad=True), (torch.tensor(x, requires_grad=True)
                                               if torch else None)
    bn, tbn = nn.BatchNorm2d(32), (torch.nn.BatchNorm2d(32) if torch else None)
    cases = [("max_pool2d 2x2 128x32x28x28 fwd+bwd",
              lambda: F.max_pool2d(X, 2).sum().backward(),
              lambda: torch.nn.functional.max_pool2d(tx, 2).sum().backward()),
             ("avg_pool2d 2x2 128x32x28x28 fwd+bwd",
              lambda: F.avg_pool2d(X, 2).sum().backward(),
              lambda: torch.nn.functional.avg_pool2d(tx, 2).sum().backward()),
             ("batch_norm train 128x32x28x28 fwd+bwd", lambda: bn(X).sum().backward(),
              lambda: tbn(tx).sum().backward())]
    return [(label, {"ours": ours, **({"torch": theirs} if torch else {})})
            for label, ours, theirs in cases]


def lenet(lib):
    m = lib.nn
    return m.Sequential(m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(6, 16, 5), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                        m.Linear(400, 120), m.ReLU(), m.Linear(120, 84), m.ReLU(),
                        m.Linear(84, 10))


def _step(lib, rng):
    net = lenet(lib)
    opt = lib.optim.SGD(net.parameters(), lr=0.1)
    x = lib.tensor(rng.random((256, 1, 28, 28), dtype=np.float32))
    y = lib.tensor(rng.integers(0, 10, 256))
    loss = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss(net(x), y).backward()
        opt.step()
    return step


def run(bench):
    rng = np.random.default_rng(0)
    peak = None
    if not bench.quick:
        import bench_gemm
        peak = bench_gemm.fma_ceiling(bench, H.our_threads())
    table = H.TimeTable(bench, "conv2d (float32)", ["numpy"] + (["torch"] if torch else []),
                        kind="time", extra=["ours GFLOP/s", "% of FMA ceiling"])
    for label, cands, flops, is_target in _conv_cases(rng, bench.quick):
        res = bench.compare(cands)
        rate = flops / res["ours"].med / 1e9
        share = 100 * rate / peak if peak else float("nan")
        table.add(label, res, f"{rate:.1f}", f"{share:.0f}%" if peak else "-")
        if is_target:
            bench.target(f"conv2d {label} share of the FMA ceiling", share, ">=", 70.0,
                         unit="%", detail="" if peak else "ceiling unmeasured")
    bench.show(table.table)
    layers = H.TimeTable(bench, "pooling and batch norm", ["torch"] if torch else [],
                         kind="time")
    for label, cands in _layer_cases(rng):
        layers.add(label, bench.compare(cands))
    bench.show(layers.table)
    steps = {"ours": _step(tg, rng)}
    if torch is not None:
        steps["torch"] = _step(torch, rng)
    epoch = H.TimeTable(bench, "LeNet (ReLU, max-pool) training step, batch 256; x235 = epoch",
                        ["torch"] if torch else [], kind="time")
    ratios = epoch.add("LeNet step", bench.compare(steps, repeats=5))
    bench.show(epoch.table)
    bench.target("LeNet training epoch vs torch", ratios.get("torch", float("nan")), "<=", 0.8,
                 detail="" if torch else "torch not installed")


def main():
    bench = H.Bench(__doc__)
    bench.start(torch)
    run(bench)
    bench.finish()


if __name__ == "__main__":
    main()
