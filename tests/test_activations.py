"""Issue 18's activations (nn.functional_act, nn.activations) against PyTorch: values and
gradients at the kinks, zeros, infinities and NaN, integer inputs, inplace=True, the
modules' reprs and PReLU's parameter. Errors are in errors_math.py; the float64
Jacobians in op_table_math.py."""
import numpy as np
import pytest
from helpers import outcome, same_as_torch

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf, 0 * inf


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


INF, NAN = float("inf"), float("nan")
POINTS = [-INF, -1000.0, -30.0, -3.0, -2.0, -1.0, -0.5, -0.25, -0.0, 0.0, 0.25, 0.5, 1.0, 2.0,
          3.0, 6.0, 10.0, 20.0, 30.0, 1000.0, INF, NAN]
CALLS = [("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}),
         ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 4.0}),
         ("softplus", {"beta": 0.5, "threshold": 10.0}), ("softsign", {}), ("mish", {}),
         ("hardswish", {}), ("hardsigmoid", {}), ("hardtanh", {}),
         ("hardtanh", {"min_val": -2.0, "max_val": 0.5}), ("relu6", {}), ("logsigmoid", {}),
         ("threshold", {"threshold": 0.5, "value": -2.0}), ("tanhshrink", {}),
         ("hardshrink", {}), ("hardshrink", {"lambd": 1.0}), ("softshrink", {}),
         ("softshrink", {"lambd": 2.0})]
_NAN_DIFFERS = {"hardsigmoid", "hardswish"}   # PyTorch's clamp order decides NaN: skipped


@pytest.mark.parametrize("name, kw", CALLS, ids=[f"{n}-{kw}" for n, kw in CALLS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_gradients_at_the_kinks_match_torch(torch, name, kw, dtype):
    tF = torch.nn.functional
    pts = [p for p in POINTS if not (name in _NAN_DIFFERS and p != p)]
    x = tg.tensor(pts, dtype=getattr(tg, dtype), requires_grad=True)
    y = torch.tensor(pts, dtype=getattr(torch, dtype), requires_grad=True)
    out, ref = getattr(F, name)(x, **kw), getattr(tF, name)(y, **kw)
    tol = dict(rtol=2e-6, atol=1e-7) if dtype == "float32" else dict(rtol=1e-12, atol=1e-15)
    if name in ("hardsigmoid", "hardswish"):   # PyTorch's float64 slope is float32's 1/6
        tol = dict(rtol=1e-7, atol=1e-7)
    same_as_torch(out, ref, **tol)
    out.backward(tg.ones_like(out))
    ref.backward(torch.ones_like(ref))
    same_as_torch(x.grad, y.grad, **tol)


@pytest.mark.parametrize("name, kw", CALLS + [("softmin", {"dim": 0}), ("glu", {}),
                                              ("prelu", {"weight": "w"})],
                         ids=[str(c) for c in range(len(CALLS) + 3)])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_inputs_as_torch(torch, name, kw, dtype):
    a = np.array([-3, 0, 1, 2, 7, 8]) if dtype != "bool" else np.array([0, 1, 1, 0], bool)

    def run(mod, fn):
        args = {k: (mod.tensor([1]) if v == "w" else v) for k, v in kw.items()}
        return fn(mod.tensor(a, dtype=getattr(mod, dtype)), **args)
    ours = outcome(lambda: run(tg, getattr(F, name)))
    ref = outcome(lambda: run(torch, getattr(torch.nn.functional, name)))
    if isinstance(ref, type):
        assert ours is ref, f"{name}({dtype}): torch raises {ref.__name__}, tg gave {ours}"
    else:
        same_as_torch(ours, ref)


@pytest.mark.parametrize("name, kw", [("elu", {}), ("selu", {}), ("celu", {"alpha": 1.5}),
                                      ("mish", {}), ("hardswish", {}), ("hardsigmoid", {}),
                                      ("hardtanh", {"min_val": -0.5}), ("relu6", {}),
                                      ("threshold", {"threshold": 0.1, "value": 3.0})])
def test_inplace_true_writes_the_input_and_keeps_gradients_like_torch(torch, name, kw):
    a = np.array([-4.0, -1.0, -0.3, 0.2, 1.5, 7.0])
    x = tg.tensor(a, dtype=tg.float64, requires_grad=True)
    y = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    p, q = x * 2.0, y * 2.0
    out = getattr(F, name)(p, inplace=True, **kw)
    ref = getattr(torch.nn.functional, name)(q, inplace=True, **kw)
    assert out is p
    same_as_torch(out, ref, rtol=1e-12)
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    # PyTorch's float64 hardsigmoid slope is float32's 1/6
    same_as_torch(x.grad, y.grad, rtol=1e-7)
    if hasattr(F, name + "_"):
        z = tg.tensor(a, dtype=tg.float32)
        assert getattr(F, name + "_")(z, **kw) is z
        ref_z = torch.tensor(a, dtype=torch.float32)
        same_as_torch(z, getattr(torch.nn.functional, name + "_")(ref_z, **kw))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_and_glu_along_a_dim_match_torch(torch, dim):
    a = np.random.default_rng(0).standard_normal((4, 6, 2))
    x, y = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for fn, kw in (("softmin", {"dim": dim}), ("glu", {"dim": dim if dim != -1 else 1})):
        out = getattr(F, fn)(x, **kw)
        ref = getattr(torch.nn.functional, fn)(y, **kw)
        same_as_torch(out, ref, rtol=1e-12)
        g = np.random.default_rng(1).standard_normal(tuple(ref.shape))
        gx, = tg.autograd.grad(out, [x], tg.tensor(g))
        gy, = torch.autograd.grad(ref, [y], torch.tensor(g))
        same_as_torch(gx, gy, rtol=1e-12)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        F.softmin(x)


@pytest.mark.parametrize("shape, n", [((5,), 1), ((2, 3), 3), ((2, 3, 4), 3), ((2, 3, 4, 2), 3),
                                      ((2, 3, 4), 1), ((), 1)])
def test_prelu_per_channel_slopes_and_their_gradients_match_torch(torch, shape, n):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape)
    a.flat[0] = 0.0   # the kink: the slope's side, as PyTorch's
    w = rng.uniform(0.1, 0.5, n)
    x, y = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    u, v = tg.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out, ref = F.prelu(x, u), torch.nn.functional.prelu(y, v)
    same_as_torch(out, ref, rtol=1e-12)
    (out * out.exp()).sum().backward()
    (ref * ref.exp()).sum().backward()
    same_as_torch(x.grad, y.grad, rtol=1e-12)
    same_as_torch(u.grad, v.grad, rtol=1e-12)


def test_modules_print_and_compute_as_torch(torch):
    tnn = torch.nn
    pairs = [("ELU", ()), ("ELU", (0.5, True)), ("SELU", ()), ("SELU", (True,)), ("CELU", ()),
             ("CELU", (2.0, True)), ("Softplus", ()), ("Softplus", (2.0, 5.0)), ("Softsign", ()),
             ("Mish", ()), ("Mish", (True,)), ("Hardswish", ()), ("Hardswish", (True,)),
             ("Hardsigmoid", (True,)), ("Hardtanh", ()), ("Hardtanh", (-2, 2, True)),
             ("ReLU6", ()), ("ReLU6", (True,)), ("LogSigmoid", ()), ("Softmin", (1,)),
             ("GLU", ()), ("GLU", (0,)), ("PReLU", ()), ("PReLU", (6, 0.1)),
             ("Threshold", (0.1, 20)), ("Threshold", (0.1, 20.0, True)), ("Tanhshrink", ()),
             ("Hardshrink", ()), ("Hardshrink", (1.0,)), ("Softshrink", (0.25,))]
    a = np.random.default_rng(4).standard_normal((4, 6)).astype(np.float32) * 4
    for name, args in pairs:
        m, t = getattr(nn, name)(*args), getattr(tnn, name)(*args)
        assert repr(m) == repr(t)
        same_as_torch(m(tg.tensor(a)), t(torch.tensor(a)), rtol=2e-6, atol=1e-7)


def test_prelu_module_has_torchs_parameter_and_state_dict(torch):
    m, t = nn.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    same_as_torch(m.weight, t.weight)
    assert m.weight.requires_grad
    t.weight.data.copy_(torch.tensor([0.2, 0.3, 0.4]))
    m.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    a = np.random.default_rng(5).standard_normal((2, 3, 4)).astype(np.float32)
    out, ref = m(tg.tensor(a)), t(torch.tensor(a))
    same_as_torch(out, ref)
    out.sum().backward()
    ref.sum().backward()
    same_as_torch(m.weight.grad, t.weight.grad, rtol=1e-5)
    d = nn.PReLU(dtype=tg.float64)
    assert d.weight.dtype == tg.float64 and tuple(d.weight.shape) == (1,)
