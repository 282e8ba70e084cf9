"""Curriculum D.1: a two-layer net written from scratch (a dict of weight tensors, no
tg.nn), trained with minibatch gradient descent on the digits.

TwoLayerNet(784, 50, 10): sigmoid hidden layer, softmax output, cross-entropy;
random minibatches of 100, learning rate 0.1; train and test accuracy once per
epoch. First, the gradients from autograd are checked against numerical ones.

Run: python examples/d1_two_layer_net.py [--dataset fashion|mnist] [--data DIR] [--quick]
"""
import time

from _common import load_images, parser, pyplot, save

import tinygrad_edu as tg


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01,
                 dtype=tg.float32):
        # Small random weights break the symmetry between hidden units; zero biases.
        self.params = {
            "W1": weight_init_std * tg.randn(input_size, hidden_size, dtype=dtype),
            "b1": tg.zeros(hidden_size, dtype=dtype),
            "W2": weight_init_std * tg.randn(hidden_size, output_size, dtype=dtype),
            "b2": tg.zeros(output_size, dtype=dtype),
        }
        for p in self.params.values():
            p.requires_grad_()

    def predict(self, x, params=None):
        p = self.params if params is None else params
        hidden = tg.sigmoid(x @ p["W1"] + p["b1"])
        return tg.softmax(hidden @ p["W2"] + p["b2"], dim=1)   # class probabilities

    def loss(self, x, t, params=None):
        """Mean cross-entropy; t holds class labels, so pick each row's probability of
        its label instead of multiplying by a one-hot matrix."""
        y = self.predict(x, params)
        picked = y[tg.arange(len(t)), t]
        return -(picked + 1e-7).log().mean()

    def accuracy(self, x, t):
        with tg.no_grad():
            return (self.predict(x).argmax(dim=1) == t).float().mean().item()

    def gradient(self, x, t):
        """Autograd: one backward pass gives every parameter's gradient."""
        for p in self.params.values():
            p.grad = None  # backward() adds to .grad, so start from nothing
        self.loss(x, t).backward()
        return {k: p.grad for k, p in self.params.items()}

    def numerical_gradient(self, x, t):
        """Two forward passes per weight. tg.numerical_gradient hands f the perturbed
        copy, so f must build the loss from its argument."""
        grads = {}
        for key, value in self.params.items():
            def f(w, key=key):
                return self.loss(x, t, {**self.params, key: w})
            grads[key] = tg.numerical_gradient(f, value.detach())
        return grads


def gradient_check(x, t, hidden_size):
    """Autograd vs central differences on 3 samples, in float64 (float32 rounding would
    drown differences taken with h = 1e-4)."""
    net = TwoLayerNet(x.shape[1], hidden_size, 10, dtype=tg.float64)
    x3, t3 = x[:3].double(), t[:3]
    start = time.perf_counter()
    numerical = net.numerical_gradient(x3, t3)
    analytic = net.gradient(x3, t3)
    took = time.perf_counter() - start
    print(f"gradient check, TwoLayerNet({x.shape[1]}, {hidden_size}, 10) on 3 samples "
          f"({took:.1f} s):")
    worst = 0.0
    for key in net.params:
        diff = (analytic[key] - numerical[key]).abs().mean().item()
        worst = max(worst, diff)
        print(f"  {key}: mean |autograd - numerical| = {diff:.2e}")
    return worst < 1e-8


def train(net, data, iters, batch_size, lr, plt, out):
    x_train, t_train, x_test, t_test = data
    train_size = len(t_train)
    iter_per_epoch = max(train_size // batch_size, 1)
    history = {"train": [], "test": []}
    start = time.perf_counter()
    for i in range(iters):
        batch = tg.randint(0, train_size, (batch_size,))   # a random minibatch
        grads = net.gradient(x_train[batch], t_train[batch])
        with tg.no_grad():   # the update must not become part of the graph
            for key, p in net.params.items():
                p -= lr * grads[key]
        if i % iter_per_epoch == 0:
            history["train"].append(net.accuracy(x_train, t_train))
            history["test"].append(net.accuracy(x_test, t_test))
            loss = net.loss(x_train[batch], t_train[batch]).item()
            print(f"iter {i:5d}  loss {loss:.4f}  train acc {history['train'][-1]:.4f}  "
                  f"test acc {history['test'][-1]:.4f}")
    print(f"{iters} iterations in {time.perf_counter() - start:.1f} s; final train acc "
          f"{net.accuracy(x_train, t_train):.4f}, test acc {net.accuracy(x_test, t_test):.4f}")
    if plt is not None:
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(history["train"], marker="o", label="train")
        ax.plot(history["test"], "--", marker="s", label="test")
        ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1))
        ax.legend()
        save(fig, out, "two_layer_net_accuracy.png")
    return history


def main(argv=None):
    p = parser(__doc__, out="out/two_layer_net", data=True)
    p.add_argument("--iters", type=int, default=10000)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--batch-size", type=int, default=100)
    args = p.parse_args(argv)
    tg.manual_seed(args.seed)
    # --quick: 3,000 training images, 300 iterations, a narrow net for the gradient check
    # (the full check makes 2 forward passes for each of the 39,760 weights).
    limits = (3000, 2000) if args.quick else (None, None)
    data = load_images(args.dataset, args.data, flatten=True,
                       train_limit=limits[0], test_limit=limits[1])
    if data is None:
        return 2
    print(f"{args.dataset}: {len(data[1])} train / {len(data[3])} test images")
    ok = gradient_check(data[0], data[1], hidden_size=4 if args.quick else 50)
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10)
    history = train(net, data, 300 if args.quick else args.iters, args.batch_size, args.lr,
                    pyplot(), args.out)
    return 0 if ok and history["test"][-1] > history["test"][0] else 1


if __name__ == "__main__":
    raise SystemExit(main())
