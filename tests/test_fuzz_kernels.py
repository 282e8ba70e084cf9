"""Hostile inputs through the public API into every C entry point (unary, binary,
reduce, matmul, softmax), compared with plain numpy computed in float64.

Layouts: contiguous, reversed (negative strides), transposed, strided, broadcast
views (stride 0) and misaligned buffers (one byte off); shapes with zero sizes,
ones, primes and very long thin sides. With the C backend the size thresholds
are lowered to zero so that every one of these reaches C (the suite also runs
with TG_BACKEND=numpy, where the same results are required of numpy_backend).
scripts/sanitize.sh runs this file under ASan + UBSan.
"""
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu.backend import cpu_backend

SIDES = [0, 1, 2, 3, 5, 7, 13, 17, 31]
LONG = [1031, 4099]  # primes, for the very long thin shapes
LAYOUTS = ["contiguous", "reversed", "transposed", "strided", "broadcast", "misaligned"]
DTYPES = [np.float32, np.float64]
EXAMPLES = int(os.environ.get("TG_FUZZ_EXAMPLES", "60"))  # scripts/sanitize.sh asks for more


@pytest.fixture(autouse=True)
def every_size_in_c(monkeypatch):
    """Lower the C backend's size thresholds to zero and check that C was really called."""
    be = cpu_backend()
    if be.name != "c":
        yield
        return
    monkeypatch.setattr(be, "_MIN_SIZE", {k: 0 for k in be._MIN_SIZE})
    calls = []

    def counted(fn):
        return lambda *a: calls.append(fn) or fn(*a)
    for kernels in be._KERNELS.values():  # the fused kernels' entry points too
        for kind in ("unary", "binary", "reduce", "matmul", "softmax", "linear",
                     "softmax_xent", "sgd", "adam"):
            monkeypatch.setattr(kernels, kind, counted(getattr(kernels, kind)))
    yield
    assert calls, "no C kernel was reached"


@st.composite
def shapes(draw, min_dims=1, max_dims=3):
    if draw(st.integers(0, 5)) == 0:  # very long and thin
        long = draw(st.sampled_from(LONG))
        return draw(st.sampled_from([(long,), (1, long), (long, 1), (2, long), (long, 3)]))
    return tuple(draw(st.lists(st.sampled_from(SIDES), min_size=min_dims, max_size=max_dims)))


def hostile(shape, layout, dtype, rng, lo=-3.0, hi=3.0):
    """An array of this shape and dtype with the given memory layout."""
    def fresh(s):
        return rng.uniform(lo, hi, s).astype(dtype)
    nd = len(shape)
    if layout == "reversed":
        return fresh(shape)[(slice(None, None, -1),) * nd]
    if layout == "transposed":
        return fresh(shape[::-1]).T
    if layout == "strided":
        return fresh(shape[:-1] + (shape[-1] * 2,))[..., ::2] if nd else fresh(shape)
    if layout == "broadcast":
        small = tuple(1 if i % 2 == 0 else n for i, n in enumerate(shape))
        return np.broadcast_to(fresh(small), shape)
    if layout == "misaligned":
        n = int(np.prod(shape))
        raw = np.zeros(n * np.dtype(dtype).itemsize + 1, np.uint8)[1:]
        out = raw.view(dtype).reshape(shape)
        out[...] = fresh(shape)
        assert n == 0 or not out.flags.aligned
        return out
    return fresh(shape)


def close(got, want, dtype, scale=1.0):
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(got, np.float64), want, rtol=rtol,
                               atol=rtol * scale, equal_nan=True)


layouts = st.sampled_from(LAYOUTS)
dtypes_ = st.sampled_from(DTYPES)
seeds = st.integers(0, 2**32 - 1)

UNARY = {
    "neg": (lambda t: -t, lambda x: -x, (-3, 3)),
    "exp": (lambda t: t.exp(), np.exp, (-30, 30)),
    "log": (lambda t: t.log(), np.log, (1e-3, 50)),
    "sqrt": (lambda t: t.sqrt(), np.sqrt, (0, 50)),
    "abs": (lambda t: t.abs(), np.abs, (-3, 3)),
    "tanh": (lambda t: t.tanh(), np.tanh, (-10, 10)),
    "sigmoid": (lambda t: t.sigmoid(), lambda x: 1 / (1 + np.exp(-x)), (-30, 30)),
    "relu": (lambda t: t.relu(), lambda x: np.maximum(x, 0), (-3, 3)),
    "step": (lambda t: t.step(), lambda x: (x > 0).astype(np.float64), (-3, 3)),
    "leaky_relu": (lambda t: t.leaky_relu(0.1), lambda x: np.where(x > 0, x, 0.1 * x), (-3, 3)),
}


@settings(max_examples=EXAMPLES)
@given(op=st.sampled_from(sorted(UNARY)), shape=shapes(), layout=layouts, dtype=dtypes_,
       seed=seeds)
def test_unary(op, shape, layout, dtype, seed):
    fn, ref, (lo, hi) = UNARY[op]
    x = hostile(shape, layout, dtype, np.random.default_rng(seed), lo, hi)
    before = x.copy()
    got = fn(tg.from_numpy(x)).numpy()
    assert got.shape == shape and got.dtype == dtype
    close(got, ref(x.astype(np.float64)), dtype, np.abs(ref(x.astype(np.float64))).max(initial=1))
    np.testing.assert_array_equal(x, before)  # inputs are never written


BINARY = {
    "add": (lambda a, b: a + b, np.add, (-3, 3)),
    "sub": (lambda a, b: a - b, np.subtract, (-3, 3)),
    "mul": (lambda a, b: a * b, np.multiply, (-3, 3)),
    "div": (lambda a, b: a / b, np.divide, (0.5, 3)),
    "pow": (lambda a, b: a ** b, np.power, (0.5, 3)),
    "maximum": (lambda a, b: a.maximum(b), np.maximum, (-3, 3)),
    "minimum": (lambda a, b: a.minimum(b), np.minimum, (-3, 3)),
}


@settings(max_examples=EXAMPLES)
@given(op=st.sampled_from(sorted(BINARY)), shape=shapes(), la=layouts, lb=layouts,
       dtype=dtypes_, seed=seeds)
def test_binary(op, shape, la, lb, dtype, seed):
    fn, ref, (lo, hi) = BINARY[op]
    rng = np.random.default_rng(seed)
    a, b = hostile(shape, la, dtype, rng, lo, hi), hostile(shape, lb, dtype, rng, lo, hi)
    got = fn(tg.from_numpy(a), tg.from_numpy(b)).numpy()
    want = ref(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == shape and got.dtype == dtype
    close(got, want, dtype, np.abs(want).max(initial=1))


@settings(max_examples=EXAMPLES)
@given(shape=shapes(), lx=layouts, lg=layouts, dtype=dtypes_, seed=seeds)
def test_relu_backward(shape, lx, lg, dtype, seed):
    rng = np.random.default_rng(seed)
    x, g = hostile(shape, lx, dtype, rng), hostile(shape, lg, dtype, rng)
    t = tg.from_numpy(x.copy() if lx == "broadcast" else x).requires_grad_()
    t.relu().backward(tg.from_numpy(g))
    close(t.grad.numpy(), np.where(x > 0, g, 0), dtype)


@st.composite
def dims(draw, ndim):
    kind = draw(st.integers(0, 3))
    if kind == 0 or ndim == 0:
        return None
    if kind == 1:
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                               unique=True)))


@settings(max_examples=EXAMPLES)
@given(data=st.data(), shape=shapes(), layout=layouts, dtype=dtypes_, seed=seeds,
       keepdim=st.booleans(), ties=st.booleans())
def test_reductions(data, shape, layout, dtype, seed, keepdim, ties):
    x = hostile(shape, layout, dtype, np.random.default_rng(seed))
    if ties:  # few distinct values: argmax/argmin must pick the first, as numpy does
        x = np.round(x).astype(dtype)
    dim = data.draw(dims(len(shape)))
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    t = tg.from_numpy(x)
    x64 = x.astype(np.float64)
    close(t.sum(dim, keepdim=keepdim).numpy(), np.sum(x64, axis=axis, keepdims=keepdim), dtype,
          x.size * 3)
    reduced = range(len(shape)) if axis is None else np.atleast_1d(axis)
    if all(shape[a] > 0 for a in reduced):
        close(t.amax(dim, keepdim).numpy(), np.amax(x64, axis=axis, keepdims=keepdim), dtype)
        close(t.amin(dim, keepdim).numpy(), np.amin(x64, axis=axis, keepdims=keepdim), dtype)
    else:
        with pytest.raises(RuntimeError, match="zero-size dimension"):
            t.amax(dim)
    if x.size and (dim is None or isinstance(dim, int)):
        np.testing.assert_array_equal(t.argmax(dim, keepdim).numpy(),
                                      np.argmax(x, axis=dim, keepdims=keepdim))
        np.testing.assert_array_equal(t.argmin(dim, keepdim).numpy(),
                                      np.argmin(x, axis=dim, keepdims=keepdim))


@settings(max_examples=EXAMPLES)
@given(m=st.sampled_from(SIDES + [65]), k=st.sampled_from(SIDES + [67]),
       n=st.sampled_from(SIDES + [1031]), batch=st.sampled_from([(), (1,), (3,), (2, 2)]),
       la=layouts, lb=layouts, dtype=dtypes_, seed=seeds)
def test_matmul_and_its_backward(m, k, n, batch, la, lb, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = hostile(batch + (m, k), la, dtype, rng), hostile(batch + (k, n), lb, dtype, rng)
    ta = tg.from_numpy(a.copy() if la == "broadcast" else a).requires_grad_()
    tb = tg.from_numpy(b.copy() if lb == "broadcast" else b).requires_grad_()
    out = ta @ tb
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    close(out.numpy() if not out.requires_grad else out.detach().numpy(), a64 @ b64, dtype,
          9 * max(k, 1))
    g = hostile(batch + (m, n), lb, dtype, rng)
    out.backward(tg.from_numpy(g))
    g64 = g.astype(np.float64)
    close(ta.grad.numpy(), g64 @ np.swapaxes(b64, -1, -2), dtype, 9 * max(n, 1))
    close(tb.grad.numpy(), np.swapaxes(a64, -1, -2) @ g64, dtype, 9 * max(m, 1))


@settings(max_examples=EXAMPLES)
@given(data=st.data(), shape=shapes(), layout=layouts, dtype=dtypes_, seed=seeds,
       log=st.booleans())
def test_softmax(data, shape, layout, dtype, seed, log):
    x = hostile(shape, layout, dtype, np.random.default_rng(seed), -30, 30)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    t = tg.from_numpy(x)
    got = (t.log_softmax(dim) if log else t.softmax(dim)).numpy()
    x64 = x.astype(np.float64)
    z = x64 - x64.max(axis=dim, keepdims=True, initial=-np.inf)
    with np.errstate(divide="ignore"):  # zero-size rows
        lse = np.log(np.exp(z).sum(axis=dim, keepdims=True))
    want = z - lse if log else np.exp(z - lse)
    assert got.shape == shape
    close(got, want, dtype, 60 if log else 1)


def test_non_finite_values_propagate_like_ieee():
    """NaN and Inf go through every kernel as IEEE says (no crash, no clamp)."""
    x = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0] * 50, np.float32)
    t = tg.from_numpy(x)
    with np.errstate(all="ignore"):
        for got, want in [(t.exp(), np.exp(x)), (t.relu(), np.maximum(x, 0)),
                          (t + t, x + x), (t * 0, x * 0), (t.sigmoid(), 1 / (1 + np.exp(-x))),
                          (t.abs(), np.abs(x)), (t.sqrt(), np.sqrt(x))]:
            # exactly the same NaN/Inf positions; finite values to float32 rounding
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, equal_nan=True)
    assert np.isnan(t.sum().item()) and np.isnan(t.amax().item())
    assert np.isnan(t.reshape(6, 50).softmax(0).numpy()[0]).all()


WRITABLE = [lt for lt in LAYOUTS if lt != "broadcast"]  # an optimizer writes its parameters


@settings(max_examples=EXAMPLES)
@given(rows=st.sampled_from(SIDES[1:] + [67]), cols=st.sampled_from(SIDES[1:] + [129]),
       layout=st.sampled_from(WRITABLE), dtype=dtypes_, seed=seeds,
       opt=st.sampled_from(["sgd", "momentum", "nesterov", "adam", "adamw"]))
def test_optimizer_steps_on_hostile_parameters(rows, cols, layout, dtype, seed, opt):
    """Parameters that are transposed, strided, reversed or misaligned views update
    exactly like contiguous copies of them (the fused in-place kernels included)."""
    from tinygrad_edu import optim
    rng = np.random.default_rng(seed)
    w = hostile((rows, cols), layout, dtype, rng)
    grads = [hostile((rows, cols), "contiguous", dtype, rng) for _ in range(3)]
    make = {"sgd": lambda p: optim.SGD(p, lr=0.1, weight_decay=0.01),
            "momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
            "nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
            "adam": lambda p: optim.Adam(p, lr=0.01),
            "adamw": lambda p: optim.AdamW(p, lr=0.01, weight_decay=0.1)}[opt]
    results = []
    for data in (w, np.ascontiguousarray(w).copy()):
        p = tg.nn.Parameter(tg.from_numpy(data))
        o = make([p])
        for g in grads:
            p.grad = tg.from_numpy(g.copy())
            o.step()
        results.append(p.detach().numpy().copy())
    # a layout the fused kernel does not take may run the Tensor-op formula instead
    close(results[0], results[1].astype(np.float64), dtype, 10)
    np.testing.assert_array_equal(w, results[0])  # updated in place, through the view


@settings(max_examples=EXAMPLES)
@given(n=st.sampled_from(SIDES[1:] + [129]), c=st.sampled_from([1, 2, 3, 10, 31]),
       layout=layouts, dtype=dtypes_, seed=seeds)
def test_cross_entropy_on_hostile_logits(n, c, layout, dtype, seed):
    rng = np.random.default_rng(seed)
    x = hostile((n, c), layout, dtype, rng, -20, 20)
    target = rng.integers(0, c, n)
    t = tg.from_numpy(x.copy() if layout == "broadcast" else x).requires_grad_()
    loss = tg.nn.functional.cross_entropy(t, tg.tensor(target))
    loss.backward()
    x64 = x.astype(np.float64)
    z = x64 - x64.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    close(loss.item(), -logp[np.arange(n), target].mean(), dtype, 20)
    onehot = np.eye(c)[target]
    close(t.grad.numpy(), (np.exp(logp) - onehot) / n, dtype)


@settings(max_examples=EXAMPLES)
@given(n=st.sampled_from(SIDES[1:] + [65]), fin=st.sampled_from([1, 3, 17, 64]),
       fout=st.sampled_from([1, 2, 31, 130]), lx=layouts, lw=st.sampled_from(WRITABLE),
       dtype=dtypes_, seed=seeds, slope=st.sampled_from([0.0, 0.1]))
def test_linear_activation_backward_on_hostile_layouts(n, fin, fout, lx, lw, dtype, seed, slope):
    """x @ W.T + b, then relu / leaky_relu, backward: the linear kernel, the activation
    backwards and the column sums of the bias gradient."""
    rng = np.random.default_rng(seed)
    x = hostile((n, fin), lx, dtype, rng)
    w = hostile((fout, fin), lw, dtype, rng)
    b = hostile((fout,), "contiguous", dtype, rng)
    g = hostile((n, fout), lx, dtype, rng)
    tx = tg.from_numpy(x.copy() if lx == "broadcast" else x).requires_grad_()
    tw, tb = tg.nn.Parameter(tg.from_numpy(w)), tg.nn.Parameter(tg.from_numpy(b))
    h = tg.nn.functional.linear(tx, tw, tb)
    out = h.relu() if slope == 0 else h.leaky_relu(slope)
    out.backward(tg.from_numpy(g))
    x64, w64, g64 = x.astype(np.float64), w.astype(np.float64), g.astype(np.float64)
    # the mask from the forward's own values: float32 rounding may flip a sign near 0
    dh = g64 * np.where(h.detach().numpy() > 0, 1.0, slope)
    scale = 9 * max(fin, fout, n)
    close(tx.grad.numpy(), dh @ w64, dtype, scale)
    close(tw.grad.numpy(), dh.T @ x64, dtype, scale)
    close(tb.grad.numpy(), dh.sum(0), dtype, scale)
