"""The recurrent layers (tinygrad_edu.nn.rnn: RNN, LSTM, GRU and the cells RNNCell,
LSTMCell, GRUCell) against PyTorch with copied weights, in float32 and float64: outputs,
final states, every parameter's gradient and the gradients of the input and the initial
state, over layers, directions, batch_first, bias, given or zero initial states and
unbatched input; dropout in eval and training; parameter names, shapes, init and reprs;
state_dicts both ways; float64 gradcheck; second order (create_graph) against PyTorch;
and every wrong call of errors_rnn.CASES, refused before computing. Finite differences
of the single steps and of the fused layers are rows of tests/op_table_rnn.py."""
import numpy as np
import pytest
from helpers import npy
from hypothesis import given, settings, strategies as st

import errors_rnn
import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

DTYPES = ["float32", "float64"]
TOL = {"float32": dict(rtol=1e-4, atol=2e-6), "float64": dict(rtol=1e-10, atol=1e-12)}
LAYERS = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
         ("GRUCell", {})]
IDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _pair(torch, name, args, kw, dtype="float32", seed=0):
    """(ours, torch's) built alike, torch's random weights loaded into ours."""
    torch.manual_seed(seed)
    ref = getattr(torch.nn, name)(*args, **kw).to(getattr(torch, dtype))
    ours = getattr(nn, name)(*args, **kw)
    if dtype == "float64":
        ours.double()
    ours.load_state_dict(ref.state_dict())
    return ours, ref


def _flat(out):
    """output, h, (output, h), (h, c) or (output, (h, c)) as a flat list of tensors."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _run(torch, pair, arrays, dtype, lstm):
    """Call both modules on the same arrays (input, then the initial states if any),
    pull every output back with one random cotangent each. Per side: (outputs,
    {param name: grad}, [grads of input and states])."""
    results = []
    for L, m in ((tg, pair[0]), (torch, pair[1])):
        leaves = [L.tensor(a, dtype=getattr(L, dtype), requires_grad=True) for a in arrays]
        states = leaves[1:]
        hx = None if not states else tuple(states) if lstm else states[0]
        outs = _flat(m(leaves[0], hx))
        rng = np.random.default_rng(1)
        loss = sum((o * L.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype)).sum()
                   for o in outs)
        loss.backward()
        results.append(([npy(o) for o in outs],
                        {n: npy(p.grad) for n, p in m.named_parameters()},
                        [npy(t.grad) for t in leaves]))
    return results


def _assert_same(results, dtype):
    (o1, p1, g1), (o2, p2, g2) = results
    assert list(p1) == list(p2)
    for what, a, b in ([("output", *ab) for ab in zip(o1, o2)] +
                       [(f"grad of {n}", p1[n], p2[n]) for n in p1] +
                       [(f"grad of leaf {i}", *ab) for i, ab in enumerate(zip(g1, g2))]):
        assert a.shape == b.shape and a.dtype == b.dtype, what
        np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def _layer_case(torch, name, kw, dtype, num_layers=1, bidirectional=False, batch_first=False,
                bias=True, hx=False, unbatched=False, seq=3, batch=2, n_in=3, hid=4, seed=0):
    kw = dict(kw, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
              bias=bias)
    pair = _pair(torch, name, (n_in, hid), kw, dtype, seed)
    rng = np.random.default_rng(seed)
    lead = (seq,) if unbatched else (batch, seq) if batch_first else (seq, batch)
    arrays = [rng.standard_normal(lead + (n_in,))]
    if hx:
        shape = (num_layers * (2 if bidirectional else 1),) + (() if unbatched else (batch,))
        arrays += [rng.standard_normal(shape + (hid,)) for _ in range(2 if name == "LSTM" else 1)]
    _assert_same(_run(torch, pair, arrays, dtype, name == "LSTM"), dtype)


CONFIGS = [dict(), dict(num_layers=2, bidirectional=True, hx=True),
           dict(num_layers=2, batch_first=True, bias=False, hx=True),
           dict(bidirectional=True, batch_first=True, unbatched=True, hx=True),
           dict(num_layers=2, unbatched=True, seq=1), dict(batch=1, seq=5, hid=1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", CONFIGS, ids=lambda c: "-".join(map(str, c.items())) or "plain")
@pytest.mark.parametrize("name, kw", LAYERS, ids=IDS)
def test_layers_match_torch(torch, name, kw, cfg, dtype):
    _layer_case(torch, name, kw, dtype, **cfg)


@pytest.mark.parametrize("name, kw", LAYERS, ids=IDS)
@settings(max_examples=5)
@given(cfg=st.fixed_dictionaries(dict(
    num_layers=st.integers(1, 2), bidirectional=st.booleans(), batch_first=st.booleans(),
    bias=st.booleans(), hx=st.booleans(), unbatched=st.booleans(), seq=st.integers(1, 4),
    batch=st.integers(1, 3), n_in=st.integers(1, 3), hid=st.integers(1, 3),
    seed=st.integers(0, 2**16))), dtype=st.sampled_from(DTYPES))
def test_layers_match_torch_on_drawn_configurations(torch, name, kw, cfg, dtype):
    _layer_case(torch, name, kw, dtype, **cfg)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batched, hx", [(True, False), (True, True), (False, False),
                                         (False, True)])
@pytest.mark.parametrize("name, kw", CELLS, ids=IDS)
def test_cells_match_torch(torch, name, kw, batched, hx, dtype):
    pair = _pair(torch, name, (3, 4), dict(kw, bias=not (batched and hx)), dtype)
    rng = np.random.default_rng(2)
    lead = (2,) if batched else ()
    arrays = [rng.standard_normal(lead + (3,))]
    if hx:
        arrays += [rng.standard_normal(lead + (4,)) for _ in range(2 if name == "LSTMCell"
                                                                    else 1)]
    _assert_same(_run(torch, pair, arrays, dtype, name == "LSTMCell"), dtype)


@pytest.mark.parametrize("name, kw", LAYERS + CELLS, ids=IDS + [i + "_cell" for i in IDS])
def test_names_shapes_repr_and_init_match_torch(torch, name, kw):
    more = {} if "Cell" in name else dict(num_layers=2, bidirectional=True, batch_first=True,
                                          dropout=0.25)
    tg.manual_seed(3)
    ours, ref = getattr(nn, name)(5, 9, bias=False, **kw, **more), \
        getattr(torch.nn, name)(5, 9, bias=False, **kw, **more)
    assert repr(ours) == repr(ref)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    assert list(ours.state_dict()) == list(ref.state_dict())
    for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                 "bidirectional", "proj_size", "nonlinearity", "mode"):
        assert getattr(ours, attr, None) == getattr(ref, attr, None), attr
    ours = getattr(nn, name)(5, 9, **kw, **more)
    values = np.concatenate([npy(p).ravel() for p in ours.parameters()])
    assert np.abs(values).max() <= 1 / 3 + 1e-7 and np.abs(values).max() > 0.3   # U(+-1/sqrt(9))
    tg.manual_seed(4)
    a = [npy(p) for p in getattr(nn, name)(5, 9, **kw, **more).parameters()]
    tg.manual_seed(4)
    b = [npy(p) for p in getattr(nn, name)(5, 9, **kw, **more).parameters()]
    assert all(np.array_equal(u, v) for u, v in zip(a, b))   # tg.manual_seed reproduces
    if "Cell" not in name:
        assert [len(w) for w in ours.all_weights] == [4] * 4
        ours.flatten_parameters()


@pytest.mark.parametrize("name, kw", LAYERS, ids=IDS)
def test_state_dicts_move_both_ways(torch, name, kw):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    for src_torch in (True, False):
        ours = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, **kw)
        ref = getattr(torch.nn, name)(3, 4, num_layers=2, bidirectional=True, **kw)
        src = {k: rng.standard_normal(tuple(v.shape)).astype(np.float32)
               for k, v in ref.state_dict().items()}
        if src_torch:   # torch -> tg, straight from torch's state_dict
            ref.load_state_dict({k: torch.tensor(v) for k, v in src.items()})
            ours.load_state_dict(ref.state_dict())
        else:           # tg -> torch
            ours.load_state_dict({k: tg.tensor(v) for k, v in src.items()})
            ref.load_state_dict({k: torch.tensor(npy(v)) for k, v in ours.state_dict().items()})
        _assert_same(_run(torch, (ours, ref), [x], "float32", name == "LSTM"), "float32")


@pytest.mark.parametrize("name, kw", LAYERS, ids=IDS)
def test_dropout_between_layers(torch, name, kw):
    ours, ref = _pair(torch, name, (3, 4), dict(kw, num_layers=2, dropout=0.5))
    x = np.random.default_rng(0).standard_normal((4, 2, 3))
    ours.eval(), ref.eval()
    _assert_same(_run(torch, (ours, ref), [x], "float32", name == "LSTM"), "float32")
    ev = npy(ours(tg.tensor(x, dtype=tg.float32))[0])
    ours.train()
    tg.manual_seed(0)
    tr = npy(ours(tg.tensor(x, dtype=tg.float32))[0])
    tg.manual_seed(0)
    assert not np.allclose(tr, ev) and np.array_equal(tr, npy(ours(tg.tensor(x,
                                                                    dtype=tg.float32))[0]))
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        getattr(nn, name)(3, 4, dropout=0.5, **kw)


def test_empty_batch_and_a_float64_model_from_double(torch):
    ours, ref = _pair(torch, "LSTM", (3, 4), dict(batch_first=True))
    out, (h, c) = ours(tg.zeros(0, 5, 3))
    assert out.shape == (0, 5, 4) and h.shape == c.shape == (1, 0, 4)
    ours.double()
    out, (h, _) = ours(tg.ones(2, 5, 3, dtype=tg.float64))
    assert out.dtype == h.dtype == tg.float64


@pytest.mark.parametrize("name, kw, size", [("LSTM", {}, dict(num_layers=2, bidirectional=True)),
                                            ("GRU", {}, dict(bidirectional=True)),
                                            ("RNN", {}, dict(num_layers=2))])
def test_gradcheck_float64(name, kw, size):
    tg.manual_seed(0)
    m = getattr(nn, name)(2, 2, **kw, **size).double()
    d = 2 if size.get("bidirectional") else 1
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((3, 1, 2)), dtype=tg.float64, requires_grad=True)
    states = [tg.tensor(rng.standard_normal((size.get("num_layers", 1) * d, 1, 2)),
                        dtype=tg.float64, requires_grad=True)
              for _ in range(2 if name == "LSTM" else 1)]

    def fn(x, *rest):   # the parameters are inputs too: gradcheck nudges them in place
        return tuple(_flat(m(x, tuple(rest[:2]) if name == "LSTM" else rest[0])))
    assert tg.gradcheck(fn, (x, *states, *m.parameters()), atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("kw", [dict(bias=False),
                                dict(num_layers=2, bidirectional=True, batch_first=True)],
                         ids=["no_bias", "deep_bidirectional_batch_first"])
def test_second_order_matches_torch(torch, name, kw):
    """Gradients taken with create_graph=True (the fused layers recompute their steps
    as Tensor ops) and differentiated again: input, initial states and parameters."""
    ours, ref = _pair(torch, name, (3, 4), kw, dtype="float64", seed=1)
    rng = np.random.default_rng(2)
    d = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    arrays = [rng.standard_normal((2, 5, 3) if kw.get("batch_first") else (5, 2, 3))]
    arrays += [rng.standard_normal((d, 2, 4)) for _ in range(2 if name == "LSTM" else 1)]
    results = []
    for L, m in ((tg, ours), (torch, ref)):
        leaves = [L.tensor(a, dtype=L.float64, requires_grad=True) for a in arrays]
        out, hn = m(leaves[0], tuple(leaves[1:]) if name == "LSTM" else leaves[1])
        hs = list(hn) if name == "LSTM" else [hn]
        loss = (out * out).sum() + sum((h * h * h).sum() for h in hs) + (hs[0] * hs[-1]).sum()
        wrt = leaves + list(m.parameters())
        grads = L.autograd.grad(loss, wrt, create_graph=True)
        sum((g * g).sum() for g in grads).backward()
        results.append([npy(g.detach()) for g in grads] + [npy(t.grad) for t in wrt])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, **TOL["float64"])


@pytest.mark.parametrize("case", errors_rnn.CASES, ids=[c[0] for c in errors_rnn.CASES])
def test_wrong_calls_raise_pytorchs_exceptions_before_computing(case, monkeypatch):
    _, call, error, phrase = case

    def boom(*args, **kwargs):
        raise AssertionError("computed before the arguments were checked")
    for owner, attr in ((F, "linear"), (tg.Tensor, "__getitem__"), (tg.Tensor, "unsqueeze"),
                        (tg.Tensor, "transpose"), (tg.Tensor, "tanh")):
        monkeypatch.setattr(owner, attr, boom)
    with pytest.raises(error, match=phrase) as info:
        call()
    assert "torch." not in str(info.value) and len(str(info.value)) < 600
