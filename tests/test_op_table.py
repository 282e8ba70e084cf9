"""Every row of op_table: forward vs numpy, float64 full-Jacobian central
differences (first and, for smooth ops, second order), and the coverage test."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
import strategies as S
import jacobian as J
from op_table import ROWS, ROW_BY_NAME, REQUIRED

ATOL, RTOL = 1e-7, 1e-5
SMOOTH = [r for r in ROWS if r.smooth]
ids = [r.name for r in ROWS]
GRAD_ROWS = [r for r in ROWS if r.jacobian]
grad_ids = [r.name for r in GRAD_ROWS]


def _layouts(row, n):
    if not row.layouts:
        return st.just(("contiguous",) * n)
    return st.tuples(*[S.layouts] * n)


def _assert_jac(got, want, what):
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, atol=ATOL, rtol=RTOL,
                                   err_msg=f"{what}: Jacobian block of input {i}")


# ---- (1) forward ------------------------------------------------------------------
@pytest.mark.parametrize("row", ROWS, ids=ids)
@given(data=st.data())
def test_forward_matches_numpy(row, data, device):
    shapes, kw = data.draw(row.args, label="shapes, kw")
    dtype = data.draw(S.float_dtypes, label="dtype")
    arrays = S.gen_inputs(data.draw(S.seeds, label="seed"), shapes, row.domain, dtype)
    lay = data.draw(_layouts(row, len(arrays)), label="layouts")
    ts = [S.layout_tensor(a, lay_a) if lay_a != "contiguous" else
          tg.tensor(a, dtype=tg.float32 if dtype == np.float32 else tg.float64)
          for a, lay_a in zip(arrays, lay)]
    out = row.fn(*ts, **kw)
    want = np.asarray(row.ref(*arrays, **kw))
    assert tuple(out.shape) == want.shape
    assert out.device == ts[0].device
    want_dtype = getattr(tg, row.out_dtype) if row.out_dtype else ts[0].dtype
    assert out.dtype == want_dtype
    got = out.cpu().numpy()
    dtype = got.dtype
    assert dtype == (np.dtype(row.out_dtype) if row.out_dtype else arrays[0].dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, want.astype(dtype), **tol)
    # the inputs were not modified in place
    for t, a in zip(ts, arrays):
        np.testing.assert_array_equal(t.cpu().numpy(), a)


# ---- (2) first order: full Jacobian vs central differences ---------------------------
@pytest.mark.parametrize("row", GRAD_ROWS, ids=grad_ids)
@given(data=st.data())
def test_jacobian_matches_finite_differences(row, data, device):
    shapes, kw = data.draw(row.args, label="shapes, kw")
    arrays = S.gen_inputs(data.draw(S.seeds, label="seed"), shapes, row.domain)
    lay = data.draw(_layouts(row, len(arrays)), label="layouts")
    via = data.draw(st.sampled_from(["grad", "backward"]), label="via")
    xs = [J.leaf(a, lay_a) for a, lay_a in zip(arrays, lay)]
    out = row.fn(*xs, **kw)
    assert out.dtype == tg.float64
    assert out.requires_grad
    got = J.analytic_jacobian(out, xs, via=via)
    want = J.numeric_jacobian(lambda arrs: J.forward_np(row.fn, arrs, kw), arrays)
    _assert_jac(got, want, row.name)


@pytest.mark.parametrize("row", GRAD_ROWS, ids=grad_ids)
@given(data=st.data())
def test_vjp_shapes_and_values(row, data, device):
    """One backward with a random cotangent: grads have the inputs' shapes
    (incl. size-0 and broadcast inputs) and equal v^T J."""
    shapes, kw = data.draw(row.args, label="shapes, kw")
    seed = data.draw(S.seeds, label="seed")
    arrays = S.gen_inputs(seed, shapes, row.domain)
    xs = [J.leaf(a) for a in arrays]
    out = row.fn(*xs, **kw)
    v = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    out.backward(gradient=tg.tensor(v, dtype=tg.float64))
    want = J.numeric_jacobian(lambda arrs: J.forward_np(row.fn, arrs, kw), arrays)
    for x, a, Jw in zip(xs, arrays, want):
        assert x.grad is not None and tuple(x.grad.shape) == a.shape
        assert x.grad.dtype == tg.float64
        np.testing.assert_allclose(J.to_np(x.grad).reshape(-1), v.reshape(-1) @ Jw,
                                   atol=ATOL, rtol=RTOL)


# ---- (3) second order for smooth ops --------------------------------------------------
@pytest.mark.parametrize("row", SMOOTH, ids=[r.name for r in SMOOTH])
@settings(max_examples=15)
@given(data=st.data())
def test_second_order(row, data, device):
    shapes, kw = data.draw(row.args, label="shapes, kw")
    seed = data.draw(S.seeds, label="seed")
    arrays = S.gen_inputs(seed, shapes, row.domain)
    out_shape = np.asarray(row.ref(*arrays, **kw)).shape
    v = np.random.default_rng(seed + 1).standard_normal(out_shape)
    got = J.analytic_hessian_rows(row.fn, kw, arrays, v)
    want = J.numeric_jacobian(lambda arrs: J.analytic_gradient(row.fn, kw, arrs, v), arrays)
    _assert_jac(got, want, row.name + " (second order)")


# ---- (4) coverage -----------------------------------------------------------------------
def _function_classes():
    """Every Function subclass defined in the tinygrad_edu.functions package,
    exported or not (``_Private`` ones are shared bases, never nodes)."""
    import tinygrad_edu.functions as F
    from tinygrad_edu.autograd import Function
    found, stack = set(), [Function]
    while stack:
        for c in stack.pop().__subclasses__():
            stack.append(c)
            if c.__module__.startswith(F.__name__) and not c.__name__.startswith("_"):
                found.add(c)
    return found


def _graph_types(out):
    seen, types, stack = set(), set(), [out.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        types.add(type(node))
        for nxt, _ in getattr(node, "next_functions", ()):
            stack.append(nxt)
    return types


def test_every_required_op_has_a_row():
    missing = [n for n in REQUIRED if n not in ROW_BY_NAME]
    assert not missing, f"ops without a row in op_table.py: {missing}"


def test_every_function_class_is_reached_by_the_table():
    classes = _function_classes()
    assert classes, "no Function subclasses found in tinygrad_edu.functions"
    reached = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in ROWS:
            for i in range(4):
                shapes, kw = row.args.example()
                arrays = S.gen_inputs(i, shapes, row.domain)
                xs = [J.leaf(a) for a in arrays]
                if i % 2:   # float32 leaves too: conversions are nodes only then
                    xs = [tg.tensor(a, dtype=tg.float32, requires_grad=True) for a in arrays]
                out = row.fn(*xs, **kw)
                reached |= _graph_types(out)
                # Functions used only inside backward (create_graph=True) count too
                v = tg.ones(tuple(out.shape), dtype=out.dtype, requires_grad=True)
                for g in tg.autograd.grad(out, xs, grad_outputs=v, create_graph=True):
                    if g is not None and g.grad_fn is not None:
                        reached |= _graph_types(g)
    missing = sorted(c.__name__ for c in classes - reached)
    assert not missing, f"Function classes not covered by op_table.py: {missing}"


def test_next_functions_reach_leaves():
    x = J.leaf(np.array([1.0, 2.0]))
    y = (x * 2.0).sum()
    leaves, stack = [], [y.grad_fn]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if hasattr(node, "variable"):
            leaves.append(node.variable)
        for pair in node.next_functions:
            assert isinstance(pair, tuple) and len(pair) == 2
            stack.append(pair[0])
    assert any(v is x for v in leaves), "AccumulateGrad(.variable is x) not reached"
