"""Are our elementwise kernels at least as fast as numpy at every size? add,
mul, exp and relu on float32 at 1K, 64K, 1M and 16M elements: the backend's
flat kernel ("ours", the target) and the public Tensor op ("tg op", which adds
the Tensor's per-op cost) against numpy's ufuncs and PyTorch, same threads.

    python benchmarks/bench_elementwise.py [--quick] [--json PATH]
"""
import _harness as H
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.backend import cpu_backend

torch = H.optional("torch")

# name: (backend call, public op, numpy, torch); binary ops get two operands
OPS = {
    "add": (lambda be, a, b: be.binary("add", a, b), lambda A, B: A + B, np.add,
            lambda a, b: a + b),
    "mul": (lambda be, a, b: be.binary("mul", a, b), lambda A, B: A * B, np.multiply,
            lambda a, b: a * b),
    "exp": (lambda be, a, b: be.unary("exp", a), lambda A, B: A.exp(), lambda a, b: np.exp(a),
            lambda a, b: a.exp()),
    "relu": (lambda be, a, b: be.unary("relu", a), lambda A, B: A.relu(),
             lambda a, b: np.maximum(a, 0), lambda a, b: a.relu()),
}
TARGET_SIZES = {1 << 10: "1K", 1 << 16: "64K", 1 << 24: "16M"}


def main():
    bench = H.Bench(__doc__)
    bench.start(torch)
    be = cpu_backend()
    sizes = [1 << 10, 1 << 16] if bench.quick else [1 << 10, 1 << 16, 1 << 20, 1 << 24]
    rng = np.random.default_rng(0)
    peers = ["tg op", "numpy"] + (["torch"] if torch else [])
    table = H.TimeTable(bench, "Elementwise float32 (contiguous, fresh output)", peers,
                        ratios=["numpy"] + (["torch"] if torch else []))
    for n in sizes:
        a = rng.standard_normal(n, dtype=np.float32)
        b = rng.standard_normal(n, dtype=np.float32)
        A, B = tg.from_numpy(a), tg.from_numpy(b)
        label = TARGET_SIZES.get(n, f"{n >> 20}M")
        for name, (ours, public, ref, peer) in OPS.items():
            cands = {"ours": lambda f=ours, a=a, b=b: f(be, a, b),
                     "tg op": lambda f=public, A=A, B=B: f(A, B),
                     "numpy": lambda f=ref, a=a, b=b: f(a, b)}
            if torch is not None:
                ta, tb = torch.from_numpy(a), torch.from_numpy(b)
                cands["torch"] = lambda f=peer, ta=ta, tb=tb: f(ta, tb)
            ratio = table.add(f"{name} {label}", bench.compare(cands))["numpy"]
            if n in TARGET_SIZES:
                bench.target(f"elementwise {name} {label} vs numpy", ratio, ">=", 1.0)
    bench.show(table.table)
    bench.finish()


if __name__ == "__main__":
    main()
