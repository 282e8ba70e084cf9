"""Curriculum D.3: one MLP (784-512-10, ReLU) trained with each optimizer, and a
one-layer net for comparison.

Every run starts from the same initial weights and sees the batches in the same
order, so only the update rule differs. (The lesson uses MNIST; Fashion-MNIST is the
default here because it is installed: pass --dataset mnist --data DIR for digits.)

Run: python examples/d3_optimizers.py [--dataset fashion|mnist] [--data DIR] [--quick]
"""
import time

from _common import accuracy, load_images, parser

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

# Each rule has its own sensible step size: adaptive methods (Adagrad, RMSprop, Adam)
# divide by a running size of the gradient, so they want much smaller lrs than SGD.
OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.1),
    "SGD+momentum": lambda params: optim.SGD(params, lr=0.05, momentum=0.9),
    "Adagrad": lambda params: optim.Adagrad(params, lr=0.01),
    "RMSprop": lambda params: optim.RMSprop(params, lr=1e-3),
    "Adam": lambda params: optim.Adam(params, lr=1e-3),
}


def mlp():
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))


def one_layer():
    return nn.Linear(784, 10)   # softmax regression: scores straight from the pixels


def fit(model, optimizer, loader, epochs):
    criterion = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    return loss.item()   # the last batch's loss


def main(argv=None):
    p = parser(__doc__, data=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args(argv)
    limits = (4000, 2000) if args.quick else (None, None)   # --quick: a subset, 1 epoch
    epochs = 1 if args.quick else args.epochs
    data = load_images(args.dataset, args.data, flatten=True,
                       train_limit=limits[0], test_limit=limits[1])
    if data is None:
        return 2
    x_train, y_train, x_test, y_test = data
    print(f"{args.dataset}: {len(y_train)} train / {len(y_test)} test images, "
          f"{epochs} epoch(s) of batches of {args.batch_size}")

    runs = [(name, mlp, make) for name, make in OPTIMIZERS.items()]
    runs.append(("one layer, SGD", one_layer, OPTIMIZERS["SGD"]))
    results = {}
    for name, build, make_optimizer in runs:
        tg.manual_seed(args.seed)        # the same initial weights for every run
        model = build()
        loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                            shuffle=True, seed=args.seed)   # the same batch order too
        start = time.perf_counter()
        last = fit(model, make_optimizer(model.parameters()), loader, epochs)
        results[name] = accuracy(model, x_test, y_test)
        print(f"{name:15s} last batch loss {last:.4f}   test accuracy {results[name]:.4f}"
              f"   ({time.perf_counter() - start:.1f} s)")
    best = max(results, key=results.get)
    print(f"best: {best} ({results[best]:.4f})")
    return 0 if min(results.values()) > 0.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
