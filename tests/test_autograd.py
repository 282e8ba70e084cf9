"""Autograd semantics: accumulation, graph shapes, grad modes, errors, deep
graphs (higher order and gradcheck: test_grad_api.py)."""
import gc
import sys
import threading

import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import f64, npy


# ---- accumulation and graph shapes ------------------------------------------------
def test_grads_accumulate_across_backward_calls():
    x = f64([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(npy(x.grad), [3, 3])
    x.grad.zero_()
    np.testing.assert_allclose(npy(x.grad), [0, 0])
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(npy(x.grad), [2, 2])


def test_shared_subexpression():
    x = f64(3.0, requires_grad=True)
    y = x * x
    z = y + y            # y used twice: dz/dx = 4x
    z.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_leaf_used_many_times_and_diamond():
    x = f64([0.5, -1.0], requires_grad=True)
    a = x.exp()
    b = a * x
    c = a + b * a        # a reached along three paths
    c.sum().backward()
    xv = np.array([0.5, -1.0])
    e = np.exp(xv)
    want = e + (e * xv + e) * e + e * xv * e
    np.testing.assert_allclose(npy(x.grad), want, rtol=1e-12)


def test_retain_grad_on_non_leaf():
    x = f64([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y.retain_grad()
    z = (y * y).sum()
    z.backward()
    np.testing.assert_allclose(npy(y.grad), [4.0, 8.0])
    np.testing.assert_allclose(npy(x.grad), [8.0, 16.0])


def test_non_leaf_grad_is_none_without_retain_grad():
    x = f64([1.0], requires_grad=True)
    y = x * 2.0
    (y * 1.0).sum().backward()
    assert y.grad is None


def test_leaf_attributes():
    x = f64([1.0], requires_grad=True)
    c = f64([1.0])
    assert x.is_leaf and c.is_leaf and x.grad_fn is None and c.grad_fn is None
    assert x.grad is None
    y = x * 2.0
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad
    z = c * 2.0
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None


def test_broadcast_grads_summed_to_input_shape():
    a = f64(np.ones((3, 1)), requires_grad=True)
    b = f64(np.arange(4.0), requires_grad=True)
    s = f64(2.0, requires_grad=True)
    (a * b * s).sum().backward()
    assert tuple(a.grad.shape) == (3, 1) and tuple(b.grad.shape) == (4,)
    assert tuple(s.grad.shape) == ()
    np.testing.assert_allclose(npy(a.grad), np.full((3, 1), 12.0))
    np.testing.assert_allclose(npy(b.grad), np.full(4, 6.0))
    assert s.grad.item() == pytest.approx(18.0)


def test_getitem_repeated_indices_accumulate():
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    x[tg.tensor([0, 2, 0, 0])].sum().backward()
    np.testing.assert_allclose(npy(x.grad), [3.0, 0.0, 1.0])


def test_max_ties_split_evenly_and_dim_max_to_index():
    x = f64([1.0, 3.0, 3.0, 0.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(npy(x.grad), [0, 0.5, 0.5, 0])
    y = f64([[3.0, 3.0, 1.0]], requires_grad=True)
    vals, idx = y.max(dim=1)
    vals.sum().backward()
    want = np.zeros((1, 3))
    want[0, int(idx.item())] = 1.0
    np.testing.assert_allclose(npy(y.grad), want)
    z = f64([2.0, -1.0, -1.0], requires_grad=True)
    tg.min(z).backward()
    np.testing.assert_allclose(npy(z.grad), [0, 0.5, 0.5])


# ---- grad modes -----------------------------------------------------------------------
def test_no_grad_context_and_decorator():
    x = f64([1.0], requires_grad=True)
    assert tg.is_grad_enabled()
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = x * 2.0
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            w = x * 2.0
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert w.requires_grad

    @tg.no_grad()
    def f(t):
        return t * 2.0

    @tg.enable_grad()
    def g(t):
        return t * 2.0

    assert not f(x).requires_grad
    with tg.no_grad():
        assert g(x).requires_grad
    assert tg.is_grad_enabled()


def test_set_grad_enabled():
    x = f64([1.0], requires_grad=True)
    tg.set_grad_enabled(False)
    try:
        assert not (x * 2.0).requires_grad
    finally:
        tg.set_grad_enabled(True)
    assert (x * 2.0).requires_grad


def test_no_grad_restores_after_exception():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError
    assert tg.is_grad_enabled()


def test_grad_mode_is_thread_local():
    x = f64([1.0], requires_grad=True)
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with tg.no_grad():
            seen["worker"] = tg.is_grad_enabled()
            inside.set()
            release.wait(5)

    th = threading.Thread(target=worker)
    th.start()
    inside.wait(5)
    try:
        assert tg.is_grad_enabled(), "no_grad in another thread leaked into this one"
        assert (x * 2.0).requires_grad
    finally:
        release.set()
        th.join()
    assert seen["worker"] is False

    def fresh():
        seen["fresh"] = tg.is_grad_enabled()
    with tg.no_grad():
        th = threading.Thread(target=fresh)
        th.start()
        th.join()
    assert seen["fresh"] is True


# ---- detach, .data, requires_grad_ ------------------------------------------------------
def test_detach():
    x = f64([1.0, 2.0], requires_grad=True)
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    y = (x * d).sum()
    y.backward()
    np.testing.assert_allclose(npy(x.grad), [2.0, 4.0])


def test_data_is_a_no_grad_view_and_assignable():
    x = f64([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad
    x.data = f64([5.0, 6.0])
    np.testing.assert_allclose(npy(x), [5.0, 6.0])
    assert x.requires_grad and x.is_leaf
    (x * x).sum().backward()
    np.testing.assert_allclose(npy(x.grad), [10.0, 12.0])


def test_requires_grad_():
    x = f64([1.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x
    assert x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad


# ---- errors -----------------------------------------------------------------------------
def test_backward_non_scalar_needs_gradient():
    x = f64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2.0).backward()


def test_second_backward_through_released_graph():
    x = f64([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    x.grad = None
    z = (x.exp() * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    e = np.exp([1.0, 2.0])
    np.testing.assert_allclose(npy(x.grad), 2 * (e * [1.0, 2.0] + e))


def test_backward_without_requires_grad():
    x = f64([1.0, 2.0])
    with pytest.raises(RuntimeError):
        (x * 2.0).sum().backward()


def test_int_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        tg.tensor([1, 2]).requires_grad_()


# ---- deep graphs ------------------------------------------------------------------------
def test_100k_chain_forward_backward_and_del():
    limit = sys.getrecursionlimit()
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0
    z = x
    for _ in range(100_000):
        z = z * 1.0
    del z
    gc.collect()
    assert sys.getrecursionlimit() == limit


def test_100k_chain_retained_graph_del_does_not_recurse():
    x = f64([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    y.sum().backward(retain_graph=True)
    assert x.grad.item() == pytest.approx(1.0001 ** 100_000, rel=1e-9)
    del y
    gc.collect()


def test_identity_views_are_new_graph_nodes():
    """Like PyTorch: reshape/view/transpose/permute to the same shape still
    return a new non-leaf tensor (ViewBackward), never ``self``."""
    x = f64([[1.0, 2.0]], requires_grad=True)
    for y in (x.reshape(1, 2), x.view(1, 2), x.transpose(0, 0), x.permute(0, 1)):
        assert y is not x and not y.is_leaf and y.grad_fn is not None
        y.retain_grad()
        (y * 2.0).sum().backward()
        assert y.grad is not None

def test_grad_dtype_matches_leaf_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)               # float32
    y = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    z = x * y                                                   # promotes to float64
    assert z.dtype == tg.float64
    z.sum().backward()
    assert x.grad.dtype == tg.float32 and y.grad.dtype == tg.float64
    np.testing.assert_allclose(npy(x.grad), [1.0, 2.0])

def test_backward_gradient_shape_mismatch_raises():
    x = f64([1.0, 2.0], requires_grad=True)
    with pytest.raises((RuntimeError, ValueError)):
        (x * 2.0).backward(gradient=f64([1.0, 2.0, 3.0]))

def test_no_grad_in_backward_graph_by_default():
    x = f64([1.0, 2.0], requires_grad=True)
    (x.exp() * x).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_accumulation_does_not_alias_other_grads():
    a = f64([1.0, 2.0], requires_grad=True)
    b = f64([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()          # add's backward may hand one tensor to both
    (a * 3.0).sum().backward()        # accumulating into a.grad must not touch b.grad
    np.testing.assert_allclose(npy(a.grad), [4.0, 4.0])
    np.testing.assert_allclose(npy(b.grad), [1.0, 1.0])
    a.grad.zero_()
    np.testing.assert_allclose(npy(b.grad), [1.0, 1.0])


def test_accumulation_does_not_modify_user_gradient():
    x = f64([1.0, 2.0], requires_grad=True)
    g = f64([1.0, 1.0])
    (x + 0.0).backward(gradient=g)
    (x + 0.0).backward(gradient=g)
    np.testing.assert_allclose(npy(g), [1.0, 1.0])
    np.testing.assert_allclose(npy(x.grad), [2.0, 2.0])
    y = x * 1.0
    y.retain_grad()
    (y * 2.0).sum().backward()
    yg = npy(y.grad).copy()
    x.grad.zero_()
    np.testing.assert_allclose(npy(y.grad), yg)


def test_graphs_are_freed_by_refcount_alone():
    """No reference cycles between tensors and nodes: memory goes back at once."""
    import weakref
    x = f64(np.ones(1000), requires_grad=True)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for backward in (True, False):
            y = (x * 2.0).exp()
            ref = weakref.ref(y)
            loss = y.sum()
            if backward:
                loss.backward()
            del y, loss
            assert ref() is None, f"graph kept alive (backward={backward})"
    finally:
        if enabled:
            gc.enable()


def test_empty_selections_and_reductions():
    x = f64([1.0, 2.0], requires_grad=True)
    x[x > 100].sum().backward()
    np.testing.assert_allclose(npy(x.grad), [0.0, 0.0])
    z = tg.zeros(0)
    assert z.sum().item() == 0.0 and np.isnan(z.mean().item())


# ---- in-place operations (PyTorch semantics) ----------------------------------------------
def test_inplace_on_leaf_requiring_grad_raises():
    x = f64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1.0)
    with tg.no_grad():
        x.add_(1.0)                                   # what optimizers do
    np.testing.assert_allclose(npy(x), [2.0, 3.0])


@pytest.mark.parametrize("method,value,want,dydx", [
    ("add_", 1.0, [3.0, 5.0], [2.0, 2.0]), ("sub_", 1.0, [1.0, 3.0], [2.0, 2.0]),
    ("mul_", 3.0, [6.0, 12.0], [6.0, 6.0]), ("div_", 2.0, [1.0, 2.0], [1.0, 1.0]),
])
def test_inplace_method_on_non_leaf_modifies_it(method, value, want, dydx):
    """BUG-6: y.add_(1) must change y itself (not return a new tensor and leave y)."""
    x = f64([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    alias = y
    r = getattr(y, method)(value)
    assert r is y
    np.testing.assert_allclose(npy(alias), want)
    alias.sum().backward()
    np.testing.assert_allclose(npy(x.grad), dydx)


def test_setitem_on_non_leaf_is_recorded():
    """BUG-7: y[0] = 0 on a graph tensor must cut the gradient of that element."""
    x = f64([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    y[0] = 0.0
    np.testing.assert_allclose(npy(y), [0.0, 4.0])
    y.sum().backward()
    np.testing.assert_allclose(npy(x.grad), [0.0, 2.0])


def test_modified_saved_tensor_is_detected():
    """BUG-8: changing a tensor saved for backward must not give a silently wrong
    gradient; PyTorch raises 'modified by an inplace operation'."""
    x = f64([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    z = y * y                                         # saves y
    with tg.no_grad():
        y.mul_(3.0)
    with pytest.raises(RuntimeError, match="inplace|in-place"):
        z.sum().backward()


def test_amax_amin_split_ties_evenly():
    x = f64([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.amax(dim=1).sum().backward()
    np.testing.assert_allclose(npy(x.grad), [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    x.grad = None
    tg.amin(x, dim=(0, 1)).backward()
    np.testing.assert_allclose(npy(x.grad), [[0, 0, 0], [0, 0, 1.0]])

