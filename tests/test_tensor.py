"""Tensor API: factories, dtypes, attributes, repr, comparisons, indexing,
max/min namedtuples, numerics at the edges."""
import re

import numpy as np
import pytest
from hypothesis import given

import tinygrad_edu as tg
from helpers import npy
import strategies as S


# ---- factories --------------------------------------------------------------------
@pytest.mark.parametrize("name,value", [("zeros", 0.0), ("ones", 1.0)])
def test_zeros_ones(name, value):
    make = getattr(tg, name)
    for t in (make(2, 3), make((2, 3)), make([2, 3])):
        assert t.shape == (2, 3) and t.dtype == tg.float32
        np.testing.assert_array_equal(npy(t), np.full((2, 3), value))
    t = make(4, dtype=tg.float64, requires_grad=True)
    assert t.dtype == tg.float64 and t.requires_grad and t.is_leaf
    assert make(()).shape == () and make(0, 3).shape == (0, 3)


def test_full_empty_eye():
    t = tg.full((2, 2), 7.0)
    assert t.dtype == tg.float32
    np.testing.assert_array_equal(npy(t), np.full((2, 2), 7.0))
    assert tg.full((3,), 2.5, dtype=tg.float64).dtype == tg.float64
    assert tg.empty(3, 4).shape == (3, 4) and tg.empty(3).dtype == tg.float32
    np.testing.assert_array_equal(npy(tg.eye(3)), np.eye(3))
    np.testing.assert_array_equal(npy(tg.eye(2, 3)), np.eye(2, 3))
    assert tg.eye(2).dtype == tg.float32


def test_rand_randn_and_manual_seed():
    tg.manual_seed(0)
    a, b = tg.rand(1000), tg.randn(2000)
    assert a.dtype == tg.float32 and b.dtype == tg.float32
    av, bv = npy(a), npy(b)
    assert av.min() >= 0.0 and av.max() < 1.0 and abs(av.mean() - 0.5) < 0.05
    assert abs(bv.mean()) < 0.1 and abs(bv.std() - 1.0) < 0.1
    tg.manual_seed(0)
    np.testing.assert_array_equal(npy(tg.rand(1000)), av)
    np.testing.assert_array_equal(npy(tg.randn(2000)), bv)
    tg.manual_seed(1)
    assert not np.array_equal(npy(tg.rand(1000)), av)
    assert tg.randn(2, 3, dtype=tg.float64).dtype == tg.float64
    assert tg.rand((2, 3), requires_grad=True).requires_grad


def test_arange_linspace():
    t = tg.arange(5)
    assert t.dtype == tg.int64
    assert t.tolist() == [0, 1, 2, 3, 4]
    t = tg.arange(0, 1, 0.25)
    assert t.dtype == tg.float32 and t.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert tg.arange(2, 8, 2).tolist() == [2, 4, 6]
    t = tg.linspace(-10, 10, 100, requires_grad=True)
    assert t.shape == (100,) and t.dtype == tg.float32 and t.requires_grad
    v = npy(t)
    assert v[0] == -10 and v[-1] == 10
    np.testing.assert_allclose(v, np.linspace(-10, 10, 100), rtol=1e-6, atol=1e-6)


def test_like_factories():
    x = tg.tensor([[1.0, 2.0]], dtype=tg.float64)
    for f in (tg.zeros_like, tg.ones_like, tg.randn_like):
        y = f(x)
        assert y.shape == (1, 2) and y.dtype == tg.float64 and not y.requires_grad
    np.testing.assert_array_equal(npy(tg.ones_like(x)), [[1.0, 1.0]])
    assert tg.zeros_like(x, dtype=tg.float32).dtype == tg.float32


def test_from_numpy_shares_memory():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = tg.from_numpy(a)
    assert t.dtype == tg.float64 and t.shape == (2, 3)
    a[0, 0] = 42.0
    assert t[0, 0].item() == 42.0
    assert tg.from_numpy(np.zeros(2, dtype=np.float32)).dtype == tg.float32
    assert tg.from_numpy(np.zeros(2, dtype=np.int64)).dtype == tg.int64


# ---- dtypes -------------------------------------------------------------------------
def test_default_dtypes():
    assert tg.tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.Tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.tensor(1.5).dtype == tg.float32
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([True, False]).dtype == tg.bool
    assert tg.tensor([1.0], dtype=tg.float64).dtype == tg.float64
    assert tg.tensor(np.array([1.0])).dtype == tg.float64      # numpy keeps its dtype
    assert tg.tensor(np.array([1.0], dtype=np.float32)).dtype == tg.float32
    assert tg.float64 == tg.float64 and tg.float32 != tg.float64


def test_conversions():
    x = tg.tensor([1.7, -1.7])
    assert x.double().dtype == tg.float64
    assert x.double().float().dtype == tg.float32
    lo = x.long()
    assert lo.dtype == tg.int64 and lo.tolist() == [1, -1]
    assert tg.tensor([1, 2]).float().dtype == tg.float32
    assert x.type_as(tg.tensor([1.0], dtype=tg.float64)).dtype == tg.float64


def test_conversion_is_differentiable():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x.double() * 3.0).sum()
    y.backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_array_equal(npy(x.grad), [3.0, 3.0])


def test_mixed_scalar_ops_keep_dtype():
    x = tg.tensor([1.0], dtype=tg.float64)
    assert (x * 2).dtype == tg.float64 and (2.5 + x).dtype == tg.float64
    y = tg.tensor([1.0])
    assert (y * 2.5).dtype == tg.float32 and (y / 3).dtype == tg.float32


# ---- attributes -------------------------------------------------------------------------
def test_attributes():
    t = tg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and tuple(t.shape) == (2, 3) and t.shape[1] == 3
    assert t.ndim == 2 and t.size() == (2, 3) and t.size(1) == 3 and t.size(-1) == 3
    assert t.numel() == 6
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(t), t.numpy())
    s = tg.tensor([2.5])
    assert s.item() == 2.5 and isinstance(s.item(), float)
    assert isinstance(tg.tensor(3).item(), int)
    assert tg.tensor(3.0).shape == () and tg.tensor(3.0).ndim == 0


def test_zero_in_place():
    t = tg.tensor([1.0, 2.0])
    assert t.zero_() is t
    assert t.tolist() == [0.0, 0.0]


# ---- repr ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make,want", [
    (lambda: tg.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: tg.tensor([0.6590, 0.2424, 0.0986]), "tensor([0.6590, 0.2424, 0.0986])"),
    (lambda: tg.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: tg.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: tg.tensor([True, False]), "tensor([ True, False])"),
    (lambda: tg.tensor(3.0), "tensor(3.)"),
    (lambda: tg.tensor(2.5), "tensor(2.5000)"),
    (lambda: tg.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
])
def test_repr_like_pytorch(make, want):
    assert repr(make()) == want


def test_repr_suffixes():
    r = repr(tg.tensor([1.0, 2.0], requires_grad=True) * 2.0)
    assert re.fullmatch(r"tensor\(\[2\., 4\.\], grad_fn=<\w+>\)", r), r
    r = repr(tg.tensor([1.0, 2.0], dtype=tg.float64))
    assert re.fullmatch(r"tensor\(\[1\., 2\.\], dtype=(tg|tinygrad_edu)\.float64\)", r), r


# ---- comparisons ----------------------------------------------------------------------------
def test_comparisons_return_bool_and_no_grad():
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = tg.tensor([3.0, 2.0, 1.0])
    for op, ref in [(lambda x, y: x < y, np.less), (lambda x, y: x <= y, np.less_equal),
                    (lambda x, y: x > y, np.greater), (lambda x, y: x >= y, np.greater_equal),
                    (lambda x, y: x == y, np.equal), (lambda x, y: x != y, np.not_equal)]:
        r = op(a, b)
        assert r.dtype == tg.bool and not r.requires_grad
        np.testing.assert_array_equal(npy(r), ref(npy(a), npy(b)))
    assert (a > 1.5).tolist() == [False, True, True]


# ---- indexing -----------------------------------------------------------------------------------
INDEXES = [
    1, -1, (0, 1), slice(1, None), slice(None, None, 2), (slice(None), 0), (Ellipsis, 1),
    None, (None, Ellipsis, None), (1, None), [0, 2, 0], (slice(0, 2), [1, 1]),
]


@pytest.mark.parametrize("idx", INDEXES, ids=[repr(i) for i in INDEXES])
@given(arr=S.arrays_in((3, 4, 2)))
def test_indexing_equals_numpy(idx, arr):
    t = tg.tensor(arr, dtype=tg.float64)
    got = t[idx]
    want = arr[idx]
    assert tuple(got.shape) == want.shape
    np.testing.assert_array_equal(npy(got), want)


@given(arr=S.arrays_in((3, 4)), seed=S.seeds)
def test_boolean_mask_and_integer_tensor_index(arr, seed):
    mask = np.random.default_rng(seed).random((3, 4)) > 0.5
    t = tg.tensor(arr, dtype=tg.float64)
    np.testing.assert_array_equal(npy(t[tg.tensor(mask)]), arr[mask])
    np.testing.assert_array_equal(npy(t[t > 0]), arr[arr > 0])
    idx = np.array([2, 0, 2])
    np.testing.assert_array_equal(npy(t[tg.tensor(idx)]), arr[idx])


@given(arr=S.noncontiguous_arrays())
def test_noncontiguous_numpy_input(arr):
    t = tg.from_numpy(arr)
    np.testing.assert_array_equal(npy(t), arr)
    np.testing.assert_array_equal(npy(t * 2.0), arr * 2.0)
    np.testing.assert_array_equal(npy(t.sum(dim=0)), arr.sum(axis=0))


# ---- max/min/argmax ------------------------------------------------------------------------------
def test_max_min_with_dim_namedtuple():
    t = tg.tensor([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]])
    r = t.max(dim=1)
    assert r.values.tolist() == [5.0, 7.0] and r.indices.tolist() == [1, 0]
    assert r.indices.dtype == tg.int64
    values, indices = tg.min(t, 0)
    assert values.tolist() == [1.0, 0.0, 2.0] and indices.tolist() == [0, 1, 1]
    assert r[0].tolist() == [5.0, 7.0] and r[1].tolist() == [1, 0]
    k = t.max(dim=1, keepdim=True)
    assert k.values.shape == (2, 1) and k.indices.shape == (2, 1)
    m = t.max()
    assert m.shape == () and m.item() == 7.0
    assert tg.max(t).item() == 7.0


def test_argmax_argmin():
    t = tg.tensor([[1.0, 5.0, 3.0], [7.0, 0.0, 2.0]])
    assert tg.argmax(t).item() == 3 and t.argmin().item() == 4
    assert t.argmax(dim=1).tolist() == [1, 0]
    assert tg.argmin(t, dim=0).tolist() == [0, 1, 1]
    assert t.argmax(dim=1, keepdim=True).shape == (2, 1)
    assert t.argmax(dim=1).dtype == tg.int64


# ---- numerics at the edges -------------------------------------------------------------
def test_log_zero_is_minus_inf():
    x = tg.tensor([0.0, 1.0])
    assert npy(x.log()).tolist() == [-np.inf, 0.0]


def test_sigmoid_and_softmax_stable():
    x = tg.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], requires_grad=True)
    y = x.sigmoid()
    np.testing.assert_allclose(npy(y), [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-30)
    y.sum().backward()
    assert np.all(np.isfinite(npy(x.grad)))
    s = tg.tensor([[1000.0, 1000.0], [-1000.0, 0.0]]).softmax(dim=1)
    np.testing.assert_allclose(npy(s), [[0.5, 0.5], [0.0, 1.0]])
    ls = tg.tensor([[1000.0, 1000.0]]).log_softmax(dim=1)
    np.testing.assert_allclose(npy(ls), [[-np.log(2)] * 2], rtol=1e-6)
    assert tg.logsumexp(tg.tensor([1000.0, 1000.0]), dim=0).item() == pytest.approx(
        1000 + np.log(2))


def test_var_std_defaults_unbiased():
    t = tg.tensor([1.0, 2.0, 3.0, 4.0], dtype=tg.float64)
    assert t.var().item() == pytest.approx(np.var([1, 2, 3, 4], ddof=1))
    assert t.std(unbiased=False).item() == pytest.approx(np.std([1, 2, 3, 4]))


def test_type_promotion_like_pytorch():
    f32, f64_ = tg.tensor([1.0]), tg.tensor([1.0], dtype=tg.float64)
    i = tg.tensor([1, 2])
    assert (f32 + f64_).dtype == tg.float64
    assert (i * 2).dtype == tg.int64
    assert (i * 2.5).dtype == tg.float32 and (i + f32).dtype == tg.float32
    assert (i / 2).dtype == tg.float32            # true division of ints is float
    assert (i / 2).tolist() == [0.5, 1.0]
    assert (i > 1).dtype == tg.bool
    assert tg.arange(3).sum().dtype == tg.int64


def test_integer_ops_have_no_grad():
    i = tg.tensor([1, 2, 3])
    assert not (i * 2).requires_grad
    assert i.argmax().item() == 2
    assert i.max().item() == 3 and i.sum().item() == 6


def test_python_protocols():
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2
    assert [r.tolist() for r in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert float(tg.tensor(2.5)) == 2.5 and int(tg.tensor(3)) == 3
    assert bool(tg.tensor(True)) is True


def test_where_with_scalars_and_rpow():
    x = tg.tensor([-1.0, 2.0], dtype=tg.float64, requires_grad=True)
    y = tg.where(x > 0, x, 0.0)
    assert y.tolist() == [0.0, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0]
    x.grad = None
    z = 2.0 ** x
    np.testing.assert_allclose(npy(z), [0.5, 4.0])
    z.sum().backward()
    np.testing.assert_allclose(npy(x.grad), np.log(2.0) * np.array([0.5, 4.0]))
