"""tg.nn.functional details a tutorial relies on: inplace=True, one_hot, and clear errors
for inputs PyTorch rejects (a numpy array to a layer, a one-hot integer target, a class
weight that does not fit)."""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn as nn
import tinygrad_edu.nn.functional as F
from helpers import npy


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "dropout"])
def test_inplace_writes_into_input_and_gradients_match_torch(name, torch):
    kw = {"relu": {}, "leaky_relu": {"negative_slope": 0.1}, "dropout": {"p": 0.0}}[name]
    vals, w = [-1.0, 2.0, -3.0, 0.5], [1.0, 2.0, 3.0, 4.0]
    x = tg.tensor(vals, requires_grad=True)
    y = x * 2.0
    out = getattr(F, name)(y, inplace=True, **kw)
    (out * tg.tensor(w)).sum().backward()
    tx = torch.tensor(vals, requires_grad=True)
    ty = tx * 2.0
    tout = getattr(torch.nn.functional, name)(ty, inplace=True, **kw)
    (tout * torch.tensor(w)).sum().backward()
    assert out is y, "inplace returns the input tensor itself"
    np.testing.assert_allclose(npy(y), ty.detach().numpy())
    np.testing.assert_allclose(npy(x.grad), tx.grad.numpy())


def test_inplace_modules_and_dropout_scaling():
    tg.manual_seed(0)
    x = tg.ones(1000)
    nn.Dropout(0.5, inplace=True)(x)
    vals = set(npy(x).tolist())
    assert vals == {0.0, 2.0}, "dropped to 0, kept ones scaled by 1/(1-p)"
    z = tg.tensor([-1.0, 3.0])
    with tg.no_grad():
        nn.ReLU(inplace=True)(z)
        assert npy(z).tolist() == [0.0, 3.0]
        nn.LeakyReLU(0.5, inplace=True)(tg.tensor([-2.0]))
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_inplace_on_a_leaf_that_requires_grad_is_refused():
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu(tg.ones(2, requires_grad=True), inplace=True)


def test_one_hot_matches_torch(torch):
    for t, k in (([0, 2, 1], -1), ([[0], [3]], 5), ([], 3)):
        ours = F.one_hot(tg.tensor(t, dtype=tg.int64), k)
        ref = torch.nn.functional.one_hot(torch.tensor(t, dtype=torch.int64), k)
        assert ours.dtype == tg.int64 and npy(ours).tolist() == ref.numpy().tolist()
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(tg.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="integer"):
        F.one_hot(tg.tensor([0.0, 1.0]))


def test_data_to_a_layer_is_converted_and_other_objects_are_a_type_error():
    # issue 6: "a list where a Tensor is expected is converted; an unconvertible object
    # raises TypeError" (PyTorch itself refuses lists and arrays here)
    layer = nn.Linear(3, 2)
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(npy(layer(x)), npy(layer(tg.tensor(x))))
    np.testing.assert_array_equal(npy(F.linear([[1.0, 2.0, 3.0]], tg.ones(2, 3))), [[6.0, 6.0]])
    with pytest.raises(TypeError, match=r"linear\(\): argument 'input' must be a tg\.Tensor"):
        layer("x")
    with pytest.raises(TypeError, match=r"relu\(\).*not dict"):
        nn.ReLU()({})


def test_one_hot_integer_target_to_cross_entropy_says_what_to_pass():
    onehot = tg.tensor(np.eye(3, dtype=np.int64)[[0, 1, 2, 0]])
    with pytest.raises(RuntimeError, match=r"one-hot.*class indices of shape \[4\]"):
        F.cross_entropy(tg.rand(4, 3), onehot)
    # the same values as float probabilities are a valid target
    assert F.cross_entropy(tg.rand(4, 3), onehot.float()).shape == ()


@pytest.mark.parametrize("fn", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_bce_weight_that_does_not_fit_the_input_is_refused(fn):
    p, t = tg.rand(3, 1) * 0.8 + 0.1, tg.rand(3, 1)
    with pytest.raises(RuntimeError, match=r"weight of shape \[2\]"):
        fn(p, t, weight=tg.tensor([2.0, 1.0]))
    assert fn(p, t, weight=tg.tensor([2.0])).shape == ()      # broadcasts: fine
    if fn is F.binary_cross_entropy_with_logits:
        with pytest.raises(RuntimeError, match="pos_weight"):
            fn(p, t, pos_weight=tg.tensor([1.0, 2.0]))
