"""scaled_dot_product_attention, nn.MultiheadAttention and the transformer encoder
against PyTorch with the same weights: outputs, attention weights and every
parameter's and input's gradient, float32 and float64; state_dicts both ways."""
import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg
from tinygrad_edu import nn
import tinygrad_edu.nn.functional as F

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _both(torch, dtype, arrays, fn):
    """fn(L, F, nn, *leaves) on tg and torch, pulled back with one upstream gradient."""
    out = []
    for L, Fn, N in ((tg, F, nn), (torch, torch.nn.functional, torch.nn)):
        xs = [L.tensor(a, dtype=getattr(L, dtype), requires_grad=True) for a in arrays]
        y = fn(L, Fn, N, *xs)
        v = np.random.default_rng(1).standard_normal(tuple(y.shape))
        (y * L.tensor(v, dtype=y.dtype)).sum().backward()
        out.append([npy(y)] + [npy(x.grad) for x in xs])
    return out


def _same(pairs, dtype):
    for i, (a, b) in enumerate(zip(*pairs)):
        assert a.shape == b.shape, f"item {i}: {a.shape} vs {b.shape}"
        np.testing.assert_allclose(a, b, err_msg=f"item {i}", **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mask", ["none", "causal", "bool", "float", "empty_row", "scale"])
def test_sdpa_matches_torch(torch, dtype, mask):
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 6, 5)), \
        rng.standard_normal((2, 3, 6, 2))
    m = rng.random((4, 6)) < 0.6
    m[1] = False     # a row that attends to nothing: zeros in PyTorch, not NaN
    bias = rng.standard_normal((3, 4, 6))

    def fn(L, Fn, N, q, k, v):
        kw = {"none": {}, "causal": {"is_causal": True}, "scale": {"scale": 0.3},
              "bool": {"attn_mask": L.tensor(m | np.eye(4, 6, dtype=bool))},
              "empty_row": {"attn_mask": L.tensor(m)},
              "float": {"attn_mask": L.tensor(bias, dtype=q.dtype)}}[mask]
        return Fn.scaled_dot_product_attention(q, k, v, **kw)
    _same(_both(torch, dtype, [q, k, v], fn), dtype)


def test_sdpa_dropout_keeps_the_expectation():
    tg.manual_seed(0)
    q = k = tg.zeros(1, 4, 2)
    v = tg.ones(1, 4, 3)
    outs = np.stack([npy(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5))
                     for _ in range(300)])
    assert abs(outs.mean() - 1.0) < 0.05 and (outs == 0).any()


def _copy_into_tg(tg_mod, torch_mod):
    tg_mod.load_state_dict(torch_mod.state_dict())


def _params_and_grads(torch, L, mod, x_arrays, dtype, call):
    xs = [L.tensor(a, dtype=getattr(L, dtype), requires_grad=True) for a in x_arrays]
    outs = call(mod, *xs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    total = 0
    for j, o in enumerate(o for o in outs if o is not None):
        v = np.random.default_rng(j).standard_normal(tuple(o.shape))
        total = total + (o * L.tensor(v, dtype=o.dtype)).sum()
    total.backward()
    return [npy(o) for o in outs if o is not None] + [npy(x.grad) for x in xs] + \
        [npy(p.grad) for p in mod.parameters()]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["plain", "batch_first", "per_head_weights", "key_padding",
                                  "bool_mask", "float_mask", "unbatched", "cross"])
def test_multihead_attention_matches_torch(torch, dtype, case):
    E, H = 8, 2
    kw = {"batch_first": case == "batch_first", "dtype": getattr(torch, dtype)}
    ref = torch.nn.MultiheadAttention(E, H, **kw)
    ours = nn.MultiheadAttention(E, H, batch_first=kw["batch_first"], dtype=getattr(tg, dtype))
    _copy_into_tg(ours, ref)
    rng = np.random.default_rng(3)
    L, S, N = 4, 5 if case == "cross" else 4, 3
    q = rng.standard_normal((L, E) if case == "unbatched" else (L, N, E))
    kv = rng.standard_normal((S, E) if case == "unbatched" else (S, N, E))
    pad = np.zeros((N, S), bool)
    pad[0, -2:] = True
    causal = np.triu(np.ones((L, S), bool), 1)
    results = []
    for Lb, mod in ((tg, ours), (torch, ref)):
        opts = {"average_attn_weights": case != "per_head_weights"}
        if case == "key_padding":
            opts["key_padding_mask"] = Lb.tensor(pad)
        if case == "bool_mask":
            opts["attn_mask"], opts["is_causal"] = Lb.tensor(causal), True
        if case == "float_mask":
            opts["attn_mask"] = Lb.tensor(np.where(causal, -1e9, 0.5), dtype=getattr(Lb, dtype))

        def call(m, a, b, opts=opts):
            return m(a, b, b, **opts)
        results.append(_params_and_grads(torch, Lb, mod, [q, kv], dtype, call))
    _same(results, dtype)


@pytest.mark.parametrize("norm_first, activation, batch_first", [
    (False, "relu", False), (True, "gelu", True), (False, "gelu", True)])
def test_transformer_encoder_matches_torch_in_eval_mode(torch, norm_first, activation,
                                                        batch_first):
    d, h = 8, 2
    kw = dict(dim_feedforward=16, dropout=0.3, activation=activation, norm_first=norm_first,
              batch_first=batch_first)
    ref = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(d, h, **kw), 2,
                                      enable_nested_tensor=False).double().eval()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h, **kw), 2).double().eval()
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    _copy_into_tg(ours, ref)
    x = np.random.default_rng(5).standard_normal((3, 4, d))
    mask = np.triu(np.ones((4, 4) if batch_first else (3, 3), bool), 1)
    results = []
    for Lb, mod in ((tg, ours), (torch, ref)):
        def call(m, a, Lb=Lb):
            return m(a, mask=Lb.tensor(mask))
        results.append(_params_and_grads(torch, Lb, mod, [x], "float64", call))
    _same(results, "float64")


def test_encoder_layers_are_independent_copies_and_state_dicts_move_back(torch):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    enc = nn.TransformerEncoder(layer, 2)
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b and a is not layer.linear1.weight
    ref = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16), 2,
                                      enable_nested_tensor=False)
    ref.load_state_dict({k: torch.tensor(npy(v)) for k, v in enc.state_dict().items()})
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(npy(enc.state_dict()[k]), v.numpy())


def test_multihead_attention_init_and_training_dropout():
    tg.manual_seed(0)
    m = nn.MultiheadAttention(16, 4, dropout=0.5)
    assert npy(m.in_proj_bias).sum() == 0 and npy(m.out_proj.bias).sum() == 0
    bound = np.sqrt(6.0 / (16 + 48))   # xavier_uniform_ over the packed [3E, E]
    assert np.abs(npy(m.in_proj_weight)).max() <= bound
    x = tg.randn(5, 2, 16)
    m.eval()
    y0 = npy(m(x, x, x)[0])
    np.testing.assert_array_equal(y0, npy(m(x, x, x)[0]))
    m.train()
    assert not np.allclose(npy(m(x, x, x)[0]), y0)
