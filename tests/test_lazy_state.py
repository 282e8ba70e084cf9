"""Lazy layers and checkpoints: a state_dict sizes a lazy layer's placeholders
(directly, or inside a model); partial and mismatched checkpoints, as PyTorch's."""
import numpy as np
import pytest
from test_lazy import lenet, npy, to_torch

import tinygrad_edu as tg
import tinygrad_edu.nn.lazy as lazy
from tinygrad_edu import nn, optim
from tinygrad_edu.nn.lazy import (LazyBatchNorm2d, LazyConv2d, LazyConvTranspose2d, LazyLinear,
                                  UninitializedParameter)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


# ---- state_dict ----------------------------------------------------------------------------
def test_load_state_dict_materializes_a_lazy_module(torch):
    src = nn.Linear(4, 10)
    m = LazyLinear(10)
    w = m.weight
    opt = optim.SGD(m.parameters(), lr=0.1)
    assert m.load_state_dict(src.state_dict()) == ([], [])
    assert m.weight is w and type(w) is nn.Parameter and m.in_features == 4
    np.testing.assert_array_equal(npy(m.weight), npy(src.weight))
    x = tg.randn(3, 4)
    np.testing.assert_allclose(npy(m(x)), npy(src(x)), rtol=1e-6)
    assert type(m) is nn.Linear and opt.param_groups[0]["params"][0] is w
    # PyTorch's loads too (and stays Lazy* until its first forward, as ours does)
    tm = torch.nn.LazyLinear(10)
    tm.load_state_dict(to_torch(torch, src.state_dict()))
    assert type(tm) is torch.nn.LazyLinear and tm.weight.shape == (10, 4)


@pytest.mark.parametrize("make, ordinary, shape", [
    (lambda: LazyConv2d(6, 3, groups=2), lambda t: t.Conv2d(4, 6, 3, groups=2), (2, 4, 7, 7)),
    (lambda: LazyConvTranspose2d(4, 3, groups=2), lambda t: t.ConvTranspose2d(6, 4, 3, groups=2),
     (2, 6, 5, 5)),
    (lambda: LazyBatchNorm2d(), lambda t: t.BatchNorm2d(3), (4, 3, 5, 5)),
], ids=["conv2d-groups", "convtranspose2d-groups", "batchnorm2d"])
def test_a_pytorch_checkpoint_loads_into_a_lazy_module(torch, make, ordinary, shape):
    src = ordinary(torch.nn)
    x = torch.randn(*shape)
    src.train()(x)                                  # running stats away from 0 / 1
    with torch.no_grad():
        for p in src.parameters():
            p.add_(torch.rand(p.shape))
    m = make()
    m.load_state_dict(src.state_dict())
    for k, v in src.state_dict().items():
        np.testing.assert_array_equal(m.state_dict()[k].numpy(), v.numpy())
    src.eval()
    m.eval()
    np.testing.assert_allclose(npy(m(tg.tensor(x.numpy()))), src(x).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    assert type(m).__name__ == type(src).__name__


def test_a_partial_checkpoint_fills_the_rest_with_the_default_initialisation():
    src = nn.Linear(16, 3)
    m = LazyLinear(3)
    assert m.load_state_dict({"weight": src.weight}, strict=False) == (["bias"], [])
    assert type(m.bias) is nn.Parameter and m.bias.shape == (3,)
    assert np.abs(npy(m.bias)).max() <= 0.25                      # +-1/sqrt(16)
    m2 = LazyLinear(3)
    assert m2.load_state_dict({}, strict=False) == (["weight", "bias"], [])
    assert m2.has_uninitialized_params()


def test_a_mismatched_checkpoint_is_refused_and_leaves_the_module_lazy():
    # (PyTorch 2.13 loads a [5, 4] weight into LazyLinear(10) without a word)
    m = LazyLinear(10)
    w = m.weight
    with pytest.raises(RuntimeError, match=r"size mismatch for weight: copying a param with "
                                           r"shape \[5, 4\] from checkpoint, the shape in "
                                           r"current model is \[10, 4\]"):
        m.load_state_dict(nn.Linear(4, 5).state_dict())
    assert type(w) is UninitializedParameter and m.in_features == 0 and m.weight is w
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "extra"'):
        m.load_state_dict({**nn.Linear(4, 10).state_dict(), "extra": tg.zeros(1)})
    assert m.has_uninitialized_params()


def test_a_lazy_checkpoint_into_an_initialized_module_is_refused_like_pytorch(torch):
    with pytest.raises(RuntimeError) as want:
        torch.nn.Linear(3, 2).load_state_dict(torch.nn.LazyLinear(2).state_dict())
    with pytest.raises(RuntimeError) as got:
        nn.Linear(3, 2).load_state_dict(LazyLinear(2).state_dict())
    assert str(got.value) == str(want.value)


def test_a_checkpoint_loads_into_a_model_of_lazy_layers(torch):
    tnet = lenet(torch.nn, torch.nn)
    tnet(torch.zeros(1, 1, 28, 28))
    net = lenet(nn, lazy)
    net.load_state_dict(tnet.state_dict())
    x = torch.randn(2, 1, 28, 28)
    np.testing.assert_allclose(npy(net(tg.tensor(x.numpy()))), tnet(x).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
