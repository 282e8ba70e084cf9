"""Curriculum C.2: backpropagation through the 2-2-2 network, built four ways.

Input [0.05, 0.10]; hidden layer weights [[0.15, 0.20], [0.25, 0.30]], bias 0.35;
output layer weights [[0.40, 0.45], [0.50, 0.55]], bias 0.60; sigmoid after both;
target [0.01, 0.99]; MSELoss. Everything in float64 so the four ways agree to the
last digits. Then one SGD(lr=0.1) step.

Run: python examples/c2_backprop_222.py
"""
import numpy as np
from _common import parser

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

X = [[0.05, 0.10]]
W1, B1 = [[0.15, 0.20], [0.25, 0.30]], 0.35   # row k: the weights into hidden unit k
W2, B2 = [[0.40, 0.45], [0.50, 0.55]], 0.60
TARGET = [[0.01, 0.99]]
f64 = tg.float64


def show(t, digits=6):
    return np.array2string(np.asarray(t.detach().numpy() if isinstance(t, tg.Tensor) else t),
                           precision=digits, floatmode="fixed")


def report(way, hidden, out, loss, g1, g2):
    """Print one way's results; return them as (hidden, output, loss, g1, g2) arrays."""
    print(f"-- {way}")
    print(f"   hidden {show(hidden)}  output {show(out)}  loss {float(loss):.6f}")
    print(f"   layer 1 weight grad {show(g1, 8)}".replace("\n", "\n" + " " * 23))
    print(f"   layer 2 weight grad {show(g2, 8)}".replace("\n", "\n" + " " * 23))
    arrays = [np.asarray(v.detach().numpy() if isinstance(v, tg.Tensor) else v,
                         dtype=np.float64) for v in (hidden, out, g1, g2)]
    return arrays[0].ravel(), arrays[1].ravel(), float(loss), arrays[2], arrays[3]


def way1_scalars():
    """Every weight is its own scalar tensor; a neuron is a weighted sum then a sigmoid."""
    x = [tg.tensor(v, dtype=f64) for v in X[0]]
    w = {name: tg.tensor(v, dtype=f64, requires_grad=True) for name, v in
         zip(["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"], np.ravel(W1 + W2))}

    def neuron(inputs, weights, bias):
        return tg.sigmoid(sum(wi * xi for wi, xi in zip(weights, inputs)) + bias)

    h1 = neuron(x, [w["w1"], w["w2"]], B1)
    h2 = neuron(x, [w["w3"], w["w4"]], B1)
    o1 = neuron([h1, h2], [w["w5"], w["w6"]], B2)
    o2 = neuron([h1, h2], [w["w7"], w["w8"]], B2)
    loss = ((o1 - TARGET[0][0]) ** 2 + (o2 - TARGET[0][1]) ** 2) / 2   # the mean of 2
    loss.backward()
    g = [[w[f"w{i}"].grad.item() for i in pair] for pair in ((1, 2), (3, 4), (5, 6), (7, 8))]
    return report("1. scalar functions", [h1.item(), h2.item()], [o1.item(), o2.item()],
                  loss.item(), g[:2], g[2:])


def way2_chain_rule():
    """No autograd: the chain rule written out, one layer at a time, backwards."""
    x, t = tg.tensor(X, dtype=f64), tg.tensor(TARGET, dtype=f64)
    w1, w2 = tg.tensor(W1, dtype=f64), tg.tensor(W2, dtype=f64)
    h = tg.sigmoid(x @ w1.T + B1)                  # forward, keeping what backward needs
    o = tg.sigmoid(h @ w2.T + B2)
    loss = ((o - t) ** 2).mean()
    dloss_do = 2 * (o - t) / o.numel()            # d mean((o - t)^2) / do
    delta_o = dloss_do * o * (1 - o)               # through the sigmoid: s' = s (1 - s)
    grad_w2 = delta_o.T @ h                        # d(h @ w2.T)/d w2[j, k] = h[k]
    delta_h = (delta_o @ w2) * h * (1 - h)         # back through w2, then the sigmoid
    grad_w1 = delta_h.T @ x
    return report("2. chain rule by hand", h, o, loss.item(), grad_w1.numpy(), grad_w2.numpy())


def way3_linear_layers():
    """Two Linear layers whose values we set through .data (outside autograd)."""
    layer1, layer2 = nn.Linear(2, 2), nn.Linear(2, 2)
    layer1.weight.data = tg.tensor(W1, dtype=f64)
    layer1.bias.data = tg.tensor([B1, B1], dtype=f64)
    layer2.weight.data = tg.tensor(W2, dtype=f64)
    layer2.bias.data = tg.tensor([B2, B2], dtype=f64)
    h = tg.sigmoid(layer1(tg.tensor(X, dtype=f64)))
    o = tg.sigmoid(layer2(h))
    loss = nn.MSELoss()(o, tg.tensor(TARGET, dtype=f64))
    loss.backward()
    return report("3. two Linear layers, .weight.data = ...", h, o, loss.item(),
                  layer1.weight.grad.numpy(), layer2.weight.grad.numpy())


class Net222(nn.Module):
    """Two (Linear, Sigmoid) blocks; forward keeps the hidden values to print them."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
        self.output = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())

    def forward(self, x):
        self.h = self.hidden(x)
        return self.output(self.h)


def way4_module():
    """A Module of Sequential blocks, loaded from a state_dict, then one SGD step."""
    net = Net222().double()  # float64 parameters
    # The values must be float64 already: load_state_dict copies, and a float32 0.15
    # copied into a float64 parameter is 0.1500000059604645, not 0.15.
    values = {"hidden.0.weight": W1, "hidden.0.bias": [B1] * 2,
              "output.0.weight": W2, "output.0.bias": [B2] * 2}
    net.load_state_dict({k: tg.tensor(v, dtype=f64) for k, v in values.items()})
    x, t = tg.tensor(X, dtype=f64), tg.tensor(TARGET, dtype=f64)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(net.parameters(), lr=0.1)

    optimizer.zero_grad()          # grads add up across backward() calls: clear them first
    o = net(x)
    loss = criterion(o, t)
    loss.backward()
    grads = report("4. Module with Sequential(Linear, Sigmoid) blocks", net.h, o,
                   loss.item(), net.hidden[0].weight.grad.numpy(),
                   net.output[0].weight.grad.numpy())

    before = [p.detach().numpy().copy() for p in net.parameters()]
    optimizer.step()               # p <- p - lr * p.grad, for every parameter
    print("\n== One SGD(lr=0.1) step ==")
    print("new layer 1 weight", show(net.hidden[0].weight, 8).replace("\n", "\n" + " " * 19))
    print("new layer 2 weight", show(net.output[0].weight, 8).replace("\n", "\n" + " " * 19))
    # grads are still there after step(): check the update is exactly w - 0.1 * grad
    gap = max(np.abs(p.detach().numpy() - (b - 0.1 * p.grad.numpy())).max()
              for p, b in zip(net.parameters(), before))
    print(f"max |new - (old - 0.1 * grad)| = {gap:.1e}")
    with tg.no_grad():
        print(f"loss {loss.item():.6f} -> {criterion(net(x), t).item():.6f} after the step")
    return grads, gap


def main(argv=None):
    parser(__doc__).parse_args(argv)  # --quick changes nothing: this is instant
    print("== The 2-2-2 network four ways (float64) ==")
    results = [way1_scalars(), way2_chain_rule(), way3_linear_layers()]
    grads, gap = way4_module()
    results.append(grads)
    spread = max(np.abs(r[i] - results[0][i]).max() for r in results for i in (3, 4))
    print(f"\nall four ways agree on the weight grads: max difference {spread:.1e}")
    return 0 if spread < 1e-12 and gap < 1e-15 else 1


if __name__ == "__main__":
    raise SystemExit(main())
