"""tg.nn layers and init: containers, Flatten, Identity, Dropout, the activation
modules and Linear against PyTorch where it is installed; nn.init statistics, fan
rules and gains. Finite-difference gradient checks are rows of tests/op_table_nn.py."""
import math
from collections import OrderedDict

import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.nn import init


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# ---- containers and simple layers ----------------------------------------------------------
def test_sequential_container():
    a, b, c = nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)
    s = nn.Sequential(a, b)
    assert len(s) == 2 and s[0] is a and s[-1] is b and list(s) == [a, b]
    assert s.append(c) is s and len(s) == 3 and s[2] is c
    assert [k for k, _ in s.named_children()] == ["0", "1", "2"]
    sub = s[1:]
    assert type(sub) is nn.Sequential and list(sub) == [b, c]
    assert [k for k, _ in sub.named_children()] == ["1", "2"]   # names kept, like torch
    x = tg.randn(5, 4)
    assert npy(s(x)).tolist() == npy(c(b(a(x)))).tolist()
    with pytest.raises(IndexError):
        s[3]
    s[1] = nn.Tanh()
    assert type(s[1]) is nn.Tanh
    del s[0]   # torch renumbers after a deletion, so append cannot reuse a live key
    assert len(s) == 2 and [k for k, _ in s.named_children()] == ["0", "1"]
    s.append(nn.Identity())
    assert [type(m).__name__ for m in s] == ["Tanh", "Linear", "Identity"]
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert named.fc is named[0] and list(named.state_dict()) == ["fc.weight", "fc.bias"]


def test_module_list():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    assert layers.append(nn.ReLU()) is layers and type(layers[-1]) is nn.ReLU
    layers.extend([nn.Tanh()])
    assert [type(m).__name__ for m in layers] == ["Linear"] * 3 + ["ReLU", "Tanh"]
    assert list(layers.state_dict())[:2] == ["0.weight", "0.bias"]
    assert type(layers[1:3]) is nn.ModuleList and len(layers[1:3]) == 2


@pytest.mark.parametrize("start,end,expected", [(1, -1, (2, 60)), (0, -1, (120,)),
                                                (1, 2, (2, 12, 5)), (2, 3, (2, 3, 20)),
                                                (0, 0, (2, 3, 4, 5))])
def test_flatten(start, end, expected):
    assert tuple(nn.Flatten(start, end)(tg.ones(2, 3, 4, 5)).shape) == expected


def test_identity():
    x = tg.ones(2, 3)
    assert nn.Identity(54, unused="x")(x) is x


# ---- Dropout ----------------------------------------------------------------------------------
def test_dropout_training_statistics():
    tg.manual_seed(0)
    x = tg.ones(200_000)
    y = nn.Dropout(0.3)(x).numpy()
    assert abs((y == 0).mean() - 0.3) < 0.005
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.01     # expectation preserved
    assert F.dropout(tg.ones(3, dtype=tg.float64), 0.5).dtype == tg.float64


def test_dropout_modes_and_edges():
    x = tg.randn(4, 5, requires_grad=True)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x
    assert nn.Dropout(0.0)(x) is x
    y = nn.Dropout(1.0)(x)
    assert npy(y).tolist() == np.zeros((4, 5)).tolist()
    y.sum().backward()
    assert x.grad.tolist() == np.zeros((4, 5)).tolist()
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            nn.Dropout(p)
        with pytest.raises(ValueError, match="between 0 and 1"):
            F.dropout(x, p)


def test_dropout_reproducible_and_gradient_is_the_mask():
    d = nn.Dropout(0.5)
    x = tg.ones(1000, requires_grad=True)
    tg.manual_seed(7)
    y1 = d(x)
    tg.manual_seed(7)
    y2 = d(x)
    assert npy(y1).tolist() == npy(y2).tolist() and d(x).tolist() != npy(y1).tolist()
    y1.sum().backward()
    assert x.grad.tolist() == npy(y1).tolist()   # 0 or 2 where the input was 1


# ---- activation modules -----------------------------------------------------------------------
ACTS = [("ReLU", (), "relu"), ("Sigmoid", (), "sigmoid"), ("Tanh", (), "tanh"),
        ("LeakyReLU", (0.1,), "leaky_relu"), ("Softmax", (1,), "softmax"),
        ("LogSoftmax", (1,), "log_softmax")]


@pytest.mark.parametrize("name,args,fname", ACTS, ids=[a[0] for a in ACTS])
def test_activation_modules_match_functions_and_torch(torch, name, args, fname):
    x = np.random.default_rng(1).uniform(-3, 3, (4, 5))
    grads = []
    for L in (tg, torch):
        xt = L.tensor(x, requires_grad=True)
        y = getattr(L.nn, name)(*args)(xt)
        assert npy(y).tolist() == npy(getattr(L.nn.functional, fname)(xt, *args)).tolist()
        (y * L.tensor(np.arange(20.0).reshape(4, 5))).sum().backward()
        grads.append((npy(y), npy(xt.grad)))
    for ours, ref in zip(*grads):
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-14)


def test_step_module():
    x = tg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y = nn.Step()(x)
    y.sum().backward()
    assert y.tolist() == [0.0, 0.0, 1.0] and x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_implicit_dim_warns_like_torch(torch, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    for cls in ("Softmax", "LogSoftmax"):
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            ours = getattr(nn, cls)()(tg.tensor(x))
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            ref = getattr(torch.nn, cls)()(torch.tensor(x))
        np.testing.assert_allclose(npy(ours), npy(ref), rtol=1e-12)


# ---- Linear -------------------------------------------------------------------------------------
def test_linear_shapes():
    lin = nn.Linear(10, 5)
    assert tuple(lin.weight.shape) == (5, 10) and tuple(lin.bias.shape) == (5,)
    for n in (1, 2, 200):
        assert tuple(lin(tg.randn(n, 10)).shape) == (n, 5)
    assert tuple(lin(tg.randn(3, 4, 10)).shape) == (3, 4, 5)
    assert tuple(lin(tg.randn(10)).shape) == (5,)
    two = nn.Sequential(lin, nn.Linear(5, 2))
    assert tuple(two(tg.randn(7, 10)).shape) == (7, 2)
    nobias = nn.Linear(3, 2, bias=False)
    assert nobias.bias is None and [k for k, _ in nobias.named_parameters()] == ["weight"]
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        lin(tg.randn(2, 9))
    for bad in (-1, 2.5, True):
        with pytest.raises(ValueError):
            nn.Linear(bad, 2)


def test_linear_without_activation_is_one_linear_map():
    tg.manual_seed(0)
    l1, l2 = nn.Linear(10, 5, bias=False), nn.Linear(5, 2, bias=False)
    x = tg.randn(3, 10)
    w = l2.weight.detach() @ l1.weight.detach()
    np.testing.assert_allclose(npy(l2(l1(x))), npy(x @ w.t()), rtol=1e-5, atol=1e-6)


def test_linear_init_statistics_like_torch():
    tg.manual_seed(0)
    lin = nn.Linear(784, 512)
    w, b = npy(lin.weight), npy(lin.bias)
    bound = 1 / math.sqrt(784)
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(w.mean()) < 0.01 * bound and np.abs(w).max() > 0.99 * bound
    assert b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)
    assert w.dtype == b.dtype == np.float32


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("lead", [(6,), (1,), (2, 3), ()])
def test_linear_forward_backward_match_torch(torch, bias, lead):
    a, b = torch.nn.Linear(7, 4, bias=bias), nn.Linear(7, 4, bias=bias)
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    x = np.random.default_rng(2).standard_normal(lead + (7,)).astype(np.float32)
    up = np.random.default_rng(3).standard_normal(lead + (4,)).astype(np.float32)
    res = []
    for L, m in ((torch, a), (tg, b)):
        xt = L.tensor(x, requires_grad=True)
        y = m(xt)
        (y * L.tensor(up)).sum().backward()
        res.append([npy(y), npy(xt.grad), npy(m.weight.grad)] +
                   ([npy(m.bias.grad)] if bias else []))
    for ref, ours in zip(*res):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-5)


# ---- nn.init --------------------------------------------------------------------------------
GAINS = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
         ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 0), ("selu", None)]


@pytest.mark.parametrize("nonlinearity,param", GAINS)
def test_calculate_gain_equals_torch(torch, nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    for bad in ("x", True):
        with pytest.raises(ValueError, match="not a valid number"):
            init.calculate_gain("leaky_relu", bad)


def _filled(fn, shape=(400, 600), *args, **kw):
    tg.manual_seed(0)
    return npy(fn(tg.empty(*shape), *args, **kw))


def test_uniform_normal_constant():
    u = _filled(init.uniform_, (400, 600), -2.0, 3.0)
    assert u.min() >= -2.0 and u.max() < 3.0 and u.min() < -1.99 and u.max() > 2.99
    assert u.mean() == pytest.approx(0.5, abs=0.01)
    assert u.std() == pytest.approx(5 / math.sqrt(12), rel=0.01)
    n = _filled(init.normal_, (400, 600), 2.0, 3.0)
    assert n.mean() == pytest.approx(2.0, abs=0.02) and n.std() == pytest.approx(3.0, rel=0.01)
    assert npy(init.constant_(tg.empty(2, 3), 0.25)).tolist() == [[0.25] * 3] * 2
    assert npy(init.zeros_(tg.ones(3))).tolist() == [0.0] * 3
    assert npy(init.ones_(tg.zeros(3))).tolist() == [1.0] * 3
    t = init.normal_(tg.empty(10, dtype=tg.float64))
    assert t.dtype == tg.float64


def test_xavier():
    fan_in, fan_out = 600, 400
    a = math.sqrt(6 / (fan_in + fan_out))
    u = _filled(init.xavier_uniform_)
    assert np.abs(u).max() <= a and np.abs(u).max() > 0.99 * a
    assert u.std() == pytest.approx(a / math.sqrt(3), rel=0.01)
    u2 = _filled(init.xavier_uniform_, (400, 600), gain=2.0)
    assert np.abs(u2).max() <= 2 * a and np.abs(u2).max() > 1.98 * a
    n = _filled(init.xavier_normal_, (400, 600), gain=0.5)
    assert n.std() == pytest.approx(0.5 * math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    conv = _filled(init.xavier_uniform_, (40, 30, 2, 2))   # receptive field counts
    assert np.abs(conv).max() <= math.sqrt(6 / (30 * 4 + 40 * 4))


@pytest.mark.parametrize("mode,fan", [("fan_in", 600), ("fan_out", 400)])
@pytest.mark.parametrize("nonlinearity,a,gain", [("relu", 0, math.sqrt(2)),
                                                 ("leaky_relu", 0, math.sqrt(2)),
                                                 ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
                                                 ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3))])
def test_kaiming(mode, fan, nonlinearity, a, gain):
    std = gain / math.sqrt(fan)
    u = _filled(init.kaiming_uniform_, (400, 600), a=a, mode=mode, nonlinearity=nonlinearity)
    assert np.abs(u).max() <= math.sqrt(3) * std and np.abs(u).max() > 0.99 * math.sqrt(3) * std
    assert u.std() == pytest.approx(std, rel=0.01)
    n = _filled(init.kaiming_normal_, (400, 600), a=a, mode=mode, nonlinearity=nonlinearity)
    assert n.std() == pytest.approx(std, rel=0.01) and abs(n.mean()) < 0.01 * std * 10


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
def test_fan_needs_two_dims_like_torch(torch, name):
    msg = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
    with pytest.raises(ValueError, match=msg):
        getattr(init, name)(tg.empty(5))
    with pytest.raises(ValueError, match=msg):
        getattr(torch.nn.init, name)(torch.empty(5))


def test_kaiming_bad_mode_and_zero_elements():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(tg.empty(3, 4), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):    # as torch
        assert tuple(init.kaiming_normal_(tg.empty(0, 3)).shape) == (0, 3)


ALL_INITS = [(init.uniform_, ()), (init.normal_, ()), (init.constant_, (0.5,)),
             (init.zeros_, ()), (init.ones_, ()), (init.xavier_uniform_, ()),
             (init.xavier_normal_, ()), (init.kaiming_uniform_, ()), (init.kaiming_normal_, ())]


@pytest.mark.parametrize("fn,args", ALL_INITS, ids=[f.__name__ for f, _ in ALL_INITS])
def test_init_fills_in_place_without_graph(fn, args):
    for t in (tg.zeros(3, 4, requires_grad=True), nn.Parameter(tg.zeros(3, 4))):
        assert fn(t, *args) is t
        assert t.is_leaf and t.grad_fn is None and t.requires_grad
        (t * 2).sum().backward()                 # still a trainable leaf
        assert t.grad.tolist() == [[2.0] * 4] * 3


def test_init_reproducible_with_manual_seed():
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_):
        a, b = _filled(fn, (5, 7)), _filled(fn, (5, 7))
        assert a.tolist() == b.tolist()
        assert fn(tg.empty(5, 7)).tolist() != a.tolist()
    tg.manual_seed(3)
    l1 = nn.Linear(4, 3)
    tg.manual_seed(3)
    l2 = nn.Linear(4, 3)
    assert npy(l1.weight).tolist() == npy(l2.weight).tolist()
