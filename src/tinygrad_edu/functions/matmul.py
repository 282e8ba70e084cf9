"""Matrix products: MatMul (2-D and batched, with transpose flags so that no
backward copies a transpose) and Linear, x @ w.T + b as one GEMM that adds the
bias as it stores its result (nn.Linear's forward)."""
from ..autograd import Function


class MatMul(Function):
    """op(a) @ op(b) on 2-D or equally batched arrays, or a [..., k] with a 2-D b (a's
    leading dims are rows); op transposes the last two axes when ta / tb is set.
    ``flat`` (with ta): a^T b over all the rows of a [..., m] and b [..., n] (the
    weight gradient of a layer applied to [B, T, in])."""
    fresh_grads = True  # every gradient is a new GEMM result: a leaf may adopt it
    @staticmethod
    def forward(ctx, a, b, ta=False, tb=False, flat=False):
        need_a, need_b = ctx.needs_input_grad  # each side's gradient reads the other side
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        ctx.ta, ctx.tb, ctx.flat = ta, tb, flat
        ctx.rows = a.ndim > 2 and b.ndim == 2
        if flat:
            a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
        return ctx.backend.matmul(a, b, ta, tb)
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ta, tb = ctx.ta, ctx.tb
        ga = gb = None
        if ctx.flat:  # out = A^T B over the rows: dA = B G^T, dB = A G, row by row
            return (None if b is None else MatMul.apply(b, g, tb=True),
                    None if a is None else MatMul.apply(a, g))
        if b is not None:  # dA = G op(B)^T, transposed back when A entered transposed
            ga = MatMul.apply(b, g, ta=tb, tb=True) if ta else MatMul.apply(g, b, tb=not tb)
        if a is not None and ctx.rows:  # a [..., k] met a 2-D b: all its rows make dB
            gb = MatMul.apply(g, a, ta=True, flat=True) if tb else \
                MatMul.apply(a, g, ta=True, flat=True)
        elif a is not None:  # dB = op(A)^T G, transposed back when B entered transposed
            gb = MatMul.apply(g, a, ta=True, tb=ta) if tb else MatMul.apply(a, g, ta=not ta)
        return ga, gb


class Linear(Function):
    """x @ w.T + b for x [..., in] (its leading dims as rows of one GEMM), w [out, in]
    and b [out] (optional)."""
    fresh_grads = True  # new GEMM results and a new column sum
    @staticmethod
    def forward(ctx, x, w, b=None):
        need_x, need_w = ctx.needs_input_grad[:2]
        ctx.save_for_backward(x if need_w else None, w if need_x else None)
        if x.ndim == 2:
            return ctx.backend.linear(x, w, b)
        out = ctx.backend.linear(x.reshape(-1, x.shape[-1]), w, b)
        return out.reshape(x.shape[:-1] + (w.shape[0],))
    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = None if w is None else MatMul.apply(g, w)
        # the weight's and bias's gradients sum over every row of [..., out]
        gw = None if x is None else MatMul.apply(g, x, ta=True, flat=g.ndim > 2)
        if len(ctx.needs_input_grad) == 2:
            return gx, gw
        rows = tuple(range(g.ndim - 1))
        return gx, gw, (g.sum(dim=rows) if ctx.needs_input_grad[2] else None)


class Einsum(Function):
    """numpy's einsum over operands with distinct letters each (``subs``, one string per
    operand) giving ``out``; the gradient of an operand is the einsum of the output's
    gradient with the other operands, broadcast over letters only that operand had."""
    @staticmethod
    def forward(ctx, *arrays, subs=(), out=""):
        ctx.subs, ctx.out, ctx.shapes = subs, out, [a.shape for a in arrays]
        if len(arrays) > 1:
            ctx.save_for_backward(*arrays)
        eq = ",".join(subs) + "->" + out
        return ctx.backend.xp.einsum(eq, *arrays, optimize=len(arrays) > 1)
    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors if len(ctx.subs) > 1 else ()
        grads = []
        for k, (sub, shape) in enumerate(zip(ctx.subs, ctx.shapes)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [s for i, s in enumerate(ctx.subs) if i != k]
            have = set(ctx.out).union(*others)
            kept = "".join(c for c in sub if c in have)
            gk = Einsum.apply(g, *[t for i, t in enumerate(ops) if i != k],
                              subs=(ctx.out, *others), out=kept)
            if kept != sub:  # letters summed away in forward come back by broadcasting
                gk = gk.reshape([n if c in have else 1 for c, n in zip(sub, shape)]).expand(shape)
            grads.append(gk)
        return tuple(grads)
