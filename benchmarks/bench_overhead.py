"""What does one small operation cost? ``a + b`` on 1..16 float32 elements with
and without grad recording, and a small forward+backward, against numpy (no
graph at all) and PyTorch: the per-op price small models and deep graphs pay.

    python benchmarks/bench_overhead.py [--quick] [--json PATH]

Ratios are time ratios (ours / theirs): the target is <= 1.0x PyTorch.
"""
import _harness as H
import numpy as np

import tinygrad_edu as tg

torch = H.optional("torch")


def _pair(n, grad):
    a = np.random.default_rng(n).random(n, dtype=np.float32)
    b = a[::-1].copy()
    ours = (tg.tensor(a, requires_grad=grad), tg.tensor(b, requires_grad=grad))
    theirs = (torch.tensor(a, requires_grad=grad), torch.tensor(b, requires_grad=grad)) \
        if torch is not None else None
    return (a, b), ours, theirs


def _cases(sizes):
    """(label, {competitor: fn}, is_target) for each small-op case."""
    out = []
    for grad in (True, False):
        for n in sizes:
            (a, b), (A, B), tt = _pair(n, grad)
            cands = {"ours": lambda A=A, B=B: A + B, "numpy": lambda a=a, b=b: a + b}
            if tt is not None:
                cands["torch"] = lambda ta=tt[0], tb=tt[1]: ta + tb
            out.append((f"a + b, {n} el, {'recording grad' if grad else 'no grad'}", cands,
                        n == max(sizes)))
    for grad in (True, False):  # a Python number: made a constant of the tensor's dtype
        (a, _), (A, _), tt = _pair(16, grad)
        cands = {"ours": lambda A=A: A * 2.0, "numpy": lambda a=a: a * 2.0}
        if tt is not None:
            cands["torch"] = lambda ta=tt[0]: ta * 2.0
        out.append((f"a * 2.0, 16 el, {'recording grad' if grad else 'no grad'}", cands, False))
    (a, b), (A, B), tt = _pair(16, True)
    cands = {"ours": lambda: (A * B).sum().backward()}
    if tt is not None:
        cands["torch"] = lambda: (tt[0] * tt[1]).sum().backward()
    out.append(("(a * b).sum().backward(), 16 el", cands, True))
    with_nograd = {"ours": lambda: _no_grad_add(tg, A, B)}
    if tt is not None:
        with_nograd["torch"] = lambda: _no_grad_add(torch, *tt)
    out.append(("with no_grad(): a + b, 16 el (grad leaves)", with_nograd, False))
    return out


def _no_grad_add(lib, a, b):
    with lib.no_grad():
        return a + b


def run(bench):
    """The overhead table; its targets are recorded on `bench`."""
    sizes = [1, 16] if bench.quick else [1, 4, 16]
    table = H.TimeTable(bench, "Small-op overhead (per call)",
                        ["numpy"] + (["torch"] if torch else []), kind="time")
    for label, cands, is_target in _cases(sizes):
        ratios = table.add(label, bench.compare(cands))
        if is_target:
            value = ratios.get("torch", float("nan"))
            bench.target(f"overhead {label} vs torch", value, "<=", 1.0,
                         detail="" if torch else "torch not installed")
    bench.show(table.table)


def main():
    bench = H.Bench(__doc__)
    bench.start(torch)
    bench.settle_s = 0  # single-threaded Python work: no pool to let go idle
    run(bench)
    bench.finish()


if __name__ == "__main__":
    main()
