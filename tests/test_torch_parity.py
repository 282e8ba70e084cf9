"""PyTorch as an oracle: the same random graphs in both libraries, float64,
same values and same gradients. Skips cleanly without torch."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

torch = pytest.importorskip("torch")

import tinygrad_edu as tg  # noqa: E402
from helpers import npy  # noqa: E402
import strategies as S  # noqa: E402


def T(arr, rg=True):
    return torch.tensor(np.asarray(arr, dtype=np.float64), requires_grad=rg)


def G(arr, rg=True):
    return tg.tensor(np.asarray(arr, dtype=np.float64), dtype=tg.float64, requires_grad=rg)


# (name, op) where op(lib, x) works for lib in (torch, tg): both expose the
# same names, so one lambda builds the graph in either.
UNARY = [
    ("tanh", lambda L, x: L.tanh(x)),
    ("sigmoid", lambda L, x: L.sigmoid(x)),
    ("sin", lambda L, x: x.sin()),
    ("cos", lambda L, x: L.cos(x)),
    ("square", lambda L, x: x * x),
    ("affine", lambda L, x: 0.5 * x - 1.0),
    ("rdiv", lambda L, x: 1.0 / (1.0 + x * x)),
    ("log1p_abs", lambda L, x: (x.abs() + 1.0).log()),
    ("sqrt", lambda L, x: L.sqrt(x * x + 1.0)),
    ("exp_neg_sq", lambda L, x: L.exp(-(x * x))),
    ("relu", lambda L, x: L.relu(x)),
    ("neg", lambda L, x: -x),
    ("pow", lambda L, x: (x * x + 0.5) ** 1.5),
    ("clamp", lambda L, x: x.clamp(min=-0.5, max=0.5)),
    ("softmax", lambda L, x: x.softmax(dim=-1)),
    ("log_softmax", lambda L, x: L.log_softmax(x, dim=-1)),
    ("sum_keep", lambda L, x: x.sum(dim=-1, keepdim=True)),
    ("mean0_keep", lambda L, x: x.mean(dim=0, keepdim=True)),
    ("lse_keep", lambda L, x: L.logsumexp(x, dim=-1, keepdim=True)),
    ("max_keep", lambda L, x: x.max(dim=-1, keepdim=True)[0]),
    ("std_keep", lambda L, x: (x.var(dim=-1, keepdim=True, unbiased=False) + 1.0).sqrt()),
    ("transpose", lambda L, x: x.transpose(0, -1)),
    ("flip_reshape", lambda L, x: x.reshape(tuple(reversed(x.shape)))),
]
BINARY = [
    ("add", lambda L, x, y: x + y),
    ("sub", lambda L, x, y: x - y),
    ("mul", lambda L, x, y: x * y),
    ("div", lambda L, x, y: x / (1.0 + y * y)),
    ("maximum", lambda L, x, y: L.maximum(x, y)),
    ("minimum", lambda L, x, y: L.minimum(x, y)),
    ("where", lambda L, x, y: L.where(x > y, x, y * 2.0)),
]


@st.composite
def programs(draw):
    sa, sb = draw(S.pairs_of_broadcastable(min_dims=1, max_numel=24))
    steps = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 10**6)), min_size=1,
                          max_size=6))
    return sa, sb, steps, draw(S.seeds)


def run_program(L, a, b, steps, w_seed):
    h = a * 1.0
    for binary, k in steps:
        if binary:
            other = b if k % 2 else a
            name, op = BINARY[k % len(BINARY)]
            h = op(L, h, other) if k % 3 else op(L, other, h)
        else:
            name, op = UNARY[k % len(UNARY)]
            h = op(L, h)
    w = np.random.default_rng(w_seed).standard_normal(tuple(h.shape))
    wt = (torch.tensor(w) if L is torch else tg.tensor(w, dtype=tg.float64))
    return h, (h * wt).sum()


@given(programs())
def test_random_graphs_match_torch(prog):
    sa, sb, steps, seed = prog
    av, bv = S.gen_inputs(seed, [sa, sb], "distinct")
    av, bv = av * 0.37, bv * 0.41          # keep exp/pow well scaled, no ties
    ta, tb = T(av), T(bv)
    ga, gb = G(av), G(bv)
    try:
        th, tl = run_program(torch, ta, tb, steps, seed)
    except RuntimeError:
        # a reshaping step made the operands unbroadcastable: we must refuse too
        with pytest.raises(RuntimeError, match="must match the size"):
            run_program(tg, ga, gb, steps, seed)
        return
    gh, gl = run_program(tg, ga, gb, steps, seed)
    assert tuple(gh.shape) == tuple(th.shape)
    np.testing.assert_allclose(npy(gh), npy(th), rtol=1e-10, atol=1e-12)
    tl.backward()
    gl.backward()
    for g, t in ((ga, ta), (gb, tb)):
        if t.grad is None:
            assert g.grad is None or np.all(npy(g.grad) == 0)
            continue
        assert g.grad is not None and tuple(g.grad.shape) == tuple(t.grad.shape)
        np.testing.assert_allclose(npy(g.grad), npy(t.grad), rtol=1e-9, atol=1e-11)


@given(S.pairs_of_broadcastable(max_dims=2, max_side=3, max_numel=6),
       st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), S.seeds)
def test_batched_matmul_matches_torch(batch, n, k, m, seed):
    rng = np.random.default_rng(seed)
    av = rng.standard_normal(batch[0] + (n, k))
    bv = rng.standard_normal(batch[1] + (k, m))
    ta, tb, ga, gb = T(av), T(bv), G(av), G(bv)
    tout, gout = ta @ tb, tg.matmul(ga, gb)
    np.testing.assert_allclose(npy(gout), npy(tout), rtol=1e-12, atol=1e-12)
    w = rng.standard_normal(tuple(tout.shape))
    (tout * torch.tensor(w)).sum().backward()
    (gout * tg.tensor(w, dtype=tg.float64)).sum().backward()
    np.testing.assert_allclose(npy(ga.grad), npy(ta.grad), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(npy(gb.grad), npy(tb.grad), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("build", [
    lambda L, x: x.max(),
    lambda L, x: L.min(x),
    lambda L, x: x[[0, 2, 0, 0]].sum(),
    lambda L, x: (x[x > 0] ** 2).sum(),
    lambda L, x: (L.stack([x, x * 2.0], dim=1) ** 2).sum(),
    lambda L, x: (L.cat([x, x[:2]], dim=0) ** 3).sum(),
    lambda L, x: (x.unsqueeze(0).expand(3, -1) * 2.0).sum(),
    lambda L, x: (x.repeat(2) ** 2).sum(),
    lambda L, x: x.std() + x.var(),
    lambda L, x: L.abs(x).sum() + L.sign(x).sum(),
])
def test_special_cases_match_torch(build):
    v = np.array([3.0, -1.0, 3.0, 0.5])
    t, g = T(v), G(v)
    tv, gv = build(torch, t), build(tg, g)
    np.testing.assert_allclose(npy(gv), npy(tv), rtol=1e-12)
    tv.backward()
    gv.backward()
    np.testing.assert_allclose(npy(g.grad), npy(t.grad), rtol=1e-12)


REPRS = [
    lambda L: L.tensor([1.0, 2.0]),
    lambda L: L.tensor([0.6590, 0.2424, 0.0986]),
    lambda L: L.tensor([1e-5, 1.0]),
    lambda L: L.tensor([100000.0, 1.0]),
    lambda L: L.tensor([[1.5, -2.0], [3.25, 4.0]]),
    lambda L: L.tensor([1, -2, 3]),
    lambda L: L.tensor([True, False]),
    lambda L: L.tensor(3.0),
    lambda L: L.tensor(-2.5),
    lambda L: L.zeros(0),
    lambda L: L.tensor([1.5, 2.0], dtype=L.float64, requires_grad=True),
    lambda L: L.tensor([[1.0, 2.0]], requires_grad=True),
    lambda L: L.tensor([1.0, float("inf"), float("nan")]),
]


@pytest.mark.parametrize("i", range(len(REPRS)))
def test_repr_matches_torch(i):
    want = repr(REPRS[i](torch)).replace("torch.", "tg.")
    assert repr(REPRS[i](tg)) == want


# ---- bigger shapes: past any "tiny arrays go to numpy" threshold, through the
# C kernels' parallel and blocked paths, float32 and float64 ----------------------------
LARGE = [
    ("exp_log", lambda L, a, b: (L.exp(a * 0.5) + 1.0).log()),
    ("sigmoid_tanh", lambda L, a, b: L.sigmoid(a) * L.tanh(b)),
    ("relu_leaky", lambda L, a, b: L.relu(a) + L.nn.functional.leaky_relu(b, 0.1)
     if L is torch else L.relu(a) + L.leaky_relu(b, 0.1)),
    ("sqrt_abs_div", lambda L, a, b: L.sqrt(a.abs() + 0.5) / (b * b + 1.0)),
    ("pow_sub", lambda L, a, b: (a * a + 0.25) ** 0.75 - b),
    ("max_min", lambda L, a, b: L.maximum(a, b) - L.minimum(a, b * 0.5)),
    ("broadcast_row", lambda L, a, b: a * b[0] + b[:, :1]),
    ("sum_dims", lambda L, a, b: a.sum(dim=0) + b.sum(dim=0, keepdim=True)),
    ("mean_var", lambda L, a, b: a.mean(dim=1) * b.var(dim=1)),
    ("softmax", lambda L, a, b: a.softmax(dim=1) * b),
    ("log_softmax0", lambda L, a, b: L.log_softmax(a, dim=0) + b),
    ("lse", lambda L, a, b: L.logsumexp(a * 3.0, dim=1)),
    ("max_dim", lambda L, a, b: a.max(dim=1)[0] + b.min(dim=0)[0].sum()),
    ("max_all", lambda L, a, b: a.max() + b.min()),
    ("matmul", lambda L, a, b: a @ b.T),
    ("matmul_t", lambda L, a, b: a.T @ b),
    ("batched", lambda L, a, b: L.matmul(a.reshape(-1, 37, 43)[:, :, :20],
                                         b.reshape(-1, 43, 37)[:, :20, :])),
]


@pytest.mark.parametrize("scale", [3, 16])      # 14k and 407k elements (parallel paths)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", [n for n, _ in LARGE])
def test_large_shapes_match_torch(name, dtype, scale):
    op = dict(LARGE)[name]
    rng = np.random.default_rng(7)
    shape = (43 * scale, 37 * scale)
    av, bv = rng.standard_normal(shape), rng.standard_normal(shape)
    ta = torch.tensor(av, dtype=getattr(torch, dtype), requires_grad=True)
    tb = torch.tensor(bv, dtype=getattr(torch, dtype), requires_grad=True)
    ga = tg.tensor(av, dtype=getattr(tg, dtype), requires_grad=True)
    gb = tg.tensor(bv, dtype=getattr(tg, dtype), requires_grad=True)
    tout, gout = op(torch, ta, tb), op(tg, ga, gb)
    assert tuple(gout.shape) == tuple(tout.shape) and gout.dtype == getattr(tg, dtype)
    tol = dict(rtol=2e-4, atol=2e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(npy(gout), npy(tout), **tol)
    w = rng.standard_normal(tuple(tout.shape))
    (tout * torch.tensor(w, dtype=tout.dtype)).sum().backward()
    (gout * tg.tensor(w, dtype=gout.dtype)).sum().backward()
    for g, t in ((ga, ta), (gb, tb)):
        if t.grad is None:          # input unused by this op
            assert g.grad is None
            continue
        assert g.grad.dtype == getattr(tg, dtype)
        np.testing.assert_allclose(npy(g.grad), npy(t.grad), **tol)


# ---- IEEE specials: nan/inf propagate as in PyTorch (small and large arrays) ----------
SPECIAL_OPS = [
    ("exp", lambda L, x: L.exp(x)), ("log", lambda L, x: L.log(x)),
    ("sqrt", lambda L, x: L.sqrt(x)), ("abs", lambda L, x: x.abs()),
    ("sigmoid", lambda L, x: L.sigmoid(x)), ("tanh", lambda L, x: L.tanh(x)),
    ("relu", lambda L, x: L.relu(x)), ("neg", lambda L, x: -x),
    ("maximum", lambda L, x: L.maximum(x, x.flip(0) if L is torch else x[::-1])),
    ("minimum", lambda L, x: L.minimum(x, x.flip(0) if L is torch else x[::-1])),
    ("mul", lambda L, x: x * 2.0), ("div", lambda L, x: 1.0 / x),
    ("sum", lambda L, x: x.sum()), ("max", lambda L, x: x.max()), ("min", lambda L, x: x.min()),
    ("softmax", lambda L, x: x.softmax(dim=0)),
]


@pytest.mark.parametrize("n", [6, 4099])
@pytest.mark.parametrize("name", [n for n, _ in SPECIAL_OPS])
def test_nan_inf_propagation_matches_torch(name, n):
    op = dict(SPECIAL_OPS)[name]
    v = np.resize(np.array([np.nan, np.inf, -np.inf, 0.0, -1.5, 2.0]), n)
    if name == "softmax":
        v = np.resize(np.array([-np.inf, 0.0, 1.0, -np.inf, 3.0, 2.0]), n)
    for dt in ("float32", "float64"):
        want = op(torch, torch.tensor(v, dtype=getattr(torch, dt))).numpy()
        got = npy(op(tg, tg.tensor(v, dtype=getattr(tg, dt))))
        # same nan / +-inf positions; finite values to rounding
        np.testing.assert_allclose(got, want, rtol=1e-5 if dt == "float32" else 1e-12, atol=0,
                                   err_msg=f"{name} {dt} n={n}")
