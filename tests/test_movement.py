"""Issue 18's movement ops against PyTorch: values, dtypes and gradients of the same
call on tg and on torch (methods and tg.* functions), integer inputs, and the ops that
return tuples. The float64 Jacobians are in op_table_movement.py, the errors in
errors_movement.py."""
import numpy as np
import pytest
from helpers import npy, outcome, same_as_torch

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


R = np.random.default_rng(0)


def A(*shape):
    return R.standard_normal(shape)


# (id, f(lib, *tensors) -> tensor or tuple of tensors, input arrays)
CASES = [
    ("fliplr", lambda L, x: L.fliplr(x), [A(3, 4, 2)]),
    ("flipud", lambda L, x: x.flipud(), [A(3, 4)]),
    ("roll_flat", lambda L, x: L.roll(x, 2), [A(3, 4)]),
    ("roll_neg", lambda L, x: x.roll(-1, 1), [A(3, 4)]),
    ("roll_many", lambda L, x: L.roll(x, (1, -5), (0, 2)), [A(3, 2, 4)]),
    ("roll_big", lambda L, x: x.roll(7, -1), [A(2, 3)]),
    ("rot90", lambda L, x: L.rot90(x), [A(2, 3)]),
    ("rot90_k2", lambda L, x: x.rot90(2, (1, 2)), [A(2, 3, 4)]),
    ("rot90_k3", lambda L, x: L.rot90(x, -1, (0, 2)), [A(2, 3, 4)]),
    ("rot90_k0", lambda L, x: L.rot90(x, 4), [A(2, 3)]),
    ("diag_vec", lambda L, x: L.diag(x), [A(3)]),
    ("diag_vec_off", lambda L, x: x.diag(2), [A(3)]),
    ("diag_vec_neg", lambda L, x: L.diag(x, -1), [A(3)]),
    ("diag_mat", lambda L, x: L.diag(x), [A(3, 4)]),
    ("diag_mat_off", lambda L, x: x.diag(-2), [A(3, 4)]),
    ("diag_mat_far", lambda L, x: x.diag(9), [A(3, 4)]),
    ("diagonal", lambda L, x: L.diagonal(x), [A(3, 4)]),
    ("diagonal_dims", lambda L, x: x.diagonal(1, 2, 0), [A(3, 2, 4)]),
    ("diagonal_neg", lambda L, x: L.diagonal(x, offset=-1, dim1=-1, dim2=1), [A(2, 4, 3)]),
    ("diag_embed", lambda L, x: L.diag_embed(x), [A(2, 3)]),
    ("diag_embed_dims", lambda L, x: x.diag_embed(1, 0, 2), [A(2, 3)]),
    ("diag_embed_neg", lambda L, x: L.diag_embed(x, -2, dim1=-1, dim2=0), [A(4, 2)]),
    ("trace", lambda L, x: L.trace(x), [A(3, 4)]),
    ("tile", lambda L, x: L.tile(x, (2,)), [A(2, 3)]),
    ("tile_more", lambda L, x: x.tile(2, 1, 3), [A(2, 3)]),
    ("movedim", lambda L, x: L.movedim(x, 0, -1), [A(2, 3, 4)]),
    ("movedim_many", lambda L, x: x.movedim((0, 1), (2, 0)), [A(2, 3, 4)]),
    ("moveaxis", lambda L, x: L.moveaxis(x, -1, 0), [A(2, 3, 4)]),
    ("swapaxes", lambda L, x: L.swapaxes(x, 0, 2), [A(2, 3, 4)]),
    ("swapdims", lambda L, x: x.swapdims(-1, 1), [A(2, 3, 4)]),
    ("unbind", lambda L, x: L.unbind(x, 1), [A(2, 3)]),
    ("unbind_default", lambda L, x: x.unbind(), [A(2, 3)]),
    ("broadcast_to", lambda L, x: L.broadcast_to(x, (2, 3, 4)), [A(3, 1)]),
    ("broadcast_tensors", lambda L, x, y: L.broadcast_tensors(x, y), [A(3, 1), A(4)]),
    ("unfold", lambda L, x: x.unfold(0, 2, 1), [A(5)]),
    ("unfold_step", lambda L, x: x.unfold(1, 2, 2), [A(2, 5, 3)]),
    ("unfold_last", lambda L, x: x.unfold(-1, 3, 2), [A(2, 7)]),
    ("outer", lambda L, x, y: L.outer(x, y), [A(3), A(4)]),
    ("ger", lambda L, x, y: x.ger(y), [A(3), A(2)]),
    ("cross", lambda L, x, y: L.cross(x, y, dim=1), [A(2, 3), A(2, 3)]),
    ("cross_bcast", lambda L, x, y: L.cross(x, y, dim=-1), [A(4, 3), A(1, 3)]),
    ("cross_dim0", lambda L, x, y: x.cross(y, dim=0), [A(3, 2), A(3, 2)]),
    ("kron", lambda L, x, y: L.kron(x, y), [A(2, 3), A(3, 2)]),
    ("kron_mixed", lambda L, x, y: x.kron(y), [A(2), A(2, 2)]),
    ("tensordot", lambda L, x, y: L.tensordot(x, y), [A(2, 3, 4), A(3, 4, 2)]),
    ("tensordot_1", lambda L, x, y: L.tensordot(x, y, dims=1), [A(2, 3), A(3, 2)]),
    ("tensordot_lists", lambda L, x, y: L.tensordot(x, y, dims=([0, 2], [2, 1])),
     [A(2, 3, 4), A(5, 4, 2)]),
    ("tensordot_0", lambda L, x, y: L.tensordot(x, y, dims=0), [A(2), A(3)]),
    ("cdist", lambda L, x, y: L.cdist(x, y), [A(3, 2), A(4, 2)]),
    ("cdist_p1", lambda L, x, y: L.cdist(x, y, p=1.0), [A(2, 3, 2), A(2, 4, 2)]),
    ("cdist_p3", lambda L, x, y: L.cdist(x, y, p=3.0), [A(3, 2), A(4, 2)]),
    ("cdist_inf", lambda L, x, y: L.cdist(x, y, p=float("inf")), [A(3, 2), A(4, 2)]),
    ("cdist_p0", lambda L, x, y: L.cdist(x, y, p=0.0), [A(3, 2), A(4, 2)]),
    ("hstack", lambda L, x, y: L.hstack([x, y]), [A(2, 3), A(2, 1)]),
    ("hstack_1d", lambda L, x, y: L.hstack((x, y)), [A(3), A(2)]),
    ("vstack", lambda L, x, y: L.vstack([x, y]), [A(3), A(2, 3)]),
    ("row_stack", lambda L, x, y: L.row_stack([x, y]), [A(3), A(3)]),
    ("dstack", lambda L, x, y: L.dstack([x, y]), [A(2, 3), A(2, 3)]),
    ("dstack_1d", lambda L, x, y: L.dstack([x, y]), [A(3), A(3)]),
    ("column_stack", lambda L, x, y, z: L.column_stack([x, y, z]), [A(3), A(3, 2), A(3)]),
    ("atleast_1d", lambda L, x: L.atleast_1d(x), [A()]),
    ("atleast_2d", lambda L, x, y: L.atleast_2d(x, y), [A(), A(3)]),
    ("atleast_3d", lambda L, x, y, z: L.atleast_3d([x, y, z]), [A(), A(3), A(2, 3)]),
    ("meshgrid", lambda L, x, y: L.meshgrid(x, y, indexing="ij"), [A(3), A(2)]),
    ("meshgrid_xy", lambda L, x, y, z: L.meshgrid([x, y, z], indexing="xy"),
     [A(3), A(2), A(4)]),
    ("cartesian_prod", lambda L, x, y: L.cartesian_prod(x, y), [A(3), A(2)]),
    ("cartesian_prod_1", lambda L, x: L.cartesian_prod(x), [A(3)]),
    ("block_diag", lambda L, x, y, z: L.block_diag(x, y, z), [A(2, 3), A(), A(2)]),
    ("combinations", lambda L, x: L.combinations(x), [A(4)]),
    ("combinations_r3", lambda L, x: x.combinations if False else L.combinations(x, 3), [A(4)]),
    ("combinations_repl", lambda L, x: L.combinations(x, 2, with_replacement=True), [A(3)]),
    ("view_dtype", lambda L, x: x.view(L.float64).view(L.float32) * 1.0, [A(2, 4)]),
]


def _run(lib, fn, arrays, dtype, grad):
    dt = getattr(lib, dtype)
    xs = [lib.tensor(a, dtype=dt, requires_grad=grad) for a in arrays]
    out = fn(lib, *xs)
    return xs, (out if isinstance(out, tuple) else (out,))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(torch, case):
    name, fn, arrays = case
    xs, outs = _run(tg, fn, arrays, "float64", True)
    ys, refs = _run(torch, fn, arrays, "float64", True)
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        same_as_torch(o, r, rtol=1e-12, atol=1e-12)
    ws = [R.standard_normal(tuple(r.shape)) for r in refs]
    if not any(r.requires_grad for r in refs):
        return
    loss = sum(((o * tg.tensor(w)).sum() for o, w in zip(outs, ws)), tg.tensor(0.0))
    ref = sum((r * torch.tensor(w)).sum() for r, w in zip(refs, ws))
    loss.backward()
    ref.backward()
    for x, y in zip(xs, ys):
        if y.grad is None:
            assert x.grad is None or not npy(x.grad).any()
        else:
            same_as_torch(x.grad, y.grad, rtol=1e-12, atol=1e-12)


INT_CASES = [c for c in CASES if not c[0].startswith(("cdist", "view_dtype"))]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32"])
@pytest.mark.parametrize("case", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_other_dtypes_as_torch(torch, case, dtype):
    name, fn, arrays = case
    arrays = [(np.abs(a) * 3).astype(np.int64) % 2 if dtype == "bool" else np.abs(a) * 3
              for a in arrays]
    ours = outcome(lambda: _run(tg, fn, arrays, dtype, False)[1])
    ref = outcome(lambda: _run(torch, fn, arrays, dtype, False)[1])
    if isinstance(ref, type):
        assert ours is ref, f"torch raises {ref.__name__}, tg gave {ours}"
        return
    assert not isinstance(ours, type), f"tg raised {ours.__name__}"
    for o, r in zip(ours, ref):
        same_as_torch(o, r, rtol=1e-6)


def test_cdist_gradient_at_zero_distance_is_zero_as_torch(torch):
    a = np.array([[0.0, 1.0], [2.0, 2.0]])
    for p in (2.0, 3.0, 1.0):
        x, y = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        tg.cdist(x, x.detach() * 1.0, p=p).sum().backward()
        torch.cdist(y, y.detach() * 1.0, p=p).sum().backward()
        same_as_torch(x.grad, y.grad, rtol=1e-6)


@pytest.mark.parametrize("args", [(3, 3), (4, 3, 1), (3, 5, -1), (0, 3), (3, 4, 7),
                                  (5, 2, -9)])
def test_triu_and_tril_indices_as_torch(torch, args):
    for name in ("triu_indices", "tril_indices"):
        same_as_torch(getattr(tg, name)(*args), getattr(torch, name)(*args))
    same_as_torch(tg.triu_indices(*args, dtype=tg.int32),
                  torch.triu_indices(*args, dtype=torch.int32))


def test_tuple_results_and_identity_as_torch(torch):
    x = tg.ones(3)
    assert tg.atleast_1d(x) is x  # already 1-D: the tensor itself
    assert isinstance(tg.atleast_2d(x, x), tuple) and len(tg.meshgrid(x, x)) == 2
    assert isinstance(x.unbind(), tuple) and len(x.unbind()) == 3
    assert tuple(tg.block_diag().shape) == tuple(torch.block_diag().shape)
    assert tuple(tg.broadcast_shapes((3, 1), (2, 1, 4), 4)) == \
        tuple(torch.broadcast_shapes((3, 1), (2, 1, 4), 4))


def test_view_dtype_shares_memory_and_leaves_the_graph(torch):
    a = np.array([[1.0, 2.0], [3.0, -0.5]], dtype=np.float32)
    x, y = tg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for dt in ("int32", "uint8", "float16", "int64", "float32"):
        same_as_torch(x.view(getattr(tg, dt)), y.view(getattr(torch, dt)))
        assert x.view(getattr(tg, dt)).grad_fn is None
    v = x.detach().view(tg.int32)
    v[0, 0] = 0
    assert x[0, 0].item() == 0.0  # the same bytes


def test_movement_results_live_on_the_input_device():
    x = tg.randn(3, 4, dtype=tg.float64)
    for out in (x.roll(1, 0), x.diagonal(), x.diag_embed(), x.unfold(1, 2, 1), x.tile(2),
                tg.cdist(x, x), tg.block_diag(x, x)):
        assert out.device == x.device
