"""Curriculum E.5: d2l's "Convolutional Neural Networks (LeNet)" on Fashion-MNIST.

LeNet-5 as the chapter writes it: Conv2d(1, 6, 5, padding=2), Sigmoid, AvgPool2d(2, 2),
Conv2d(6, 16, 5), Sigmoid, AvgPool2d(2, 2), Flatten, Linear 400-120-84-10 with
Sigmoids; Xavier-uniform weights; CrossEntropyLoss; SGD(lr=0.9); batches of 256;
10 epochs (expect a test accuracy of about 0.80 at the end, as in the chapter; the
first epoch or two sit near chance while the sigmoids find their footing). First it
walks one (1, 1, 28, 28) image through the layers, printing each output shape, and
prints the torchinfo-style summary. ``--modern`` swaps in ReLU and max-pooling, the
chapter's closing exercise (it learns much faster).

Run: python examples/e_lenet.py [--epochs N] [--modern] [--dataset fashion|mnist]
     [--data DIR] [--quick]
"""
import math
import time

from _common import load_images, parser

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset


def lenet(modern=False):
    """The chapter's LeNet; ``modern``: ReLU for Sigmoid, MaxPool2d for AvgPool2d."""
    act = nn.ReLU if modern else nn.Sigmoid
    pool = nn.MaxPool2d if modern else nn.AvgPool2d
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), act(),
        pool(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), act(),
        pool(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), act(),
        nn.Linear(120, 84), act(),
        nn.Linear(84, 10))


def init_weights(m):
    # d2l's init_cnn: Xavier-uniform weights for every Conv2d and Linear (biases keep
    # PyTorch's default); with normal(0, 0.01) the sigmoids would barely move at first
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)


def evaluate_accuracy(net, data_iter):
    net.eval()
    correct = total = 0
    with tg.no_grad():
        for X, y in data_iter:
            correct += (net(X).argmax(dim=1) == y).sum().item()
            total += len(y)
    net.train()
    return correct / total


def train_ch6(net, train_iter, test_iter, num_epochs, lr):
    """d2l's train_ch6: Xavier init, SGD, CrossEntropyLoss; prints one line per epoch."""
    net.apply(init_weights)
    optimizer = optim.SGD(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    start, seen = time.perf_counter(), 0
    for epoch in range(num_epochs):
        loss_sum = correct = total = 0.0
        for X, y in train_iter:
            optimizer.zero_grad()
            y_hat = net(X)
            batch_loss = loss(y_hat, y)
            batch_loss.backward()
            optimizer.step()
            loss_sum += batch_loss.item() * len(y)
            correct += (y_hat.argmax(dim=1) == y).sum().item()
            total += len(y)
        seen += total
        test_acc = evaluate_accuracy(net, test_iter)
        print(f"epoch {epoch + 1}, loss {loss_sum / total:.3f}, "
              f"train acc {correct / total:.3f}, test acc {test_acc:.3f}")
    elapsed = time.perf_counter() - start
    print(f"loss {loss_sum / total:.3f}, train acc {correct / total:.3f}, "
          f"test acc {test_acc:.3f}")
    print(f"{seen / elapsed:.1f} examples/sec on {tg.get_default_device()}")
    return loss_sum / total, test_acc


def main(argv=None):
    p = parser(__doc__, data=True)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=None,
                   help="SGD learning rate (default 0.9; 0.1 with --modern)")
    p.add_argument("--modern", action="store_true", help="ReLU and max-pooling")
    args = p.parse_args(argv)
    tg.manual_seed(args.seed)

    # 1. The model, and one image walked through it layer by layer (as the chapter does).
    net = lenet(args.modern)
    X = tg.rand(1, 1, 28, 28)
    for layer in net:
        X = layer(X)
        print(layer.__class__.__name__, "output shape:", tuple(X.shape))
    net.summary((1, 1, 28, 28))

    # 2. The data: images stay (N, 1, 28, 28), the shape a Conv2d wants.
    limits = (2048, 512) if args.quick else (None, None)   # --quick: a subset, 1 epoch
    data = load_images(args.dataset, args.data, flatten=False,
                       train_limit=limits[0], test_limit=limits[1])
    if data is None:
        return 2
    x_train, y_train, x_test, y_test = data
    batch_size = 256
    num_epochs = 1 if args.quick else args.epochs
    lr = args.lr if args.lr is not None else (0.1 if args.modern else 0.9)
    train_iter = DataLoader(TensorDataset(x_train, y_train), batch_size, shuffle=True)
    test_iter = DataLoader(TensorDataset(x_test, y_test), batch_size)
    print(f"{args.dataset}: {len(y_train)} train / {len(y_test)} test images, "
          f"batch {batch_size}, SGD lr {lr}, {num_epochs} epoch(s)")

    # 3. Training: d2l's train_ch6.
    train_loss, _ = train_ch6(net, train_iter, test_iter, num_epochs, lr)
    return 0 if math.isfinite(train_loss) else 1   # a NaN loss: training blew up


if __name__ == "__main__":
    raise SystemExit(main())
