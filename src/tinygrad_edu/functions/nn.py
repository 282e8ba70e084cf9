"""Fused neural-network primitives: one graph node where the composite would make
several, and the numerically stable form where the composite would overflow.

Each keeps its composite twin as the reference in the tests (tests/op_table.py).
"""
from ..autograd import Function
from ..grad_mode import is_grad_enabled
from ._util import _unbroadcast
from .elementwise import ReluGrad
from .reduce import MatMul


class Linear(Function):
    """act(x @ w.T + b) for 2-D x; one node instead of transpose, matmul and add.

    act (None, "relu" or "leaky_relu" with slope >= 0) is applied as the GEMM
    stores its result: nn.Sequential uses it for a Linear followed by ReLU /
    LeakyReLU. The backward masks g exactly as the separate activation would,
    reading the sign from the output (out > 0 exactly where x @ w.T + b > 0).
    """
    keep_inputs = True
    fresh_grads = True  # every gradient is a new matmul / kernel result
    @staticmethod
    def forward(ctx, x, w, b=None, act=None, slope=0.01):
        ctx.act, ctx.slope = act, slope
        out = ctx.backend.linear(x, w, b, act, slope)
        if act is not None:
            ctx.save_for_backward(out)
        return out
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.inputs[:2]
        need = ctx.needs_input_grad
        want_b = len(need) > 2 and need[2]
        gb = None
        if ctx.act is not None and not is_grad_enabled():
            # plain backward(): the activation's mask and the bias gradient in one pass
            slope = 0.0 if ctx.act == "relu" else ctx.slope
            gm, colsum = ctx.backend.act_bias_backward(
                g._data, ctx.saved_tensors[0]._data, slope)
            g, gb = ctx.const(gm), (ctx.const(colsum) if want_b else None)
        elif ctx.act == "relu":
            g = ReluGrad.apply(g, ctx.saved_tensors[0])
        elif ctx.act == "leaky_relu":  # LeakyRelu.backward's mask, from the output
            y = ctx.saved_tensors[0]._data
            g = g * ctx.const(ctx.backend.xp.where(y > 0, 1.0, ctx.slope).astype(y.dtype))
        gx = MatMul.apply(g, w) if need[0] else None
        gw = MatMul.apply(g, x, ta=True) if need[1] else None
        if want_b and gb is None:  # the backend's column sums unless create_graph
            gb = g.sum(dim=0) if is_grad_enabled() else ctx.const(ctx.backend.bias_grad(g._data))
        return (gx, gw, gb)[:len(need)]

    def name(self):
        """LinearReluBackward etc. when an activation is fused in: the picture shows it."""
        act = {"relu": "Relu", "leaky_relu": "LeakyRelu"}.get(getattr(self, "act", None), "")
        return f"Linear{act}Backward"


class CrossEntropy(Function):
    """Cross-entropy of raw scores x [N, C] against class indices, through a stable
    log-softmax, with PyTorch's class weights, ignore_index and reductions.

    The gradient w.r.t. x is (softmax(x) - onehot(target)) scaled per row; the
    backend's fused kernel computes it together with the loss.
    """
    keep_inputs = True
    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        # float64 inside: the loss is rounded once, so printed values match PyTorch's
        # to the last digit more often than a float32 sum would.
        losses, total, ctx.grad = ctx.backend.softmax_cross_entropy(
            x, target, weight, ignore_index, reduction)
        ctx.target, ctx.weight, ctx.ignore_index, ctx.reduction = (
            target, weight, ignore_index, reduction)
        return ctx.backend.reduce_losses(losses, total, reduction, x.dtype)
    @staticmethod
    def backward(ctx, g):
        if is_grad_enabled():  # create_graph: the softmax must be part of the graph
            return _cross_entropy_graph_grad(ctx, g)
        grad = ctx.const(ctx.grad)
        if ctx.reduction == "none":
            return grad * g.reshape(-1, 1)
        # the usual loss.backward(): g is 1 and the kernel's gradient is the answer
        return grad if ctx.backend.is_one(g._data) else grad * g


def _cross_entropy_graph_grad(ctx, g):
    """(softmax(x) - onehot(target)) * w_i [/ total], from Tensor ops."""
    x = ctx.inputs[0]
    xp = ctx.backend.xp
    dtype = x._data.dtype
    keep = ctx.target != ctx.ignore_index
    safe = xp.where(keep, ctx.target, 0)
    w = ((ctx.weight[safe] if ctx.weight is not None else xp.ones(len(safe))) * keep)
    scale = w.astype(xp.float64, copy=False)
    if ctx.reduction == "mean":  # as PyTorch: ignored rows get 0 even when total is 0
        total = scale.sum()
        scale = scale / total if total != 0 else xp.where(keep, xp.nan, 0.0)
    onehot = xp.zeros(x.shape, dtype)
    onehot[xp.arange(x.shape[0]), safe] = 1
    g_rows = g.reshape(-1, 1) * ctx.const(scale.reshape(-1, 1).astype(dtype))
    return (x.softmax(1) - ctx.const(onehot)) * g_rows


# PyTorch's 1e-12, rounded to float32 as PyTorch does (also for float64 inputs), so the
# gradient at p = 0 or 1 equals PyTorch's to the last bit.
_BCE_EPS = 9.999999960041972e-13


class BinaryCrossEntropy(Function):
    """-(y log p + (1 - y) log(1 - p)) with each log clamped at -100 (PyTorch's rule),
    so p = 0 or 1 gives a finite loss and a finite gradient."""
    keep_inputs = True
    @staticmethod
    def forward(ctx, p, y):
        xp = ctx.backend.xp
        with ctx.backend.errstate(divide="ignore"):
            lp = xp.maximum(xp.log(p), -100)
            lq = xp.maximum(xp.log1p(-p), -100)
        ctx.lp, ctx.lq = lp, lq
        return -(y * lp + (1 - y) * lq)
    @staticmethod
    def backward(ctx, g):
        p, y = ctx.inputs
        gp = gy = None
        if ctx.needs_input_grad[0]:  # PyTorch's formula: (p - y) / max(p (1 - p), eps)
            gp = g * (p - y) / (p * (1 - p)).clamp(min=_BCE_EPS)
        if ctx.needs_input_grad[1]:  # log(1 - p) - log(p), each clamped at -100
            if is_grad_enabled():    # create_graph: keep p's part of the graph
                gy = g * ((1 - p).log().clamp(min=-100) - p.log().clamp(min=-100))
            else:
                gy = g * ctx.const(ctx.lq - ctx.lp)
        return gp, gy


class BinaryCrossEntropyWithLogits(Function):
    """BCE on logits x, stable for any x: (1 - y) x + lw * softplus(-x), with
    lw = 1 + (pos_weight - 1) y; softplus computed as max(-x, 0) + log1p(exp(-|x|))."""
    keep_inputs = True
    @staticmethod
    def forward(ctx, x, y, pos_weight=None):
        xp = ctx.backend.xp
        softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        ctx.softplus_neg = softplus_neg
        return (1 - y) * x + lw * softplus_neg
    @staticmethod
    def backward(ctx, g):
        x, y = ctx.inputs[:2]
        pw = ctx.inputs[2] if len(ctx.inputs) > 2 else None
        lw = 1 if pw is None else 1 + (pw - 1) * y
        need = ctx.needs_input_grad
        gx = g * ((1 - y) - lw * (-x).sigmoid()) if need[0] else None
        gy = gpw = None
        sp = None
        if need[1] and pw is not None or len(need) > 2 and need[2]:
            sp = _softplus_neg(x) if is_grad_enabled() else ctx.const(ctx.softplus_neg)
        if need[1]:  # d/dy: -x + (pos_weight - 1) softplus(-x)
            gy = g * (-x + (0 if pw is None else (pw - 1) * sp))
        if len(need) > 2 and need[2]:
            gpw = _unbroadcast(g * y * sp, pw.shape)
        return (gx, gy, gpw)[:len(need)]


def _softplus_neg(x):
    """log(1 + exp(-x)) from Tensor ops, stable, with the right derivative everywhere
    (the clamps keep the branch not taken from overflowing)."""
    pos = (1 + (-x.clamp(min=0)).exp()).log()
    neg = (1 + x.clamp(max=0).exp()).log() - x
    return pos.where(x > 0, neg)
