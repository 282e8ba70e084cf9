"""Does a real training run beat PyTorch? Seconds per epoch of an MLP 784-512-10
(ReLU, cross-entropy, SGD lr 0.1, batch 128, 60k Fashion-MNIST samples, or
synthetic data of the same shape when the files are absent) for tinygrad_edu,
PyTorch CPU with the same thread count, and a hand-written numpy loop; each in
its own subprocess, so peak RSS (ru_maxrss) is each framework's own, plus RSS
at step 100 and step 1000 (a leak shows as growth).

    python benchmarks/bench_train.py [--quick] [--json PATH]

Full: 5 rounds, frameworks alternating, each running 1000 steps (two full
epochs; the second is the figure, the first includes warm-up). Five, because
this shared box is noisy: three rounds gave 0.69x and 0.90x back to back.
--quick: one round of 40 steps, epoch time extrapolated from steps 11..40.
"""
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import _harness as H
import numpy as np

DATA_DIR = "/usr/share/datasets/fashion-mnist"
BATCH, LR, HIDDEN, CLASSES = 128, 0.1, 512, 10
FRAMEWORKS = ("ours", "torch", "numpy loop")


def load_data():
    """(X float32 [60000, 784] in [0, 1], y int64, source) from the IDX files or synthetic."""
    images = os.path.join(DATA_DIR, "train-images-idx3-ubyte.gz")
    labels = os.path.join(DATA_DIR, "train-labels-idx1-ubyte.gz")
    if os.path.exists(images) and os.path.exists(labels):
        with gzip.open(images) as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
        with gzip.open(labels) as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
        x = x.astype(np.float32)
        x *= np.float32(1 / 255)  # in place: a float64 temporary would set everyone's peak RSS
        return x, y, "Fashion-MNIST"
    rng = np.random.default_rng(0)
    return rng.random((60000, 784), dtype=np.float32), rng.integers(0, 10, 60000), "synthetic"


def _rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---- one training step per framework: step(xb, yb) -> loss (float) ----------------
def _api_step(lib):
    """The PyTorch-style loop; tinygrad_edu and torch both run it as written."""
    model = lib.nn.Sequential(lib.nn.Linear(784, HIDDEN), lib.nn.ReLU(),
                              lib.nn.Linear(HIDDEN, CLASSES))
    opt = lib.optim.SGD(model.parameters(), lr=LR)

    def step(xb, yb):
        loss = lib.nn.functional.cross_entropy(model(lib.from_numpy(xb)), lib.from_numpy(yb))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _ours_step(threads):  # threads: TG_NUM_THREADS in this worker's environment
    import tinygrad_edu
    return _api_step(tinygrad_edu)


def _torch_step(threads):
    import torch
    torch.set_num_threads(threads)
    return _api_step(torch)


def _numpy_step(threads):
    rng = np.random.default_rng(0)
    params = []
    for fan_in, fan_out in ((784, HIDDEN), (HIDDEN, CLASSES)):
        bound = 1 / np.sqrt(fan_in)  # PyTorch's Linear init range
        params += [rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32),
                   rng.uniform(-bound, bound, fan_out).astype(np.float32)]
    w1, b1, w2, b2 = params

    def step(xb, yb):
        n = len(yb)
        z1 = xb @ w1.T + b1
        h = np.maximum(z1, 0)
        logits = h @ w2.T + b2
        shifted = logits - logits.max(1, keepdims=True)
        lsm = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        loss = -lsm[np.arange(n), yb].mean()
        dlogits = np.exp(lsm)
        dlogits[np.arange(n), yb] -= 1
        dlogits /= n
        dh = dlogits @ w2
        dh *= z1 > 0
        grads = (dh.T @ xb, dh.sum(0), dlogits.T @ h, dlogits.sum(0))
        for p, g in zip(params, grads):
            p -= LR * g
        return float(loss)
    return step


STEPS = {"ours": _ours_step, "torch": _torch_step, "numpy loop": _numpy_step}


def worker(framework, steps, threads, out):
    """Train `steps` steps; write timings, RSS samples and losses to `out` (JSON)."""
    x, y, source = load_data()
    step = STEPS[framework](threads)
    per_epoch = -(-len(x) // BATCH)
    rss_at = {100, 1000, 10, steps}
    marks, rss, losses = [time.perf_counter()], {0: _rss()}, []
    done = 0
    for epoch in range(-(-steps // per_epoch)):
        order = np.random.default_rng(epoch).permutation(len(x))
        for i in range(per_epoch):
            if done == steps:
                break
            idx = order[i * BATCH:(i + 1) * BATCH]
            losses.append(step(x[idx], y[idx]))
            done += 1
            marks.append(time.perf_counter())
            if done in rss_at:
                rss[done] = _rss()
    with open(out, "w") as f:
        json.dump({"marks": marks, "per_epoch": per_epoch, "rss": rss, "source": source,
                   "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                   "loss_tail": float(np.mean(losses[-50:]))}, f)


def _run_worker(framework, steps, threads):
    env = dict(os.environ, TG_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads))
    with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
        subprocess.run([sys.executable, __file__, "--worker", framework, "--steps", str(steps),
                        "--threads", str(threads), "--out", tmp.name], env=env, check=True)
        with open(tmp.name) as f:
            return json.load(f)


def _epoch_times(r, quick):
    """Seconds per epoch: each full epoch's time, or steps 11.. extrapolated (quick)."""
    marks, n = r["marks"], r["per_epoch"]
    if quick:
        return [(marks[-1] - marks[10]) / (len(marks) - 11) * n]
    return [marks[(e + 1) * n] - marks[e * n] for e in range((len(marks) - 1) // n)]


def orchestrate(bench):
    threads = H.our_threads()
    have_torch = H.optional("torch") is not None
    frameworks = [f for f in FRAMEWORKS if f != "torch" or have_torch]
    rounds, steps = (1, 40) if bench.quick else (5, 1000)
    runs = {f: [] for f in frameworks}
    for r in range(rounds):
        for fw in frameworks[r % len(frameworks):] + frameworks[:r % len(frameworks)]:
            runs[fw].append(_run_worker(fw, steps, threads))
            print(f"  round {r + 1}/{rounds}: {fw} done", flush=True)
    src = runs["ours"][0]["source"]
    first, later = {}, {}
    for fw, rs in runs.items():
        times = [_epoch_times(r, bench.quick) for r in rs]
        first[fw] = H.Stat([t[0] for t in times])
        later[fw] = H.Stat([t[-1] for t in times])
    peers = [f for f in frameworks if f != "ours"]
    how = "extrapolated from steps 11-40" if bench.quick else "second epoch; first includes warm-up"
    table = H.TimeTable(bench, f"MLP 784-{HIDDEN}-{CLASSES} on {src}, batch {BATCH}, SGD lr {LR}, "
                        f"{threads} threads: seconds per epoch ({how})", peers, kind="time")
    ratios = table.add("epoch", later)
    if not bench.quick:
        table.add("first epoch", first)
    bench.show(table.table)
    _memory(bench, runs, steps, ratios)


def _median(runs, key):
    return float(np.median([key(r) for r in runs]))


def _memory(bench, runs, steps, ratios):
    lo, hi = (10, steps) if bench.quick else (100, 1000)
    mb = 1 / 2 ** 20
    table = bench.table("Memory (MB, median over rounds) and loss",
                        ["framework", "peak RSS", "RSS before step 1", f"RSS @ step {lo}",
                         f"RSS @ step {hi}", f"growth {lo}->{hi}",
                         f"mean loss, last {min(50, steps)} steps"])
    growth = {}
    for fw, rs in runs.items():
        peak = _median(rs, lambda r: r["maxrss"])
        a, b = _median(rs, lambda r: r["rss"][str(lo)]), _median(rs, lambda r: r["rss"][str(hi)])
        growth[fw] = (peak, b / a)
        start = _median(rs, lambda r: r["rss"]["0"])
        table.add(fw, f"{peak * mb:.0f}", f"{start * mb:.0f}", f"{a * mb:.0f}", f"{b * mb:.0f}",
                  f"{(b - a) * mb:+.1f} ({b / a:.3f}x)",
                  f"{_median(rs, lambda r: r['loss_tail']):.3f}")
    bench.show(table)
    bench.target("training epoch vs torch", ratios.get("torch", float("nan")), "<=", 0.75,
                 detail="" if "torch" in ratios else "torch not installed")
    bench.target("peak RSS vs numpy loop", growth["ours"][0] / growth["numpy loop"][0], "<=", 1.2)
    bench.target(f"RSS step {hi} / step {lo} (flat)", growth["ours"][1], "<=", 1.05,
                 detail="quick: not the 1000-step check" if bench.quick else "")


def main():
    if "--worker" in sys.argv:
        args = {k: v for k, v in zip(sys.argv[1::2], sys.argv[2::2])}
        worker(args["--worker"], int(args["--steps"]), int(args["--threads"]), args["--out"])
        return
    bench = H.Bench(__doc__)
    bench.parse()
    orchestrate(bench)
    bench.finish()


if __name__ == "__main__":
    main()
