"""More of the Tensor vocabulary against PyTorch (the rest is in test_tensor_vocab.py):
bernoulli and bernoulli_, the new_* factories, element_size / byte / char / bfloat16,
stride and storage_offset, and Tensor.register_hook (engine.py's hooks)."""
import numpy as np
import pytest
from helpers import npy, outcome, same_as_torch
from test_tensor_vocab import _agree, _both

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


# ---- bernoulli ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_bernoulli_draws_with_the_given_probabilities(dtype):
    p = tg.tensor([0.0, 0.1, 0.5, 0.9, 1.0], dtype=getattr(tg, dtype)).expand(20000, 5)
    out = tg.bernoulli(p, generator=tg.Generator().manual_seed(3))
    assert out.dtype == p.dtype and tuple(out.shape) == (20000, 5)
    vals = npy(out).astype(np.float64)
    assert set(np.unique(vals)) <= {0.0, 1.0}
    mean = vals.mean(0)
    assert mean[0] == 0 and mean[4] == 1
    np.testing.assert_allclose(mean[1:4], [0.1, 0.5, 0.9], atol=4 * 0.5 / np.sqrt(20000))


def test_bernoulli_generator_is_reproducible_and_p_form():
    p = tg.full((50,), 0.5)
    a = p.bernoulli(generator=tg.Generator().manual_seed(7))
    b = p.bernoulli(generator=tg.Generator().manual_seed(7))
    assert np.array_equal(npy(a), npy(b))
    tg.manual_seed(1)
    c = tg.bernoulli(p)
    tg.manual_seed(1)
    assert np.array_equal(npy(c), npy(tg.bernoulli(p)))
    d = tg.bernoulli(tg.zeros(1000, dtype=tg.float64), 0.25)
    assert d.dtype == tg.float64 and abs(float(d.mean()) - 0.25) < 0.06


def test_bernoulli_records_a_zero_gradient_as_torch(torch):
    x, y = _both(torch, [0.3, 0.7], "float32", requires_grad=True)
    b, c = tg.bernoulli(x), torch.bernoulli(y)
    assert b.requires_grad == c.requires_grad is True
    (b * 2).sum().backward()
    (c * 2).sum().backward()
    same_as_torch(x.grad, y.grad)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool", "uint8"])
def test_bernoulli_in_place_any_dtype(torch, dtype):
    x = tg.zeros(4000, dtype=getattr(tg, dtype))
    v = x._version[0]
    assert x.bernoulli_(0.3, generator=tg.Generator().manual_seed(0)) is x
    assert x._version[0] == v + 1 and x.dtype == getattr(tg, dtype)
    vals = npy(x).astype(np.float64)
    assert set(np.unique(vals)) <= {0.0, 1.0} and abs(vals.mean() - 0.3) < 0.04
    p = tg.tensor([0.0, 1.0, 0.0, 1.0])
    z = tg.ones(3, 4, dtype=getattr(tg, dtype)).bernoulli_(p)
    np.testing.assert_array_equal(npy(z).astype(float), np.tile([0.0, 1.0, 0.0, 1.0], (3, 1)))


def test_bernoulli_in_place_on_graph_tensors_as_torch(torch):
    x, y = _both(torch, [0.5, 0.5, 0.5], "float32", requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable"):
        x.bernoulli_(0.5)
    a, b = x * 2, y * 2
    a.bernoulli_(0.5)
    b.bernoulli_(0.5)
    assert a.requires_grad and a.grad_fn is not None
    a.sum().backward()
    b.sum().backward()
    same_as_torch(x.grad, y.grad)


# ---- new tensors like self ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "int32", "bool"])
def test_new_factories_as_torch(torch, dtype):
    x, y = _both(torch, [1, 0, 1], dtype)
    cases = [lambda t: t.new_tensor([1, 2]), lambda t: t.new_tensor([[1.7, -2.2]]),
             lambda t: t.new_zeros(2, 3), lambda t: t.new_zeros((2, 3)),
             lambda t: t.new_ones([4]), lambda t: t.new_full((2, 2), 7),
             lambda t: t.new_full((3,), 2.7), lambda t: t.new_zeros(2, dtype=t.dtype),
             lambda t: t.new_ones(2, dtype=(tg if isinstance(t, tg.Tensor) else torch).int8),
             lambda t: t.new_empty(2, 1).shape, lambda t: t.new_full(3, 1),
             lambda t: t.new_zeros(-1)]
    for i, f in enumerate(cases):
        ours, ref = outcome(lambda f=f: f(x)), outcome(lambda f=f: f(y))
        if isinstance(ref, torch.Size):
            assert tuple(ours) == tuple(ref)
        else:
            _agree(ours, ref, f"case {i} on {dtype}")


def test_new_tensor_copies_and_can_require_grad(torch):
    x = tg.ones(2, dtype=tg.float64)
    src = np.array([1.0, 2.0])
    t = x.new_tensor(src, requires_grad=True)
    src[0] = 5.0
    assert t.requires_grad and t.is_leaf and t.dtype == tg.float64
    np.testing.assert_array_equal(npy(t), [1.0, 2.0])
    other = tg.tensor([3.0, 4.0], requires_grad=True)
    c = x.new_tensor(other)
    assert not c.requires_grad and c.is_leaf and not np.shares_memory(c._data, other._data)
    z = x.new_zeros(3, requires_grad=True)
    assert z.requires_grad and z.device == x.device


# ---- memory layout --------------------------------------------------------------------------
VIEWS = [lambda t: t, lambda t: t.t() if t.ndim == 2 else t.permute(2, 0, 1),
         lambda t: t[:, 1:], lambda t: t[1], lambda t: t[..., ::2], lambda t: t.transpose(0, -1),
         lambda t: t[:1].expand(4, *t.shape[1:]), lambda t: t.reshape(-1),
         lambda t: t[:, None], lambda t: t.contiguous(), lambda t: t[:0]]


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5), (3, 1, 2)])
@pytest.mark.parametrize("view", range(len(VIEWS)))
def test_stride_and_storage_offset_as_torch(torch, shape, view):
    a = np.arange(float(np.prod(shape))).reshape(shape)
    x, y = VIEWS[view](tg.tensor(a)), VIEWS[view](torch.tensor(a))
    same_as_torch(x, y)
    if x.is_contiguous():
        assert x.stride() == y.stride()
    # along a dimension of size 1 any stride addresses the same elements: PyTorch's depend
    # on the op that made the view, numpy's too; elsewhere they must agree
    assert [x.stride(d) for d in range(-x.ndim, x.ndim) if x.shape[d] != 1] == \
        [y.stride(d) for d in range(-y.ndim, y.ndim) if y.shape[d] != 1]
    if x.numel():
        assert x.storage_offset() == y.storage_offset()


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int16",
                                   "int32", "int64", "bool"])
def test_element_size_byte_char_as_torch(torch, dtype):
    x, y = _both(torch, [0, 1, 1], dtype)
    assert x.element_size() == y.element_size()
    same_as_torch(x.byte(), y.byte())
    same_as_torch(x.char(), y.char())
    assert tg.ones(2, dtype=tg.uint8).type() == "tg.ByteTensor"


def test_byte_and_char_wrap_integers_as_torch(torch):
    x, y = _both(torch, [-1, 200, 300, -129], "int64")
    same_as_torch(x.byte(), y.byte())
    same_as_torch(x.char(), y.char())


def test_bfloat16_says_numpy_has_none():
    with pytest.raises(TypeError, match="numpy, which has no bfloat16; use tg.float16"):
        tg.ones(2).bfloat16()


def test_storage_offset_of_fresh_results_is_zero():
    x = tg.ones(4, 5, requires_grad=True)
    for t in (x, x * 2, (x * 2).sum(1), x.t().contiguous(), x @ x.t(), x.exp()):
        assert t.storage_offset() == 0


# ---- register_hook --------------------------------------------------------------------------
def _run_hook_case(lib, case):
    """One register_hook scenario run on tg or torch: what the hooks saw and the grads."""
    seen = []

    def record(scale):
        def hook(g):
            seen.append(npy(g).tolist())
            return g * scale if scale is not None else None
        return hook

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    if case == "leaf summed once":
        x.register_hook(record(10))
        (x * 2 + x * 3).sum().backward()
        return seen, [x.grad]
    if case == "leaf removed":
        h = x.register_hook(record(10))
        h.remove()
        h.remove()
        (x * 2).sum().backward()
        return seen, [x.grad]
    if case == "observer returns None":
        x.register_hook(record(None))
        (x * x).sum().backward()
        return seen, [x.grad]
    if case == "non-leaf with retain_grad":
        y = x * 2
        y.retain_grad()
        y.register_hook(record(3))
        (y * y).sum().backward()
        return seen, [y.grad, x.grad]
    if case == "two hooks in order":
        x.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 2)
        (x * 1).sum().backward()
        return seen, [x.grad]
    if case == "root":
        s = (x * 2).sum()
        s.register_hook(record(5))
        s.backward()
        return seen, [x.grad]
    if case == "before an in-place change":
        y = x * 2
        y.register_hook(record(10))
        y.mul_(3)
        y.sum().backward()
        return seen, [x.grad]
    if case == "autograd.grad, leaf":
        x.register_hook(record(10))
        return seen, list(lib.autograd.grad((x * 2).sum(), x))
    if case == "autograd.grad, non-leaf":
        y = x * 2
        y.register_hook(record(10))
        return seen, list(lib.autograd.grad((y * y).sum(), y))
    if case == "autograd.grad, through a non-leaf":
        y = x * 2
        y.register_hook(record(10))
        return seen, list(lib.autograd.grad((y * y).sum(), x))
    if case == "twice with retain_graph":
        x.register_hook(record(2))
        out = (x * x).sum()
        out.backward(retain_graph=True)
        out.backward()
        return seen, [x.grad]
    if case == "create_graph":
        x.register_hook(lambda g: g * g)
        (g,) = lib.autograd.grad((x ** 3).sum(), x, create_graph=True)
        g.sum().backward()
        return seen, [g, x.grad]
    raise AssertionError(case)


HOOK_CASES = ["leaf summed once", "leaf removed", "observer returns None",
              "non-leaf with retain_grad", "two hooks in order", "root",
              "before an in-place change", "autograd.grad, leaf", "autograd.grad, non-leaf",
              "autograd.grad, through a non-leaf",
              "twice with retain_graph", "create_graph"]


@pytest.mark.parametrize("case", HOOK_CASES)
def test_register_hook_as_torch(torch, case):
    seen, grads = _run_hook_case(tg, case)
    seen_t, grads_t = _run_hook_case(torch, case)
    assert seen == seen_t
    assert len(grads) == len(grads_t)
    for g, r in zip(grads, grads_t):
        same_as_torch(g, r)


def test_captured_gradient_is_the_hooked_one():
    # PyTorch returns y's hooked gradient when y alone is asked for, but the gradient
    # before the hook when x (upstream of y) is asked for too; tg returns the hooked
    # one in both cases, the gradient that flows on to x
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    gx, gy = tg.autograd.grad((y * y).sum(), [x, y])
    np.testing.assert_array_equal(npy(gy), [40.0, 80.0])
    np.testing.assert_array_equal(npy(gx), [80.0, 160.0])


def test_register_hook_refusals_and_bad_returns(torch):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that "
                                               "doesn't require gradient"):
            lib.ones(2).register_hook(lambda g: g)
    x = tg.ones(2, requires_grad=True)
    x.register_hook(lambda g: tg.ones(3))
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        (x * 2).sum().backward()
    y = tg.ones(2, requires_grad=True)
    y.register_hook(lambda g: 5)
    with pytest.raises(TypeError, match="returned a int"):
        (y * 2).sum().backward()
    z = tg.ones(2, requires_grad=True)
    z.register_hook(lambda g: g.double())
    with pytest.raises(RuntimeError, match="has changed the type of value"):
        (z * 2).sum().backward()


def test_leaf_hooks_die_with_their_tensor():
    import gc

    from tinygrad_edu import engine
    before = len(engine._LEAF_HOOKS)
    x = tg.ones(2, requires_grad=True)
    x.register_hook(lambda g: g)
    assert len(engine._LEAF_HOOKS) == before + 1
    del x
    gc.collect()
    assert len(engine._LEAF_HOOKS) == before
