"""Lazy layers (tinygrad_edu.nn.lazy) against PyTorch's: shape inference on the first call,
the class change, reprs, the placeholders' errors, optimizers built before the first
call, state_dict loading, dtype/device and the lazy batch norms' buffers."""
import copy

import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.lazy as lazy
from tinygrad_edu import nn, optim
from tinygrad_edu.nn.lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyConv2d,
                                  LazyConvTranspose2d, LazyLinear, UninitializedBuffer,
                                  UninitializedParameter)


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def lenet(nn_, lazy_):
    """d2l's LeNet (chapter 7.6), every size but the classes' inferred."""
    return nn_.Sequential(
        lazy_.LazyConv2d(6, kernel_size=5, padding=2), nn_.Sigmoid(),
        nn_.AvgPool2d(kernel_size=2, stride=2), lazy_.LazyConv2d(16, kernel_size=5),
        nn_.Sigmoid(), nn_.AvgPool2d(kernel_size=2, stride=2), nn_.Flatten(),
        lazy_.LazyLinear(120), nn_.Sigmoid(), lazy_.LazyLinear(84), nn_.Sigmoid(),
        lazy_.LazyLinear(10))


def to_torch(torch, state):
    return {k: torch.from_numpy(v.numpy().copy()) for k, v in state.items()}


def npy(t):
    return t.detach().numpy()


def train_step(nn_, net, opt, x, y):
    opt.zero_grad()
    loss = nn_.CrossEntropyLoss()(net(x), y)
    loss.backward()
    opt.step()
    return loss.item()


# ---- d2l's LeNet ---------------------------------------------------------------------------
def test_lenet_infers_every_shape_and_trains_with_an_optimizer_built_before(torch):
    tg.manual_seed(0)
    net = lenet(nn, lazy)
    params = list(net.parameters())
    opt = optim.SGD(net.parameters(), lr=0.9)           # before any forward, as d2l does
    assert all(isinstance(p, UninitializedParameter) for p in params)
    opt.step()                                          # nothing to do yet (no gradients)
    assert net(tg.zeros(1, 1, 28, 28)).shape == (1, 10)
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert shapes == {"0.weight": (6, 1, 5, 5), "0.bias": (6,), "3.weight": (16, 6, 5, 5),
                      "3.bias": (16,), "7.weight": (120, 400), "7.bias": (120,),
                      "9.weight": (84, 120), "9.bias": (84,), "11.weight": (10, 84),
                      "11.bias": (10,)}
    assert [type(m) for m in net] == [nn.Conv2d, nn.Sigmoid, nn.AvgPool2d, nn.Conv2d,
                                      nn.Sigmoid, nn.AvgPool2d, nn.Flatten, nn.Linear,
                                      nn.Sigmoid, nn.Linear, nn.Sigmoid, nn.Linear]
    # the optimizer holds the very same objects, now ordinary Parameters
    assert all(a is b for a, b in zip(opt.param_groups[0]["params"], net.parameters()))
    assert all(a is b and type(a) is nn.Parameter for a, b in zip(params, net.parameters()))

    tnet = lenet(torch.nn, torch.nn)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.9)
    tnet(torch.zeros(1, 1, 28, 28))
    tnet.load_state_dict(to_torch(torch, net.state_dict()))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 8)
    losses = [train_step(nn, net, opt, tg.tensor(x), tg.tensor(y)) for _ in range(3)]
    tlosses = [train_step(torch.nn, tnet, topt, torch.from_numpy(x), torch.from_numpy(y))
               for _ in range(3)]
    np.testing.assert_allclose(losses, tlosses, rtol=1e-4)
    np.testing.assert_allclose(npy(net[0].weight), tnet[0].weight.detach().numpy(),
                               rtol=1e-4, atol=1e-6)


def test_adam_built_before_the_first_forward_trains():
    tg.manual_seed(1)
    net = nn.Sequential(LazyLinear(16), nn.ReLU(), LazyLinear(3))
    opt = optim.Adam(net.parameters(), lr=0.05)
    x, y = tg.randn(12, 5), tg.tensor([0, 1, 2] * 4)
    losses = [train_step(nn, net, opt, x, y) for _ in range(15)]
    assert losses[-1] < 0.5 * losses[0]
    assert len(opt.state) == 4                 # keyed by the same (materialized) objects
    assert all(p in opt.state for p in net.parameters())


# ---- reprs, class change and state_dict layout, case by case --------------------------------
CASES = [
    ("LazyLinear", (10,), {}, (3, 4)),
    ("LazyLinear", (3,), {"bias": False}, (2, 5, 7)),
    ("LazyConv1d", (4, 3), {}, (2, 3, 9)),
    ("LazyConv1d", (4, 3), {"groups": 2, "padding": 1}, (2, 6, 9)),
    ("LazyConv2d", (6, 5), {"padding": 2}, (1, 1, 28, 28)),
    ("LazyConv2d", (6, 3), {"stride": 2, "bias": False, "groups": 2, "dilation": 2,
                            "padding": 1, "padding_mode": "reflect"}, (2, 4, 9, 9)),
    ("LazyConv2d", (4, 3), {}, (3, 8, 8)),                      # unbatched: channels dim 0
    ("LazyConvTranspose2d", (3, 2), {"stride": 2}, (1, 5, 4, 4)),
    ("LazyConvTranspose2d", (4, 3), {"stride": 2, "output_padding": 1, "groups": 2},
     (2, 6, 4, 4)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"affine": False, "momentum": 0.3}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {}, (2, 3, 4, 4)),
    ("LazyBatchNorm2d", (), {"track_running_stats": False, "eps": 1e-3}, (2, 3, 4, 4)),
]


def _layout(m):
    return [(k, type(v).__name__) for k, v in m.state_dict().items()]


@pytest.mark.parametrize("name, args, kwargs, shape", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_like_pytorch_before_and_after_the_first_call(torch, name, args, kwargs, shape):
    m = getattr(lazy, name)(*args, **kwargs)
    tm = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(tm)
    assert _layout(m) == _layout(tm)
    assert m.has_uninitialized_params() and tm.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    out, tout = m(tg.tensor(x)), tm(torch.from_numpy(x))
    assert type(m) is getattr(nn, name[4:]) and type(tm) is getattr(torch.nn, name[4:])
    assert repr(m) == repr(tm)
    assert list(out.shape) == list(tout.shape)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    assert all(type(p) is nn.Parameter for p in m.parameters())
    assert all(type(b) is tg.Tensor for b in m.buffers())
    # the same weights give the same outputs (and batch norm the same running stats)
    tm.load_state_dict(to_torch(torch, m.state_dict()))
    x2 = (x * 2 + 1).astype(np.float32)
    np.testing.assert_allclose(npy(m(tg.tensor(x2))), tm(torch.from_numpy(x2)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    for k, v in m.state_dict().items():
        np.testing.assert_allclose(v.numpy(), tm.state_dict()[k].numpy(), rtol=1e-5, atol=1e-6)


def test_default_initialisation_is_the_ordinary_classes():
    tg.manual_seed(3)
    lin = LazyLinear(200)
    lin(tg.zeros(2, 16))
    w, b = npy(lin.weight), npy(lin.bias)
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.2     # +-1/sqrt(16)
    assert np.abs(b).max() <= 0.25 and np.abs(b).std() > 0
    conv = LazyConvTranspose2d(8, 3)
    conv(tg.zeros(1, 4, 5, 5))
    bound = 1 / np.sqrt(8 * 9)      # fan_in of a transposed weight (4, 8, 3, 3): dim 1
    assert np.abs(npy(conv.weight)).max() <= bound
    bn = LazyBatchNorm1d()
    bn.eval()(tg.zeros(2, 5))
    assert npy(bn.weight).tolist() == [1.0] * 5 and npy(bn.bias).tolist() == [0.0] * 5


# ---- the placeholders ----------------------------------------------------------------------
PLACEHOLDER_USES = [
    ("shape", lambda p: p.shape), ("numel", lambda p: p.numel()), ("dim", lambda p: p.dim()),
    ("sum", lambda p: p.sum()), ("add", lambda p: p + 1), ("radd", lambda p: 1 + p),
    ("matmul", lambda p: p @ p), ("index", lambda p: p[0]), ("len", lambda p: len(p)),
    ("clone", lambda p: p.clone()), ("numpy", lambda p: p.numpy()),
    ("item", lambda p: p.item()), ("fill_", lambda p: p.fill_(1.0)),
    ("zero_", lambda p: p.zero_()),
]


@pytest.mark.parametrize("use", [u[1] for u in PLACEHOLDER_USES],
                         ids=[u[0] for u in PLACEHOLDER_USES])
@pytest.mark.parametrize("which", ["weight", "running_mean"])
def test_a_placeholder_refuses_what_pytorchs_refuses(torch, use, which):
    tp = getattr(torch.nn.LazyBatchNorm1d(), which)
    p = getattr(LazyBatchNorm1d(), which)
    with pytest.raises(Exception) as want:  # noqa: PT011 - torch decides the type
        use(tp)
    with pytest.raises(want.type) as got:
        use(p)
    if want.type is RuntimeError:           # .shape: PyTorch's sentence, word for word
        assert str(got.value) == str(want.value)
    else:
        assert str(got.value).startswith("Attempted to use an uninitialized parameter in ")
        assert "Call `forward` with a dummy batch" in str(got.value)


def test_a_placeholder_still_tells_dtype_device_and_grad_like_pytorch(torch):
    p, tp = LazyLinear(3).weight, torch.nn.LazyLinear(3).weight
    assert repr(p) == repr(tp) == "<UninitializedParameter>" and str(p) == repr(p)
    assert p.requires_grad and tp.requires_grad and p.is_leaf and p.grad is None
    assert p.dtype == tg.float32 and p.device == tg.device("cpu")
    assert p.data.numel() == 0 and tp.data.numel() == 0     # .data: the 0-element stand-in
    b = LazyBatchNorm2d().running_var
    assert repr(b) == repr(torch.nn.LazyBatchNorm2d().running_var) == "<UninitializedBuffer>"
    assert not b.requires_grad
    with pytest.raises(RuntimeError, match="attempting to assign a gradient of size"):
        tp.grad = torch.zeros(3)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient of size"):
        p.grad = tg.zeros(3)
    with pytest.raises(AttributeError):
        p.no_such_attribute  # noqa: B018


def test_materialize_by_hand_like_pytorch(torch):
    for cls, tcls, kind, tkind in [(UninitializedParameter, torch.nn.UninitializedParameter,
                                    nn.Parameter, torch.nn.Parameter),
                                   (UninitializedBuffer, torch.nn.UninitializedBuffer,
                                    tg.Tensor, torch.Tensor)]:
        p, tp = cls(), tcls()
        assert p.requires_grad == tp.requires_grad
        p.materialize((2, 3))
        tp.materialize((2, 3))
        assert type(p) is kind and type(tp) is tkind and p.shape == (2, 3)
        assert p.requires_grad == tp.requires_grad
    q = UninitializedParameter(dtype=tg.float64)
    q.materialize(4)
    assert q.shape == (4,) and q.dtype == tg.float64


def test_step_before_the_first_forward_does_nothing_as_in_pytorch(torch):
    tm = torch.nn.LazyLinear(3)
    torch.optim.Adam(tm.parameters()).step()             # PyTorch: no gradients, no error
    m = LazyLinear(3)
    opt = optim.Adam(m.parameters())
    opt.zero_grad()
    opt.step()
    assert m.has_uninitialized_params() and not opt.state
    assert all(isinstance(p, UninitializedParameter) for p in opt.param_groups[0]["params"])
    with pytest.raises(ValueError, match="uninitialized parameter"):   # counting them, too
        sum(p.numel() for p in tm.parameters())
    with pytest.raises(ValueError, match=r"uninitialized parameter in Tensor\.numel"):
        sum(p.numel() for p in m.parameters())


# ---- the first batch: errors like PyTorch's, and a refused batch changes nothing -----------
BAD_FIRST_CALLS = [
    ("conv of a 2-D input", lambda ns: ns.LazyConv2d(6, 3), (8, 8), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but got input of size"),
    ("conv channels vs groups", lambda ns: ns.LazyConv2d(6, 3, groups=2), (1, 3, 8, 8),
     ValueError, "in_channels must be divisible by groups"),
    ("conv1d of a 4-D input", lambda ns: ns.LazyConv1d(6, 3), (1, 3, 8, 8), RuntimeError,
     r"Expected 2D \(unbatched\) or 3D \(batched\) input to LazyConv1d"),
    ("batchnorm2d of a 2-D input", lambda ns: ns.LazyBatchNorm2d(), (2, 3), ValueError,
     r"expected 4D input \(got 2D input\)"),
    ("linear of a 0-d input", lambda ns: ns.LazyLinear(3), (), IndexError,
     "tuple index out of range"),
]


@pytest.mark.parametrize("make, shape, error, phrase", [c[1:] for c in BAD_FIRST_CALLS],
                         ids=[c[0] for c in BAD_FIRST_CALLS])
def test_a_wrong_first_batch_raises_pytorchs_error_and_leaves_the_module_lazy(
        torch, make, shape, error, phrase):
    x = np.ones(shape, np.float32)
    with pytest.raises(error, match=phrase):
        make(torch.nn)(torch.from_numpy(x))
    m = make(lazy)
    before = repr(m)
    params = list(m.parameters())
    with pytest.raises(error, match=phrase):
        m(tg.tensor(x))
    assert repr(m) == before and m.has_uninitialized_params()
    assert all(a is b for a, b in zip(params, m.parameters()))


def test_a_first_batch_that_the_forward_refuses_leaves_the_module_lazy():
    m = LazyConv2d(6, 5)
    w = m.weight
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        m(tg.ones(1, 2, 3, 3))                 # in_channels inferred, then conv refuses
    assert type(m) is LazyConv2d and m.in_channels == 0
    assert type(w) is UninitializedParameter and m.weight is w
    assert m(tg.ones(1, 2, 8, 8)).shape == (1, 6, 4, 4) and m.weight is w
    assert type(m) is nn.Conv2d and w.shape == (6, 2, 5, 5)
    t = LazyConvTranspose2d(3, 3, stride=2)                 # keywords reach the first call
    assert t(tg.ones(1, 4, 5, 5), output_size=[12, 12]).shape == (1, 3, 12, 12)


# ---- dtype and device ----------------------------------------------------------------------
def test_dtype_and_device_pass_through(torch):
    m = LazyConv2d(4, 3, dtype=tg.float64, device="cpu")
    tm = torch.nn.LazyConv2d(4, 3, dtype=torch.float64, device="cpu")
    assert m.weight.dtype == tg.float64 and m.weight.device == tg.device("cpu")
    out = m(tg.ones(1, 2, 5, 5, dtype=tg.float64))
    tout = tm(torch.ones(1, 2, 5, 5, dtype=torch.float64))
    assert out.dtype == tg.float64 and str(tout.dtype) == "torch.float64"
    assert m.weight.dtype == m.bias.dtype == tg.float64
    lin = LazyLinear(2, device=tg.device("cpu"), dtype="float64")
    lin(tg.ones(3, 4, dtype=tg.float64))
    assert lin.weight.dtype == tg.float64 and lin.weight.device == tg.device("cpu")
    bn = LazyBatchNorm1d(dtype=tg.float64)
    assert bn.running_mean.dtype == tg.float64 and bn.num_batches_tracked.dtype == tg.int64
    bn(tg.ones(4, 3, dtype=tg.float64))
    assert bn.running_var.dtype == bn.weight.dtype == tg.float64
    # .double() before the first call casts the placeholders, as PyTorch's does
    assert str(torch.nn.LazyLinear(3).double().weight.dtype) == "torch.float64"
    m = LazyLinear(3).double()
    w = m.weight
    m(tg.ones(2, 4, dtype=tg.float64))
    assert m.weight is w and w.dtype == tg.float64 and w.shape == (3, 4)


@pytest.mark.skipif(not tg.cuda.is_available(), reason="needs a GPU")
def test_device_cuda_materializes_on_the_gpu():
    m = LazyLinear(3, device="cuda")
    assert m.weight.is_cuda
    m(tg.ones(2, 4, device="cuda"))
    assert m.weight.is_cuda and m.weight.shape == (3, 4)


# ---- lazy batch norm buffers ---------------------------------------------------------------
def test_lazy_batchnorm_buffers_like_pytorch(torch):
    bn, tbn = LazyBatchNorm2d(momentum=0.2), torch.nn.LazyBatchNorm2d(momentum=0.2)
    assert [n for n, _ in bn.named_buffers()] == [n for n, _ in tbn.named_buffers()]
    assert type(bn.running_mean) is UninitializedBuffer
    assert not any(isinstance(p, UninitializedBuffer) for p in bn.parameters())
    assert bn.num_batches_tracked.item() == 0 and bn.num_batches_tracked.dtype == tg.int64
    x = np.random.default_rng(2).standard_normal((4, 3, 2, 2)).astype(np.float32) * 3 + 1
    for _ in range(2):
        out, tout = bn(tg.tensor(x)), tbn(torch.from_numpy(x))
    np.testing.assert_allclose(npy(out), tout.detach().numpy(), rtol=1e-5, atol=1e-5)
    assert type(bn.running_mean) is tg.Tensor and not bn.running_mean.requires_grad
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(bn, name).numpy(),
                                   getattr(tbn, name).numpy(), rtol=1e-5)
    assert bn.num_batches_tracked.item() == tbn.num_batches_tracked.item() == 2
    # a first call in eval mode normalises with the fresh running stats (0 and 1)
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    out = LazyBatchNorm1d().eval()(tg.tensor(x))
    tout = torch.nn.LazyBatchNorm1d().eval()(torch.from_numpy(x))
    np.testing.assert_allclose(npy(out), tout.detach().numpy(), rtol=1e-6)


# ---- the rest ------------------------------------------------------------------------------
def test_deepcopy_and_freezing_before_the_first_forward():
    m = LazyLinear(3)
    m2 = copy.deepcopy(m)
    assert m2.weight is not m.weight and type(m2.weight) is UninitializedParameter
    m2(tg.ones(1, 5))
    assert type(m2) is nn.Linear and type(m) is LazyLinear and m.has_uninitialized_params()
    # (PyTorch refuses requires_grad_ on a placeholder; freezing a lazy model is harmless)
    m.requires_grad_(False)(tg.ones(1, 4))
    assert not m.weight.requires_grad and not m.bias.requires_grad


def test_summary_sizes_a_lazy_model_as_d2l_does():
    import io
    net = lenet(nn, lazy)
    assert isinstance(net[0], nn.Conv2d) and isinstance(net[0], lazy.LazyModuleMixin)
    text = io.StringIO()
    net.summary((1, 1, 28, 28), file=text)
    assert "Total params: 61,706" in text.getvalue()
    assert type(net[0]) is nn.Conv2d and not isinstance(net[0], lazy.LazyModuleMixin)


def test_a_lazy_module_of_your_own_keeps_its_class():
    class Scale(lazy.LazyModuleMixin, nn.Module):           # PyTorch's recipe, cls_to_become None
        def __init__(self):
            super().__init__()
            self.w = UninitializedParameter()

        def initialize_parameters(self, x):
            self.w.materialize(x.shape[-1])
            nn.init.ones_(self.w)

        def forward(self, x):
            return x * self.w

    m = Scale()
    assert m(tg.ones(2, 3)).shape == (2, 3) and type(m) is Scale and type(m.w) is nn.Parameter
