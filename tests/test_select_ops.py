"""issue 18's indexing-style ops against PyTorch where op_table's float rows cannot
reach: integer and bool dtypes, ties and zeros in scatter_reduce's gradients, the
in-place forms, the counting ops (nonzero, unique, bincount, histc, searchsorted),
PyTorch's advanced indexing with integers and where's boolean condition. Their errors
are in errors_select.py."""
import numpy as np
import pytest
from helpers import npy, same_as_torch

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _both(torch, a, dtype=None, grad=False):
    ours = tg.tensor(a, dtype=getattr(tg, dtype) if dtype else None, requires_grad=grad)
    ref = torch.tensor(a, dtype=getattr(torch, dtype) if dtype else None, requires_grad=grad)
    return ours, ref


# ---- scatter_reduce ---------------------------------------------------------------------
X = [[1.0, 0.0, 3.0, 2.0], [4.0, 5.0, 0.0, 6.0], [2.0, 2.0, 7.0, 1.0]]
IDX = [[0, 0, 1, 1], [2, 0, 1, 1]]
SRC = [[7.0, 0.0, 3.0, 2.0], [4.0, 9.0, 0.0, 2.0]]


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_reduce_values_and_gradients_match_torch(torch, reduce, include_self, dim):
    """Ties (2 with 2) and zeros (one and two at a position) hit the edge gradients."""
    x, xt = _both(torch, X, "float64", grad=True)
    s, st = _both(torch, SRC, "float64", grad=True)
    idx = np.array(IDX) if dim == 0 else np.array(IDX) % 3
    out = x.scatter_reduce(dim, tg.tensor(idx), s, reduce, include_self=include_self)
    ref = xt.scatter_reduce(dim, torch.tensor(idx), st, reduce, include_self=include_self)
    same_as_torch(out, ref)
    w = np.arange(12.0).reshape(3, 4) - 5
    (out * tg.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(npy(x.grad), xt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(npy(s.grad), st.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float32"])
def test_scatter_reduce_integer_dtypes_and_in_place_match_torch(torch, reduce, dtype):
    a = np.array([[-7, 2, 3], [4, -5, 6]])
    x, xt = _both(torch, a, dtype)
    s, st = _both(torch, [[-2, 4, 5], [9, 1, -3]], dtype)
    i = torch.tensor([[0, 0, 1], [1, 0, 1]])
    for inc in (True, False):
        same_as_torch(x.scatter_reduce(0, tg.tensor(i.numpy()), s, reduce, include_self=inc),
                      xt.scatter_reduce(0, i, st, reduce, include_self=inc))
    x.scatter_reduce_(1, tg.tensor(i.numpy()), s, reduce)
    xt.scatter_reduce_(1, i, st, reduce)
    same_as_torch(x, xt)


# ---- index_add / index_copy / index_fill / put / take ---------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_family_values_and_gradients_match_torch(torch, dim):
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([2, 0, 2]) if dim == 0 else np.array([3, 0, 3])
    n = len(idx)
    src = np.arange(n * (4 if dim == 0 else 3), dtype=np.float64)
    src = src.reshape((n, 4) if dim == 0 else (3, n))
    for name, extra in (("index_add", {"alpha": 2.5}), ("index_add", {}), ("index_copy", {}),
                        ("index_fill", None)):
        if name == "index_copy":   # unique positions: the written value is defined
            idx = np.array([2, 0, 1]) if dim == 0 else np.array([3, 0, 1])
        if name == "index_fill":   # negative positions count from the end here only
            idx = np.array([-1, 0])
        x, xt = _both(torch, a, "float64", grad=True)
        s, st = _both(torch, src, "float64", grad=True)
        ii, it = tg.tensor(idx), torch.tensor(idx)
        if extra is None:
            out, ref = x.index_fill(dim, ii, -1.5), xt.index_fill(dim, it, -1.5)
        else:
            out = getattr(x, name)(dim, ii, s, **extra)
            ref = getattr(xt, name)(dim, it, st, **extra)
        same_as_torch(out, ref)
        (out * out).sum().backward()
        (ref * ref).sum().backward()
        np.testing.assert_allclose(npy(x.grad), xt.grad.numpy())
        if extra is not None:
            np.testing.assert_allclose(npy(s.grad), st.grad.numpy())


@pytest.mark.parametrize("dtype", ["int64", "float32", "bool"])
def test_index_family_in_place_and_dtypes_match_torch(torch, dtype):
    a = np.arange(12).reshape(3, 4) % 2
    src = np.ones((3, 2), np.int64)
    i = [3, 1]
    for op in ("index_copy_", "index_fill_") + (("index_add_",) if dtype != "bool" else ()):
        x, xt = _both(torch, a, dtype)
        s, st = _both(torch, src, dtype)
        arg, targ = (1, 1) if op == "index_fill_" else (s, st)
        getattr(x, op)(1, tg.tensor(i), arg)
        getattr(xt, op)(1, torch.tensor(i), targ)
        same_as_torch(x, xt)


def test_take_put_and_take_along_dim_match_torch(torch):
    a = np.arange(12.0).reshape(3, 4)
    idx = np.array([[0, -1], [5, 5]])
    x, xt = _both(torch, a, "float64", grad=True)
    for ours, ref in ((x.take(tg.tensor(idx)), xt.take(torch.tensor(idx))),
                      (tg.take_along_dim(x, tg.tensor([[1], [0], [3]]), 1),
                       torch.take_along_dim(xt, torch.tensor([[1], [0], [3]]), 1)),
                      (x.take_along_dim(tg.tensor([[2], [0]]), 0),
                       xt.take_along_dim(torch.tensor([[2], [0]]), 0)),
                      (tg.take_along_dim(x, tg.tensor([11, 0])),
                       torch.take_along_dim(xt, torch.tensor([11, 0])))):
        same_as_torch(ours, ref)
        ours.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(npy(x.grad), xt.grad.numpy())
    for acc in (False, True):
        p, pt = _both(torch, a, "float64", grad=True)
        v, vt = _both(torch, [1.0, 2.0, 3.0], "float64", grad=True)
        i = [1, -1, 1] if acc else [1, -1, 4]
        out, ref = p.put(tg.tensor(i), v, acc), pt.put(torch.tensor(i), vt, acc)
        same_as_torch(out, ref)
        (out * out).sum().backward()
        (ref * ref).sum().backward()
        np.testing.assert_allclose(npy(p.grad), pt.grad.numpy())
        np.testing.assert_allclose(npy(v.grad), vt.grad.numpy())
    y, yt = _both(torch, np.zeros(5, np.int64))
    y.put_(tg.tensor([0, 0, 4]), tg.tensor([1, 2, 3]), accumulate=True)
    yt.put_(torch.tensor([0, 0, 4]), torch.tensor([1, 2, 3]), accumulate=True)
    same_as_torch(y, yt)


# ---- masks ---------------------------------------------------------------------------------
def test_masked_select_and_masked_scatter_match_torch(torch):
    a = np.arange(6.0).reshape(2, 3)
    for mask in ([True, False, True], [[True], [False]], [[False] * 3] * 2):
        x, xt = _both(torch, a, "float64", grad=True)
        s, st = _both(torch, np.arange(10.0, 17.0), "float64", grad=True)
        m, mt = tg.tensor(mask), torch.tensor(mask)
        for ours, ref in ((x.masked_select(m), xt.masked_select(mt)),
                          (tg.masked_scatter(x, m, s), torch.masked_scatter(xt, mt, st))):
            same_as_torch(ours, ref)
            (ours * ours).sum().backward()
            (ref * ref).sum().backward()
        np.testing.assert_allclose(npy(x.grad), xt.grad.numpy())
        np.testing.assert_allclose(npy(s.grad), st.grad.numpy())
    y, yt = _both(torch, np.arange(6).reshape(2, 3))
    y.masked_scatter_(tg.tensor([True, False, True]), tg.tensor([7, 8, 9, 10]))
    yt.masked_scatter_(torch.tensor([True, False, True]), torch.tensor([7, 8, 9, 10]))
    same_as_torch(y, yt)


# ---- counting and searching ------------------------------------------------------------------
@pytest.mark.parametrize("a", [[[1, 0], [0, 3]], [0.0, 2.5, -1.0, 0.0], 5, 0,
                               [[True, False, True]], np.zeros((2, 0))])
def test_nonzero_argwhere_and_where_of_one_argument_match_torch(torch, a):
    x, xt = _both(torch, a)
    same_as_torch(x.nonzero(), xt.nonzero())
    same_as_torch(tg.argwhere(x), torch.argwhere(xt))
    for ours, ref in ((x.nonzero(as_tuple=True), xt.nonzero(as_tuple=True)),
                      (tg.where(x), torch.where(xt))):
        assert len(ours) == len(ref)
        for o, r in zip(ours, ref):
            same_as_torch(o, r)


def test_unique_matches_torch(torch):
    a = [[3, 1, 3], [2, 1, 3]]
    x, xt = _both(torch, a)
    for kw in ({}, {"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True, "dim": 1},
               {"dim": 0, "return_counts": True}, {"sorted": True, "return_inverse": True}):
        ours, ref = tg.unique(x, **kw), torch.unique(xt, **kw)
        for o, r in zip(*((ours, ref) if isinstance(ref, tuple) else ((ours,), (ref,)))):
            same_as_torch(o, r)
    for data in ([True, False, True], [2.5, -1.0, 2.5]):
        x, xt = _both(torch, data)
        same_as_torch(x.unique(), xt.unique())


def test_bincount_and_histc_match_torch(torch):
    x, xt = _both(torch, [1, 4, 1, 0, 4, 4])
    same_as_torch(x.bincount(), xt.bincount())
    same_as_torch(tg.bincount(x, minlength=8), torch.bincount(xt, minlength=8))
    for w in ([0.5, 1.0, 2.0, 0.0, 1.0, 1.5], [1, 2, 3, 4, 5, 6]):
        for dt in ("float32", "float64", "int64"):
            wo, wt = _both(torch, w, dt)
            same_as_torch(x.bincount(wo), xt.bincount(wt))
    e, et = _both(torch, np.zeros(0, np.int64))
    same_as_torch(e.bincount(), et.bincount())
    for dt in ("float32", "float64"):
        h, ht = _both(torch, [1.0, 2.0, 2.0, 5.0, -1.0, 3.0], dt)
        for kw in ({}, {"bins": 4}, {"bins": 3, "min": 0, "max": 3}, {"bins": 5, "min": 2,
                                                                       "max": 2}):
            same_as_torch(h.histc(**kw), ht.histc(**kw))
        same_as_torch(tg.histc(h[:2] * 0 + 1, bins=2), torch.histc(ht[:2] * 0 + 1, bins=2))


def test_searchsorted_and_bucketize_match_torch(torch):
    seq, seqt = _both(torch, [1, 3, 5, 7])
    v, vt = _both(torch, [[0, 3, 6], [7, 8, 5]])
    for kw in ({}, {"right": True}, {"side": "right"}, {"out_int32": True}):
        same_as_torch(tg.searchsorted(seq, v, **kw), torch.searchsorted(seqt, vt, **kw))
        if "side" not in kw:
            same_as_torch(tg.bucketize(v, seq, **kw), torch.bucketize(vt, seqt, **kw))
    same_as_torch(tg.searchsorted(seq, 3), torch.searchsorted(seqt, 3))
    same_as_torch(tg.bucketize(3, seq), torch.bucketize(3, seqt))
    rows, rowst = _both(torch, [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    q, qt = _both(torch, [[3.0], [3.0]])
    same_as_torch(tg.searchsorted(rows, q, side="right"), torch.searchsorted(rowst, qt,
                                                                             side="right"))
    uns, unst = _both(torch, [5, 1, 3])
    order = tg.tensor([1, 2, 0])
    same_as_torch(tg.searchsorted(uns, v, sorter=order),
                  torch.searchsorted(unst, vt, sorter=torch.tensor([1, 2, 0])))


def test_counting_ops_record_no_graph():
    x = tg.tensor([1.0, 0.0, 2.0], requires_grad=True)
    for out in (x.nonzero(), x.unique(), x.histc(bins=3), tg.searchsorted(x.detach(), x)):
        assert not out.requires_grad


# ---- PyTorch's semantics where numpy's differ ---------------------------------------------
INDEXES = [lambda i: (1, slice(None), i, slice(0, 2)), lambda i: (i, 1, i),
           lambda i: (slice(None), 1, i), lambda i: (Ellipsis, 1, i),
           lambda i: (None, 1, slice(None), i), lambda i: (i, slice(None), 1),
           lambda i: (1, i, slice(None), 0), lambda i: (1, i, 2, i),
           lambda i: (slice(None), i, slice(None), -1), lambda i: (0, slice(1, 3), i[:1])]


@pytest.mark.parametrize("make", INDEXES)
def test_integers_with_index_arrays_index_as_torch(torch, make):
    """x[1, :, idx, 0:2] keeps idx's dim where it is (numpy would move it first)."""
    a = np.arange(120.0).reshape(2, 3, 4, 5)
    x, xt = _both(torch, a, "float64", grad=True)
    ours, ref = x[make(tg.tensor([0, 1]))], xt[make(torch.tensor([0, 1]))]
    same_as_torch(ours, ref)
    w = np.arange(ref.numel(), dtype=np.float64).reshape(tuple(ref.shape))
    (ours * tg.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(npy(x.grad), xt.grad.numpy())


def test_where_refuses_a_condition_that_is_not_boolean_as_torch(torch):
    for cond in ([1, 0, 1], [1.0, 0.0, 2.0]):
        c = tg.tensor(cond)
        with pytest.raises(RuntimeError, match="where expected condition to be a boolean "
                                               "tensor, but got a tensor with dtype"):
            tg.where(c, tg.ones(3), tg.zeros(3))
        with pytest.raises(RuntimeError):
            torch.where(torch.tensor(cond), torch.ones(3), torch.zeros(3))
        with pytest.raises(RuntimeError):
            tg.ones(3).where(c, 0.0)
    with pytest.warns(UserWarning, match="uint8"):   # deprecated in PyTorch, still accepted
        out = tg.where(tg.tensor([1, 0], dtype=tg.uint8), 1.0, 2.0)
    np.testing.assert_array_equal(npy(out), [1.0, 2.0])


@pytest.mark.parametrize("make", INDEXES[:6])
def test_setitem_with_integers_and_index_arrays_writes_as_torch(torch, make):
    a = np.zeros((2, 3, 4, 5))
    x, xt = _both(torch, a, "float64")
    target = tuple(xt[make(torch.tensor([0, 1]))].shape)
    v = np.arange(float(np.prod(target))).reshape(target)
    x[make(tg.tensor([0, 1]))] = tg.tensor(v)
    xt[make(torch.tensor([0, 1]))] = torch.tensor(v)
    same_as_torch(x, xt)
    w, wt = _both(torch, v, "float64", grad=True)   # recorded: the value's gradient too
    y, yt = x * 1.0, xt * 1.0
    y[make(tg.tensor([0, 1]))] = w * 2.0
    yt[make(torch.tensor([0, 1]))] = wt * 2.0
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_array_equal(npy(w.grad), wt.grad.numpy())


# ---- ufunc_at: the scatter of scatter_reduce on a backend without every ufunc.at -----------
class _NoAt:
    """A ufunc stand-in without .at (what CuPy's multiply, or an old CuPy's maximum, is)."""


class _HostOnly:
    """A backend shaped like the CuPy one whose xp lacks ufunc.at, holding plain numpy
    arrays: to_host / from_host copy (as a GPU round trip would) and count the trips."""
    def __init__(self, refuse):
        self.trips = 0
        self.xp = type("xp", (), {"maximum": np.maximum, "minimum": np.minimum,
                                  "multiply": np.multiply, **{n: _NoAt() for n in refuse}})

    def to_host(self, a):
        self.trips += 1
        return np.array(a, copy=True)

    def from_host(self, a):
        return np.array(a, copy=True)


@pytest.mark.parametrize("name", ["maximum", "minimum", "multiply"])
@pytest.mark.parametrize("refuse", [(), ("maximum", "minimum")])
@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int8, np.bool_])
def test_ufunc_at_falls_back_to_the_host_where_xp_has_no_at(name, refuse, dtype):
    from tinygrad_edu.functions.select import ufunc_at
    rng = np.random.default_rng(0)
    out = rng.integers(-3, 4, (3, 5)).astype(dtype)
    rows = np.array([[0], [2], [2], [0]])          # repeated positions: all must apply
    cols = np.array([[1, 1, 4], [0, 0, 0], [3, 1, 3], [2, 1, 1]])
    src = rng.integers(-3, 4, (4, 3)).astype(dtype)
    want = out.copy()
    getattr(np, name).at(want, (rows, cols), src)
    be = _HostOnly(refuse)
    got = out.copy()
    ufunc_at(be, name, got, (rows, cols), src)
    np.testing.assert_array_equal(got, want)
    # the product always goes through the host; max / min only where xp refuses
    assert (be.trips > 0) == (name == "multiply" or name in refuse)
