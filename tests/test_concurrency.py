"""Threads: separate models trained at the same time in separate threads end bit for bit
where they end when trained one after the other. Grad mode and anomaly mode are
thread-local (tests/test_autograd.py, tests/test_anomaly.py); the random generator
is one, shared, as PyTorch's default generator is: seed per model explicitly."""
import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset


def _setup(seed, hidden, opt_name):
    """Model, optimizer and loader made from explicit seeds (in the calling thread)."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 5))
    rng = np.random.default_rng(seed)
    x = tg.tensor(rng.standard_normal((256, 64)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 5, 256))
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=seed)
    opt = (optim.Adam(model.parameters(), lr=1e-2) if opt_name == "adam" else
           optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
    return model, opt, loader


def _train(model, opt, loader, epochs=3):
    losses = []
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


CONFIGS = [(1, 64, "adam"), (2, 300, "sgd"), (3, 600, "adam"), (4, 200, "sgd")]  # >= 64x64x128: C


def test_threads_training_separate_models_match_sequential_training():
    sequential = [_train(*_setup(*c)) for c in CONFIGS]
    jobs = [_setup(*c) for c in CONFIGS]  # seeded here, before the threads start
    results, errors = [None] * len(jobs), []

    def run(i):
        try:
            results[i] = _train(*jobs[i])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for (seq_losses, seq_params), (par_losses, par_params) in zip(sequential, results):
        assert seq_losses == par_losses
        for a, b in zip(seq_params, par_params):
            np.testing.assert_array_equal(a, b)


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    recorded = {}
    barrier = threading.Barrier(2)

    def worker(name, disable):
        ctx = tg.no_grad() if disable else tg.enable_grad()
        with ctx:
            barrier.wait()
            x = tg.ones(2, requires_grad=True)
            recorded[name] = (x * 2).requires_grad
            barrier.wait()
    ts = [threading.Thread(target=worker, args=("off", True)),
          threading.Thread(target=worker, args=("on", False))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert recorded == {"off": False, "on": True}


def test_the_global_generator_is_shared_and_safe_under_threads():
    """Concurrent draws from tg's one generator never fail or repeat a stream; their
    interleaving (and so which thread gets which numbers) is up to the scheduler,
    which is why the models above are seeded before their threads start."""
    tg.manual_seed(0)
    expected = np.sort(np.concatenate([tg.randn(1000).numpy() for _ in range(8)]))
    tg.manual_seed(0)
    out, lock = [], threading.Lock()

    def draw():
        values = tg.randn(1000).numpy()
        with lock:
            out.append(values)
    ts = [threading.Thread(target=draw) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    np.testing.assert_array_equal(np.sort(np.concatenate(out)), expected)


@pytest.mark.parametrize("n_threads", [2, 4])
def test_concurrent_big_kernels_agree_with_one_thread(n_threads):
    """Large matmuls and reductions (the C kernels' threaded paths) from several Python
    threads at once give the single-threaded answers."""
    rng = np.random.default_rng(1)
    a = [tg.tensor(rng.standard_normal((160, 300)).astype(np.float32)) for _ in range(n_threads)]
    b = tg.tensor(rng.standard_normal((300, 200)).astype(np.float32))
    want = [((x @ b).relu().sum(1).numpy(), x.exp().sum().item()) for x in a]
    got = [None] * n_threads

    def run(i):
        for _ in range(5):
            got[i] = ((a[i] @ b).relu().sum(1).numpy(), a[i].exp().sum().item())
    ts = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for (w0, w1), (g0, g1) in zip(want, got):
        np.testing.assert_array_equal(w0, g0)
        assert w1 == g1
