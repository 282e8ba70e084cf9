"""Memory and scale: graphs are freed by reference counting alone (no cycles), saved
tensors go at backward, training does not grow the process, 100,000-op chains work
without recursion, and impossible allocations are MemoryError."""
import gc
import os
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn

SRC = os.path.join(os.path.dirname(__file__), "..", "src")


@pytest.fixture
def no_gc():
    """Only reference counting frees objects here: a cycle would leave them alive."""
    gc.collect()
    gc.disable()
    yield
    gc.enable()


def test_graph_is_freed_without_the_cycle_collector(no_gc):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
    x = tg.randn(6, 5, requires_grad=True)
    h = model[0](x)
    out = model[2](model[1](h).sigmoid() * h.exp())
    loss = nn.functional.cross_entropy(out, tg.tensor([0, 1, 2, 0, 1, 2]))
    refs = [weakref.ref(o) for o in (h, out, loss, h.grad_fn, out.grad_fn, loss.grad_fn)]
    loss.backward()
    assert x.grad is not None and x.grad.grad_fn is None
    del h, out, loss
    assert [r() for r in refs] == [None] * len(refs)


def test_saved_tensors_are_freed_by_backward(no_gc):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # MulBackward keeps y
    loss = z.sum()
    saved = weakref.ref(y)
    del y, z
    assert saved() is not None, "kept for backward"
    loss.backward()
    assert saved() is None, "released by backward while loss is still alive"
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_keeps_them_until_the_graph_goes(no_gc):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    loss = (y * y).sum()
    saved = weakref.ref(y)
    del y
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(2 * np.array([1.0, 2.0])), rtol=1e-6)
    assert saved() is None
    del loss


def test_retain_grad_and_create_graph_leave_no_cycles(no_gc):
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    (gx,) = tg.autograd.grad(y.sum(), x, create_graph=True)
    gx.sum().backward()
    refs = [weakref.ref(t) for t in (y, gx, gx.grad_fn)]
    del y, gx
    assert [r() for r in refs] == [None] * 3


N = 100_000


def test_100k_op_chain_forward_backward_repr_and_delete():
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(N):
        y = y * 1.0
    assert "grad_fn=<MulBackward>" in repr(y)
    tail = weakref.ref(y.grad_fn)
    y.backward(retain_graph=True)  # retained: deletion must still unwind the full graph
    assert x.grad.item() == 1.0
    (g,) = tg.autograd.grad(y, x)
    assert g.item() == 1.0
    del y
    assert tail() is None


def test_100k_op_chain_deleted_without_backward():
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(N):
        y = (y + 1.0).relu()
    head = weakref.ref(y.grad_fn)
    del y
    assert head() is None


def test_deep_sequential():
    layers = nn.Sequential(*[nn.Identity() for _ in range(1000)])
    assert layers(tg.ones(1)).item() == 1.0  # depth without recursion through layers


@pytest.mark.parametrize("make", [
    lambda: tg.zeros(10 ** 13), lambda: tg.ones(10 ** 13), lambda: tg.empty(10 ** 13),
    lambda: tg.randn(10 ** 13), lambda: tg.full((10 ** 7, 10 ** 6), 1.0),
    lambda: tg.zeros(10 ** 20), lambda: tg.zeros(10 ** 10, 10 ** 10),
    lambda: tg.ones(10 ** 6, 1) @ tg.ones(1, 10 ** 7),
    lambda: tg.ones(1).expand(10 ** 13) + 1,
    lambda: tg.ones(1).expand(10 ** 19), lambda: tg.ones(3).repeat(10 ** 18),
    lambda: tg.zeros(2 ** 61, dtype=tg.float64),
], ids=["zeros", "ones", "empty", "randn", "full", "zeros-1e20", "zeros-2d", "matmul",
        "expand-add", "expand-1e19", "repeat-1e18", "zeros-2**61"])
def test_impossible_allocations_are_memory_error(make):
    with pytest.raises(MemoryError):
        make()
    assert tg.ones(3).sum().item() == 3.0  # and the library still works


_TRAIN = textwrap.dedent("""
    import os, sys
    import numpy as np
    import tinygrad_edu as tg
    from tinygrad_edu import nn, optim

    def rss_mb():
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    xs = tg.tensor(rng.standard_normal((8, 128, 784)).astype(np.float32))
    ys = tg.tensor(rng.integers(0, 10, (8, 128)))

    def step(i):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xs[i % 8]), ys[i % 8])
        loss.backward()
        opt.step()
        return loss.item()

    for i in range(100):  # warm-up: allocator pools, optimizer state
        step(i)
    start = rss_mb()
    for i in range(int(sys.argv[1])):
        step(i)
    print(f"{rss_mb() - start:.3f}")
""")


def test_rss_growth_over_1000_training_steps_is_under_5_mb():
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC), OMP_WAIT_POLICY="passive")
    out = subprocess.run([sys.executable, "-c", _TRAIN, "1000"], capture_output=True,
                         text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    growth = float(out.stdout.strip().splitlines()[-1])
    print(f"RSS growth over 1000 steps: {growth:.2f} MB")
    assert growth < 5.0
