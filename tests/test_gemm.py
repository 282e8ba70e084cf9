"""The packed GEMM, the linear kernel (GEMM + bias), the thread pool and
nn.Sequential over Linear + activation layers, each against its reference:
numpy_backend (the specification) for the kernels, the layers called one by one
for Sequential.

Shapes are drawn around the kernel's blocking (micro-tile 6 x 16; k-blocks
of 256; row blocks of 144; column blocks of 4080), the skinny N < 16 path,
transposed operands, batches and empty or unit sides.
"""
import os
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.backend import numpy_backend as R

C = pytest.importorskip("tinygrad_edu.backend.c_backend")
from tinygrad_edu.backend import _blas  # noqa: E402
# every size runs in C: the small-size routing to numpy is off for the module
from test_c_backend import _always_c  # noqa: E402,F401

DTYPES = [np.float32, np.float64]
M_SIDES = st.sampled_from([0, 1, 2, 5, 6, 7, 11, 12, 13, 143, 144, 145, 150])
N_SIDES = st.sampled_from([0, 1, 3, 10, 15, 16, 17, 31, 32, 33, 47, 100])
K_SIDES = st.sampled_from([0, 1, 2, 7, 8, 9, 100, 255, 256, 257, 513])




def operands(rng, dt, batch, m, n, k, ta, tb):
    a = rng.standard_normal(batch + ((k, m) if ta else (m, k))).astype(dt)
    b = rng.standard_normal(batch + ((n, k) if tb else (k, n))).astype(dt)
    return a, b


def close(got, want, bound, dt):
    """|got - want| within a rounding bound scaled by |A||B| (sum order differs)."""
    assert got.dtype == want.dtype and got.shape == want.shape
    tol = (1e-5 if np.dtype(dt) == np.float32 else 1e-12) * bound + 1e-30
    bad = ~(np.abs(got - want) <= tol)
    assert not bad.any(), f"{got[bad][:5]} != {want[bad][:5]}"


def check_matmul(a, b, ta, tb, out=None):
    got = C.matmul(a, b, ta, tb, out=out)
    close(got, R.matmul(a, b, ta, tb), R.matmul(np.abs(a), np.abs(b), ta, tb), a.dtype)
    return got


def nan_filled(shape, dt, extra=67):
    """An `out` of `shape` full of NaN (a kernel that reads it before writing shows
    NaN), the prefix of a buffer whose tail is a sentinel (nothing may touch it)."""
    n = int(np.prod(shape))
    buf = np.full(n + extra, np.nan, dt)
    buf[n:].view(np.uint8)[:] = 0xA5
    return buf, buf[:n].reshape(shape)


def tail_untouched(buf, n):
    return bool((buf[n:].view(np.uint8) == 0xA5).all())


# ---- GEMM ------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.sampled_from(DTYPES), M_SIDES, N_SIDES, K_SIDES, st.booleans(), st.booleans(),
       st.sampled_from([(), (1,), (3,)]), st.integers(0, 2**32 - 1))
def test_matmul_blocking_edges(dt, m, n, k, ta, tb, batch, seed):
    a, b = operands(np.random.default_rng(seed), dt, batch, m, n, k, ta, tb)
    buf, out = nan_filled(batch + (m, n), dt)
    assert check_matmul(a, b, ta, tb, out=out) is out  # beta = 0: the NaNs are never read
    assert tail_untouched(buf, out.size)


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("mnk", [(3, 4100, 5), (130, 10, 600), (600, 7, 130), (10, 900, 128),
                                 (8, 300, 1030), (1, 1, 2000), (300, 300, 300)])
def test_matmul_large_and_skinny(dt, mnk):
    """Past one column block (4080), skinny N, skinny M, many k-blocks, and a size
    that runs on both threads; every transpose pair."""
    m, n, k = mnk
    rng = np.random.default_rng(m * n + k)
    for ta in (False, True):
        for tb in (False, True):
            a, b = operands(rng, dt, (), m, n, k, ta, tb)
            buf, out = nan_filled((m, n), dt)
            check_matmul(a, b, ta, tb, out=out)
            assert tail_untouched(buf, m * n)


def test_matmul_batched_in_parallel():
    """batch >= threads: one matrix per task."""
    rng = np.random.default_rng(5)
    for ta, tb in ((False, False), (True, True)):
        a, b = operands(rng, np.float32, (4,), 160, 150, 170, ta, tb)
        check_matmul(a, b, ta, tb)


def test_matmul_transposed_views_need_no_copy():
    rng = np.random.default_rng(6)
    a, b = rng.standard_normal((2, 70, 90)).astype(np.float32), \
        rng.standard_normal((2, 90, 40)).astype(np.float32)
    at, bt = np.swapaxes(a, -1, -2).copy(), np.swapaxes(b, -1, -2).copy()
    check_matmul(np.swapaxes(at, -1, -2), np.swapaxes(bt, -1, -2), False, False)


# ---- linear ----------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.sampled_from(DTYPES), M_SIDES, N_SIDES, K_SIDES, st.booleans(),
       st.integers(0, 2**32 - 1))
def test_linear_equals_numpy_backend(dt, m, n, k, bias, seed):
    rng = np.random.default_rng(seed)
    x, w = operands(rng, dt, (), m, n, k, False, True)
    b = rng.standard_normal(n).astype(dt) if bias else None
    buf, out = nan_filled((m, n), dt)
    assert C.linear(x, w, b, out=out) is out
    assert tail_untouched(buf, m * n)
    want = R.linear(x, w, b)
    bound = np.abs(x) @ np.abs(w).T + (np.abs(b) if bias else 0)
    close(out, want, bound, dt)
    # the kernel is the composite it replaces, to the bit (the bias added as it stores)
    pre = C.matmul(x, w, False, True)
    comp = C.binary("add", pre, np.broadcast_to(b, pre.shape).copy()) if bias else pre
    np.testing.assert_array_equal(out, comp)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy: inf * 0 in its matmul
@pytest.mark.parametrize("dt", DTYPES)
def test_linear_special_values(dt):
    """NaN and inf pass through the bias addition as through numpy's."""
    x = np.array([[np.nan, 1.0], [np.inf, 0.0], [-np.inf, 0.0], [1.0, -2.0]], dt)
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dt)
    b = np.array([0.0, -1.0, 0.5], dt)
    np.testing.assert_array_equal(C.linear(x, w, b, out=np.empty((4, 3), dt)),
                                  R.linear(x, w, b))


def test_linear_routing_and_errors():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    # not for the kernel: ints, mismatched dtypes, 3-D x -> the numpy backend answers
    np.testing.assert_array_equal(C.linear(x.astype(np.int64), w.astype(np.int64)),
                                  R.linear(x.astype(np.int64), w.astype(np.int64)))
    np.testing.assert_allclose(C.linear(x[None], w), R.linear(x[None], w))
    buf = np.zeros(40)
    with pytest.raises(ValueError, match="overlap"):  # out may not alias an input
        C.linear(buf[:20].reshape(5, 4), w, out=buf[10:25].reshape(5, 3))


# ---- threads ---------------------------------------------------------------------
def test_two_python_threads_at_once():
    """cffi drops the GIL: two callers share the pool (one runs serially) and each
    thread's pack buffers are its own."""
    rng = np.random.default_rng(8)
    jobs = [operands(rng, np.float32, (), 200, 190, 300, False, True),
            operands(rng, np.float32, (), 260, 10, 400, True, False)]
    wants = [R.matmul(jobs[0][0], jobs[0][1], False, True),
             R.matmul(jobs[1][0], jobs[1][1], True, False)]
    flags = [(False, True), (True, False)]
    start, errors = threading.Barrier(2), []

    def work(i):
        try:
            start.wait()
            for _ in range(25):
                got = C.matmul(*jobs[i], *flags[i])
                np.testing.assert_allclose(got, wants[i], rtol=1e-4, atol=1e-3)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_one_and_two_threads_agree():
    rng = np.random.default_rng(9)
    a, b = operands(rng, np.float32, (), 300, 290, 280, True, False)
    x, w = operands(rng, np.float32, (), 250, 10, 520, False, True)
    before = C._lib.tg_get_num_threads()
    res = []
    try:
        for n in (1, 2):
            C._lib.tg_set_num_threads(n)
            res.append((C.matmul(a, b, True, False), C.linear(x, w, None),
                        C.unary("exp", np.linspace(-3, 3, 1 << 20, dtype=np.float32))))
    finally:
        C._lib.tg_set_num_threads(before)
    for one, two in zip(*res):
        np.testing.assert_allclose(one, two, rtol=1e-6, atol=1e-6)


# From 2^19 multiply-adds two threads share a product: the rows of a skinny
# (N < 16) one in tasks of row pairs claimed as threads come free, else one
# range of whole micro-tiles per thread. Sides drawn around the task edges.
PAR_M = st.sampled_from([1, 2, 3, 10, 12, 13, 127, 128, 129, 290, 1001])
PAR_N = st.sampled_from([1, 10, 15, 16, 17, 33, 100, 512])
PAR_K = st.sampled_from([10, 31, 128, 257, 784])


def _with_threads(n, fn):
    before = C._lib.tg_get_num_threads()
    C._lib.tg_set_num_threads(n)
    try:
        return fn()
    finally:
        C._lib.tg_set_num_threads(before)


@settings(max_examples=40, deadline=None)
@given(PAR_M, PAR_N, PAR_K, st.booleans(), st.booleans(), st.booleans(),
       st.integers(0, 2**32 - 1))
def test_threads_split_exactly(m, n, k, ta, tb, bias, seed):
    """Each element is summed in the same order whichever thread computes it, so
    one and two threads agree to the bit (a task edge off by a row or a column
    shows as a NaN from the unwritten output, or a wrong value); beta = 0."""
    check_thread_split(m, n, k, ta, tb, bias, seed)


@pytest.mark.parametrize("m, n, k, ta, tb", [
    (1001, 10, 784, False, False), (129, 15, 512, False, True), (3, 10, 17500, False, True),
    (17, 1, 31000, False, False), (13, 512, 100, True, False), (10, 512, 128, True, False),
    (290, 17, 128, False, True), (128, 784, 10, False, False), (127, 33, 257, True, True)])
def test_threads_split_exactly_at_edges(m, n, k, ta, tb):
    """The same on fixed shapes: skinny rows with fewer row pairs than tasks, an
    odd row count, small M with B in place, a row split (M > N)."""
    check_thread_split(m, n, k, ta, tb, True, m + n + k)


def check_thread_split(m, n, k, ta, tb, with_bias, seed):
    rng = np.random.default_rng(seed)
    a, b = operands(rng, np.float32, (), m, n, k, ta, tb)
    x, w = operands(rng, np.float32, (), m, n, k, False, True)
    bias = rng.standard_normal(n).astype(np.float32) if with_bias else None
    got = []
    for threads in (1, 2):
        buf, out = nan_filled((m, n), np.float32)
        lbuf, lout = nan_filled((m, n), np.float32)
        _with_threads(threads, lambda out=out, lout=lout: (C.matmul(a, b, ta, tb, out=out),
                                        C.linear(x, w, bias, out=lout)))
        assert tail_untouched(buf, m * n) and tail_untouched(lbuf, m * n)
        got.append((out, lout))
    check_matmul(a, b, ta, tb, out=got[1][0].copy())
    close(got[1][1], R.linear(x, w, bias),
          np.abs(x) @ np.abs(w).T + (0 if bias is None else np.abs(bias)), np.float32)
    for one, two in zip(*got):
        np.testing.assert_array_equal(one, two)


def test_skinny_products_from_two_python_threads():
    """The parallel skinny and small-M paths while another Python thread runs
    GEMMs too (one of them finds the pool busy and runs serially)."""
    rng = np.random.default_rng(11)
    shapes = [(1024, 10, 512, False, False), (128, 10, 784, False, True),
              (10, 512, 128, True, False), (128, 512, 10, False, False)]
    jobs = [operands(rng, np.float32, (), m, n, k, ta, tb) + (ta, tb)
            for m, n, k, ta, tb in shapes]
    wants = [R.matmul(*j) for j in jobs]
    start, errors = threading.Barrier(2), []

    def work(order):
        try:
            start.wait()
            for _ in range(20):
                for i in order:
                    np.testing.assert_allclose(C.matmul(*jobs[i]), wants[i], rtol=1e-4,
                                               atol=1e-3)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(o,)) for o in ([0, 1, 2, 3], [3, 2, 1, 0])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_pool_works_in_a_forked_child():
    """fork keeps only the calling thread: the child must start a pool of its own
    (a DataLoader worker may run kernels) instead of waiting for workers it lacks."""
    a = np.random.default_rng(10).standard_normal((300, 300)).astype(np.float32)
    C.matmul(a, a)  # the parent's pool exists
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        ok = np.allclose(C.matmul(a, a), a @ a, rtol=1e-4, atol=1e-3)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_openblas_thread_control():
    before = _blas.get_threads()
    if before is None:
        pytest.skip("numpy does not use OpenBLAS here")
    try:
        assert _blas.set_threads(1) == before
        assert _blas.get_threads() == 1
    finally:
        _blas.set_threads(before)


# ---- Sequential over Linear + ReLU / LeakyReLU -------------------------------------
def _values_and_grads(net, x, whole):
    for p in net.parameters():
        p.grad = None
    xt = tg.tensor(x, requires_grad=True)
    if whole:
        y = net(xt)
    else:
        y = xt
        for m in net:
            y = m(y)
    (y * tg.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape).astype(x.dtype))).sum() \
        .backward()
    return [y.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in net.parameters()]


@pytest.mark.parametrize("dt", DTYPES)
@pytest.mark.parametrize("act", [nn.ReLU(), nn.LeakyReLU(0.05), nn.LeakyReLU(0.0),
                                 nn.ReLU(inplace=True)])
@pytest.mark.parametrize("rows", [3, 128])
def test_sequential_is_its_layers_in_turn(dt, act, rows):
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(70, 40, dtype=dt), act, nn.Linear(40, 10, dtype=dt), act)
    x = np.random.default_rng(rows).standard_normal((rows, 70)).astype(dt)
    whole = _values_and_grads(net, x, True)
    plain = _values_and_grads(net, x, False)
    for f, p in zip(whole, plain):
        np.testing.assert_array_equal(f, p)
    if not act.inplace:  # (in place, the node is the write into the input)
        # the activation is a node of its own, and its name says so
        y = net(tg.tensor(x))
        expected = "ReluBackward" if isinstance(act, nn.ReLU) else "LeakyReluBackward"
        assert y.grad_fn.name() == expected
        assert y.grad_fn.next_functions[0][0].name() == "LinearBackward"


def test_sequential_runs_each_module_as_written():
    tg.manual_seed(1)
    x = tg.tensor(np.random.default_rng(2).standard_normal((4, 6)).astype(np.float32),
                  requires_grad=True)
    neg = nn.Sequential(nn.Linear(6, 5), nn.LeakyReLU(-0.5))
    assert neg(x).grad_fn.name() == "LeakyReluBackward"
    seen = []
    lin, relu = nn.Linear(6, 5), nn.ReLU()
    inner = relu.forward
    relu.forward = lambda t: seen.append(t.shape) or inner(t)  # a summary-style recorder
    wrapped = nn.Sequential(lin, relu)
    assert wrapped(x).grad_fn.name() == "ReluBackward" and seen == [(4, 5)]

    class MyLinear(nn.Linear):
        pass
    assert nn.Sequential(MyLinear(6, 5), nn.ReLU())(x).grad_fn.name() == "ReluBackward"
    # 3-D input: Linear's own fallback, then the activation, still one Sequential
    x3 = tg.tensor(np.ones((2, 3, 6), np.float32))
    seq = nn.Sequential(nn.Linear(6, 5), nn.ReLU())
    np.testing.assert_allclose(seq(x3).detach().numpy(), seq[1](seq[0](x3)).detach().numpy())
