"""Golden tests from /work/shared/curriculum.md through tg.nn, tg.optim and tg.data:
sections A.1-A.3, B, C.2, C.4, D.1, D.2, D.4. (tests/test_curriculum.py covers the
tensor-only parts: A.4, A.5, the loss formulas of B, C.1, C.3.)"""
import os
import sys

import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset

# The lesson's own model classes, as the examples write them (examples/ is not a package)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from a_layers import NeuralNet1, NeuralNet2  # noqa: E402
import c2_backprop_222 as c2  # noqa: E402
from c2_backprop_222 import Net222  # noqa: E402


@pytest.fixture(autouse=True)
def _seed():
    tg.manual_seed(0)


# ---- A.1 Linear layers ------------------------------------------------------------------
def test_a1_linear_shapes():
    layer = nn.Linear(10, 5, bias=True)
    assert layer(tg.randn(1, 10)).shape == (1, 5)
    assert layer.weight.shape == (5, 10) and layer.bias.shape == (5,)
    for batch in (1, 2, 200):
        assert layer(tg.randn(batch, 10)).shape == (batch, 5)
    assert nn.Linear(5, 2)(layer(tg.randn(7, 10))).shape == (7, 2)


def test_a1_stacked_linear_layers_are_one_linear_map():
    l1, l2 = nn.Linear(10, 5).double(), nn.Linear(5, 2).double()
    x = tg.randn(20, 10, dtype=tg.float64)
    with tg.no_grad():
        W = l2.weight @ l1.weight
        b = l2.weight @ l1.bias + l2.bias
        np.testing.assert_allclose(npy(l2(l1(x))), npy(x @ W.T + b), atol=1e-12)
    assert W.shape == (2, 10)


# ---- A.2 a Module subclass --------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x):
        return F.softmax(self.fc2(F.relu(self.fc1(x))), dim=1)


NET_TEXT = """Net(
  (fc1): Linear(in_features=784, out_features=512, bias=True)
  (fc2): Linear(in_features=512, out_features=10, bias=True)
)"""


def test_a2_net_prints_parameters_and_rows_sum_to_one(capsys):
    net = Net()
    print(net)
    assert capsys.readouterr().out == NET_TEXT + "\n"
    assert [tuple(p.shape) for p in net.parameters()] == [(512, 784), (512,), (10, 512), (10,)]
    assert [n for n, _ in net.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight",
                                                      "fc2.bias"]
    out = net(tg.rand(5, 784))
    assert out.shape == (5, 10)
    np.testing.assert_allclose(npy(out.sum(dim=1)), np.ones(5), rtol=1e-6)
    assert (npy(out) > 0).all()


# ---- A.3 NeuralNet1 both ways (examples/a_layers.py), BCELoss ------------------------------
def test_a3_neuralnet1_two_ways_same_bce():
    net1 = NeuralNet1(input_size=784, hidden_size=5)
    assert str(net1) == """NeuralNet1(
  (linear1): Linear(in_features=784, out_features=5, bias=True)
  (relu): ReLU()
  (linear2): Linear(in_features=5, out_features=1, bias=True)
  (sigmoid): Sigmoid()
)"""
    net2 = NeuralNet2(784, 5)
    net2.load_state_dict(net1.state_dict())
    x = tg.rand(8, 784)
    y = (tg.rand(8, 1) > 0.5).float()
    p1, p2 = net1(x), net2(x)
    assert p1.shape == (8, 1) and ((npy(p1) > 0) & (npy(p1) < 1)).all()
    l1, l2 = nn.BCELoss()(p1, y), nn.BCELoss()(p2, y)
    assert l1.item() == l2.item()
    p, t = npy(p1).astype(np.float64), npy(y)
    assert l1.item() == pytest.approx(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)),
                                      rel=1e-5)
    leaky = NeuralNet2(784, 5, activation=lambda h: F.leaky_relu(h, 0.01))
    leaky.load_state_dict(net1.state_dict())
    l3 = nn.BCELoss()(leaky(x), y)
    l3.backward()
    assert leaky.linear1.weight.grad.shape == (5, 784)


# ---- B losses ------------------------------------------------------------------------------
def test_b_regression_losses_exact():
    y_true = tg.tensor([3.0, 5.0, 2.5])
    y_pred = tg.tensor([4.5, 5.0, 2.0])
    assert nn.L1Loss()(y_pred, y_true).item() == 0.6666666865348816
    assert nn.MSELoss()(y_pred, y_true).item() == 0.8333333134651184
    assert nn.SmoothL1Loss()(y_pred, y_true).item() == 0.375
    assert F.smooth_l1_loss(y_pred, y_true).item() == 0.375
    assert F.l1_loss(y_pred, y_true).item() == 0.6666666865348816
    assert F.mse_loss(y_pred, y_true).item() == 0.8333333134651184


@pytest.mark.parametrize("targets,want", [([0, 1], 0.8965588212013245),
                                          ([1, 2], 1.2465587854385376)])
def test_b_cross_entropy_exact(targets, want):
    scores = tg.tensor([[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]])
    assert nn.CrossEntropyLoss()(scores, tg.tensor(targets)).item() == want
    assert F.cross_entropy(scores, tg.tensor(targets)).item() == want


@pytest.mark.parametrize("scores,targets,want,pred", [
    ([[2.0, 1.0, 0.1]], [0], 0.4170, [0]),
    ([[0.5, 2.0, 0.3]], [0], 1.8406, [1]),
    ([[2.0, 1.0, 2.1], [2.0, 1.0, 0.1], [2.0, 3.0, 0.1]], [2, 0, 1], 0.5251, [2, 0, 1]),
    ([[0.5, 2.0, 0.3]] * 3, [2, 0, 1], 1.4073, [1, 1, 1]),
])
def test_b_cross_entropy_and_predictions(scores, targets, want, pred):
    s = tg.tensor(scores)
    loss = nn.CrossEntropyLoss()(s, tg.tensor(targets))
    assert loss.item() == pytest.approx(want, abs=5e-5)
    values, indices = tg.max(s, 1)
    assert indices.tolist() == pred
    np.testing.assert_array_equal(npy(values), np.max(scores, axis=1).astype(np.float32))


def test_b_bce_exact():
    probs = tg.tensor([[0.1], [0.2], [0.7]])
    targets = tg.tensor([[1.0], [0.0], [1.0]])
    assert nn.BCELoss()(probs, targets).item() == 0.9608011841773987
    assert F.binary_cross_entropy(probs, targets).item() == 0.9608011841773987


def test_b_library_losses_match_the_hand_formulas():
    t = np.eye(10)[2]
    y1 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    y2 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
    for y, sse, ce in ((y1, 0.0975, 0.510825457099338), (y2, 0.5975, 2.302584092994546)):
        yt, tt = tg.tensor(y), tg.tensor(t)
        assert yt.dtype == tg.float64
        # half the sum of squares = 0.5 * mse_loss(reduction="sum") = 5 * mse_loss (mean)
        assert 0.5 * F.mse_loss(yt, tt, reduction="sum").item() == pytest.approx(sse, rel=1e-12)
        assert 5 * nn.MSELoss()(yt, tt).item() == pytest.approx(sse, rel=1e-12)
        # -sum(t * log(y + 1e-7)) with one-hot t = nll_loss of log(y + 1e-7), target 2
        logp = (yt + 1e-7).log().unsqueeze(0)
        assert nn.NLLLoss()(logp, tg.tensor([2])).item() == pytest.approx(ce, rel=1e-12)
        # cross_entropy on log-probabilities: log_softmax(log y) = log y (no 1e-7 here)
        got = F.cross_entropy(yt.log().unsqueeze(0), tg.tensor([2])).item()
        assert got == pytest.approx(-np.log(y[2]), rel=1e-12)


# ---- C.2 the 2-2-2 network, the four ways of examples/c2_backprop_222.py -------------------
X, TARGET = [[0.05, 0.10]], [[0.01, 0.99]]
W1, B1 = [[0.15, 0.20], [0.25, 0.30]], 0.35
W2, B2 = [[0.40, 0.45], [0.50, 0.55]], 0.60
HIDDEN, OUTPUT, LOSS = [0.593270, 0.596884], [0.751365, 0.772928], 0.298371
GRAD1 = [[0.00043857, 0.00087714], [0.00049771, 0.00099543]]
GRAD2 = [[0.08216704, 0.08266763], [-0.02260254, -0.02274024]]
f64 = tg.float64


def _net222():
    net = Net222().double()
    values = {"hidden.0.weight": W1, "hidden.0.bias": [B1] * 2,
              "output.0.weight": W2, "output.0.bias": [B2] * 2}
    net.load_state_dict({k: tg.tensor(v, dtype=f64) for k, v in values.items()})
    return net


def _module():
    return c2.way4_module()[0]   # (its values before the SGD step it then takes)


FOUR_WAYS = [c2.way1_scalars, c2.way2_chain_rule, c2.way3_linear_layers, _module]


@pytest.mark.parametrize("way", FOUR_WAYS)
def test_c2_four_ways_match_the_curriculum(way):
    h, o, loss, g1, g2 = way()
    np.testing.assert_allclose(h, HIDDEN, atol=1e-6)
    np.testing.assert_allclose(o, OUTPUT, atol=1e-6)
    assert loss == pytest.approx(LOSS, abs=1e-6)
    np.testing.assert_allclose(g1, GRAD1, atol=5e-9)
    np.testing.assert_allclose(g2, GRAD2, atol=5e-9)


def test_c2_weight_data_assignment_gives_a_float64_loss():
    layer = nn.Linear(2, 2)
    layer.weight.data = tg.tensor(W1, dtype=f64)
    layer.bias.data = tg.tensor([B1, B1], dtype=f64)
    loss = nn.MSELoss()(tg.sigmoid(layer(tg.tensor(X, dtype=f64))), tg.tensor(TARGET, dtype=f64))
    assert loss.dtype == f64


def test_c2_four_ways_agree_to_rounding():
    results = [way() for way in FOUR_WAYS]
    for r in results[1:]:
        for got, want in zip(r, results[0]):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_c2_sgd_step_after_zero_grad():
    net = _net222()
    x, t = tg.tensor(X, dtype=f64), tg.tensor(TARGET, dtype=f64)
    opt = optim.SGD(net.parameters(), lr=0.1)
    # a stale gradient that zero_grad() must clear, or backward() would add to it
    nn.MSELoss()(net(x), t).backward()
    opt.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    loss = nn.MSELoss()(net(x), t)
    loss.backward()
    np.testing.assert_allclose(npy(net.output[0].weight.grad), GRAD2, atol=5e-9)
    before = [npy(p).copy() for p in net.parameters()]
    opt.step()
    for p, b in zip(net.parameters(), before):
        np.testing.assert_array_equal(npy(p), b - 0.1 * npy(p.grad))
    np.testing.assert_allclose(npy(net.output[0].weight)[0],
                               [0.40 - 0.1 * 0.08216704, 0.45 - 0.1 * 0.08266763], atol=1e-9)
    assert nn.MSELoss()(net(x), t).item() < loss.item()


# ---- C.4 SimpleNet, D.1 TwoLayerNet: numerical vs autograd -----------------------------------
def numerical_param_grad(loss_fn, param):
    """Central differences for one Parameter of a module: tg.numerical_gradient passes
    the perturbed copy to f, which installs it through .data."""
    saved = param.detach().clone()

    def f(w):
        param.data = w
        return loss_fn()

    try:
        return npy(tg.numerical_gradient(f, saved))
    finally:
        param.data = saved


SIMPLE_W = [[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]]


class SimpleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(tg.tensor(SIMPLE_W, dtype=f64))

    def forward(self, x):
        return x @ self.W


def test_c4_simplenet_through_nn():
    net = SimpleNet()
    x, t = tg.tensor([[0.6, 0.9]], dtype=f64), tg.tensor([2])
    loss = nn.CrossEntropyLoss()(net(x), t)
    # the lesson's -sum(t * log(softmax + 1e-7)) is 0.9280682857864075; without the 1e-7:
    assert loss.item() == pytest.approx(0.9280685387482351, rel=1e-12)  # PyTorch, float64
    loss.backward()
    num = numerical_param_grad(lambda: nn.CrossEntropyLoss()(net(x), t), net.W)
    np.testing.assert_allclose(npy(net.W.grad), num, atol=1e-8)
    np.testing.assert_allclose(num, [[0.21924757, 0.14356243, -0.36281000],
                                     [0.32887136, 0.21534364, -0.54421500]], atol=1e-6)
    assert [n for n, _ in net.named_parameters()] == ["W"]


def test_c4_numerical_gradient_lesson_idiom():
    # the lesson's f = lambda w: net.loss(x, t) ignores w: W itself must be nudged in place
    W = tg.tensor(SIMPLE_W, dtype=f64)
    x, t = tg.tensor([0.6, 0.9], dtype=f64), tg.tensor([0.0, 0.0, 1.0], dtype=f64)

    def loss(_):
        return -(t * ((x @ W).softmax(dim=0) + 1e-7).log()).sum()

    dW = tg.numerical_gradient(loss, W)
    np.testing.assert_allclose(npy(dW)[0, 0], 0.21924757, atol=1e-6)


class TwoLayerNet(nn.Module):
    """D.1: sigmoid hidden layer, softmax output (probabilities), cross-entropy."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return F.softmax(self.fc2(tg.sigmoid(self.fc1(x))), dim=1)

    def loss(self, x, t):
        return F.nll_loss(tg.log(self(x) + 1e-7), t)


def test_d1_two_layer_net_autograd_matches_numerical():
    # A narrow input keeps the central differences cheap (2 passes per weight); the
    # structure is the lesson's 784-50-10 one.
    net = TwoLayerNet(40, 8, 10).double()
    x = tg.rand(3, 40, dtype=f64)
    t = tg.tensor([3, 7, 1])
    net.loss(x, t).backward()
    for name, p in net.named_parameters():
        num = numerical_param_grad(lambda: net.loss(x, t), p)
        np.testing.assert_allclose(npy(p.grad), num, atol=1e-9, err_msg=name)
    assert npy(net(x)).sum(axis=1) == pytest.approx(np.ones(3))


# ---- D.2 the d2l recipe's pieces -------------------------------------------------------------
def test_d2_model_init_and_batches():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    assert str(net) == """Sequential(
  (0): Flatten(start_dim=1, end_dim=-1)
  (1): Linear(in_features=784, out_features=256, bias=True)
  (2): ReLU()
  (3): Linear(in_features=256, out_features=10, bias=True)
)"""
    for p in net.parameters():
        nn.init.normal_(p, mean=0.0, std=0.01)
    w = npy(net[1].weight)
    assert abs(w.mean()) < 1e-3 and w.std() == pytest.approx(0.01, rel=0.02)
    assert npy(net[3].bias).std() > 0   # biases drawn too, not left at their init
    images = tg.rand(600, 1, 28, 28)
    labels = tg.randint(0, 10, (600,))
    loader = DataLoader(TensorDataset(images, labels), batch_size=256, shuffle=True)
    sizes = [len(y) for _, y in loader]
    assert sizes == [256, 256, 88]
    x, _ = next(iter(loader))
    assert x.shape == (256, 1, 28, 28) and net(x).shape == (256, 10)


# ---- D.4 the training loop, with each optimizer ------------------------------------------
def _blobs(n=300, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    y = rng.integers(0, 3, n)
    x = centers[y] + rng.normal(0, 0.5, (n, 2))
    return tg.tensor(x.astype(np.float32)), tg.tensor(y)


OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.1),
    "SGD-momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.1),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01),
    "Adam": lambda p: optim.Adam(p, lr=0.01),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_d4_training_loop_lowers_the_loss(name):
    x, y = _blobs()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    criterion = nn.CrossEntropyLoss()
    optimizer = OPTIMIZERS[name](model.parameters())
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
    with tg.no_grad():
        first = criterion(model(x), y).item()
    for _ in range(10):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
    model.eval()
    with tg.no_grad():
        last = criterion(model(x), y).item()
        acc = (model(x).argmax(dim=1) == y).float().mean().item()
    assert last < 0.5 * first, (first, last)
    assert acc > 0.9
