"""Does the autograd engine scale linearly? Forward and backward time per node
of a chain of small ops (alternately ``y * 1.0001`` and ``y + 0.001`` on 16
float32 elements) for graphs of 1k, 10k and 100k nodes, against PyTorch.

    python benchmarks/bench_backward.py [--quick] [--json PATH]

Targets: backward <= 5 us per node at every size, and linear scaling: the
per-node backward time of the largest graph at most 1.5x that of the smallest.
"""
import _harness as H
import numpy as np

import tinygrad_edu as tg

torch = H.optional("torch")
LINEAR_TOLERANCE = 1.5


def chain(x, nodes):
    y = x
    for i in range(nodes):
        y = y * 1.0001 if i % 2 == 0 else y + 0.001
    return y


def _leaf(lib, data):
    return lib.tensor(data, requires_grad=True)


def cases(nodes):
    """Forward and backward competitors for a graph of `nodes` recorded ops."""
    data = np.random.default_rng(0).random(16, dtype=np.float32)
    libs = {"ours": tg} | ({"torch": torch} if torch is not None else {})
    fwd, bwd = {}, {}
    for name, lib in libs.items():
        x = _leaf(lib, data)
        fwd[name] = lambda x=x: chain(x, nodes)
        # the graph is built untimed; the sum adds one node to the walk
        bwd[name] = (lambda x=x: chain(x, nodes).sum(), lambda y: y.backward())
    return fwd, bwd


def main():
    bench = H.Bench(__doc__)
    bench.start(torch)
    bench.settle_s = 0  # single-threaded Python work: no pool to let go idle
    sizes = [1_000, 10_000] if bench.quick else [1_000, 10_000, 100_000]
    peers = ["torch"] if torch else []
    table = H.TimeTable(bench, "Chain of small ops: time per node", peers, kind="time",
                        extra=["ours total"])
    per_node = {}
    for n in sizes:
        fwd, bwd = cases(n)
        repeats = bench.repeats if n < 100_000 else max(3, bench.repeats // 2)
        number = max(1, (2_000 if bench.quick else 20_000) // n)
        for phase, cands in (("forward", fwd), ("backward", bwd)):
            res = bench.compare(cands, repeats=repeats, number=number)
            total = H.fmt_time(res["ours"].med)
            for st in res.values():  # per node from here on
                st.med, st.lo, st.hi = st.med / n, st.lo / n, st.hi / n
            table.add(f"{phase} {n // 1000}k nodes", res, total)
            per_node[phase, n] = res["ours"].med
    bench.show(table.table)
    for n in sizes:
        bench.target(f"backward per node, {n // 1000}k nodes", per_node["backward", n] * 1e6,
                     "<=", 5.0, unit=" us")
    lo, hi = sizes[0], sizes[-1]
    for phase in ("forward", "backward"):
        bench.target(f"{phase} per-node time {hi // 1000}k / {lo // 1000}k nodes (linear)",
                     per_node[phase, hi] / per_node[phase, lo], "<=", LINEAR_TOLERANCE,
                     stretch=phase == "forward")
    bench.finish()


if __name__ == "__main__":
    main()
