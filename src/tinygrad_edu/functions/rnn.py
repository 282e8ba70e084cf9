"""Fused recurrent ops: the pointwise part of one LSTM or GRU step (after its GEMMs)
as one node (LSTMCell, GRUCell: nn.rnn_cells' lstm_cell / gru_cell and the cell
modules) instead of the ~10 of its composition (slices, sigmoid, tanh, products), and
a whole LSTM or GRU layer in one direction as one node (LSTMLayer, GRULayer: nn.LSTM
and nn.GRU) instead of ~25 nodes a step forward and backward.

Forwards run on arrays with the backend's kernels. Backwards are Tensor ops, each
step's gradient one formula (_lstm_grad, _gru_grad) fed with factors forward computed
(first order) or with the same factors recomputed from the saved inputs as Tensor ops
when backward itself records a graph (create_graph), so gradients are differentiable
like the composition's. The pointwise math is written once for arrays (the backend's
lstm_cell kernel, _gru_pointwise) and once for Tensors (_lstm_factors, _gru_factors),
shared by the cell and the layer.

The LSTM cell takes the gates (both GEMMs' sum); the GRU cell takes the input half
gi = x @ W_ih.T + b_ih and the hidden half gh = h @ W_hh.T + b_hh apart, as its reset
gate multiplies the hidden half of the candidate."""
from ..autograd import Function
from ..grad_mode import is_grad_enabled
from .matmul import Linear, MatMul
from .movement import Cat


def _cat(ts):
    """Tensors joined along their last axis (Cat's axis must be non-negative)."""
    return Cat.apply(*ts, axis=ts[0].ndim - 1)


# ---- the LSTM step's pointwise part: the backend's lstm_cell kernel (arrays), and ----------
# ---- the same as differentiable Tensor ops (what backward recomputes) -------------------
def _lstm_factors(gates, c):
    """Tensors: (h', c', K1, K2, f) as differentiable functions of the gates and c
    (what backward recomputes under create_graph)."""
    n = c.shape[-1]
    i, f = gates[..., :n].sigmoid(), gates[..., n:2 * n].sigmoid()
    g, o = gates[..., 2 * n:3 * n].tanh(), gates[..., 3 * n:].sigmoid()
    c2 = f * c + i * g
    tc = c2.tanh()
    k1 = _cat([g * (i * (1 - i)), c * (f * (1 - f)), i * (1 - g * g), tc * (o * (1 - o))])
    return o * tc, c2, k1, o * (1 - tc * tc), f


def _lstm_grad(dh, dc, k1, k2, f):
    """Tensors: the gradients of the gates and of c from those of h' and c'."""
    dct = dc + dh * k2      # the gradient of c' (through c' itself and through h')
    return _cat([dct, dct, dct, dh]) * k1, dct * f


class LSTMCell(Function):
    """One LSTM step's pointwise part, from the gates [..., 4 * hidden] (x @ W_ih.T +
    b_ih + h @ W_hh.T + b_hh, PyTorch's order i, f, g, o) and c:
    c' = sigmoid(f) * c + sigmoid(i) * tanh(g), h' = sigmoid(o) * tanh(c'); the result
    is h' and c' side by side, [..., 2 * hidden].

    Backward reads K1, K2 and f (see the backend's lstm_cell): forward's arrays, or the same
    recomputed from the saved gates and c as Tensor ops under create_graph."""
    @staticmethod
    def forward(ctx, gates, c):
        n, xp = c.shape[-1], ctx.backend.xp
        out = xp.empty(c.shape[:-1] + (2 * n,), dtype=c.dtype)
        ctx.k1 = xp.empty_like(gates, dtype=c.dtype)
        ctx.k2, ctx.f = xp.empty_like(c), xp.empty_like(c)
        ctx.backend.lstm_cell(gates, c, out[..., :n], out[..., n:], ctx.k1, ctx.k2, ctx.f)
        ctx.save_for_backward(gates, c)   # read only to recompute under create_graph
        return out
    @staticmethod
    def backward(ctx, grad):
        gates, c = ctx.saved_tensors
        n = c.shape[-1]
        if is_grad_enabled():   # create_graph: the factors as functions of the inputs
            _, _, k1, k2, f = _lstm_factors(gates, c)
        else:                   # first order: forward's values as constants
            k1, k2, f = grad._make(ctx.k1), grad._make(ctx.k2), grad._make(ctx.f)
        dgates, dc = _lstm_grad(grad[..., :n], grad[..., n:], k1, k2, f)
        need = ctx.needs_input_grad
        return (dgates if need[0] else None), (dc if need[1] else None)


class LSTMLayer(Function):
    """A whole LSTM layer in one direction: x [T, N, in], h0 and c0 [N, H], w_ih
    [4H, in], w_hh [4H, H] and, optionally, b_ih and b_hh [4H]; the steps run from 0
    to T - 1 (from T - 1 down to 0 with ``reverse``). The result [T + 1, N, H] holds
    h_t at [t] and the last step's c at [T].

    Forward is one GEMM for the input half of every step, then per step one GEMM and
    the pointwise part on arrays: no node per step. Backward walks the steps back in
    Tensor ops (the step's gradient, then the hidden GEMM) and ends with one GEMM per
    weight over all steps. It reads K1, K2 and f of every step and the hidden state
    each step started from: forward's arrays, or the same recomputed from the saved
    inputs as Tensor ops under create_graph."""
    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, *b, reverse=False):
        be = ctx.backend
        xp, (T, N), H = be.xp, x.shape[:2], h0.shape[-1]
        dt = h0.dtype
        gi = be.linear(x.reshape(T * N, x.shape[-1]), w_ih, b[0] + b[1] if b else None)
        gi = gi.reshape(T, N, 4 * H)
        out = xp.empty((T + 1, N, H), dtype=dt)
        k1, k2 = xp.empty((T, N, 4 * H), dtype=dt), xp.empty((T, N, H), dtype=dt)
        f, hprev = xp.empty((T, N, H), dtype=dt), xp.empty((T, N, H), dtype=dt)
        cbuf = xp.empty((2, N, H), dtype=dt)
        h, c = h0, c0
        for s, t in enumerate(range(T - 1, -1, -1) if reverse else range(T)):
            hprev[t] = h
            gates = be.matmul(h, w_hh, False, True)
            gates += gi[t]
            c2 = out[T] if s == T - 1 else cbuf[s % 2]
            be.lstm_cell(gates, c, out[t], c2, k1[t], k2[t], f[t])
            h, c = out[t], c2
        ctx.k1, ctx.k2, ctx.f, ctx.hprev, ctx.reverse = k1, k2, f, hprev, reverse
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, *b)
        return out
    @staticmethod
    def backward(ctx, grad):
        x, h0, c0, w_ih, w_hh, *b = ctx.saved_tensors
        (T, N), H = x.shape[:2], h0.shape[-1]
        order = range(T - 1, -1, -1) if ctx.reverse else range(T)
        if is_grad_enabled():   # create_graph: every step again, as Tensor ops
            gi = Linear.apply(x, w_ih, *b[:1])
            k1, k2, f, hp = [None] * T, [None] * T, [None] * T, [None] * T
            h, c = h0, c0
            for t in order:
                hp[t] = h
                h, c, k1[t], k2[t], f[t] = _lstm_factors(
                    gi[t] + Linear.apply(h, w_hh, *b[1:]), c)
            hprev = Cat.apply(*[v.unsqueeze(0) for v in hp], axis=0)
        else:                   # first order: forward's values as constants
            k1, k2, f = [[grad._make(a) for a in arr] for arr in (ctx.k1, ctx.k2, ctx.f)]
            hprev = grad._make(ctx.hprev)
        need = ctx.needs_input_grad
        dgs, dh, dc = [None] * T, None, grad[T]
        for s, t in enumerate(reversed(order)):
            g = grad[t] if dh is None else grad[t] + dh
            dgs[t], dc = _lstm_grad(g, dc, k1[t], k2[t], f[t])
            if s < T - 1 or need[1]:
                dh = MatMul.apply(dgs[t], w_hh)
        dg = Cat.apply(*[v.unsqueeze(0) for v in dgs], axis=0).reshape(T * N, 4 * H)
        db = dg.sum(0) if b and (need[5] or need[6]) else None
        return (MatMul.apply(dg, w_ih).reshape(x.shape) if need[0] else None,
                dh if need[1] else None, dc if need[2] else None,
                MatMul.apply(dg, x.reshape(T * N, x.shape[-1]), ta=True) if need[3] else None,
                MatMul.apply(dg, hprev.reshape(T * N, H), ta=True) if need[4] else None,
                *((db if need[5] else None, db if need[6] else None) if b else ()))


# ---- the GRU step's pointwise part, written once for the cell and the layer --------------
def _gru_pointwise(be, gi, gh, h, out, kx, kh):
    """Arrays: from gi, gh [..., 3n] (order r, z, n) and h, write h' into out and Kx, Kh
    into kx, kh (with a = (1 - z) * (1 - n^2): Kx = [a * gh_n * r', (h - n) * z', a],
    Kh = Kx with its last part times r; r', z' the sigmoids' derivatives); return z
    (a view)."""
    xp, n = be.xp, h.shape[-1]
    rz = be.unary("sigmoid", gi[..., :2 * n] + gh[..., :2 * n])
    r, z, hn = rz[..., :n], rz[..., n:], gh[..., 2 * n:]
    cand = xp.tanh(gi[..., 2 * n:] + r * hn)
    d = h - cand
    xp.multiply(z, d, out=out)
    out += cand
    a = kx[..., 2 * n:]
    xp.multiply(cand, cand, out=a)
    xp.subtract(1, a, out=a)
    a *= 1 - z
    dz = rz * (1 - rz)                       # sigmoid' of r and z
    xp.multiply(a * hn, dz[..., :n], out=kx[..., :n])
    xp.multiply(d, dz[..., n:], out=kx[..., n:2 * n])
    kh[...] = kx
    kh[..., 2 * n:] *= r
    return z


def _gru_factors(gi, gh, h):
    """Tensors: (h', Kx, Kh, z) as differentiable functions of gi, gh and h (what
    backward recomputes under create_graph)."""
    n = h.shape[-1]
    r = (gi[..., :n] + gh[..., :n]).sigmoid()
    z = (gi[..., n:2 * n] + gh[..., n:2 * n]).sigmoid()
    hn = gh[..., 2 * n:]
    cand = (gi[..., 2 * n:] + r * hn).tanh()
    a = (1 - z) * (1 - cand * cand)
    kr, kz = a * hn * (r * (1 - r)), (h - cand) * (z * (1 - z))
    return cand + z * (h - cand), _cat([kr, kz, a]), _cat([kr, kz, a * r]), z


def _gru_grad(g, kx, kh, z):
    """Tensors: the gradients of gi, gh and (directly) h from that of h'."""
    g3 = _cat([g, g, g])
    return g3 * kx, g3 * kh, g * z


class GRUCell(Function):
    """One GRU step's pointwise part from gi = x @ W_ih.T + b_ih and gh = h @ W_hh.T +
    b_hh ([..., 3 * hidden], PyTorch's order r, z, n) and h: r, z = sigmoid(gi + gh) of
    their rows, n = tanh(gi_n + r * gh_n), h' = (1 - z) * n + z * h.

    Backward reads Kx, Kh and z (see _gru_pointwise): forward's arrays, or the same
    recomputed from the saved inputs as Tensor ops under create_graph."""
    @staticmethod
    def forward(ctx, gi, gh, h):
        xp = ctx.backend.xp
        out = xp.empty(h.shape, dtype=h.dtype)
        ctx.kx, ctx.kh = xp.empty_like(gi, dtype=h.dtype), xp.empty_like(gi, dtype=h.dtype)
        ctx.z = _gru_pointwise(ctx.backend, gi, gh, h, out, ctx.kx, ctx.kh)
        ctx.save_for_backward(gi, gh, h)   # read only to recompute under create_graph
        return out
    @staticmethod
    def backward(ctx, grad):
        gi, gh, h = ctx.saved_tensors
        if is_grad_enabled():   # create_graph: the factors as functions of the inputs
            _, kx, kh, z = _gru_factors(gi, gh, h)
        else:                   # first order: forward's values as constants
            kx, kh, z = grad._make(ctx.kx), grad._make(ctx.kh), grad._make(ctx.z)
        return tuple(g if need else None
                     for g, need in zip(_gru_grad(grad, kx, kh, z), ctx.needs_input_grad))


class GRULayer(Function):
    """A whole GRU layer in one direction: x [T, N, in], h0 [N, H], w_ih [3H, in], w_hh
    [3H, H] and, optionally, b_ih and b_hh [3H]; the steps run from 0 to T - 1 (from
    T - 1 down to 0 with ``reverse``). The result [T, N, H] holds h_t at [t].

    As LSTMLayer: one GEMM for the input half of every step, then per step the hidden
    GEMM and the pointwise part on arrays; backward through time in Tensor ops, ending
    with one GEMM per weight over all steps, from forward's Kx, Kh, z and hidden
    states, or the same recomputed from the saved inputs under create_graph."""
    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, *b, reverse=False):
        be = ctx.backend
        xp, (T, N), H = be.xp, x.shape[:2], h0.shape[-1]
        dt = h0.dtype
        gi = be.linear(x.reshape(T * N, x.shape[-1]), w_ih, b[0] if b else None)
        gi = gi.reshape(T, N, 3 * H)
        out = xp.empty((T, N, H), dtype=dt)
        kx, kh = xp.empty((T, N, 3 * H), dtype=dt), xp.empty((T, N, 3 * H), dtype=dt)
        z, hprev = xp.empty((T, N, H), dtype=dt), xp.empty((T, N, H), dtype=dt)
        h = h0
        for t in range(T - 1, -1, -1) if reverse else range(T):
            hprev[t] = h
            gh = be.linear(h, w_hh, b[1] if b else None)
            z[t] = _gru_pointwise(be, gi[t], gh, h, out[t], kx[t], kh[t])
            h = out[t]
        ctx.kx, ctx.kh, ctx.z, ctx.hprev, ctx.reverse = kx, kh, z, hprev, reverse
        ctx.save_for_backward(x, h0, w_ih, w_hh, *b)
        return out
    @staticmethod
    def backward(ctx, grad):
        x, h0, w_ih, w_hh, *b = ctx.saved_tensors
        (T, N), H = x.shape[:2], h0.shape[-1]
        order = range(T - 1, -1, -1) if ctx.reverse else range(T)
        if is_grad_enabled():   # create_graph: every step again, as Tensor ops
            gi = Linear.apply(x, w_ih, *b[:1])
            kx, kh, z, hp = [None] * T, [None] * T, [None] * T, [None] * T
            h = h0
            for t in order:
                hp[t] = h
                h, kx[t], kh[t], z[t] = _gru_factors(gi[t], Linear.apply(h, w_hh, *b[1:]), h)
            hprev = Cat.apply(*[v.unsqueeze(0) for v in hp], axis=0)
        else:                   # first order: forward's values as constants
            kx, kh, z = [[grad._make(a) for a in arr] for arr in (ctx.kx, ctx.kh, ctx.z)]
            hprev = grad._make(ctx.hprev)
        need = ctx.needs_input_grad
        dgi, dgh, dh = [None] * T, [None] * T, None
        for s, t in enumerate(reversed(order)):
            dgi[t], dgh[t], dh_direct = _gru_grad(grad[t] if dh is None else grad[t] + dh,
                                                  kx[t], kh[t], z[t])
            if s < T - 1 or need[1]:
                dh = dh_direct + MatMul.apply(dgh[t], w_hh)
        dgi = Cat.apply(*[v.unsqueeze(0) for v in dgi], axis=0).reshape(T * N, 3 * H)
        dgh = Cat.apply(*[v.unsqueeze(0) for v in dgh], axis=0).reshape(T * N, 3 * H)
        return (MatMul.apply(dgi, w_ih).reshape(x.shape) if need[0] else None,
                dh if need[1] else None,
                MatMul.apply(dgi, x.reshape(T * N, x.shape[-1]), ta=True) if need[2] else None,
                MatMul.apply(dgh, hprev.reshape(T * N, H), ta=True) if need[3] else None,
                *((dgi.sum(0) if need[4] else None, dgh.sum(0) if need[5] else None)
                  if b else ()))
