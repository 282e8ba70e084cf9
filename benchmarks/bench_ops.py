"""What does one operation cost? Per-op overhead of a small ``a + b`` with grad
recording, and ``a @ b`` for n = 64..1024, against numpy and PyTorch (when
installed), measured in the same run, alternating, medians of repeats.

    python benchmarks/bench_ops.py [--quick]
"""
import argparse
import platform
import statistics
import time

import numpy as np

import tinygrad_edu as tg

try:
    import torch
except ImportError:  # the table simply has no PyTorch column
    torch = None


def _per_call(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(candidates, number, repeats):
    """Median and min/max seconds per call of each candidate, sampled alternately."""
    for fn in candidates.values():  # warm-up
        _per_call(fn, max(1, number // 10))
    samples = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            samples[name].append(_per_call(fn, number))
    return {name: (statistics.median(s), min(s), max(s)) for name, s in samples.items()}


def _fmt(seconds):
    return f"{seconds * 1e6:9.2f} us" if seconds < 1e-3 else f"{seconds * 1e3:9.3f} ms"


def report(title, results, ours="tinygrad_edu"):
    print(f"\n{title}")
    print(f"  {'who':<14}{'median':>13}{'min':>13}{'max':>13}{'ours / them':>14}")
    base = results[ours][0]
    for name, (med, lo, hi) in results.items():
        ratio = "" if name == ours else f"{base / med:13.2f}x"
        print(f"  {name:<14}{_fmt(med):>13}{_fmt(lo):>13}{_fmt(hi):>13}{ratio:>14}")


def bench_small_add(number, repeats):
    a_np, b_np = np.random.rand(16).astype(np.float32), np.random.rand(16).astype(np.float32)
    a, b = tg.tensor(a_np, requires_grad=True), tg.tensor(b_np, requires_grad=True)
    cands = {"tinygrad_edu": lambda: a + b, "numpy": lambda: a_np + b_np}
    if torch is not None:
        ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
        cands["torch"] = lambda: ta + tb
    report("a + b, 16 float32 elements, recording the graph (per call)",
           compare(cands, number, repeats))


def bench_small_add_backward(number, repeats):
    a_np = np.random.rand(16).astype(np.float32)
    a = tg.tensor(a_np, requires_grad=True)
    cands = {"tinygrad_edu": lambda: (a + a).sum().backward()}
    if torch is not None:
        ta = torch.tensor(a_np, requires_grad=True)
        cands["torch"] = lambda: (ta + ta).sum().backward()
    report("(a + a).sum().backward(), 16 elements (per call)", compare(cands, number, repeats))


def bench_matmul(sizes, repeats):
    for n in sizes:
        a_np = np.random.rand(n, n).astype(np.float32)
        b_np = np.random.rand(n, n).astype(np.float32)
        a, b = tg.tensor(a_np), tg.tensor(b_np)
        cands = {"tinygrad_edu": lambda a=a, b=b: a @ b,
                 "numpy": lambda a=a_np, b=b_np: a @ b}
        if torch is not None:
            ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
            cands["torch"] = lambda a=ta, b=tb: a @ b
        number = max(1, int(2e8 / (2 * n ** 3)))
        res = compare(cands, number, repeats)
        gflops = 2 * n ** 3 / res["tinygrad_edu"][0] / 1e9
        report(f"a @ b, {n}x{n} float32 ({gflops:.1f} GFLOP/s for tinygrad_edu)", res)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = parser.parse_args()
    repeats = 3 if args.quick else 11
    info = tg.backend_info()
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python "
          f"{platform.python_version()}, numpy {np.__version__}, torch "
          f"{torch.__version__ if torch else 'not installed'}")
    print(f"tinygrad_edu backend: {info}")
    bench_small_add(2000 if args.quick else 20000, repeats)
    bench_small_add_backward(500 if args.quick else 5000, repeats)
    bench_matmul([64, 128] if args.quick else [64, 128, 256, 512, 1024], repeats)


if __name__ == "__main__":
    main()
