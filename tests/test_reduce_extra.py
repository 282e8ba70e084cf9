"""Issue 18's reductions, cumulative ops and matrix products against PyTorch where the
op_table rows (float64 Jacobians on tie-free, zero-free inputs) cannot reach: zeros in
prod/cumprod, ties and NaN in median/mode/cummax/aminmax, zero vectors in the norms,
-inf and huge values in logcumsumexp, integer and bool dtypes, the outputs that carry no
gradient. Errors are in errors_reduce.py."""
import numpy as np
import pytest
from helpers import npy, outcome, same_as_torch

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
INF, NAN = float("inf"), float("nan")
ZEROS = [[1.0, 0.0, 3.0, 2.0], [0.0, 2.0, 0.0, 5.0], [2.0, 3.0, 4.0, -1.0]]
TIES = [[1.0, 3.0, 3.0, 2.0, 1.0, 1.0], [2.0, 2.0, 5.0, 5.0, 0.0, 0.0],
        [4.0, NAN, 1.0, NAN, 4.0, 2.0]]


def _both(torch, a, dtype="float64", requires_grad=False):
    x = tg.tensor(np.asarray(a), dtype=getattr(tg, dtype), requires_grad=requires_grad)
    y = torch.tensor(np.asarray(a), dtype=getattr(torch, dtype), requires_grad=requires_grad)
    return x, y


def _check(torch, a, f, g=None, grad=True, dtype="float64", rtol=1e-12, atol=0.0):
    """f(module, x) on tg and torch: the same values (each output of a tuple) and, with
    grad, the same gradient of sum(out * w) for a fixed w."""
    g = g or f
    x, y = _both(torch, a, dtype, requires_grad=grad)
    ours, ref = f(tg, x), g(torch, y)
    ours = ours if isinstance(ours, tuple) else (ours,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    for o, r in zip(ours, ref):
        same_as_torch(o, r, rtol=rtol, atol=atol)
    if grad:
        w = np.linspace(0.5, 2.0, max(ours[0].numel(), 1))[:ours[0].numel()]
        w = w.reshape(tuple(ours[0].shape))
        (ours[0] * tg.tensor(w, dtype=ours[0].dtype)).sum().backward()
        (ref[0] * torch.tensor(w, dtype=ref[0].dtype)).sum().backward()
        same_as_torch(x.grad, y.grad, rtol=rtol, atol=atol)


# ---- products with zeros ---------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"dim": 0}, {"dim": 1}, {"dim": -1, "keepdim": True}])
@pytest.mark.parametrize("rows", [slice(0, 1), slice(1, 2), slice(2, 3), slice(0, 3)])
def test_prod_gradient_with_one_and_several_zeros_as_torch(torch, kw, rows):
    _check(torch, np.array(ZEROS)[rows], lambda m, x: m.prod(x, **kw))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_gradient_with_zeros_as_torch(torch, dim):
    _check(torch, ZEROS, lambda m, x: m.cumprod(x, dim))
    a = np.random.default_rng(0).integers(-2, 3, (2, 3, 5)).astype(float)
    _check(torch, a, lambda m, x: x.cumprod(dim))


def test_cumprod_and_prod_second_order_with_zeros_as_torch(torch):
    for op in ("prod", "cumprod"):
        x, y = _both(torch, ZEROS, requires_grad=True)
        (gx,) = tg.autograd.grad(getattr(x, op)(1).sum(), x, create_graph=True)
        (gy,) = torch.autograd.grad(getattr(y, op)(1).sum(), y, create_graph=True)
        same_as_torch(gx, gy, rtol=1e-12)
        (gx * gx).sum().backward()
        (gy * gy).sum().backward()
        same_as_torch(x.grad, y.grad, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32"])
@pytest.mark.parametrize("op", ["prod", "cumprod", "nansum", "count_nonzero", "diff",
                                "median", "mode", "cummax", "aminmax", "nanmean",
                                "logcumsumexp"])
def test_dtypes_of_results_as_torch(torch, dtype, op):
    a = np.array([[1, 0, 2], [3, 1, 1]])
    x, y = _both(torch, a.astype(bool) if dtype == "bool" else a, dtype)
    args = {"prod": (), "cumprod": (1,), "nansum": (), "count_nonzero": (), "diff": (),
            "median": (), "mode": (1,), "cummax": (1,), "aminmax": (), "nanmean": (),
            "logcumsumexp": (1,)}[op]
    ours = outcome(lambda: getattr(tg, op)(x, *args))
    ref = outcome(lambda: getattr(torch, op)(y, *args))
    if isinstance(ref, type):
        assert isinstance(ours, type) and issubclass(ours, RuntimeError) and \
            issubclass(ref, RuntimeError), f"{op}({dtype}): torch {ref}, tg {ours}"
        return
    ours = ours if isinstance(ours, tuple) else (ours,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    for o, r in zip(ours, ref):
        same_as_torch(o, r)


def test_prod_dtype_argument_and_empty_and_zero_dim(torch):
    _check(torch, [1.5, 2.0], lambda m, x: x.prod(dtype=m.float32), grad=False)
    _check(torch, np.ones((2, 0)), lambda m, x: x.prod(1))
    _check(torch, 3.0, lambda m, x: x.prod(0))
    _check(torch, 3.0, lambda m, x: x.cumprod(0))


# ---- order statistics and running extremes --------------------------------------------
@pytest.mark.parametrize("row", [0, 1, 2])
def test_median_global_value_and_shared_gradient_as_torch(torch, row):
    _check(torch, TIES[row], lambda m, x: m.median(x))
    _check(torch, np.array(TIES)[:2], lambda m, x: x.median())


@pytest.mark.parametrize("row", [0, 1, 2])
def test_median_along_dim_lower_median_as_torch(torch, row):
    x = tg.tensor(TIES[row], dtype=tg.float64, requires_grad=True)
    y = torch.tensor(TIES[row], dtype=torch.float64)
    v, i = x.median(0)
    rv, ri = y.median(0)
    same_as_torch(v, rv)
    assert not i.requires_grad and i.dtype == tg.int64
    got = x.detach().numpy()[int(i.item())]
    assert got == rv.item() or (np.isnan(got) and np.isnan(rv.item()))
    if np.isnan(rv.item()):
        assert int(i.item()) == int(ri.item())   # the first NaN, as PyTorch
    v.backward()
    assert x.grad.numpy().sum() == 1.0 and x.grad.numpy()[int(i.item())] == 1.0


def test_median_keepdim_and_even_lengths_as_torch(torch):
    a = np.random.default_rng(1).permutation(24).reshape(2, 3, 4).astype(float)
    for dim in (0, 1, 2, -1):
        for keepdim in (False, True):
            _check(torch, a, lambda m, x, dim=dim, keepdim=keepdim: x.median(dim, keepdim))


def test_mode_values_and_last_index_as_torch(torch):
    for a in ([[1.0, 3, 3, 2, 1, 1], [2, 2, 5, 5, 0, 0]], [[1.0, 2, 2, 1]], [[7.0, 3, 5]]):
        _check(torch, a, lambda m, x: x.mode(1))
        _check(torch, np.array(a).T.copy(), lambda m, x: m.mode(x, 0, keepdim=True))
    _check(torch, [[4, 1, 4, 1, 1]], lambda m, x: x.mode(), dtype="int64", grad=False)


@pytest.mark.parametrize("op", ["cummax", "cummin"])
def test_running_extremes_latest_index_among_ties_and_nan_as_torch(torch, op):
    for a in ([1.0, 3, 3, 2, 3], [1.0, 0, 0, 2, 0], [1.0, NAN, 3, NAN, 5], [2.0, 2, 2]):
        _check(torch, a, lambda m, x: getattr(m, op)(x, 0))
    _check(torch, np.array(TIES), lambda m, x: getattr(x, op)(1))
    _check(torch, [[3, 1, 3], [0, 5, 5]], lambda m, x: getattr(x, op)(0), dtype="int32",
           grad=False)


def test_aminmax_shares_tied_gradients_as_torch(torch):
    _check(torch, TIES[:2], lambda m, x: m.aminmax(x)[1])
    _check(torch, TIES[:2], lambda m, x: x.aminmax(dim=1, keepdim=True)[0])
    _check(torch, TIES[:2], lambda m, x: tuple(m.aminmax(x, dim=0)), grad=False)


# ---- NaN-aware and counting reductions -----------------------------------------------
def test_nansum_nanmean_values_and_gradients_as_torch(torch):
    a = [[1.0, NAN, 2.0], [NAN, NAN, NAN]]
    for kw in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": (0, 1)}):
        _check(torch, a, lambda m, x, kw=kw: m.nansum(x, **kw))
        # an all-NaN slice: the mean is NaN; its gradient 0 here, NaN in PyTorch
        _check(torch, a[:1] if kw.get("dim") == 1 else a, lambda m, x, kw=kw: m.nanmean(x, **kw),
               grad=kw.get("dim") != 0)
    _check(torch, a, lambda m, x: m.nanmean(x, 1), grad=False)


def test_count_nonzero_any_all_with_dims_as_torch(torch):
    a = [[0, 1, 2], [0, 0, 3]]
    for dim in (None, 0, 1, (0, 1), -1):
        _check(torch, a, lambda m, x, dim=dim: m.count_nonzero(x, dim=dim), dtype="int64",
               grad=False)
    for kw in ({}, {"dim": 0}, {"dim": 1, "keepdim": True}):
        _check(torch, a, lambda m, x, kw=kw: (x.any(**kw), x.all(**kw)), dtype="int64", grad=False)
        for dt in ("bool", "uint8", "float32"):
            _check(torch, a, lambda m, x, kw=kw: (m.any(x, **kw), m.all(x, **kw)), dtype=dt,
                   grad=False)
    _check(torch, a, lambda m, x: (x.any(dim=(0, 1)), x.all((1, 0), keepdim=True)),
           dtype="float64", grad=False)


def test_std_mean_var_mean_as_torch(torch):
    a = np.arange(12.0).reshape(3, 4) ** 1.5
    for kw in ({}, {"dim": 1}, {"dim": 0, "keepdim": True, "correction": 0}):
        _check(torch, a, lambda m, x, kw=kw: m.std_mean(x, **kw))
        _check(torch, a, lambda m, x, kw=kw: m.var_mean(x, **kw))
    _check(torch, [2.0, 2.0, 2.0], lambda m, x: m.var_mean(x))   # identical values: 0


# ---- cumulative ---------------------------------------------------------------------------
def test_logcumsumexp_at_infinities_and_large_values_as_torch(torch):
    for a in ([-1000.0, 0.0, 1.0], [800.0, 805.0, -INF, 799.0], [-INF, -INF, 1.0],
              [[1.0, 2.0], [3.0, -4.0]]):
        _check(torch, a, lambda m, x: m.logcumsumexp(x, 0))
    x, y = _both(torch, [[0.5, -1.0, 2.0]], requires_grad=True)
    (gx,) = tg.autograd.grad(x.logcumsumexp(1).sum(), x, create_graph=True)
    (gy,) = torch.autograd.grad(y.logcumsumexp(1).sum(), y, create_graph=True)
    same_as_torch(gx, gy, rtol=1e-12)


def test_diff_with_n_prepend_append_and_dtypes_as_torch(torch):
    a = np.arange(12.0).reshape(3, 4) ** 2
    for kw in ({}, {"n": 2}, {"n": 5}, {"dim": 0}, {"n": 0}):
        _check(torch, a, lambda m, x, kw=kw: m.diff(x, **kw))
    _check(torch, a, lambda m, x: m.diff(x, dim=0, prepend=m.zeros(1, 4, dtype=m.float64),
                                         append=m.ones(2, 4, dtype=m.float64)))
    _check(torch, [True, False, False, True], lambda m, x: x.diff(), dtype="bool", grad=False)
    _check(torch, [1, 4, 9], lambda m, x: x.diff(append=m.tensor([2.5])), dtype="int64",
           grad=False)


# ---- norms ----------------------------------------------------------------------------------
ORDS = [2, 1, INF, -INF, 3, 0.5, 0]


@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("a", [[0.0, 0.0, 0.0], [3.0, -4.0, 0.0], [[1.0, -2.0], [2.0, 0.5]]])
def test_vector_norm_values_and_gradients_incl_zero_vectors_as_torch(torch, ord, a):
    if ord in (0.5,) and 0.0 in np.ravel(a):
        pytest.skip("|x|^p for p < 1 has an infinite derivative at 0")
    grad = ord != 0
    _check(torch, a, lambda m, x: m.linalg.vector_norm(x, ord), grad=grad)
    if np.ndim(a) == 2:
        _check(torch, a, lambda m, x: m.linalg.vector_norm(x, ord, dim=1, keepdim=True),
               grad=grad)


def test_norm_and_matrix_norms_as_torch(torch):
    a = [[1.0, -2.0, 0.5], [2.0, 0.0, -3.0]]
    _check(torch, a, lambda m, x: m.norm(x))
    _check(torch, a, lambda m, x: x.norm(p="fro", dim=1))
    _check(torch, a, lambda m, x: x.norm(1, dim=0, keepdim=True))
    _check(torch, np.zeros((2, 2)), lambda m, x: m.norm(x))
    _check(torch, a, lambda m, x: m.linalg.norm(x))
    for o in ("fro", 1, -1, INF, -INF):
        _check(torch, a, lambda m, x, o=o: m.linalg.matrix_norm(x, o))
        _check(torch, a, lambda m, x, o=o: m.linalg.norm(x, o))
    _check(torch, a, lambda m, x: m.linalg.vector_norm(x, dtype=m.float64), grad=False,
           dtype="float32")


# ---- matrix products ----------------------------------------------------------------------
def _mats(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("name,shapes,kw", [
    ("mm", [(2, 3), (3, 4)], {}), ("bmm", [(2, 2, 3), (2, 3, 1)], {}),
    ("mv", [(2, 3), (3,)], {}), ("dot", [(3,), (3,)], {}), ("vdot", [(3,), (3,)], {}),
    ("inner", [(2, 3), (4, 3)], {}), ("inner", [(2, 1, 3), (3,)], {}),
    ("addmm", [(4,), (2, 3), (3, 4)], {"beta": 0.5, "alpha": 2}),
    ("addmm", [(2, 1), (2, 3), (3, 4)], {}),
    ("baddbmm", [(2, 2, 4), (2, 2, 3), (2, 3, 4)], {"beta": 2, "alpha": -1}),
])
def test_products_values_and_gradients_as_torch(torch, name, shapes, kw):
    arrs = _mats(*shapes)
    ours = [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrs]
    refs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrs]
    o, r = getattr(tg, name)(*ours, **kw), getattr(torch, name)(*refs, **kw)
    same_as_torch(o, r, rtol=1e-12)
    o.sum().backward()
    r.sum().backward()
    for t, u in zip(ours, refs):
        same_as_torch(t.grad, u.grad, rtol=1e-12)


def test_addmm_with_beta_zero_ignores_nan_input_as_torch(torch):
    for m in (tg, torch):
        out = m.addmm(m.full((2, 2), NAN), m.ones(2, 3), m.ones(3, 2), beta=0)
        assert np.isfinite(npy(out)).all()


@pytest.mark.parametrize("call", [lambda m: m.mm(m.ones(3), m.ones(3, 2)),
                                  lambda m: m.mm(m.ones(2, 2, 3), m.ones(3, 2)),
                                  lambda m: m.bmm(m.ones(2, 3), m.ones(3, 2)),
                                  lambda m: m.mv(m.ones(2, 3), m.ones(1, 3)),
                                  lambda m: m.dot(m.ones(3), m.ones(3, 1))])
def test_strict_shapes_refused_like_torch(torch, call):
    assert outcome(lambda: call(tg)) is RuntimeError
    assert outcome(lambda: call(torch)) is RuntimeError


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -3])
def test_matrix_power_as_torch(torch, n):
    a = _mats((2, 3, 3))[0] + 3 * np.eye(3)
    _check(torch, a, lambda m, x: m.matrix_power(x, n), rtol=1e-10)
    _check(torch, a[0], lambda m, x: m.linalg.matrix_power(x, n), rtol=1e-10)


def test_inv_det_solve_values_and_gradients_as_torch(torch):
    a = _mats((2, 3, 3))[0] + 2 * np.eye(3)
    _check(torch, a, lambda m, x: m.linalg.inv(x), rtol=1e-10)
    _check(torch, a, lambda m, x: m.linalg.det(x), rtol=1e-10)
    _check(torch, a[0], lambda m, x: x.det(), rtol=1e-10)
    _check(torch, a[0], lambda m, x: m.inverse(x), rtol=1e-10)
    for b_shape, kw in (((2, 3, 2), {}), ((3,), {}), ((2, 3), {}), ((1, 3, 2), {}),
                        ((2, 2, 3), {"left": False})):
        b = _mats(b_shape, seed=3)[0]
        for wrt_a in (True, False):
            x, y = _both(torch, a, requires_grad=wrt_a)
            u, v = _both(torch, b, requires_grad=not wrt_a)
            o, r = tg.linalg.solve(x, u, **kw), torch.linalg.solve(y, v, **kw)
            same_as_torch(o, r, rtol=1e-10)
            o.sum().backward()
            r.sum().backward()
            same_as_torch(*((x.grad, y.grad) if wrt_a else (u.grad, v.grad)), rtol=1e-10)


def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(torch):
    # rank 2: the value as PyTorch's; the gradient, the cofactor matrix, is pinned as
    # numbers, since PyTorch's LU route gives it on some CPUs and zeros on others (an
    # AMD EPYC with MKL)
    a = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]]
    _check(torch, a, lambda m, x: m.linalg.det(x), grad=False, atol=1e-12)
    x = tg.tensor(a, dtype=tg.float64, requires_grad=True)
    tg.linalg.det(x).backward()
    np.testing.assert_allclose(npy(x.grad), [[14.0, -10.0, 2.0], [-7.0, 5.0, -1.0], [0, 0, 0]],
                               rtol=1e-10, atol=1e-12)
    _check(torch, np.zeros((2, 3, 3)), lambda m, x: m.linalg.det(x))
    # rank 1, 2 x 2: the adjugate [[d, -c], [-b, a]] (PyTorch's LU route gives 0 here)
    x = tg.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=tg.float64, requires_grad=True)
    tg.linalg.det(x).backward()
    np.testing.assert_array_equal(npy(x.grad), [[4.0, -2.0], [-2.0, 1.0]])


def test_singular_inverse_raises_linalg_error_as_torch(torch):
    with pytest.raises(tg.linalg.LinAlgError):
        tg.linalg.inv(tg.zeros(2, 2))
    assert issubclass(tg.linalg.LinAlgError, RuntimeError)
    assert outcome(lambda: torch.linalg.inv(torch.zeros(2, 2))) is torch.linalg.LinAlgError


# ---- outputs that carry no gradient ------------------------------------------------------
def test_indices_and_counts_record_no_gradient():
    x = tg.tensor([[1.0, 3.0, 2.0], [0.0, 0.0, 1.0]], requires_grad=True)
    for res in (x.median(1), x.mode(1), x.cummax(1), x.cummin(0)):
        assert res.values.requires_grad and not res.indices.requires_grad
        assert res.indices.dtype == tg.int64
    c = tg.count_nonzero(x, dim=1)
    assert not c.requires_grad and c.dtype == tg.int64
    assert not x.any(1).requires_grad and not x.all().requires_grad
