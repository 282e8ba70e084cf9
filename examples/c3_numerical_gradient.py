"""Curriculum C.1, C.3, C.4: the chain rule, numerical derivatives, gradient descent,
and a one-layer SimpleNet whose numerical gradient must match autograd.

Run: python examples/c3_numerical_gradient.py [--out out/gradients]
"""
import numpy as np
from _common import parser, pyplot, save

import tinygrad_edu as tg


def chain_rule():
    print("== C.1 Chain rule ==")
    x = tg.tensor(1.0)
    w = tg.tensor(0.0, requires_grad=True)
    b = tg.tensor(0.0, requires_grad=True)
    fc1 = 1 / (tg.exp(-1 * x * w + b) + 1)
    fc1.retain_grad()   # fc1 is not a leaf: ask autograd to keep its grad too
    fc2 = 2 * fc1 + 1
    fc2.backward()
    # d fc2/d fc1 = 2; d fc1/dw = s(1-s) * x = 0.25 at s = 0.5, times 2 = 0.5; b: -0.5
    print("fc1.grad", fc1.grad.item(), " w.grad", w.grad.item(), " b.grad", b.grad.item())


# ---- C.3: derivatives from the definition ------------------------------------------------
def numerical_diff(f, x, h=1e-4):
    """Central difference: the error shrinks like h^2 (forward differences: like h).
    h = 1e-4, not 1e-50: in floating point 1e-50 added to x changes nothing."""
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x, h=1e-4):
    """One central difference per element of the numpy array x (changed in place and
    restored), as the from-scratch lesson writes it; f reads x itself."""
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + h
        fxh1 = f(x)
        x[idx] = keep - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = keep
    return grad


def function_1(x):
    return 0.01 * x ** 2 + 0.1 * x


def function_2(x):
    return (x ** 2).sum()


def derivatives(plt, out):
    print("\n== C.3 Numerical derivatives ==")
    for x0 in (5.0, 10.0):
        num = numerical_diff(function_1, x0)
        x = tg.tensor(x0, dtype=tg.float64, requires_grad=True)
        function_1(x).backward()
        print(f"d/dx (0.01x^2 + 0.1x) at {x0:4}: central difference {num:.10f}, "
              f"autograd {x.grad.item():.10f}, exact {0.02 * x0 + 0.1:.10f}")

    # The tangent line at x0 = 5: y = f'(5) (x - 5) + f(5).
    slope = numerical_diff(function_1, 5.0)
    print(f"tangent at 5: y = {slope:.4f} x {function_1(5.0) - slope * 5.0:+.4f}")
    if plt is not None:
        xs = np.arange(0.0, 20.0, 0.1)
        fig, ax = plt.subplots(figsize=(5, 3.5))
        ax.plot(xs, function_1(xs), label="f(x) = 0.01x² + 0.1x")
        ax.plot(xs, slope * (xs - 5.0) + function_1(5.0), "--", label="tangent at x = 5")
        ax.set(xlabel="x", ylabel="f(x)")
        ax.legend()
        save(fig, out, "tangent.png")

    for point in ([3.0, 4.0], [0.0, 2.0], [3.0, 0.0]):
        x = np.array(point)
        grad = numerical_gradient(lambda v: float(function_2(v)), x)
        lib = tg.numerical_gradient(function_2, tg.tensor(point, dtype=tg.float64))
        print(f"gradient of sum(x^2) at {point}: by hand {np.round(grad, 6)}, "
              f"tg.numerical_gradient {np.round(lib.numpy(), 6)}")


def gradient_descent(lr, steps=100, init=(-3.0, 4.0)):
    """x <- x - lr * grad, with autograd giving the gradient of sum(x^2)."""
    x = tg.tensor(list(init), dtype=tg.float64, requires_grad=True)
    for _ in range(steps):
        x.grad = None                 # otherwise backward() adds to the old grad
        function_2(x).backward()
        with tg.no_grad():            # the update itself must not be recorded
            x -= lr * x.grad
    return x.detach().numpy()


def descent():
    print("\n== C.3 Gradient descent on sum(x^2) from [-3, 4], 100 steps ==")
    for lr, note in ((0.1, "converges to the minimum at [0, 0]"),
                     (10.0, "too large: every step overshoots further"),
                     (1e-10, "too small: it barely moves")):
        end = gradient_descent(lr)
        print(f"lr {lr:<6g} -> {np.array2string(end, precision=6)}   ({note})")


# ---- C.4: SimpleNet ---------------------------------------------------------------------
def cross_entropy_error(y, t):
    return -(t * (y + 1e-7).log()).sum()


class SimpleNet:
    """One layer, 2 inputs -> 3 classes: softmax(x @ W), cross-entropy loss."""

    def __init__(self, W):
        self.W = tg.tensor(W, dtype=tg.float64, requires_grad=True)

    def loss(self, x, t, W=None):
        W = self.W if W is None else W
        return cross_entropy_error(tg.softmax(x @ W, dim=0), t)


def simple_net():
    print("\n== C.4 SimpleNet: numerical gradient vs autograd ==")
    # The lesson draws W with randn; these are the values it printed, so the numbers
    # below can be compared with it.
    W0 = np.array([[0.47355232, 0.9977393, 0.84668094],
                   [0.85557411, 0.03563661, 0.69422093]])
    net = SimpleNet(W0)
    x = tg.tensor([0.6, 0.9], dtype=tg.float64)
    t = tg.tensor([0.0, 0.0, 1.0], dtype=tg.float64)   # the right answer is class 2
    print("scores x @ W", np.round((x @ net.W).detach().numpy(), 8),
          " predicted class", int((x @ net.W).argmax().item()))
    loss = net.loss(x, t)
    print("loss", loss.item())
    loss.backward()

    # By hand: perturb a numpy copy of W in place; f reads that copy.
    W = W0.copy()
    by_hand = numerical_gradient(lambda _: net.loss(x, t, tg.tensor(W)).item(), W)
    # tg.numerical_gradient passes the perturbed weights to f: f must use its argument.
    lib = tg.numerical_gradient(lambda w: net.loss(x, t, w), tg.tensor(W0)).numpy()
    print("dW numerical (by hand)", np.array2string(by_hand, precision=8).replace(
        "\n", "\n" + " " * 22))
    print("dW autograd           ", np.array2string(net.W.grad.numpy(), precision=8).replace(
        "\n", "\n" + " " * 22))
    gap = max(np.abs(by_hand - net.W.grad.numpy()).max(), np.abs(lib - by_hand).max())
    print(f"max |numerical - autograd| = {gap:.1e}")
    return gap < 1e-6


def main(argv=None):
    args = parser(__doc__, out="out/gradients").parse_args(argv)
    plt = pyplot()
    chain_rule()
    derivatives(plt, args.out)
    descent()
    return 0 if simple_net() else 1


if __name__ == "__main__":
    raise SystemExit(main())
