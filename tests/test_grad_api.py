"""Higher-order gradients, tg.autograd.grad, custom Functions, gradcheck,
gradgradcheck and numerical_gradient."""
import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import f64, npy


# ---- higher order and tg.autograd.grad -----------------------------------------------
def test_create_graph_second_derivative():
    x = f64(2.0, requires_grad=True)
    y = x ** 3
    (g,) = tg.autograd.grad(y, [x], create_graph=True)
    assert g.item() == pytest.approx(12.0) and g.requires_grad
    (h,) = tg.autograd.grad(g, [x])
    assert h.item() == pytest.approx(12.0)      # 6x
    x.grad = None
    y = x ** 3
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.requires_grad
    x.grad = None
    gx.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_autograd_grad_does_not_touch_dot_grad():
    x = f64([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    (g,) = tg.autograd.grad(y, x)
    np.testing.assert_allclose(npy(g), [2.0, 4.0])
    assert x.grad is None
    assert not g.requires_grad


def test_autograd_grad_outputs_and_retain_graph():
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    (g,) = tg.autograd.grad([y], [x], grad_outputs=[f64([1.0, 0.0, 2.0])], retain_graph=True)
    np.testing.assert_allclose(npy(g), [2.0, 0.0, 12.0])
    (g,) = tg.autograd.grad(y, x, grad_outputs=f64([1.0, 1.0, 1.0]))
    np.testing.assert_allclose(npy(g), [2.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match="second time"):
        tg.autograd.grad(y, x, grad_outputs=f64([1.0, 1.0, 1.0]))


def test_hessian_vector_product():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    A = A + A.T
    xv, vv = rng.standard_normal(4), rng.standard_normal(4)
    x = f64(xv, requires_grad=True)
    f = 0.5 * (x @ (f64(A) @ x)) + (x ** 3).sum()      # H = A + diag(6x)
    (g,) = tg.autograd.grad(f, [x], create_graph=True)
    (hv,) = tg.autograd.grad((g * f64(vv)).sum(), [x])
    np.testing.assert_allclose(npy(hv), (A + np.diag(6 * xv)) @ vv, rtol=1e-12)


# ---- custom Functions, gradcheck ------------------------------------------------------
class Cube(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3.0 * x * x


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2.0 * x * x          # wrong on purpose


class BadShape(Cube):
    @staticmethod
    def backward(ctx, grad):
        return grad.sum()                  # a scalar for a vector input


class NotATensor(Cube):
    @staticmethod
    def backward(ctx, grad):
        return np.ones(3)                  # an array, and of the wrong shape


class BadCount(Cube):
    @staticmethod
    def backward(ctx, grad):
        return grad, grad                  # two gradients for one input


@pytest.mark.parametrize("through_node", [False, True])
def test_custom_function_bad_gradients_are_named(through_node):
    """The engine checks what a backward returns, for a leaf input and a node input alike."""
    x = f64([1.0, 2.0], requires_grad=True)
    src = x * 1.0 if through_node else x
    with pytest.raises(RuntimeError, match=r"BadShapeBackward returned an invalid gradient at "
                       r"index 0 - got \[\] but expected shape \[2\]"):
        BadShape.apply(src).sum().backward()
    src = x * 1.0 if through_node else x
    with pytest.raises(RuntimeError, match="BadCountBackward returned 2 gradients, expected 1"):
        BadCount.apply(src).sum().backward()
    src = x * 1.0 if through_node else x
    with pytest.raises(RuntimeError, match=r"NotATensorBackward returned an invalid gradient at "
                       r"index 0 - got \[3\] \(a ndarray, not a Tensor\)"):
        NotATensor.apply(src).sum().backward()


class Scale(tg.autograd.Function):
    seen: list = []

    @staticmethod
    def forward(ctx, x, s):
        Scale.seen.append(ctx.needs_input_grad)  # PyTorch's ctx offers it in forward too
        return x * s

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def test_needs_input_grad_in_forward():
    x, s = f64([1.0, 2.0], requires_grad=True), f64(3.0)
    Scale.seen.clear()
    Scale.apply(x, s)
    with tg.no_grad():  # PyTorch's ctx still reports the inputs' requires_grad here
        y = Scale.apply(x, s)
    assert Scale.seen == [(True, False), (True, False)] and not y.requires_grad


def test_custom_function_apply():
    x = f64([1.0, 2.0], requires_grad=True)
    y = Cube.apply(x)
    assert isinstance(y, tg.Tensor) and y.requires_grad
    np.testing.assert_allclose(npy(y), [1.0, 8.0])
    y.sum().backward()
    np.testing.assert_allclose(npy(x.grad), [3.0, 12.0])


def test_gradcheck_passes_for_correct_ops():
    x = f64([[0.3, -0.7], [1.2, 0.5]], requires_grad=True)
    w = f64([0.1, -0.4], requires_grad=True)
    assert tg.gradcheck(lambda a, b: (a @ b).tanh() * a.sum(), (x, w)) is True
    assert tg.gradcheck(Cube.apply, (x,)) is True
    assert tg.gradcheck(lambda a: a.softmax(dim=1), (x,), eps=1e-6, atol=1e-5, rtol=1e-3)


def test_gradcheck_raises_naming_input_index_values():
    x = f64([0.5, 1.5], requires_grad=True)
    with pytest.raises(Exception) as info:
        tg.gradcheck(WrongCube.apply, (x,))
    msg = str(info.value)
    assert "0" in msg and "input" in msg.lower()
    # both the analytic (2x^2) and numerical (3x^2) values appear
    assert any(s in msg for s in ("0.5", "0.50")) and any(s in msg for s in ("0.75", "0.750"))


def test_gradgradcheck():
    x = f64([0.3, -0.7, 1.1], requires_grad=True)
    assert tg.gradgradcheck(lambda a: (a.sin() * a.exp()).sum(), (x,)) is True
    assert tg.gradgradcheck(Cube.apply, (x,)) is True


def test_numerical_gradient():
    x = f64([3.0, 4.0])
    g = tg.numerical_gradient(lambda t: (t * t).sum(), x, h=1e-4)
    np.testing.assert_allclose(np.asarray(g), [6.0, 8.0], atol=1e-6)
    g = tg.numerical_gradient(lambda t: (t * t).sum(), x)
    np.testing.assert_allclose(np.asarray(g), [6.0, 8.0], atol=1e-6)


def test_numerical_gradient_nudges_x_itself_and_restores_it():
    # the lesson's closure idiom: f ignores its argument and reads x
    for dtype, tol in ((tg.float64, 1e-6), (tg.float32, 1e-2)):
        x = tg.tensor([[0.1, -2.3], [3.7, 1.0]], dtype=dtype)
        before = x.numpy().copy()
        g = tg.numerical_gradient(lambda _, x=x: float((x * x).sum().item()), x)
        np.testing.assert_allclose(g.numpy(), 2 * before, rtol=tol, atol=tol)
        assert g.dtype == dtype
        np.testing.assert_array_equal(x.numpy(), before)   # restored bit for bit


def test_autograd_grad_wrt_intermediate():
    x = f64([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    z = (y * y).sum()
    gy, gx = tg.autograd.grad(z, [y, x])
    np.testing.assert_allclose(npy(gy), [6.0, 12.0])
    np.testing.assert_allclose(npy(gx), [18.0, 36.0])

def test_backward_accumulates_with_create_graph():
    x = f64(1.5, requires_grad=True)
    (x ** 2).backward(create_graph=True)
    g1 = x.grad                                                  # 2x, differentiable
    assert g1.requires_grad and g1.item() == pytest.approx(3.0)
    x.grad = None
    (g1 * g1).backward()                                         # d(4x^2)/dx = 8x
    assert x.grad.item() == pytest.approx(12.0)

def test_third_derivative():
    x = f64(0.7, requires_grad=True)
    y = x.sin() * x
    (g,) = tg.autograd.grad(y, x, create_graph=True)
    (h,) = tg.autograd.grad(g, x, create_graph=True)
    (t,) = tg.autograd.grad(h, x)
    v = 0.7
    assert t.item() == pytest.approx(-3 * np.sin(v) - v * np.cos(v), rel=1e-12)
