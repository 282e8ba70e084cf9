"""Devices: tg.device, .to / .cuda / .cpu, factories with device=, Module.to,
optimizer state, mixing errors, and the same training on CPU and GPU.

Tests taking the ``device`` fixture run on the CPU and, where CuPy sees a GPU,
again on CUDA; ``needs_cuda`` tests skip (saying why) without one, and the
``no_cuda`` ones check the errors a CPU-only install gives.
"""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
import tinygrad_edu.nn.functional as F

HAVE_CUDA = tg.cuda.is_available()
needs_cuda = pytest.mark.skipif(not HAVE_CUDA, reason=f"no CUDA here: {tg.cuda.why_unavailable()}")
no_cuda = pytest.mark.skipif(HAVE_CUDA, reason="checks the errors of a machine without CUDA")


# ---- names -------------------------------------------------------------------------------
def test_device_names_follow_pytorch():
    assert tg.device("cuda:0") == "cuda:0" and tg.device("cuda", 1).index == 1
    assert repr(tg.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert repr(tg.device("cpu")) == "device(type='cpu')" and tg.device("cpu").index is None
    assert tg.device(tg.device("cuda")) == "cuda"
    for bad, phrase in [("gpu", "Expected one of cpu, cuda"), ("cuda:x", "Invalid device"),
                        ("cpu:1", "CPU device index must be 0")]:
        with pytest.raises(RuntimeError, match=phrase):
            tg.device(bad)
    assert tg.zeros(2).device == "cpu" and tg.zeros(2).device.type == "cpu"
    assert not tg.zeros(2).is_cuda


# ---- a CPU-only machine ------------------------------------------------------------------
@no_cuda
@pytest.mark.parametrize("call", [
    lambda: tg.zeros(2, device="cuda"),
    lambda: tg.ones(2).to("cuda"),
    lambda: tg.ones(2).cuda(),
    lambda: tg.tensor([1.0], device="cuda:0"),
    lambda: nn.Linear(2, 2).to("cuda"),
    lambda: nn.Linear(2, 2).cuda(),
    lambda: tg.set_default_device("cuda"),
    lambda: tg.cuda.synchronize(),
], ids=["zeros", "to", "cuda", "tensor", "module.to", "module.cuda", "default", "synchronize"])
def test_without_cuda_every_way_in_says_why(call):
    with pytest.raises(RuntimeError, match="CUDA is not available: (CuPy|no NVIDIA)"):
        call()
    assert tg.get_default_device() == "cpu"  # nothing half-done


@no_cuda
def test_without_cuda_is_available_is_false_and_nothing_imports_cupy():
    import subprocess
    import sys
    code = ("import sys, tinygrad_edu as tg; tg.randn(3).sum().item(); "
            "assert 'cupy' not in sys.modules; print(tg.cuda.is_available(), "
            "tg.cuda.device_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "0"]


def test_core_import_does_not_import_cupy():
    import subprocess
    import sys
    code = "import sys, tinygrad_edu; assert 'cupy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---- the same on every device ---------------------------------------------------------------
def test_factories_and_default_device(device):
    for t in (tg.zeros(2, 3), tg.ones(2), tg.randn(4), tg.arange(5), tg.tensor([1, 2]),
              tg.full((2,), 3.0), tg.eye(3), nn.Linear(2, 2).weight):
        assert t.device.type == device, t
    assert tg.zeros_like(tg.ones(2, device="cpu")).device == "cpu"  # *_like: the input's
    x = tg.randn(3, requires_grad=True, device=device)
    assert x.device.type == device and x.requires_grad


def test_to_round_trip_is_differentiable(device):
    x = tg.tensor([1.0, -2.0, 3.0], device="cpu", requires_grad=True)
    y = x.to(device)
    assert (y is x) == (device == "cpu")
    z = (y * y).sum()
    z.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    assert x.to(device, tg.float64).dtype == tg.float64


def test_operations_keep_the_device_and_values(device):
    a = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    t = tg.tensor(a, device=device)
    out = ((t * 2 + 1).relu() @ t.T).softmax(1).sum(0)
    assert out.device.type == device
    ref = np.maximum(a * 2 + 1, 0) @ a.T
    ref = np.exp(ref - ref.max(1, keepdims=True))
    np.testing.assert_allclose(out.cpu().numpy(), (ref / ref.sum(1, keepdims=True)).sum(0),
                               rtol=1e-5)
    assert (t > 0).device.type == device and t.argmax(1).device.type == device
    assert t.max().item() == pytest.approx(a.max())
    assert t.tolist() == a.tolist()


def test_module_to_moves_parameters_in_place_and_optimizer_state_follows(device):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    params = list(model.parameters())
    opt = optim.Adam(model.parameters(), lr=1e-2)
    assert model.to(device) is model
    assert all(p is q for p, q in zip(params, model.parameters()))
    assert all(p.device.type == device for p in model.parameters())
    x, y = tg.randn(6, 4), tg.tensor([0, 1, 2, 0, 1, 2])
    F.cross_entropy(model(x), y).backward()
    opt.step()
    state = opt.state[params[0]]
    assert state["exp_avg"].device.type == device
    assert model.state_dict()["0.weight"].device.type == device


# ---- mixing devices ---------------------------------------------------------------------------
@needs_cuda
@pytest.mark.parametrize("op", [lambda a, b: a + b, lambda a, b: a @ b.T, lambda a, b: a.maximum(b),
                                lambda a, b: tg.where(a > 0, a, b)],
                         ids=["add", "matmul", "maximum", "where"])
def test_mixing_devices_names_both(op):
    a, b = tg.ones(2, 2), tg.ones(2, 2, device="cuda")
    with pytest.raises(RuntimeError, match=r"(cpu.*cuda:0|cuda:0.*cpu)"):
        op(a, b)
    with pytest.raises(RuntimeError, match=r"(cpu.*cuda:0|cuda:0.*cpu)"):
        op(b, a)


@needs_cuda
def test_cpu_scalars_join_gpu_tensors_and_loss_target_device_is_checked():
    g = tg.ones(3, device="cuda")
    assert (g * tg.tensor(2.0)).device == "cuda:0"  # 0-d CPU tensors are scalars, as in PyTorch
    with pytest.raises(RuntimeError, match="target on cpu"):
        F.cross_entropy(tg.zeros(2, 3, device="cuda"), tg.tensor([0, 1]))


@needs_cuda
def test_numpy_of_a_gpu_tensor_asks_for_cpu_and_repr_names_the_device():
    t = tg.tensor([1.0, 2.0], device="cuda")
    with pytest.raises(TypeError, match=r"Tensor.cpu\(\)"):
        t.numpy()
    assert repr(t) == "tensor([1., 2.], device='cuda:0')"
    assert t.is_cuda and tg.cuda.device_count() >= 1 and tg.cuda.get_device_name()


@needs_cuda
def test_dlpack_both_ways_without_a_copy():
    cp = pytest.importorskip("cupy")
    a = cp.arange(6, dtype=cp.float32)
    t = tg.from_dlpack(a)
    t.mul_(2)
    assert a.get().tolist() == [0, 2, 4, 6, 8, 10] and t.device == "cuda:0"
    b = cp.from_dlpack(t)
    b[0] = 7
    assert t[0].item() == 7
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        tt = torch.from_dlpack(t)
        assert tt.is_cuda and tt.data_ptr() == b.data.ptr
        back = tg.from_dlpack(torch.ones(3, device="cuda"))
        assert back.device == "cuda:0" and back.sum().item() == 3


@needs_cuda
def test_save_load_from_gpu(tmp_path):
    m = nn.Linear(3, 2).cuda()
    tg.save(m.state_dict(), tmp_path / "m.npz")
    sd = tg.load(tmp_path / "m.npz", map_location="cuda")
    assert sd["weight"].device == "cuda:0"
    m2 = nn.Linear(3, 2).cuda()
    m2.load_state_dict(sd)
    np.testing.assert_array_equal(m2.weight.cpu().detach().numpy(),
                                  m.weight.cpu().detach().numpy())


# ---- the same training on both devices ------------------------------------------------------
def _train(device, opt_name, steps=15):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.LeakyReLU(0.1),
                          nn.Linear(32, 5)).to(device)
    opts = {"sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
            "adam": lambda p: optim.Adam(p, lr=1e-2), "adamw": lambda p: optim.AdamW(p, lr=1e-2),
            "rmsprop": lambda p: optim.RMSprop(p, lr=1e-3)}
    opt = opts[opt_name](model.parameters())
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((64, 20)).astype(np.float32), device=device)
    y = tg.tensor(rng.integers(0, 5, 64), device=device)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, [p.detach().cpu().numpy() for p in model.parameters()]


@needs_cuda
@pytest.mark.parametrize("opt_name", ["sgd", "adam", "adamw", "rmsprop"])
def test_training_on_gpu_follows_the_cpu(opt_name):
    l_cpu, p_cpu = _train("cpu", opt_name)
    l_gpu, p_gpu = _train("cuda", opt_name)
    assert l_gpu[-1] < l_gpu[0]
    np.testing.assert_allclose(l_gpu, l_cpu, rtol=2e-4, atol=2e-5)
    for a, b in zip(p_gpu, p_cpu):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-4)
