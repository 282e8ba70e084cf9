"""Curriculum D.2: the d2l.ai multilayer perceptron on Fashion-MNIST, step by step.

Sequential(Flatten, Linear(784, 256), ReLU, Linear(256, 10)); every parameter drawn
from normal(0, 0.01); batches of 256; CrossEntropyLoss; SGD(lr=0.5); 5 epochs, each
printing the training loss, training accuracy and test accuracy (expect about
0.83-0.86 test accuracy at the end).

Run: python examples/d2_d2l_recipe.py [--dataset fashion|mnist] [--data DIR] [--quick]
"""
import math
import time

from _common import load_images, parser

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset


def evaluate_accuracy(net, data_iter):
    net.eval()               # no effect here (no dropout), but the habit matters
    correct = total = 0
    with tg.no_grad():       # no graph: evaluation needs no gradients
        for X, y in data_iter:
            correct += (net(X).argmax(dim=1) == y).sum().item()
            total += len(y)
    net.train()
    return correct / total


def train_epoch(net, train_iter, loss, updater):
    loss_sum = correct = total = 0.0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)       # the mean over the batch (d2l sums reduction='none')
        updater.zero_grad()      # the four steps of every training loop
        l.backward()
        updater.step()
        loss_sum += l.item() * len(y)
        correct += (y_hat.argmax(dim=1) == y).sum().item()
        total += len(y)
    return loss_sum / total, correct / total


def main(argv=None):
    p = parser(__doc__, data=True)
    p.add_argument("--epochs", type=int, default=5)
    args = p.parse_args(argv)
    tg.manual_seed(args.seed)

    # 1. The data: images as (N, 1, 28, 28) floats in [0, 1]; Flatten makes rows of 784.
    limits = (5000, 1000) if args.quick else (None, None)   # --quick: a subset, 1 epoch
    data = load_images(args.dataset, args.data, flatten=False,
                       train_limit=limits[0], test_limit=limits[1])
    if data is None:
        return 2
    x_train, y_train, x_test, y_test = data
    batch_size, num_epochs, lr = 256, 1 if args.quick else args.epochs, 0.5
    train_iter = DataLoader(TensorDataset(x_train, y_train), batch_size, shuffle=True)
    test_iter = DataLoader(TensorDataset(x_test, y_test), batch_size)

    # 2. The model, and its initialisation: every weight and bias ~ normal(0, 0.01).
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    for param in net.parameters():
        nn.init.normal_(param, mean=0.0, std=0.01)
    print(net)

    # 3. The loss takes raw scores (it applies log-softmax itself), 4. the optimizer.
    loss = nn.CrossEntropyLoss()
    trainer = optim.SGD(net.parameters(), lr=lr)

    # 5. The epochs.
    print(f"{args.dataset}: {len(y_train)} train / {len(y_test)} test images, "
          f"batch {batch_size}, SGD lr {lr}, {num_epochs} epoch(s)")
    start = time.perf_counter()
    for epoch in range(num_epochs):
        train_loss, train_acc = train_epoch(net, train_iter, loss, trainer)
        test_acc = evaluate_accuracy(net, test_iter)
        print(f"epoch {epoch + 1}, loss {train_loss:.3f}, train acc {train_acc:.3f}, "
              f"test acc {test_acc:.3f}")
    print(f"final test acc {test_acc:.4f} ({time.perf_counter() - start:.1f} s)")
    return 0 if math.isfinite(train_loss) else 1   # a NaN loss: training blew up


if __name__ == "__main__":
    raise SystemExit(main())
