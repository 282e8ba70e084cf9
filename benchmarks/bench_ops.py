"""The quick tour (CI runs it with --quick): what one small op costs against
numpy and PyTorch, and square float32 GEMM for n = 64.. against numpy and
PyTorch. bench_overhead.py and bench_gemm.py hold these and more; run_all.py
runs every benchmark and writes RESULTS.md.

    python benchmarks/bench_ops.py [--quick] [--json PATH]
"""
import _harness as H
import bench_gemm
import bench_overhead
import numpy as np

from tinygrad_edu.backend import cpu_backend


def main():
    bench = H.Bench(__doc__)
    bench.start(bench_gemm.torch)
    bench_overhead.run(bench)
    bench_gemm.square(bench, cpu_backend(), np.random.default_rng(0), ceiling=None)
    bench.finish()


if __name__ == "__main__":
    main()
