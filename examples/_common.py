"""Small helpers shared by the example scripts: the command line, the data, the plots.

Nothing here is part of a lesson; it only keeps the scripts free of repeated plumbing.
"""
import argparse
import os
import sys

import tinygrad_edu as tg
from tinygrad_edu.data import MNIST, FashionMNIST


def parser(doc, out=None, data=False):
    """An ArgumentParser with --quick, and --out DIR / --dataset / --data when asked for."""
    p = argparse.ArgumentParser(description=doc.strip().split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a few seconds: less data / fewer steps (used by the tests)")
    p.add_argument("--seed", type=int, default=0)
    if out:
        p.add_argument("--out", default=out, help=f"folder for the PNG files (default {out})")
    if data:
        p.add_argument("--dataset", choices=["fashion", "mnist"], default="fashion")
        p.add_argument("--data", default=None,
                       help="folder of the four IDX files (needed for mnist)")
    return p


def load_images(dataset, root=None, flatten=True, train_limit=None, test_limit=None):
    """(x_train, y_train, x_test, y_test): float32 images in [0, 1] and int64 labels.

    Returns None (after printing the library's message) when the files are not there:
    nothing is ever downloaded.
    """
    cls = FashionMNIST if dataset == "fashion" else MNIST
    try:
        train = cls(root=root, train=True).as_tensor_dataset(flatten=flatten)
        test = cls(root=root, train=False).as_tensor_dataset(flatten=flatten)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return None
    (x_train, y_train), (x_test, y_test) = train.tensors, test.tensors
    return (x_train[:train_limit], y_train[:train_limit],
            x_test[:test_limit], y_test[:test_limit])


def pyplot():
    """matplotlib.pyplot drawing to files (no window), or None if matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plots (pip install matplotlib)")
        return None
    return plt


def save(fig, out, name):
    """Write a figure as out/name, print where it went, and close it."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    import matplotlib.pyplot as plt
    plt.close(fig)
    print(f"saved {path}")
    return path


def accuracy(model, x, y, batch_size=1000):
    """Fraction of rows of x whose highest score is the label y (no graph is built)."""
    correct = 0
    with tg.no_grad():
        for i in range(0, len(y), batch_size):
            scores = model(x[i:i + batch_size])
            correct += int((scores.argmax(dim=1) == y[i:i + batch_size]).sum().item())
    return correct / max(len(y), 1)
