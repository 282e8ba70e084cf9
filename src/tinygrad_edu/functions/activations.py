"""Activations: relu, leaky_relu, sigmoid, tanh, softmax and log_softmax.

relu's and leaky_relu's backwards are ops of their own (ReluGrad,
LeakyReluGrad): one fused kernel each, and still differentiable under
create_graph (their gradient is the same mask again).
"""
from ..autograd import Function
from .elementwise import _Unary


class Relu(Function):
    op = "relu"
    @classmethod
    def forward(cls, ctx, x):
        y = ctx.backend.unary(cls.op, x)
        ctx.save_for_backward(y)  # y > 0 exactly where x > 0
        return y
    @staticmethod
    def backward(ctx, g): return ReluGrad.apply(g, ctx.saved_tensors[0])


class ReluGrad(Function):
    """g where y > 0, else 0."""
    op = "relu_backward"
    @classmethod
    def forward(cls, ctx, g, y):
        ctx.save_for_backward(y)
        return ctx.backend.binary(cls.op, g, y)
    @staticmethod
    def backward(ctx, gg): return ReluGrad.apply(gg, ctx.saved_tensors[0]), None


class LeakyRelu(Function):
    @staticmethod
    def forward(ctx, x, negative_slope=0.01):
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return ctx.backend.unary("leaky_relu", x, negative_slope)
    @staticmethod
    def backward(ctx, g): return LeakyReluGrad.apply(g, ctx.saved_tensors[0], slope=ctx.slope)


class LeakyReluGrad(Function):
    """g where x > 0, else g * slope."""
    @staticmethod
    def forward(ctx, g, x, slope=0.01):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return ctx.backend.binary("leaky_relu_backward", g, x, slope)
    @staticmethod
    def backward(ctx, gg):
        return LeakyReluGrad.apply(gg, ctx.saved_tensors[0], slope=ctx.slope), None


class Sigmoid(_Unary):
    op, save = "sigmoid", "output"
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y * (1 - y)


class Tanh(_Unary):
    op, save = "tanh", "output"
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * (1 - y * y)


class _Softmax(Function):
    """softmax (or, with ``log``, log_softmax) along axis: the backend subtracts the max."""
    log = False

    @classmethod
    def forward(cls, ctx, x, axis=-1):
        y = ctx.backend.softmax(x, axis, cls.log)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y


class Softmax(_Softmax):
    """exp(x) / sum(exp(x)) along axis."""
    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return y * (g - (g * y).sum(dim=ctx.axis, keepdim=True))


class LogSoftmax(_Softmax):
    """x - logsumexp(x) along axis."""
    log = True

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g - y.exp() * g.sum(dim=ctx.axis, keepdim=True)
