"""A 2-64-3 MLP written by hand (tensors only: no tg.nn, no tg.optim), trained
with plain gradient descent on a synthetic three-class "spiral" problem that a
linear model cannot solve. Run: python examples/spirals_by_hand.py [--quick]
"""
import argparse
import time

import numpy as np

import tinygrad_edu as tg


def spirals(n_per_class=100, classes=3, seed=0):
    """Three interleaved 2-D spirals (the classic CS231n toy problem)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(c * 4.0, (c + 1) * 4.0, n_per_class) + rng.normal(0, 0.2, n_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def train(epochs=300, hidden=64, lr=1.0, seed=0, log_every=25, out=print):
    """Full-batch gradient descent on the spirals; returns (first loss, last loss, accuracy)."""
    tg.manual_seed(seed)
    x_np, y_np = spirals(seed=seed)
    x, n = tg.tensor(x_np), len(y_np)
    onehot = tg.tensor(np.eye(3, dtype=np.float32)[y_np])
    w1 = (tg.randn(2, hidden) * 1.0).requires_grad_()
    b1 = tg.zeros(hidden, requires_grad=True)
    w2 = (tg.randn(hidden, 3) * (1.0 / hidden ** 0.5)).requires_grad_()
    b2 = tg.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]
    first = last = None
    for epoch in range(1, epochs + 1):
        logits = (x @ w1 + b1).relu() @ w2 + b2
        loss = -(logits.log_softmax(dim=1) * onehot).sum() / n
        for p in params:
            p.grad = None
        loss.backward()
        with tg.no_grad():
            for p in params:
                p -= lr * p.grad
        last = loss.item()
        first = last if first is None else first
        if epoch == 1 or epoch % log_every == 0 or epoch == epochs:
            acc = (logits.argmax(dim=1).numpy() == y_np).mean()
            out(f"epoch {epoch:4d}  loss {last:.4f}  train accuracy {acc:.3f}")
    with tg.no_grad():
        acc = (((x @ w1 + b1).relu() @ w2 + b2).argmax(dim=1).numpy() == y_np).mean()
    return first, last, float(acc)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="100 epochs")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = 100
    info = tg.backend_info()
    print(f"tinygrad_edu {tg.__version__} on the {info['backend']} backend")
    start = time.perf_counter()
    first, last, acc = train(args.epochs, args.hidden, args.lr, args.seed)
    print(f"loss {first:.4f} -> {last:.4f}, train accuracy {acc:.3f} "
          f"in {time.perf_counter() - start:.2f} s")
    return 0 if last < first else 1


if __name__ == "__main__":
    raise SystemExit(main())
