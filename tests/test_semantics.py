"""PyTorch semantics found missing in review, one regression test each."""
import numpy as np
import pytest

import tinygrad_edu as tg


def test_integer_casts_leave_the_graph():
    x = tg.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad and x.long().grad_fn is None
    assert not (x > 2).requires_grad
    y = (x.long() * 2).float()
    (y * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # no gradient through rounding


def test_retained_grad_accumulates_like_a_leaf():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [2.0, 2.0])
    y.grad.zero_()  # owns its memory
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0])


def test_autograd_grad_stops_at_requested_non_leaf():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.sum().backward()          # frees y's node
    (g,) = tg.autograd.grad((y * 3).sum(), y)   # needs nothing below y
    np.testing.assert_array_equal(g.numpy(), [3.0, 3.0])
    h = x * x
    loss = (h * 2).sum()
    tg.autograd.grad(loss, h, retain_graph=False)
    h.sum().backward()          # h's own node was not touched by grad()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0 + 2.0, 4.0 + 4.0])


def test_create_graph_grad_is_writable_and_unaliased():
    x = tg.ones(2, requires_grad=True)
    (x.sum() * 3).backward(create_graph=True)
    x.grad.zero_()
    g = tg.tensor([1.0, 2.0])
    z = tg.ones(2, requires_grad=True)
    z.backward(g, create_graph=True)
    z.grad.zero_()
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0])


def test_setitem_repeated_index_last_write_wins():
    v = tg.tensor([5.0, 6.0], requires_grad=True)
    x = tg.tensor([2.0, 4.0], requires_grad=True)
    y = x * 1
    y[[0, 0]] = v
    np.testing.assert_array_equal(y.detach().numpy(), [6.0, 4.0])
    y.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 1.0])


def test_inplace_on_a_graph_view_is_refused():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="view"):
        y[0:1].mul_(10)
    h = y[0:2]
    with pytest.raises(RuntimeError, match="view"):
        h[1] = 5.0


def test_pow_zero_exponent_gradient_is_zero_not_nan():
    x = tg.tensor([0.0, 2.0], requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_inplace_downcast_within_kind_and_refusal_across_kinds():
    x = tg.tensor([1.0, 2.0, 3.0])
    x += tg.tensor([1.0, 1.0, 1.0], dtype=tg.float64)
    assert x.dtype == tg.float32
    np.testing.assert_array_equal(x.numpy(), [2.0, 3.0, 4.0])
    n = tg.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        n += 0.5


def test_zero_dim_tensors_promote_like_scalars():
    assert (tg.tensor([1.0, 2.0]) + tg.tensor(5.0, dtype=tg.float64)).dtype == tg.float32
    assert (tg.tensor([1, 2], dtype=tg.int32) + tg.tensor(5)).dtype == tg.int32
    assert (tg.tensor([1, 2]) + tg.tensor(5.0, dtype=tg.float64)).dtype == tg.float64


def test_matmul_of_mixed_dtypes_raises_like_pytorch():
    # PyTorch: "expected m1 and m2 to have the same dtype, but got: float != double"
    with pytest.raises(RuntimeError, match="same dtype.*tg.float32 and tg.float64"):
        tg.ones(2, 3) @ tg.ones(3, 4, dtype=tg.float64)
    out = tg.ones(2, 3).double() @ tg.ones(3, 4, dtype=tg.float64)
    assert out.shape == (2, 4) and out.dtype == tg.float64
    assert (tg.ones(2, 3, dtype=tg.float64) @ ([[1.0]] * 3)).dtype == tg.float64  # a list adapts
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        tg.ones(2, 3) @ tg.ones(4, 3)


def test_small_api_points():
    assert tg.randint(10, (3,)).shape == (3,)
    assert (tg.tensor([1.0]) == None) is False  # noqa: E711 - the point of the test
    assert (tg.tensor([1.0]) != None) is True  # noqa: E711

    @tg.no_grad
    def double(t):
        return t * 2
    assert not double(tg.ones(2, requires_grad=True)).requires_grad
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        tg.cat([tg.tensor(1.0), tg.tensor(2.0)])
    assert tg.tensor([float("nan"), -2.0]).sign().tolist() == [0.0, -1.0]


def test_numerical_gradient_in_float64_whatever_the_input():
    g = tg.numerical_gradient(lambda t: (t ** 2).sum(), tg.tensor([300.0, 400.0]))
    np.testing.assert_allclose(g.numpy(), [600.0, 800.0], rtol=1e-6)
    g = tg.numerical_gradient(lambda t: (t * t).sum(), tg.tensor([1, 2, 3]))
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0, 6.0], rtol=1e-6)


def test_empty_reductions_follow_pytorch_or_explain():
    assert tg.ones(2, 0).softmax(1).shape == (2, 0)
    assert tg.ones(2, 0).logsumexp(1).tolist() == [float("-inf")] * 2
    with pytest.raises(RuntimeError, match="zero-size dimension"):
        tg.zeros(2, 0).amax(1)


def test_assorted_argument_forms():
    assert tg.zeros(2, 1, 3).squeeze(()).shape == (2, 1, 3)
    assert tg.tensor(np.float64(3.0)).dtype == tg.float64
    m = tg.tensor([[True, False], [True, True]])
    assert m.all(1).tolist() == [False, True] and m.any(dim=0, keepdim=True).shape == (1, 2)
    with pytest.raises(RuntimeError, match="must match"):
        tg.where(tg.tensor([True, False]), tg.ones(1), tg.ones(3))


def test_grad_and_data_setters_validate():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="size"):
        x.grad = tg.ones(3)
    with pytest.raises(TypeError):
        x.grad = [1.0, 1.0]
    with pytest.raises(RuntimeError, match="floating point"):
        x.data = tg.tensor([1, 2])
    x.grad = tg.zeros(2)
    x.grad = None
