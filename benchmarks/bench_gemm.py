"""How fast is our float32 GEMM? GFLOP/s against numpy (OpenBLAS) and PyTorch,
same thread count, for square 64..2048, the six GEMMs of one 784-512-10
batch-128 training step (one by one and summed) and skinny N=10 / M=10 shapes,
next to the machine's FMA ceiling measured here by a small compiled kernel.

    python benchmarks/bench_gemm.py [--quick] [--json PATH]

"ours" is the backend's flat ``matmul`` (transpose flags, no copies);
"tg.matmul" the public op on Tensors (transposed operands are ``.T`` views).
"""
import importlib.util
import tempfile

import _harness as H
import numpy as np

import tinygrad_edu as tg
from tinygrad_edu.backend import cpu_backend

torch = H.optional("torch")

_ACCS = 12  # independent FMA chains: latency x throughput of a Zen/Haswell core, in 16 ymm
_FMA_SRC = r"""
#include <immintrin.h>
#include <omp.h>
#define ALL(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
#define DECL(j) __m256 x##j = _mm256_set1_ps(seed + j);
#define STEP(j) x##j = _mm256_fmadd_ps(x##j, a, b);
#define SUM(j) s = _mm256_add_ps(s, x##j);
static float chains(long iters, float seed) {
    __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f), s = _mm256_setzero_ps();
    ALL(DECL)
    for (long i = 0; i < iters; i++) { ALL(STEP) }
    ALL(SUM)
    float out[8]; _mm256_storeu_ps(out, s);
    return out[0] + out[7];
}
float fma_probe(long iters, int threads) {
    float sink = 0.0f;
    #pragma omp parallel num_threads(threads) reduction(+:sink)
    sink += chains(iters, 1.0f + omp_get_thread_num());
    return sink;
}
"""


def _build_probe():
    """Compile the FMA probe with cffi (API mode); None when no compiler/cffi/AVX2."""
    try:
        from cffi import FFI
        ffi = FFI()
        ffi.cdef("float fma_probe(long iters, int threads);")
        ffi.set_source("_tg_bench_fma", _FMA_SRC, extra_compile_args=["-O2", "-mavx2", "-mfma",
                       "-fopenmp"], extra_link_args=["-fopenmp"])
        tmp = tempfile.mkdtemp(prefix="tg_bench_fma_")
        path = ffi.compile(tmpdir=tmp, verbose=False)
        spec = importlib.util.spec_from_file_location("_tg_bench_fma", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod.lib
    except Exception as e:  # noqa: BLE001 - any build failure means "unmeasured"
        print(f"FMA ceiling unmeasured: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
        return None


def fma_ceiling(bench, threads):
    """Best float32 GFLOP/s of independent FMA chains on `threads` threads (None if unmeasured).

    A busy core can make the `threads` figure fall below one thread's; the
    larger of the two is the ceiling then."""
    if not {"avx2", "fma"} <= H.cpu_flags():
        print("FMA ceiling unmeasured: this CPU has no AVX2/FMA")
        return None
    lib = _build_probe()
    if lib is None:
        return None
    table = bench.table("FMA ceiling (compiled AVX2 probe: 12 independent 8-lane FMA chains/thread)",
                        ["threads", "GFLOP/s best", "GFLOP/s median (min-max)"])
    best = None
    for t in sorted({1, threads}):
        # many short samples: the best one is the ceiling, and a short one more
        # likely falls in a moment when nothing else runs on the core
        iters = 2_000_000 if bench.quick else 4_000_000
        res = bench.compare({"probe": lambda t=t, it=iters: lib.fma_probe(it, t)}, number=1,
                            repeats=5 if bench.quick else 21)
        work = 2.0 * 8 * _ACCS * iters * t
        peak = work / res["probe"].lo / 1e9
        table.add(t, f"{peak:.1f}", H.rate_cell(res["probe"], work))
        best = max(best or 0.0, peak)  # n threads can do at least what one does
    bench.show(table)
    return best


def _competitors(be, a, b, ta, tb):
    """The same product op(a) @ op(b) by each competitor, operands made once."""
    ta_, tb_ = tg.from_numpy(a), tg.from_numpy(b)
    A, B = (ta_.T if ta else ta_), (tb_.T if tb else tb_)
    an, bn = (a.T if ta else a), (b.T if tb else b)
    cands = {"ours": lambda: be.matmul(a, b, ta, tb), "tg.matmul": lambda: tg.matmul(A, B),
             "numpy": lambda: an @ bn}
    if torch is not None:
        at, bt = torch.from_numpy(a), torch.from_numpy(b)
        at, bt = (at.T if ta else at), (bt.T if tb else bt)
        cands["torch"] = lambda: at @ bt
    return cands


_PEERS = ["tg.matmul", "numpy", "torch"]


def _rate_table(bench, title, ceiling):
    cols = ["shape", "ours GFLOP/s"] + [f"{p} GFLOP/s" for p in _PEERS if p != "torch" or torch]
    cols += ["ours/numpy"] + (["ours/torch"] if torch else []) + ["% ceiling"]
    return bench.table(title, cols, "GFLOP/s median (min-max); ratios are speed-ups, >1: ours faster")


def _rate_row(table, label, res, flops, ceiling):
    cells = [H.rate_cell(res["ours"], flops)] + [H.rate_cell(res[p], flops) for p in _PEERS
                                                  if p in res]
    cells += [f"{H.speedup(res, 'ours', 'numpy'):.2f}x"]
    cells += [f"{H.speedup(res, 'ours', 'torch'):.2f}x"] if "torch" in res else []
    cells += [f"{100 * flops / res['ours'].med / 1e9 / ceiling:.0f}%" if ceiling else "-"]
    table.add(label, *cells)


def _operands(rng, m, k, n, ta, tb):
    a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
    return a, b


def square(bench, be, rng, ceiling):
    sizes = [64, 128, 256] if bench.quick else [64, 128, 256, 512, 1024, 2048]
    table = _rate_table(bench, "Square C = A @ B, float32", ceiling)
    for n in sizes:
        a, b = _operands(rng, n, n, n, False, False)
        reps = bench.repeats if n < 2048 else max(3, bench.repeats // 2)
        res = bench.compare(_competitors(be, a, b, False, False), repeats=reps)
        flops = 2.0 * n ** 3
        _rate_row(table, f"{n}^3", res, flops, ceiling)
        if n >= 256:
            bench.target(f"GEMM {n}^3 vs numpy", H.speedup(res, "ours", "numpy"), ">=", 1.0)
            if ceiling:
                bench.target(f"GEMM {n}^3 vs numpy", H.speedup(res, "ours", "numpy"), ">=", 1.1,
                             stretch=True)
                bench.target(f"GEMM {n}^3 of FMA ceiling", flops / res["ours"].med / 1e9
                             / ceiling * 100, ">=", 90, unit="%", stretch=True)
    bench.show(table)


# (label, m, k, n, ta, tb) of one 784-512-10 batch-128 step: X 128x784, W1 512x784,
# H/dH 128x512, W2 10x512, dY 128x10.
STEP = [("fwd X@W1.T", 128, 784, 512, False, True),
        ("fwd H@W2.T", 128, 512, 10, False, True),
        ("dW2=dY.T@H", 10, 128, 512, True, False),
        ("dH=dY@W2", 128, 10, 512, False, False),
        ("dW1=dH.T@X", 512, 128, 784, True, False),
        ("dX=dH@W1", 128, 512, 784, False, False)]

SKINNY = [("H@W2.T 128x512x10", 128, 512, 10, False, True),
          ("1024x512x10", 1024, 512, 10, False, False),
          ("X@Wc.T 128x784x10", 128, 784, 10, False, True),
          ("dW2 10x128x512 (M=10)", 10, 128, 512, True, False),
          ("4096x784x10", 4096, 784, 10, False, False)]


def _shape_table(bench, be, rng, title, shapes, ceiling):
    table = _rate_table(bench, title, ceiling)
    parts = []
    for label, m, k, n, ta, tb in shapes:
        a, b = _operands(rng, m, k, n, ta, tb)
        cands = _competitors(be, a, b, ta, tb)
        res = bench.compare(cands)
        _rate_row(table, label, res, 2.0 * m * k * n, ceiling)
        parts.append((label, cands, res))
    return table, parts


def training_step(bench, be, rng, ceiling):
    table, parts = _shape_table(bench, be, rng, "The six GEMMs of a 784-512-10 batch-128 step",
                                STEP, ceiling)
    # the sum, timed as one competitor each: six calls back to back, as a step makes them
    names = list(parts[0][1])
    summed = {name: (lambda fns=[p[1][name] for p in parts]: [f() for f in fns]) for name in names}
    res = bench.compare(summed)
    _rate_row(table, "sum of six", res, sum(2.0 * m * k * n for _, m, k, n, _, _ in STEP), ceiling)
    bench.show(table)
    bench.target("six training-step GEMMs summed vs numpy", H.speedup(res, "ours", "numpy"),
                 ">=", 1.15)


def skinny(bench, be, rng, ceiling):
    table, parts = _shape_table(bench, be, rng, "Skinny shapes (N or M = 10)", SKINNY, ceiling)
    bench.show(table)
    for label, _, res in parts:
        bench.target(f"skinny {label} vs numpy", H.speedup(res, "ours", "numpy"), ">=", 1.0)


def main():
    bench = H.Bench(__doc__)
    threads = bench.start(torch)
    be = cpu_backend()
    ceiling = fma_ceiling(bench, threads)
    if ceiling is None:
        bench.target("GEMM of FMA ceiling", float("nan"), ">=", 90, unit="%", stretch=True,
                     detail="FMA ceiling unmeasured (no compiler, cffi or AVX2/FMA)")
    rng = np.random.default_rng(0)
    square(bench, be, rng, ceiling)
    training_step(bench, be, rng, ceiling)
    skinny(bench, be, rng, ceiling)
    bench.finish()


if __name__ == "__main__":
    main()
