"""Curriculum A.4: activation functions and their gradients, checked and plotted.

For each activation: x = linspace(-10, 10, 100, requires_grad=True), y = f(x),
y.sum().backward(). Because every y[i] depends only on x[i], x.grad[i] is the
derivative f'(x[i]): autograd draws the derivative curve for us.

Run: python examples/a4_activations.py [--out out/activations]
"""
import numpy as np
from _common import parser, pyplot, save

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

# name -> (the tg function, its derivative written by hand with numpy)
ACTIVATIONS = {
    "step": (tg.step, lambda x: np.zeros_like(x)),  # flat everywhere (jump at 0 ignored)
    "sigmoid": (tg.sigmoid, lambda x: (1 / (1 + np.exp(-x))) * (1 - 1 / (1 + np.exp(-x)))),
    "tanh": (tg.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (tg.relu, lambda x: (x > 0).astype(x.dtype)),
    "leaky_relu": (lambda x: F.leaky_relu(x, negative_slope=0.1),
                   lambda x: np.where(x > 0, 1.0, 0.1)),
}


def check(name, f, derivative, plt, out):
    x = tg.linspace(-10, 10, 100, requires_grad=True)
    y = f(x)
    y.sum().backward()
    want = derivative(x.detach().numpy())
    err = np.abs(x.grad.numpy() - want).max()
    print(f"{name:10s} y in [{y.min().item():7.3f}, {y.max().item():6.3f}]   "
          f"max |x.grad - f'(x)| = {err:.1e}   {'ok' if err < 1e-5 else 'MISMATCH'}")
    if plt is not None:
        fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
        xs = x.detach().numpy()
        left.plot(xs, y.detach().numpy())
        left.set(title=f"{name}(x)", xlabel="x")
        right.plot(xs, x.grad.numpy(), color="tab:orange")
        right.set(title=f"x.grad = {name}'(x)", xlabel="x")
        for ax in (left, right):
            ax.grid(alpha=0.3)
        save(fig, out, f"{name}.png")
    return err < 1e-5


def softmax_zero_grad():
    # Each row of a softmax sums to 1 whatever the input, so the sum of all outputs is
    # the constant 2 here and its gradient must be zero (up to rounding).
    x = tg.tensor([[-1.0, 2.0, -3.0, 4.0], [-2.0, 3.0, -3.0, 9.0]], requires_grad=True)
    y = tg.softmax(x, dim=1)
    print("softmax rows:", y, sep="\n")
    y.sum().backward()
    print("x.grad after y.sum().backward():", x.grad, sep="\n")
    return bool((x.grad.abs() < 1e-6).all())


def main(argv=None):
    args = parser(__doc__, out="out/activations").parse_args(argv)
    plt = pyplot()
    # every activation is checked and plotted, even after a failure
    results = [check(name, f, d, plt, args.out) for name, (f, d) in ACTIVATIONS.items()]
    results.append(softmax_zero_grad())
    ok = all(results)
    print("all gradients match their formulas" if ok else "some gradients are wrong")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
