"""Golden tests from /work/shared/curriculum.md, tensors only (no nn/optim yet).

Sections A.4, A.5, B (formulas by hand), C.1-C.4."""
import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import npy


# ---- A.4 activations on linspace(-10, 10, 100) ------------------------------------
X = np.linspace(-10, 10, 100)
SIG = 1 / (1 + np.exp(-X))
ACTIVATIONS = {
    "step": (lambda x: tg.step(x), (X > 0).astype(float), np.zeros_like(X)),
    "heaviside": (lambda x: tg.heaviside(x, tg.tensor(0.0)), (X > 0).astype(float),
                  np.zeros_like(X)),
    "sigmoid": (lambda x: tg.sigmoid(x), SIG, SIG * (1 - SIG)),
    "tanh": (lambda x: tg.tanh(x), np.tanh(X), 1 - np.tanh(X) ** 2),
    "relu": (lambda x: tg.relu(x), np.maximum(X, 0), (X > 0).astype(float)),
    "leaky_relu": (lambda x: tg.leaky_relu(x, negative_slope=0.1),
                   np.where(X > 0, X, 0.1 * X), np.where(X > 0, 1.0, 0.1)),
    "sigmoid_method": (lambda x: x.sigmoid(), SIG, SIG * (1 - SIG)),
    "tanh_method": (lambda x: x.tanh(), np.tanh(X), 1 - np.tanh(X) ** 2),
    "relu_method": (lambda x: x.relu(), np.maximum(X, 0), (X > 0).astype(float)),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_a4_activation_and_grad(name):
    f, y_want, g_want = ACTIVATIONS[name]
    x = tg.linspace(-10, 10, 100, requires_grad=True)
    y = f(x)
    y.sum().backward()
    assert y.shape == (100,) and x.grad.shape == (100,)
    np.testing.assert_allclose(npy(y), y_want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(npy(x.grad), g_want, rtol=1e-5, atol=1e-6)


def test_a4_softmax_rows_give_zero_gradient():
    x = tg.tensor([[-1.0, 2.0, -3.0, 4.0], [-2.0, 3.0, -3.0, 9.0]], requires_grad=True)
    y = tg.softmax(x, dim=1)
    np.testing.assert_allclose(npy(y).sum(axis=1), [1.0, 1.0], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.zeros((2, 4)), atol=1e-6)


# ---- A.5 softmax by hand, sum with dim/keepdim -----------------------------------------
def test_a5_softmax_by_hand():
    x = tg.tensor([2.0, 1.0, 0.1])
    naive = tg.exp(x) / tg.exp(x).sum()
    stable = tg.exp(x - x.max()) / tg.exp(x - x.max()).sum()
    for y in (naive, stable, x.softmax(dim=0)):
        np.testing.assert_allclose(npy(y), [0.659, 0.242, 0.099], atol=5e-4)
    assert repr(x.softmax(dim=0)) == "tensor([0.6590, 0.2424, 0.0986])"


def test_a5_sum_dim_keepdim():
    X = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert X.sum(dim=0, keepdim=True).tolist() == [[5.0, 7.0, 9.0]]
    assert X.sum(dim=1, keepdim=True).tolist() == [[6.0], [15.0]]
    assert X.sum(dim=0).tolist() == [5.0, 7.0, 9.0]
    assert X.sum(dim=1).tolist() == [6.0, 15.0]
    tg.manual_seed(0)
    r = tg.rand(2, 5)
    e = tg.exp(r)
    s = e / e.sum(dim=1, keepdim=True)
    np.testing.assert_allclose(npy(s.sum(dim=1)), [1.0, 1.0], rtol=1e-6)


# ---- B: losses written with tensors ------------------------------------------------------
def test_b_regression_losses_by_formula():
    y_true = tg.tensor([3.0, 5.0, 2.5])
    y_pred = tg.tensor([4.5, 5.0, 2.0])
    d = y_pred - y_true
    assert d.abs().mean().item() == pytest.approx(0.6666666865348816, rel=1e-7)
    assert (d ** 2).mean().item() == pytest.approx(0.8333333134651184, rel=1e-7)
    smooth = tg.where(d.abs() < 1.0, 0.5 * d ** 2, d.abs() - 0.5).mean()
    assert smooth.item() == pytest.approx(0.375, rel=1e-7)


def _cross_entropy(scores, targets):
    onehot = tg.tensor(np.eye(scores.shape[1], dtype=np.float32)[targets])
    return -(onehot * scores.log_softmax(dim=1)).sum(dim=1).mean()


@pytest.mark.parametrize("scores,targets,want,pred", [
    ([[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]], [0, 1], 0.8965588212013245, None),
    ([[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]], [1, 2], 1.2465587854385376, None),
    ([[2.0, 1.0, 0.1]], [0], 0.4170, [0]),
    ([[0.5, 2.0, 0.3]], [0], 1.8406, [1]),
    ([[2.0, 1.0, 2.1], [2.0, 1.0, 0.1], [2.0, 3.0, 0.1]], [2, 0, 1], 0.5251, [2, 0, 1]),
    ([[0.5, 2.0, 0.3]] * 3, [2, 0, 1], 1.4073, [1, 1, 1]),
])
def test_b_cross_entropy_by_formula(scores, targets, want, pred):
    s = tg.tensor(scores)
    loss = _cross_entropy(s, targets)
    tol = 1e-6 if pred is None else 5e-5
    assert loss.item() == pytest.approx(want, abs=tol)
    if pred is not None:
        _, idx = tg.max(s, 1)
        assert idx.tolist() == pred


def test_b_bce_by_formula():
    p = tg.tensor([[0.1], [0.2], [0.7]])
    t = tg.tensor([[1.0], [0.0], [1.0]])
    loss = -(t * p.log() + (1 - t) * (1 - p).log()).mean()
    assert loss.item() == pytest.approx(0.9608011841773987, rel=1e-6)


def test_b_by_hand_sse_and_cross_entropy():
    t = tg.tensor([0, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=tg.float64)
    y1 = tg.tensor([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0], dtype=tg.float64)
    y2 = tg.tensor([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0], dtype=tg.float64)
    sse = lambda y: 0.5 * ((y - t) ** 2).sum()          # noqa: E731
    ce = lambda y: -(t * (y + 1e-7).log()).sum()        # noqa: E731
    assert sse(y1).item() == pytest.approx(0.0975, rel=1e-12)
    assert sse(y2).item() == pytest.approx(0.5975, rel=1e-12)
    assert ce(y1).item() == pytest.approx(0.510825457099338, rel=1e-12)
    assert ce(y2).item() == pytest.approx(2.302584092994546, rel=1e-12)


# ---- C.1 chain rule ---------------------------------------------------------------------------
def test_c1_chain_rule():
    x = tg.tensor(1.0)
    w = tg.tensor(0.0, requires_grad=True)
    b = tg.tensor(0.0, requires_grad=True)
    fc1 = 1 / (tg.exp(-1 * x * w + b) + 1)
    fc1.retain_grad()
    fc2 = 2 * fc1 + 1
    fc2.backward()
    assert fc1.grad.item() == pytest.approx(2.0)
    assert w.grad.item() == pytest.approx(0.5)
    assert b.grad.item() == pytest.approx(-0.5)


# ---- C.2 the 2-2-2 network ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_c2_two_two_two_network(dtype):
    dt = getattr(tg, dtype)
    x = tg.tensor([[0.05, 0.10]], dtype=dt)
    W1 = tg.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=dt, requires_grad=True)
    W2 = tg.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=dt, requires_grad=True)
    t = tg.tensor([[0.01, 0.99]], dtype=dt)
    h = (x @ W1.T + 0.35).sigmoid()
    o = (h @ W2.T + 0.6).sigmoid()
    loss = ((o - t) ** 2).mean()
    assert loss.dtype == dt
    np.testing.assert_allclose(npy(h), [[0.593270, 0.596884]], atol=1e-6)
    np.testing.assert_allclose(npy(o), [[0.751365, 0.772928]], atol=1e-6)
    assert loss.item() == pytest.approx(0.298371, abs=1e-6)
    loss.backward()
    tol = 1e-8 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(npy(W1.grad), [[0.00043857, 0.00087714],
                                              [0.00049771, 0.00099543]], atol=tol)
    np.testing.assert_allclose(npy(W2.grad), [[0.08216704, 0.08266763],
                                              [-0.02260254, -0.02274024]], atol=tol)
    # one SGD step by hand, lr 0.1, after zeroing
    with tg.no_grad():
        W2 -= 0.1 * W2.grad
    np.testing.assert_allclose(npy(W2)[0, 0], 0.40 - 0.008216704, atol=1e-6)
    W1.grad = None
    W2.grad.zero_()


# ---- C.3 numerical derivatives -------------------------------------------------------------
def test_c3_numerical_derivative_scalar():
    f = lambda x: 0.01 * x ** 2 + 0.1 * x                  # noqa: E731
    g = tg.numerical_gradient(f, tg.tensor(10.0, dtype=tg.float64), h=1e-4)
    assert float(np.asarray(g)) == pytest.approx(0.3, abs=1e-8)


def test_c3_gradient_of_sum_of_squares_and_descent():
    f = lambda x: (x ** 2).sum()                            # noqa: E731
    g = tg.numerical_gradient(f, tg.tensor([3.0, 4.0], dtype=tg.float64))
    np.testing.assert_allclose(np.asarray(g), [6.0, 8.0], atol=1e-6)
    g = tg.numerical_gradient(lambda x: (x ** 2).sum(), np.array([3.0, 4.0]))
    np.testing.assert_allclose(np.asarray(g), [6.0, 8.0], atol=1e-6)
    x = tg.tensor([-3.0, 4.0], dtype=tg.float64)
    for _ in range(100):
        x = x - 0.1 * tg.tensor(np.asarray(tg.numerical_gradient(f, x)), dtype=tg.float64)
    np.testing.assert_allclose(npy(x), [0.0, 0.0], atol=1e-8)
    # the same descent with autograd
    x = tg.tensor([-3.0, 4.0], dtype=tg.float64, requires_grad=True)
    for _ in range(100):
        x.grad = None
        f(x).backward()
        with tg.no_grad():
            x -= 0.1 * x.grad
    np.testing.assert_allclose(npy(x), [-3.0 * 0.8 ** 100, 4.0 * 0.8 ** 100], atol=1e-12)


def test_c3_tangent_line():
    f = lambda x: 0.01 * x ** 2 + 0.1 * x                  # noqa: E731
    x0 = tg.tensor(5.0, dtype=tg.float64, requires_grad=True)
    f(x0).backward()
    slope = x0.grad.item()
    assert slope == pytest.approx(0.2)
    tangent = lambda x: slope * x + (f(x0).item() - slope * 5.0)  # noqa: E731
    assert tangent(5.0) == pytest.approx(f(x0).item())


# ---- C.4 SimpleNet: numerical vs autograd ------------------------------------------------
def test_c4_simplenet_numerical_vs_autograd():
    W0 = np.array([[0.47355232, 0.9977393, 0.84668094],
                   [0.85557411, 0.03563661, 0.69422093]])
    x = tg.tensor([0.6, 0.9], dtype=tg.float64)
    t = tg.tensor([0.0, 0.0, 1.0], dtype=tg.float64)

    def loss(W):
        y = (x @ W).softmax(dim=0)
        return -(t * (y + 1e-7).log()).sum()

    W = tg.tensor(W0, dtype=tg.float64, requires_grad=True)
    L = loss(W)
    assert L.item() == pytest.approx(0.9280682857864075, rel=1e-6)
    L.backward()
    num = np.asarray(tg.numerical_gradient(loss, tg.tensor(W0, dtype=tg.float64)))
    assert num.shape == (2, 3)
    np.testing.assert_allclose(npy(W.grad), num, atol=1e-6)
    np.testing.assert_allclose(num, [[0.21924757, 0.14356243, -0.36281000],
                                     [0.32887136, 0.21534364, -0.54421500]], atol=1e-6)
