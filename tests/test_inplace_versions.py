"""The version counter: every way of changing a tensor that backward still needs
(+=, zero_, .data reads and writes, setitem, optimizer steps mid-graph) makes the
later backward raise, naming the op, as PyTorch does. Never a silent wrong gradient."""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim

_MSG = "modified by an inplace operation"


def _saved_by_mul():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    return x, y, y * y  # MulBackward saves y


@pytest.mark.parametrize("edit", [
    lambda y: y.__iadd__(1), lambda y: y.mul_(3), lambda y: y.sub_(1), lambda y: y.div_(2),
    lambda y: y.zero_(), lambda y: y.__setitem__(0, 5.0),
], ids=["iadd", "mul_", "sub_", "div_", "zero_", "setitem"])
def test_recorded_inplace_edit_of_a_saved_tensor_raises(edit):
    x, y, z = _saved_by_mul()
    edit(y)  # recorded (y requires grad): y's new history is fine, z's is stale
    with pytest.raises(RuntimeError, match=_MSG + r": input 0 .* of MulBackward"):
        z.sum().backward()


def test_recorded_inplace_edit_differentiates_through_the_new_values():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y += 1
    (y * y).sum().backward()  # d/dx (2x + 1)^2 = 4 (2x + 1)
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 20.0])


@pytest.mark.parametrize("edit", [
    lambda y: y.__iadd__(1), lambda y: y.zero_(), lambda y: y.fill_(2.0),
    lambda y: y.copy_(tg.ones(2)), lambda y: y.normal_(), lambda y: y.uniform_(),
    lambda y: y.__setitem__(0, 5.0), lambda y: y.data.add_(1), lambda y: y.detach().mul_(0),
    lambda y: setattr(y, "data", tg.tensor([9.0, 9.0])),
    lambda y: y.data.__setitem__(slice(None), 0.0),
], ids=["iadd", "zero_", "fill_", "copy_", "normal_", "uniform_", "setitem", "data.add_",
        "detach.mul_", "data=", "data[:]="])
def test_unrecorded_edit_of_a_saved_tensor_raises_naming_the_op(edit):
    x, y, z = _saved_by_mul()
    with tg.no_grad():
        edit(y)
    with pytest.raises(RuntimeError, match=_MSG + r": input 0 \(tg.float32 of shape \[2\]\) "
                                                  r"of MulBackward is at version \d+; expected "
                                                  "version 0"):
        z.sum().backward()


def test_edit_of_a_saved_leaf_through_data_raises():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    z = (w * w).sum()
    w.data = tg.tensor([9.0, 9.0])  # would otherwise give 18, 18 instead of 2, 4
    with pytest.raises(RuntimeError, match=_MSG + ".*MulBackward"):
        z.backward()


def test_edit_of_a_saved_output_raises():
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()  # ExpBackward keeps its output
    with tg.no_grad():
        y.zero_()
    with pytest.raises(RuntimeError, match=_MSG + ": its output of ExpBackward"):
        y.sum().backward()


def test_leaf_requiring_grad_cannot_change_in_place_while_recording():
    w = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad.*no_grad"):
        w += 1
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.zero_()


@pytest.mark.parametrize("make_opt", [
    lambda p: optim.SGD(p, lr=0.1), lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: optim.Adam(p, lr=0.01), lambda p: optim.AdamW(p, lr=0.01),
    lambda p: optim.RMSprop(p, lr=0.01), lambda p: optim.Adagrad(p, lr=0.01),
], ids=["sgd", "sgd-momentum", "adam", "adamw", "rmsprop", "adagrad"])
def test_optimizer_step_between_forward_and_backward_raises(make_opt):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = make_opt(model.parameters())
    x = tg.randn(5, 3)
    model(x).sum().backward()           # some gradients, so step() changes the weights
    loss = model(x).pow(2).sum()        # a graph that saved the weights
    opt.step()                          # the forgotten-order mistake
    with pytest.raises(RuntimeError, match=_MSG + ".*LinearBackward.*optimizer.step"):
        loss.backward()


def test_the_right_order_trains():
    tg.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    x, y = tg.randn(8, 3), tg.randn(8, 1)
    for _ in range(3):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()


def test_views_share_the_counter():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    z = (y.sum(0) * y[0]).sum()  # Mul saves the view y[0]
    with tg.no_grad():
        y.reshape(4)[0] = 7.0    # edit through another view of the same memory
    with pytest.raises(RuntimeError, match=_MSG):
        z.backward()
