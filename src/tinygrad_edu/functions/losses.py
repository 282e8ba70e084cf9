"""Losses as primitives: one graph node where the composite would make several,
and the numerically stable form where the composite would overflow. Each keeps
its composite twin as the reference in the tests (tests/op_table_nn.py)."""
from ..autograd import Function


class CrossEntropy(Function):
    """Cross-entropy of raw scores x [N, C] against class indices (an int array),
    through a stable log-softmax, with PyTorch's class weights, ignore_index and
    reductions. The backend's fused kernel computes the loss and its gradient in
    one pass; backward hands that gradient to CrossEntropyGrad."""
    @staticmethod
    def forward(ctx, x, target=None, weight=None, ignore_index=-100, reduction="mean"):
        loss, unit_grad = ctx.backend.softmax_cross_entropy(x, target, weight, ignore_index,
                                                            reduction)
        ctx.save_for_backward(x, unit_grad)
        ctx.options = dict(target=target, weight=weight, ignore_index=ignore_index,
                           reduction=reduction)
        return loss
    @staticmethod
    def backward(ctx, g):
        x, unit_grad = ctx.saved_tensors
        return CrossEntropyGrad.apply(x, g, unit_grad, **ctx.options)


class CrossEntropyGrad(Function):
    """CrossEntropy's gradient for an upstream gradient g: unit_grad * g (g per row
    for reduction 'none'), where unit_grad = (softmax(x) - onehot(target)) * w_i
    [/ sum w] came from the forward kernel. An op of its own so that it has a
    gradient too (create_graph): in x, softmax's backward; in g, unit_grad."""
    @staticmethod
    def forward(ctx, x, g, unit_grad, target=None, weight=None, ignore_index=-100,
                reduction="mean"):
        ctx.save_for_backward(x, g)
        ctx.target, ctx.weight, ctx.ignore_index, ctx.reduction = (
            target, weight, ignore_index, reduction)
        return ctx.backend.binary("mul", unit_grad, g.reshape(-1, 1) if g.ndim else g)
    @staticmethod
    def backward(ctx, gg):
        x, g = ctx.saved_tensors
        scale, onehot = _row_scale_and_onehot(ctx, x)
        s = x.softmax(1)
        h = gg * scale * (g.reshape(-1, 1) if g.ndim else g)
        gu = gg * ((s - onehot) * scale)
        return s * (h - (h * s).sum(1, keepdim=True)), (gu.sum(1) if g.ndim else gu.sum()), None


def _row_scale_and_onehot(ctx, x):
    """Constants of CrossEntropyGrad's backward: each row's weight w_i (/ sum w for
    'mean', as [N, 1]) and the one-hot targets, in x's dtype."""
    xp, t = ctx.backend.xp, ctx.target
    keep = t != ctx.ignore_index
    safe = xp.where(keep, t, 0)
    w = ((ctx.weight[safe] if ctx.weight is not None else xp.ones(len(t))) * keep)
    w = w.astype(xp.float64)
    if ctx.reduction == "mean":  # as PyTorch: ignored rows get 0 even when the total is 0
        total = w.sum()
        w = w / total if total != 0 else xp.where(keep, xp.nan, 0.0)
    onehot = xp.zeros(x.shape, x._data.dtype)
    onehot[xp.arange(len(t)), safe] = 1
    return x._make(w.reshape(-1, 1).astype(x._data.dtype)), x._make(onehot)


# PyTorch's 1e-12, rounded to float32 as PyTorch does (also for float64 inputs), so the
# gradient at p = 0 or 1 equals PyTorch's to the last bit.
_BCE_EPS = 9.999999960041972e-13


class BinaryCrossEntropy(Function):
    """-(y log p + (1 - y) log(1 - p)) with each log clamped at -100 (PyTorch's rule),
    so p = 0 or 1 gives a finite loss and a finite gradient."""
    @staticmethod
    def forward(ctx, p, y):
        ctx.save_for_backward(p, y)
        be, low = ctx.backend, p.dtype.type(-100)
        lp = be.binary("maximum", be.unary("log", p), low)
        lq = be.binary("maximum", be.unary("log1p", -p), low)
        return -(y * lp + (1 - y) * lq)
    @staticmethod
    def backward(ctx, g):
        p, y = ctx.saved_tensors
        need_p, need_y = ctx.needs_input_grad
        # PyTorch's formula: (p - y) / max(p (1 - p), eps)
        gp = g * (p - y) / (p * (1 - p)).clamp(min=_BCE_EPS) if need_p else None
        # log(1 - p) - log(p), each clamped at -100
        gy = g * ((1 - p).log().clamp(min=-100) - p.log().clamp(min=-100)) if need_y else None
        return gp, gy


class BinaryCrossEntropyWithLogits(Function):
    """BCE on logits x, stable for any x: (1 - y) x + lw * softplus(-x), with
    lw = 1 + (pos_weight - 1) y; softplus computed as max(-x, 0) + log1p(exp(-|x|))."""
    @staticmethod
    def forward(ctx, x, y, pos_weight=None):
        ctx.save_for_backward(x, y, pos_weight)
        be = ctx.backend
        softplus_neg = be.binary("maximum", -x, x.dtype.type(0)) + \
            be.unary("log1p", be.unary("exp", -be.unary("abs", x)))
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        return (1 - y) * x + lw * softplus_neg
    @staticmethod
    def backward(ctx, g):
        x, y, pw = ctx.saved_tensors
        need = ctx.needs_input_grad
        lw = 1 if pw is None else 1 + (pw - 1) * y
        gx = g * ((1 - y) - lw * (-x).sigmoid()) if need[0] else None
        gy = gpw = None
        if need[1]:  # d/dy: -x + (pos_weight - 1) softplus(-x)
            gy = g * (-x + (0 if pw is None else (pw - 1) * _softplus_neg(x)))
        if pw is not None and need[2]:
            gpw = g * y * _softplus_neg(x)
        return (gx, gy) if pw is None else (gx, gy, gpw)


def _softplus_neg(x):
    """log(1 + exp(-x)) from Tensor ops, stable, with the right derivative everywhere
    (the clamps keep the branch not taken from overflowing)."""
    pos = (1 + (-x.clamp(min=0)).exp()).log()
    neg = (1 + x.clamp(max=0).exp()).log() - x
    return pos.where(x > 0, neg)
