"""Module.half / float / double / type / to(dtype) as PyTorch's: floating parameters,
buffers and gradients change dtype in place (integer buffers only under .type), the
same Parameter objects stay registered, and a non-floating dtype is refused."""
import numpy as np
import pytest

import tinygrad_edu as tg

torch = pytest.importorskip("torch")


def _model(m):
    net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2))
    net.register_buffer("count", m.tensor([1, 2]))
    net.register_buffer("scale", m.tensor([0.5, 2.0]))
    net(m.ones(2, 3)).sum().backward()
    return net


def _dtypes(m, net):
    name = lambda d: str(d).split(".")[-1]  # noqa: E731
    return ([name(p.dtype) for p in net.parameters()],
            [name(p.grad.dtype) for p in net.parameters()],
            [name(b.dtype) for b in net.buffers()])


CASTS = [("half", lambda m, n: n.half()), ("float", lambda m, n: n.double().float()),
         ("double", lambda m, n: n.double()), ("to", lambda m, n: n.to(m.float16)),
         ("to device and dtype", lambda m, n: n.to("cpu", m.float64)),
         ("type float64", lambda m, n: n.type(m.float64)),
         ("type float16", lambda m, n: n.type(m.float16))]


@pytest.mark.parametrize("name,cast", CASTS, ids=[c[0] for c in CASTS])
def test_module_casts_parameters_buffers_and_grads_as_torch(name, cast):
    ours, ref = _model(tg), _model(torch)
    params = list(ours.parameters())
    assert cast(tg, ours) is ours
    cast(torch, ref)
    assert _dtypes(tg, ours) == _dtypes(torch, ref)
    assert all(a is b for a, b in zip(ours.parameters(), params))   # in place
    assert all(p.requires_grad for p in ours.parameters())


def test_half_module_runs_in_float16_as_torch():
    ours, ref = _model(tg), _model(torch)
    ref.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    ours.half(), ref.half()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float16)
    y, r = ours(tg.tensor(x)), ref(torch.tensor(x))
    assert y.dtype == tg.float16
    np.testing.assert_allclose(y.detach().numpy().astype(np.float32),
                               r.detach().numpy().astype(np.float32), atol=2e-2)


def test_to_an_integer_dtype_raises_type_error_as_torch():
    with pytest.raises(TypeError, match="only accepts floating point"):
        _model(torch).to(torch.int64)
    net = _model(tg)
    with pytest.raises(TypeError, match=r"nn.Module.to only accepts floating point or "
                                        r"complex dtypes, but got desired dtype=tg.int64"):
        net.to(tg.int64)
    assert _dtypes(tg, net)[0] == ["float32"] * 4      # nothing changed


def test_type_to_an_integer_dtype_raises_with_trainable_parameters_as_torch():
    with pytest.raises(RuntimeError, match="must be floating point"):
        _model(torch).type(torch.int32)
    net = _model(tg)
    with pytest.raises(RuntimeError, match="must be floating point or complex dtype"):
        net.type(tg.int32)
    assert _dtypes(tg, net)[2] == ["int64", "float32"]   # refused before any cast


def test_type_casts_integer_buffers_of_a_frozen_module_as_torch():
    ours, ref = _model(tg).requires_grad_(False), _model(torch).requires_grad_(False)
    for p, q in zip(ours.parameters(), ref.parameters()):
        p.grad, q.grad = None, None
    ours.type(tg.int32), ref.type(torch.int32)
    assert [b.dtype.name for b in ours.buffers()] == ["int32", "int32"]
    assert [str(b.dtype) for b in ref.buffers()] == ["torch.int32", "torch.int32"]
