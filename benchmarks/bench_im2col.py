"""Do the C im2col / col2im kernels pay? c_backend.unfold and fold against
numpy_backend's (the specification, numpy slicing) and PyTorch's F.unfold / F.fold,
float32, same threads, at the convolutions of LeNet-5 (batch 256: 1x28x28 kernel 5
padding 2; 6x14x14 kernel 5) and of a ResNet stage (batch 128: 64x28x28 kernel 3
padding 1), each as unfold (im2col) and fold (col2im, the backward's gradient).

    python benchmarks/bench_im2col.py [--quick] [--json PATH]

Ratios are speed-ups (their time / ours, >1: ours faster). No targets: the question
is the size of the ratio; the routing rule (c_backend._MIN_SIZE) decides small ones.
"""
import _harness as H
import numpy as np

from tinygrad_edu.backend import numpy_backend as SPEC

torch = H.optional("torch")
try:
    from tinygrad_edu.backend import c_backend as C
except ImportError as e:  # not built: nothing of ours to time
    C, WHY = None, str(e)

# label, x's shape, kernel, padding (stride and dilation 1)
CASES = [("LeNet conv1", (256, 1, 28, 28), (5, 5), (2, 2)),
         ("LeNet conv2", (256, 6, 14, 14), (5, 5), (0, 0)),
         ("ResNet 3x3", (128, 64, 28, 28), (3, 3), (1, 1))]


def _competitors(kind, x, kernel, padding):
    """{name: fn} computing the same unfold or fold of x's geometry."""
    size, cols = x.shape[2:], SPEC.unfold(x, kernel, padding=padding)
    if kind == "unfold":
        cands = {"ours": lambda: C.unfold(x, kernel, padding=padding),
                 "numpy_backend": lambda: SPEC.unfold(x, kernel, padding=padding)}
    else:
        cands = {"ours": lambda: C.fold(cols, size, kernel, padding=padding),
                 "numpy_backend": lambda: SPEC.fold(cols, size, kernel, padding=padding)}
    if torch is not None:
        F = torch.nn.functional
        tx, tc = torch.from_numpy(x), torch.from_numpy(cols)
        cands["torch"] = ((lambda: F.unfold(tx, kernel, padding=padding)) if kind == "unfold"
                          else (lambda: F.fold(tc, size, kernel, padding=padding)))
    return cands


def main():
    bench = H.Bench(__doc__)
    bench.start(torch)
    if C is None:
        print(f"no C backend to measure: {WHY}")
        bench.finish()
        return
    peers = ["numpy_backend"] + (["torch"] if torch else [])
    table = H.TimeTable(bench, "im2col / col2im, float32, fresh output", peers)
    rng = np.random.default_rng(0)
    for label, shape, kernel, padding in CASES:
        if bench.quick:  # the same geometry on a few images
            shape = (8,) + shape[1:]
        x = rng.standard_normal(shape, dtype=np.float32)
        geo = f"{shape[0]}x{shape[1]}x{shape[2]}x{shape[3]} k{kernel[0]} p{padding[0]}"
        for kind in ("unfold", "fold"):
            table.add(f"{label} {kind} {geo}",
                      bench.compare(_competitors(kind, x, kernel, padding)))
    bench.show(table.table)
    bench.finish()


if __name__ == "__main__":
    main()
