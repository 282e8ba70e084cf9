""".grad owns its memory: gradients adopted without a copy (matmul/linear nodes,
Function.fresh_grads) never alias another leaf, the caller's gradient or a saved input."""
import numpy as np

import tinygrad_edu as tg


class _GradIsInput(tg.autograd.Function):
    """y = x * w whose backward hands w its saved input x itself as the gradient."""
    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x * w

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        return g * w, x


def test_leaf_grads_own_their_memory():
    a, b = tg.ones(3, requires_grad=True), tg.ones(3, requires_grad=True)
    (a + b).sum().backward()  # one upstream array for both leaves
    a.grad.mul_(5.0)
    assert b.grad.tolist() == [1.0, 1.0, 1.0]
    x, v = tg.ones(3, requires_grad=True), tg.tensor([1.0, 2.0, 3.0])
    (x + 0).backward(v)  # the caller's gradient passes straight through
    x.grad.zero_()
    assert v.tolist() == [1.0, 2.0, 3.0]
    x, w = tg.tensor([1.0, 2.0], requires_grad=True), tg.tensor([3.0, 4.0], requires_grad=True)
    _GradIsInput.apply(x, w).sum().backward()
    w.grad.zero_()
    assert x.tolist() == [1.0, 2.0]


def test_matmul_and_linear_grads_adopted_are_their_own():
    x = tg.randn(5, 3, requires_grad=True)
    w = tg.randn(4, 3, requires_grad=True)
    b = tg.randn(4, requires_grad=True)
    y = tg.nn.functional.linear(x, w, b).relu() @ tg.randn(4, 2)
    y.sum().backward()
    grads = [t.grad._data for t in (x, w, b)]
    for i, g in enumerate(grads):  # distinct buffers, none a view
        assert g.base is None and g.flags.writeable
        assert not any(np.shares_memory(g, h) for h in grads[i + 1:])
        assert not any(np.shares_memory(g, t._data) for t in (x, w, b))
