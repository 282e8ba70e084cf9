"""Primitives behind tensor_reduce_extra and linalg (issue 18): the product along an
axis, the cumulative product, logcumsumexp, and the matrix inverse, solve,
determinant and singular value decomposition.

Each forward is one xp (numpy or CuPy) call on the array; each backward is Tensor
ops, as PyTorch's derivatives.yaml defines the gradient, with zeros handled exactly:
the gradient of a product is the product of the other factors, never out / x.
"""
import numpy as np

from ..autograd import Function
from ..backend import of_array
from .movement import Cat, GetItem


def accumulate(backend, name, x, axis):
    """The ufunc ``name``'s accumulate along axis on a backend array; where xp's ufunc
    has no accumulate (CuPy scans only some ufuncs), on a host copy."""
    if backend.xp is np:
        return getattr(np, name).accumulate(x, axis=axis)
    try:
        return getattr(backend.xp, name).accumulate(x, axis=axis)
    except (NotImplementedError, AttributeError, TypeError):
        return backend.from_host(getattr(np, name).accumulate(backend.to_host(x), axis=axis))


def _exclusive_cumprod(x, axis):
    """prod_{k < i} x_k along axis (1 first), written with Tensor ops."""
    shape = list(x._data.shape)
    n, shape[axis] = shape[axis], 1
    ones = x._make(of_array(x._data).xp.ones(shape, dtype=x._data.dtype))
    return Cat.apply(ones, x.narrow(axis, 0, n - 1), axis=axis).cumprod(axis)


class Prod(Function):
    """The product along one axis. d out / d x_i is the product of the other entries:
    with one zero only the zero's entry has a gradient, with several none has."""
    @staticmethod
    def forward(ctx, x, axis=0, keepdim=False):
        ctx.axis = axis
        ctx.save_for_backward(x)
        # in x's dtype: prod(dtype=int16) wraps around in int16, as PyTorch's
        return ctx.backend.xp.prod(x, axis=axis, keepdims=keepdim, dtype=x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        ax = ctx.axis
        if g.ndim < x.ndim:
            g = g.unsqueeze(ax)
        if x._data.shape[ax] == 0:
            return g.expand(x._data.shape)
        left = _exclusive_cumprod(x, ax)
        right = _exclusive_cumprod(x.flip(ax), ax).flip(ax)
        return g * left * right


class Cumprod(Function):
    """Running product along an axis. Without zeros the gradient is
    rev_cumsum(g * out) / x; with a zero in x it is, per entry i,
    sum_{j >= i} g_j prod_{k <= j, k != i} x_k, built as an [n, n] running product."""
    @staticmethod
    def forward(ctx, x, axis=0):
        ctx.axis = axis
        out = ctx.backend.xp.cumprod(x, axis=axis, dtype=x.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        ax = ctx.axis
        if not bool((x._data == 0).any()):
            return (g * out).flip(ax).cumsum(ax).flip(ax) / x
        n = x._data.shape[ax]
        xl, gl = x.transpose(ax, -1), g.transpose(ax, -1)     # [..., n]
        xp = ctx.backend.xp
        eye = x._make(xp.eye(n, dtype=bool))
        upper = x._make(xp.tri(n, dtype=bool).T)              # [i, j]: j >= i
        rows = xl.unsqueeze(-2).expand(xl._data.shape[:-1] + (n, n))
        ones = x._make(xp.ones((), dtype=x._data.dtype))
        c = ones.where(eye, rows).cumprod(-1)                 # [i, j]: prod_{k<=j, k!=i}
        zero = x._make(xp.zeros((), dtype=x._data.dtype))
        grad = (c * gl.unsqueeze(-2)).where(upper, zero).sum(-1)
        return grad.transpose(ax, -1)


class LogCumSumExp(Function):
    """log(cumsum(exp(x))) along an axis, by logaddexp.accumulate (no overflow).
    Backward as PyTorch's: the positive and negative parts of g each through a
    reversed logcumsumexp, so that no exp overflows."""
    @staticmethod
    def forward(ctx, x, axis=0):
        ctx.axis = axis
        with np.errstate(all="ignore"):
            out = accumulate(ctx.backend, "logaddexp", x, axis)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        ax = ctx.axis
        xp = ctx.backend.xp
        one = x._make(xp.ones((), dtype=x._data.dtype))
        # the finite lowest value, not -inf, for log(0) (as PyTorch): no inf - inf below
        low = x._make(xp.full((), np.finfo(x._data.dtype).min, dtype=x._data.dtype))

        def part(mask, gs):  # exp(x_i + log sum_{j >= i} exp(log(gs_j) - out_j))
            logg = gs.where(mask, one).log().where(mask, low)
            rev = LogCumSumExp.apply((logg - out).flip(ax), axis=ax).flip(ax)
            return (rev + x).exp()

        pos, neg = g._make(g._data > 0), g._make(g._data < 0)
        return part(pos, g) - part(neg, -g)


class Inv(Function):
    """The inverse of (a batch of) square matrices; d A = -A^-T g A^-T."""
    @staticmethod
    def forward(ctx, a):
        y = ctx.backend.xp.linalg.inv(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        yt = y.transpose(-2, -1)
        return -(yt.matmul(g).matmul(yt))


class Solve(Function):
    """X with A X = B (A [..., n, n], B [..., n, k], equal batch dims); dB = A^-T g,
    dA = -dB X^T."""
    @staticmethod
    def forward(ctx, a, b):
        x = ctx.backend.xp.linalg.solve(a, b)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(a.transpose(-2, -1), g)
        ga = -(gb.matmul(x.transpose(-2, -1))) if ctx.needs_input_grad[0] else None
        return ga, gb


def _cofactors(a):
    """The cofactor matrix of (a batch of) square matrices, C_ij = (-1)^(i+j) times the
    determinant of a without row i and column j: the gradient of det, also where a is
    singular and A^-T does not exist. n^2 minors, each a Det node (so it differentiates)."""
    xp = of_array(a._data).xp
    n = a._data.shape[-1]
    keep = [[k for k in range(n) if k != i] for i in range(n)]   # [n, n-1]
    rows = xp.asarray(keep, dtype=np.int64).reshape(n, 1, n - 1, 1)
    cols = xp.asarray(keep, dtype=np.int64).reshape(1, n, 1, n - 1)
    minors = GetItem.apply(a, index=(Ellipsis, rows, cols))       # [..., n, n, n-1, n-1]
    sign = np.where(np.add.outer(np.arange(n), np.arange(n)) % 2 == 0, 1.0, -1.0)
    return Det.apply(minors) * a._make(xp.asarray(sign, dtype=a._data.dtype))


class Det(Function):
    """The determinant of (a batch of) square matrices; d A = g det(A) A^-T, or, when a
    matrix of the batch is singular, g times the cofactor matrix (as PyTorch's)."""
    @staticmethod
    def forward(ctx, a):
        d = ctx.backend.xp.linalg.det(a)
        ctx.save_for_backward(a, d)
        return d

    @staticmethod
    def backward(ctx, g):
        a, d = ctx.saved_tensors
        scale = g.unsqueeze(-1).unsqueeze(-1)
        if a._data.shape[-1] == 0 or not bool((d._data == 0).any()):
            return scale * d.unsqueeze(-1).unsqueeze(-1) * Inv.apply(a).transpose(-2, -1)
        return scale * _cofactors(a)


def svd_sizes(shape, full_matrices):
    """(m, n, k, ku, kv): A is [..., m, n], S has k = min(m, n) entries, U is
    [..., m, ku] and Vh [..., kv, n] (ku = m, kv = n for the full factorisation)."""
    m, n = shape[-2], shape[-1]
    k = min(m, n)
    return m, n, k, (m if full_matrices else k), (n if full_matrices else k)


def svd_unpack(p, shape, full_matrices):
    """(U, S, Vh) from Svd's packed output p (Tensor slices, so they differentiate)."""
    m, n, k, ku, kv = svd_sizes(shape, full_matrices)
    batch = tuple(shape[:-2])
    u = p[..., :m * ku].reshape(batch + (m, ku))
    v = p[..., m * ku + k:].reshape(batch + (kv, n))
    return u, p[..., m * ku:m * ku + k], v


def _nonzero(t):
    return bool((t._data != 0).any())


class Svd(Function):
    """A = U diag(S) Vh of (a batch of) matrices, as ONE output: U, S and Vh flattened
    and joined along the last axis (a Function has one output; svd_unpack slices it).
    Backward is PyTorch's svd_backward in Tensor ops of that saved output, so it
    differentiates again. A part whose gradient is all zero (unused, e.g. U and Vh for
    svdvals) is left out, as PyTorch leaves an undefined gradient out: its terms would
    be 0 / 0 at repeated or zero singular values."""
    @staticmethod
    def forward(ctx, a, full_matrices=False):
        ctx.shape_in, ctx.full = a.shape, full_matrices
        xp = ctx.backend.xp
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        batch = a.shape[:-2]
        out = xp.concatenate([u.reshape(batch + (u.shape[-2] * u.shape[-1],)), s,
                              vh.reshape(batch + (vh.shape[-2] * vh.shape[-1],))], axis=-1)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (p,) = ctx.saved_tensors
        U, S, Vh = svd_unpack(p, ctx.shape_in, ctx.full)
        gU, gS, gVh = svd_unpack(g, ctx.shape_in, ctx.full)
        m, n, k, _, _ = svd_sizes(ctx.shape_in, ctx.full)
        if ctx.full:   # the extra columns of U and rows of Vh carry nothing about A
            U, Vh, gU, gVh = U.narrow(-1, 0, k), Vh.narrow(-2, 0, k), \
                gU.narrow(-1, 0, k), gVh.narrow(-2, 0, k)
        hasU, hasV = _nonzero(gU), _nonzero(gVh)
        mT = lambda t: t.transpose(-2, -1)  # noqa: E731 - the conjugate transpose (real)
        if not hasU and not hasV:
            return U.matmul(gS.unsqueeze(-1) * Vh) if m >= n else \
                (U * gS.unsqueeze(-2)).matmul(Vh)
        skew = lambda t: t - mT(t)  # noqa: E731
        S2 = S * S
        # E_ij = S_j^2 - S_i^2, with ones on the diagonal
        E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + \
            g._make(of_array(g._data).xp.eye(k, dtype=g._data.dtype))
        if hasU and hasV:
            gA = (skew(mT(U).matmul(gU)) * S.unsqueeze(-2) +
                  S.unsqueeze(-1) * skew(Vh.matmul(mT(gVh)))) / E
        elif hasU:
            gA = skew(mT(U).matmul(gU)) / E * S.unsqueeze(-2)
        else:
            gA = S.unsqueeze(-1) * (skew(Vh.matmul(mT(gVh))) / E)
        gA = gA + gS.diag_embed()
        if m > n and hasU:
            gUSinv = gU / S.unsqueeze(-2)
            gA = U.matmul(gA) + gUSinv - U.matmul(mT(U).matmul(gUSinv))
            return gA.matmul(Vh)
        if m < n and hasV:
            SinvgVh = gVh / S.unsqueeze(-1)
            gA = gA.matmul(Vh) + SinvgVh - SinvgVh.matmul(mT(Vh)).matmul(Vh)
            return U.matmul(gA)
        return U.matmul(gA.matmul(Vh))


__all__ = ["Cumprod", "Det", "Inv", "LogCumSumExp", "Prod", "Solve", "Svd"]
