"""Fused recurrent cells: the pointwise part of one LSTM or GRU step (after the two
GEMMs) as one node each instead of the ~10 of its composition (slices, sigmoid,
tanh, products). Forward runs on arrays with the backend's kernels; backward is one
formula in Tensor ops, fed with factors forward computed (first order) or with the
same factors recomputed from the saved inputs as Tensor ops when backward itself
records a graph (create_graph), so the gradient is differentiable like the
composition's. nn.rnn_cells' lstm_cell / gru_cell and the sequence layers use them.

The LSTM cell takes the gates (both GEMMs' sum); the GRU cell takes the input half
gi = x @ W_ih.T + b_ih and the hidden half gh = h @ W_hh.T + b_hh apart, as its reset
gate multiplies the hidden half of the candidate."""
from ..autograd import Function
from ..grad_mode import is_grad_enabled
from .movement import Cat


def _cat(ts):
    """Tensors joined along their last axis (Cat's axis must be non-negative)."""
    return Cat.apply(*ts, axis=ts[0].ndim - 1)


class LSTMCell(Function):
    """One LSTM step's pointwise part, from the gates [..., 4 * hidden] (x @ W_ih.T +
    b_ih + h @ W_hh.T + b_hh, PyTorch's order i, f, g, o) and c:
    c' = sigmoid(f) * c + sigmoid(i) * tanh(g), h' = sigmoid(o) * tanh(c'); the result
    is h' and c' side by side, [..., 2 * hidden].

    Backward reads K1, the four gates' factors (the derivative of each activation times
    what it multiplies), K2 = o * (1 - tanh(c')^2) and f: forward's arrays, or the same
    recomputed from the saved gates and c as Tensor ops under create_graph."""
    @staticmethod
    def forward(ctx, gates, c):
        be, n = ctx.backend, c.shape[-1]
        xp = be.xp
        s = be.unary("sigmoid", gates)          # i, f and o (the g columns are unused)
        g = be.unary("tanh", gates[..., 2 * n:3 * n])
        i, f, o = s[..., :n], s[..., n:2 * n], s[..., 3 * n:]
        out = xp.empty(c.shape[:-1] + (2 * n,), dtype=c.dtype)
        c2 = out[..., n:]
        xp.multiply(f, c, out=c2)
        c2 += i * g
        tc = be.unary("tanh", c2)
        xp.multiply(o, tc, out=out[..., :n])
        k1 = s * (1 - s)                        # sigmoid' of i, f, o
        k1[..., :n] *= g
        k1[..., n:2 * n] *= c
        k1[..., 2 * n:3 * n] = i * (1 - g * g)
        k1[..., 3 * n:] *= tc
        ctx.k1, ctx.k2, ctx.f = k1, o * (1 - tc * tc), f
        ctx.save_for_backward(gates, c)   # read only to recompute under create_graph
        return out
    @staticmethod
    def backward(ctx, grad):
        gates, c = ctx.saved_tensors
        n = c.shape[-1]
        if is_grad_enabled():   # create_graph: the factors as functions of the inputs
            i, f = gates[..., :n].sigmoid(), gates[..., n:2 * n].sigmoid()
            g, o = gates[..., 2 * n:3 * n].tanh(), gates[..., 3 * n:].sigmoid()
            tc = (f * c + i * g).tanh()
            k1 = _cat([g * (i * (1 - i)), c * (f * (1 - f)), i * (1 - g * g),
                       tc * (o * (1 - o))])
            k2 = o * (1 - tc * tc)
        else:                   # first order: forward's values as constants
            k1, k2, f = grad._make(ctx.k1), grad._make(ctx.k2), grad._make(ctx.f)
        dh, dc = grad[..., :n], grad[..., n:]
        dct = dc + dh * k2      # the gradient of c' (through c' itself and through h')
        dgates = _cat([dct, dct, dct, dh]) * k1 if ctx.needs_input_grad[0] else None
        return dgates, (dct * f if ctx.needs_input_grad[1] else None)


class GRUCell(Function):
    """One GRU step's pointwise part from gi = x @ W_ih.T + b_ih and gh = h @ W_hh.T +
    b_hh ([..., 3 * hidden], PyTorch's order r, z, n) and h: r, z = sigmoid(gi + gh) of
    their rows, n = tanh(gi_n + r * gh_n), h' = (1 - z) * n + z * h.

    With a = (1 - z) * (1 - n^2), backward reads Kx = [a * gh_n * r', (h - n) * z', a]
    and Kh = Kx with its last part times r (r', z': the sigmoids' derivatives), which
    turn dh' repeated three times into the gradients of gi and gh, and z: forward's
    arrays, or the same recomputed from the saved inputs under create_graph."""
    @staticmethod
    def forward(ctx, gi, gh, h):
        be, n = ctx.backend, h.shape[-1]
        xp = be.xp
        rz = be.unary("sigmoid", gi[..., :2 * n] + gh[..., :2 * n])
        r, z, hn = rz[..., :n], rz[..., n:], gh[..., 2 * n:]
        cand = be.unary("tanh", gi[..., 2 * n:] + r * hn)
        d = h - cand
        out = z * d
        out += cand
        kx = xp.empty(h.shape[:-1] + (3 * n,), dtype=h.dtype)
        a = kx[..., 2 * n:]
        xp.multiply(cand, cand, out=a)
        xp.subtract(1, a, out=a)
        a *= 1 - z
        dz = rz * (1 - rz)                       # sigmoid' of r and z
        xp.multiply(a * hn, dz[..., :n], out=kx[..., :n])
        xp.multiply(d, dz[..., n:], out=kx[..., n:2 * n])
        kh = kx.copy()
        kh[..., 2 * n:] *= r
        ctx.kx, ctx.kh, ctx.z = kx, kh, z
        ctx.save_for_backward(gi, gh, h)   # read only to recompute under create_graph
        return out
    @staticmethod
    def backward(ctx, grad):
        gi, gh, h = ctx.saved_tensors
        n = h.shape[-1]
        if is_grad_enabled():   # create_graph: the factors as functions of the inputs
            r = (gi[..., :n] + gh[..., :n]).sigmoid()
            z = (gi[..., n:2 * n] + gh[..., n:2 * n]).sigmoid()
            hn = gh[..., 2 * n:]
            cand = (gi[..., 2 * n:] + r * hn).tanh()
            a = (1 - z) * (1 - cand * cand)
            kr, kz = a * hn * (r * (1 - r)), (h - cand) * (z * (1 - z))
            kx, kh = _cat([kr, kz, a]), _cat([kr, kz, a * r])
        else:                   # first order: forward's values as constants
            kx, kh, z = grad._make(ctx.kx), grad._make(ctx.kh), grad._make(ctx.z)
        need = ctx.needs_input_grad
        g3 = _cat([grad, grad, grad]) if need[0] or need[1] else None
        return (g3 * kx if need[0] else None, g3 * kh if need[1] else None,
                grad * z if need[2] else None)
