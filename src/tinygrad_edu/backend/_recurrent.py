"""The pointwise part of one LSTM step, on any array module (the specification
backend's ``lstm_cell``; CuPy runs the same code on its arrays)."""


def lstm_cell(xp, sigmoid, gates, c, h, c2, k1, k2, f):
    """From the gates [..., 4n] (order i, f, g, o) and c [..., n], write h' into h, c'
    into c2, K1 (each gate activation's derivative times what it multiplies) into k1,
    K2 = o (1 - tanh(c')^2) into k2 and the forget gate into f. ``sigmoid`` is the
    backend's sigmoid kernel."""
    n = c.shape[-1]
    s = sigmoid(gates)                       # i, f and o (the g columns are unused)
    g = xp.tanh(gates[..., 2 * n:3 * n])
    i, fg, o = s[..., :n], s[..., n:2 * n], s[..., 3 * n:]
    xp.multiply(fg, c, out=c2)
    ig = i * g
    c2 += ig
    tc = xp.tanh(c2)
    xp.multiply(o, tc, out=h)
    xp.subtract(1, s, out=k1)
    k1 *= s                                  # sigmoid' of i, f and o
    k1[..., :n] *= g
    k1[..., n:2 * n] *= c
    xp.subtract(i, ig * g, out=k1[..., 2 * n:3 * n])   # i (1 - g^2)
    k1[..., 3 * n:] *= tc
    xp.subtract(o, h * tc, out=k2)                       # o (1 - tc^2)
    f[...] = fg
