"""Curriculum A.1, A.2, A.3, A.5: linear layers, a first Module, two ways to write
activations, and softmax by hand.

Run: python examples/a_layers.py
"""
from _common import parser

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn


def linear_layers():
    """A.1: what a Linear layer does to shapes, and why stacking them needs activations."""
    print("== A.1 Linear layers ==")
    layer = nn.Linear(10, 5, bias=True)
    x = tg.randn(1, 10)
    print("Linear(10, 5) on randn(1, 10) ->", list(layer(x).shape))
    # PyTorch (and tg) store the weight as [out_features, in_features]: y = x @ W.T + b
    print("weight shape", list(layer.weight.shape), "bias shape", list(layer.bias.shape))
    for batch in (1, 2, 200):
        # The layer works on every row of the batch at once.
        print(f"batch of {batch:3d} rows -> output {list(layer(tg.randn(batch, 10)).shape)}")

    layer2 = nn.Linear(5, 2)
    y = layer2(layer(x))
    print("Linear(10, 5) then Linear(5, 2) ->", list(y.shape))

    # Without an activation in between, two layers are still one linear map:
    # W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2).
    with tg.no_grad():
        W = layer2.weight @ layer.weight
        b = layer2.weight @ layer.bias + layer2.bias
        xs = tg.randn(200, 10)
        gap = (layer2(layer(xs)) - (xs @ W.T + b)).abs().max().item()
    print(f"W2 @ W1 has shape {list(W.shape)}; max |two layers - one map| = {gap:.1e}"
          " (only float32 rounding): stacking linear layers is still linear")


class Net(nn.Module):
    """A.2: 784 -> 512 -> 10 with ReLU, softmax over each row of scores."""

    def __init__(self):
        super().__init__()  # must come first: it sets up the parameter registry
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        return F.softmax(self.fc2(x), dim=1)


def first_module():
    print("\n== A.2 A Module subclass ==")
    net = Net()
    print(net)
    total = 0
    for name, p in net.named_parameters():  # weights and biases, registered automatically
        print(f"  {name:10s} {list(p.shape)}")
        total += p.numel()
    print("parameters:", total)
    probs = net(tg.rand(4, 784))
    # softmax(dim=1) turns each row of 10 scores into probabilities
    print("output shape", list(probs.shape), "row sums", probs.sum(dim=1))


class NeuralNet1(nn.Module):
    """A.3, first way: activation modules created in __init__ (they show in print)."""

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.linear2 = nn.Linear(hidden_size, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return self.sigmoid(self.linear2(self.relu(self.linear1(x))))


class NeuralNet2(nn.Module):
    """A.3, second way: only the layers with weights are attributes; the activations
    are plain functions called in forward (tg.relu, tg.sigmoid, F.leaky_relu, ...)."""

    def __init__(self, input_size, hidden_size, activation=tg.relu):
        super().__init__()
        self.linear1 = nn.Linear(input_size, hidden_size)
        self.linear2 = nn.Linear(hidden_size, 1)
        self.activation = activation

    def forward(self, x):
        return tg.sigmoid(self.linear2(self.activation(self.linear1(x))))


def two_ways():
    print("\n== A.3 NeuralNet1 written two ways, with BCELoss ==")
    net1 = NeuralNet1(input_size=784, hidden_size=5)
    net2 = NeuralNet2(input_size=784, hidden_size=5)
    print(net1)
    print(net2)  # no ReLU/Sigmoid lines: functions are not modules
    # Same parameter names, so the second net can take the first one's weights.
    net2.load_state_dict(net1.state_dict())
    x = tg.rand(8, 784)
    y = (tg.rand(8, 1) > 0.5).float()       # labels 0 or 1, the shape of the output
    criterion = nn.BCELoss()                  # expects probabilities: hence the Sigmoid
    l1, l2 = criterion(net1(x), y), criterion(net2(x), y)
    print(f"BCELoss, modules in __init__: {l1.item():.6f}")
    print(f"BCELoss, functions in forward: {l2.item():.6f} (same weights, same loss)")
    leaky = NeuralNet2(784, 5, activation=lambda t: F.leaky_relu(t, negative_slope=0.01))
    leaky.load_state_dict(net1.state_dict())
    print(f"BCELoss with F.leaky_relu instead: {criterion(leaky(x), y).item():.6f}")


def softmax_by_hand():
    print("\n== A.5 Softmax by hand ==")
    x = tg.tensor([2.0, 1.0, 0.1])
    naive = tg.exp(x) / tg.exp(x).sum()
    print("exp(x) / exp(x).sum()      ", naive)
    # exp(1000) overflows; subtracting the max changes nothing mathematically
    # (the factor exp(-max) cancels) but keeps every exponent <= 0.
    stable = tg.exp(x - x.max()) / tg.exp(x - x.max()).sum()
    print("stable (subtract the max)  ", stable)
    print("tg.softmax(x, dim=0)       ", tg.softmax(x, dim=0))
    big = tg.tensor([1000.0, 999.0, 998.1])
    print("naive on [1000, 999, 998.1]", tg.exp(big) / tg.exp(big).sum(), "<- inf / inf")
    print("stable on [1000, 999, 998.1]", tg.softmax(big, dim=0))

    X = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    print("X.sum(dim=0, keepdim=True) ", X.sum(dim=0, keepdim=True))
    print("X.sum(dim=1, keepdim=True) ", X.sum(dim=1, keepdim=True))
    print("X.sum(dim=0)               ", X.sum(dim=0))
    print("X.sum(dim=1)               ", X.sum(dim=1))
    # keepdim=True leaves a (2, 1) column, which broadcasts across each row:
    R = tg.rand(2, 5)
    S = tg.exp(R) / tg.exp(R).sum(dim=1, keepdim=True)
    print("row-softmax of rand(2, 5), row sums:", S.sum(dim=1))


def main(argv=None):
    args = parser(__doc__).parse_args(argv)  # --quick changes nothing: this is fast
    tg.manual_seed(args.seed)
    linear_layers()
    first_module()
    two_ways()
    softmax_by_hand()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
