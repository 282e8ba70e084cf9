"""tg.nn.Module: registration, walking the tree, modes, state_dict, reprs and casting,
against PyTorch where it is installed (layers: tests/test_nn_layers.py).

Finite-difference gradient checks of the layers are rows of tests/op_table_nn.py."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg
from tinygrad_edu import nn


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def net_class(L):
    """The curriculum's Net (fc1 784->512, fc2 512->10) in library L (tg or torch)."""
    class Net(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = L.nn.Linear(784, 512)
            self.fc2 = L.nn.Linear(512, 10)

        def forward(self, x):
            return L.softmax(self.fc2(L.relu(self.fc1(x))), dim=1)
    return Net


def shared_net(L):
    """Nested Sequentials, a module shared by two paths, a buffer, a bare Parameter."""
    nn_, shared = L.nn, L.nn.Linear(3, 3)
    m = nn_.Module()
    m.scale = nn_.Parameter(L.ones(1))
    m.fc1 = nn_.Linear(4, 3)
    m.seq = nn_.Sequential(shared, nn_.ReLU(), nn_.Sequential(nn_.Linear(3, 3), shared))
    m.fc2 = nn_.Linear(3, 2, bias=False)
    m.register_buffer("running", L.zeros(2))
    m.again = shared
    return m


def zoo(L):
    """Equivalent models in either library, for reprs and state_dict keys."""
    nn_ = L.nn
    return [nn_.Sequential(nn_.Flatten(), nn_.Linear(784, 512), nn_.ReLU(), nn_.Linear(512, 10)),
            net_class(L)(), nn_.LeakyReLU(0.1), nn_.Softmax(dim=1), nn_.Dropout(0.2),
            nn_.Sequential(nn_.Linear(2, 3), nn_.Sequential(nn_.Tanh(), nn_.Sigmoid()),
                           nn_.Linear(3, 1, bias=False)),
            nn_.Sequential(OrderedDict(a=nn_.Linear(1, 2), b=nn_.ReLU(inplace=True))),
            nn_.ModuleList([nn_.Linear(2, 2) for _ in range(3)] + [nn_.ReLU()]),
            nn_.Identity(), nn_.Flatten(0, 2), nn_.LogSoftmax(dim=0), nn_.Softmax(),
            nn_.LeakyReLU(), nn_.CrossEntropyLoss(), nn_.Sequential(), nn_.ModuleList(),
            shared_net(L)]


# ---- registration ----------------------------------------------------------------------
def test_attribute_registration_and_deletion():
    m = nn.Module()
    m.w = nn.Parameter(tg.ones(2))
    m.sub = nn.Linear(2, 1)
    m.register_buffer("stats", tg.zeros(3))
    m.plain = tg.ones(1)                       # a plain tensor is neither
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"]
    assert list(m._buffers) == ["stats"] and m.plain.shape == (1,)
    assert m.w is m._parameters["w"] and m.sub is m._modules["sub"]
    m.stats = tg.ones(3)                       # reassigning a buffer keeps it a buffer
    assert m._buffers["stats"].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'stats'"):
        m.stats = 3                            # (would silently leave the state_dict)
    assert list(m.state_dict()) == ["w", "stats", "sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        m.w = tg.ones(2)
    m.w = None                                  # None is allowed and kept as a slot
    assert m._parameters["w"] is None and [k for k, _ in m.named_parameters()] == [
        "sub.weight", "sub.bias"]
    del m.sub, m.stats, m.w, m.plain
    assert not m._modules and not m._buffers and not m._parameters
    for name in ("sub", "stats", "w", "plain"):
        assert not hasattr(m, name)
    m.stats = tg.ones(1)                       # a deleted buffer's name is a plain name again
    assert not m._buffers and m.stats.tolist() == [1.0]
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = m.nothing


def test_register_functions():
    m = nn.Module()
    m.register_parameter("p", nn.Parameter(tg.zeros(2)))
    m.register_parameter("none", None)
    m.add_module("child", nn.ReLU())
    m.register_module("child2", nn.Tanh())
    m.register_buffer("kept", tg.ones(1))
    m.register_buffer("scratch", tg.ones(1), persistent=False)
    assert list(m.state_dict()) == ["p", "kept"]
    m.register_buffer("scratch", tg.ones(1))   # registered again, now persistent
    assert list(m.state_dict()) == ["p", "kept", "scratch"]
    assert [k for k, _ in m.named_buffers()] == ["kept", "scratch"]
    assert [k for k, _ in m.named_children()] == ["child", "child2"]
    with pytest.raises(TypeError):
        m.register_parameter("q", tg.zeros(2))
    with pytest.raises(TypeError):
        m.register_buffer("b", np.zeros(2))
    with pytest.raises(TypeError):
        m.add_module("c", tg.zeros(2))
    for bad in ("a.b", ""):   # would make state_dict keys ambiguous (PyTorch: KeyError)
        for reg in (m.register_parameter, m.add_module, m.register_buffer):
            with pytest.raises(KeyError):
                reg(bad, None)


def test_assign_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_forward_missing():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(tg.ones(1))


# ---- walking the tree, against torch ---------------------------------------------------------
def test_names_and_order_match_torch(torch):
    for a, b in ((net_class(torch)(), net_class(tg)()), (shared_net(torch), shared_net(tg))):
        for fn in ("named_parameters", "named_buffers", "named_modules", "named_children"):
            assert [k for k, _ in getattr(b, fn)()] == [k for k, _ in getattr(a, fn)()], fn
        assert [k for k, _ in b.named_parameters(prefix="p")] == [
            k for k, _ in a.named_parameters(prefix="p")]
        assert [k for k, _ in b.named_parameters(recurse=False)] == [
            k for k, _ in a.named_parameters(recurse=False)]
        assert [type(m).__name__ for m in b.modules()] == [type(m).__name__ for m in a.modules()]
        assert [tuple(p.shape) for p in b.parameters()] == [tuple(p.shape)
                                                            for p in a.parameters()]
        assert list(b.state_dict()) == list(a.state_dict())


def test_shared_module_counted_once():
    m = shared_net(tg)
    params = list(m.parameters())
    assert len(params) == len({id(p) for p in params}) == 8
    assert sum(1 for x in m.modules() if x is m.again) == 1
    assert len(list(m.children())) == 4 and m.again in list(m.children())
    sd = m.state_dict()   # ... but in state_dict under each name, like torch
    assert sd["again.weight"].tolist() == sd["seq.0.weight"].tolist()


def test_apply_visits_children_first():
    seen = []
    m = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert m.apply(lambda x: seen.append(type(x).__name__)) is m
    assert seen[-1] == "Sequential" and sorted(seen) == sorted(
        ["Sequential", "Linear", "Sequential", "ReLU"])


# ---- modes and gradients -----------------------------------------------------------------------
def test_train_eval_propagate():
    m = nn.Sequential(nn.Linear(2, 3), nn.Dropout(), nn.Sequential(nn.Linear(3, 1)))
    assert all(x.training for x in m.modules())
    assert m.eval() is m and not any(x.training for x in m.modules())
    assert m.train() is m and all(x.training for x in m.modules())
    m[2].eval()
    assert [x.training for x in m.modules()] == [True, True, True, False, False]
    m.train(False)
    assert not m[1].training
    with pytest.raises(ValueError, match="boolean"):
        m.train("yes")


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    m(tg.ones(4, 2)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    assert any(np.abs(p.grad.numpy()).sum() > 0 for p in m.parameters())
    m.zero_grad(set_to_none=set_to_none)
    for p in m.parameters():
        assert p.grad is None if set_to_none else p.grad.tolist() == np.zeros(
            p.shape).tolist()
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_():
    m = nn.Linear(2, 2)
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    assert not m(tg.ones(1, 2)).requires_grad
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())


# ---- state_dict ------------------------------------------------------------------------------
def test_state_dict_keys_match_torch(torch):
    for a, b in zip(zoo(torch), zoo(tg)):
        assert list(b.state_dict()) == list(a.state_dict())
        assert [tuple(v.shape) for v in b.state_dict().values()] == [
            tuple(v.shape) for v in a.state_dict().values()]


def test_state_dict_detached_shares_memory():
    m = nn.Linear(2, 2)
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias"] and not sd["weight"].requires_grad
    assert type(sd["weight"]) is tg.Tensor
    sd["bias"].zero_()                        # same storage as the parameter
    assert m.bias.tolist() == [0.0, 0.0]
    assert list(m.state_dict(prefix="pre.")) == ["pre.weight", "pre.bias"]


def test_load_state_dict_round_trip_tg():
    tg.manual_seed(0)
    a, b = shared_net(tg), shared_net(tg)
    x = tg.randn(5, 4)
    assert not np.allclose(npy(a.fc2(a.seq(a.fc1(x)))), npy(b.fc2(b.seq(b.fc1(x)))))
    weight = b.fc1.weight
    assert tuple(b.load_state_dict(a.state_dict())) == ([], [])
    assert b.fc1.weight is weight             # copied in place: optimizers keep working
    assert npy(a.fc2(a.seq(a.fc1(x)))).tolist() == npy(b.fc2(b.seq(b.fc1(x)))).tolist()
    a.fc1.bias.data.zero_()                   # a copy, not an alias
    assert np.abs(npy(b.fc1.bias)).sum() > 0


def test_load_torch_state_dict_gives_identical_outputs(torch):
    a, b = net_class(torch)(), net_class(tg)()
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 784)).astype(np.float32)
    ours, ref = npy(b(tg.tensor(x))), npy(a(torch.tensor(x)))
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, rtol=1e-6)   # softmax rows
    b.load_state_dict({k: v.double().numpy() for k, v in a.state_dict().items()})
    assert {p.dtype for p in b.parameters()} == {tg.float32}       # cast into the model
    assert np.argmax(ours, 1).tolist() == np.argmax(ref, 1).tolist()
    b2 = net_class(tg)()
    b2.load_state_dict(a.state_dict())     # torch's own tensors load directly too
    np.testing.assert_array_equal(npy(b2(tg.tensor(x))), ours)
    with pytest.raises(RuntimeError, match=r"received builtins\.str"):
        b2.load_state_dict({**a.state_dict(), "fc1.weight": "weights"})


def test_load_state_dict_errors():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    sd = dict(m.state_dict())
    bias = sd.pop("0.bias")
    sd["extra"] = tg.ones(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential")
    assert 'Missing key(s) in state_dict: "0.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "extra"' in msg
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert (missing, unexpected) == (["0.bias"], ["extra"])
    sd["0.bias"], sd["0.weight"] = bias, tg.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying a param with "
                                           r"shape \[2, 3\] from checkpoint, the shape in "
                                           r"current model is \[3, 2\]"):
        m.load_state_dict(sd, strict=False)
    assert m[0].weight.tolist() != np.ones((3, 2)).tolist()   # nothing half-loaded


# ---- reprs -----------------------------------------------------------------------------------
def test_repr_matches_torch(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = list(zip(zoo(torch), zoo(tg)))
    for a, b in pairs:
        assert repr(b) == repr(a)


def test_parameter_repr_and_ops_return_tensors():
    p = nn.Parameter(tg.ones(2))
    assert repr(p).startswith("Parameter containing:\ntensor([1., 1.]")
    assert p.requires_grad and not nn.Parameter(tg.ones(1), requires_grad=False).requires_grad
    for out in (p * 2, p + p, -p, p.t(), p[0], p.detach(), p.sum(), p.exp(), p.reshape(2, 1)):
        assert type(out) is tg.Tensor
    assert isinstance(p, tg.Tensor) and type(nn.Linear(2, 2)(tg.ones(1, 2))) is tg.Tensor


# ---- dtype and device -------------------------------------------------------------------------
def test_casting_params():
    m = nn.Sequential(nn.Linear(2, 3), nn.Linear(3, 1))
    w = m[0].weight
    assert m.double() is m and {p.dtype for p in m.parameters()} == {tg.float64}
    assert m[0].weight is w                    # the same Parameter, new data
    assert m(tg.ones(1, 2, dtype=tg.float64)).dtype == tg.float64
    m.float()
    assert {p.dtype for p in m.parameters()} == {tg.float32}
    m.to(tg.float64)
    assert m[1].bias.dtype == tg.float64
    m.to(dtype=tg.float32)
    assert m[1].bias.dtype == tg.float32 and m.to("cpu") is m and m.cpu() is m
    assert nn.Linear(2, 3, dtype=tg.float64).weight.dtype == tg.float64


def test_to_cuda_raises_clearly():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        nn.Linear(2, 2).to("cuda")
