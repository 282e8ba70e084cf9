"""The language-model tensor ops against PyTorch where op_table's float rows cannot
reach: integer and bool dtypes, NaN and ties in sorting, in-place forms and the
non-differentiable ops (argsort, multinomial). Their errors are in errors_index.py."""
import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _pair(torch, a, **kw):
    return tg.tensor(a, **{k: getattr(tg, v) for k, v in kw.items()}), \
        torch.tensor(a, **{k: getattr(torch, v) for k, v in kw.items()})


@pytest.mark.parametrize("name, args", [
    ("tril", (1,)), ("triu", (-1,)), ("cumsum", (0,)), ("cumsum", (-1,)), ("flip", ((0, 1),)),
    ("repeat_interleave", (2, 1)), ("unflatten", (2, (2, 2))), ("narrow", (1, -3, 2))])
@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "float32"])
def test_values_and_dtypes_match_torch(torch, name, args, dtype):
    a = np.arange(-6, 18).reshape(2, 3, 4) % 5
    ours, ref = _pair(torch, a, dtype=dtype)
    x, y = getattr(ours, name)(*args), getattr(ref, name)(*args)
    assert str(x.dtype).split(".")[1] == str(y.dtype).split(".")[1]
    np.testing.assert_array_equal(npy(x), y.numpy())


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1])
def test_sort_puts_nan_last_and_keeps_ties_stable_like_torch(torch, descending, dim):
    a = np.array([[1.0, np.nan, -np.inf, 2.0], [2.0, 2.0, np.inf, np.nan],
                  [np.nan, 1.0, 1.0, -1.0]], np.float32)
    ours, ref = _pair(torch, a)
    x, y = ours.sort(dim, descending=descending), ref.sort(dim=dim, descending=descending,
                                                           stable=True)
    np.testing.assert_array_equal(npy(x.values), y.values.numpy())
    np.testing.assert_array_equal(npy(x.indices), y.indices.numpy())
    np.testing.assert_array_equal(npy(ours.argsort(dim, descending)),
                                  ref.argsort(dim=dim, descending=descending, stable=True).numpy())
    for ints in (np.array([[3, -1, 3, 0]]), np.array([[True, False, True]])):
        p, q = _pair(torch, ints)
        np.testing.assert_array_equal(npy(p.sort(-1, descending=descending).indices),
                                      q.sort(dim=-1, descending=descending, stable=True)
                                      .indices.numpy())


@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch_and_sends_gradients_to_the_picked(torch, largest):
    a = np.random.default_rng(0).permutation(12).reshape(3, 4).astype(np.float64)
    ours, ref = _pair(torch, a)
    ours.requires_grad_(), ref.requires_grad_()
    x, y = ours.topk(2, 1, largest=largest), ref.topk(2, 1, largest=largest)
    np.testing.assert_array_equal(npy(x.indices), y.indices.numpy())
    (x.values * tg.tensor([[1.0, 2.0]], dtype=tg.float64)).sum().backward()
    (y.values * torch.tensor([[1.0, 2.0]], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(npy(ours.grad), ref.grad.numpy())


def test_split_chunk_and_repeat_interleave_shapes_match_torch(torch):
    ours, ref = _pair(torch, np.arange(30.0).reshape(5, 6))
    for call in (lambda t: t.split(2), lambda t: t.split([1, 0, 5], 1),
                 lambda t: t.chunk(3, 1), lambda t: t.chunk(4), lambda t: t.chunk(10, 1)):
        xs, ys = call(ours), call(ref)
        assert [tuple(x.shape) for x in xs] == [tuple(y.shape) for y in ys]
        for x, y in zip(xs, ys):
            np.testing.assert_array_equal(npy(x), y.numpy())
    reps = [0, 2, 1, 3, 1]
    np.testing.assert_array_equal(npy(ours.repeat_interleave(tg.tensor(reps), dim=0)),
                                  ref.repeat_interleave(torch.tensor(reps), dim=0).numpy())
    np.testing.assert_array_equal(npy(tg.tensor([1, 2]).repeat_interleave(3)),
                                  torch.tensor([1, 2]).repeat_interleave(3).numpy())


def test_index_select_gather_and_scatter_match_torch(torch):
    a = np.arange(12.0).reshape(3, 4)
    ours, ref = _pair(torch, a)
    i = np.array([[0, 3], [2, 2], [1, 0]])
    for call in (lambda L, t: t.gather(1, L.tensor(i)),
                 lambda L, t: t.index_select(1, L.tensor(2)),
                 lambda L, t: t.index_select(0, L.tensor([2, 0, 2])),
                 lambda L, t: t.scatter(1, L.tensor(i[:, :1]), -1.0),
                 lambda L, t: t.scatter_add(0, L.tensor([[2, 2, 0, 1]]), L.ones(2, 4,
                                                                             dtype=L.float64)),
                 lambda L, t: L.zeros(3, 5, dtype=L.float64).scatter(1, L.tensor(i), t)):
        x, y = call(tg, ours), call(torch, ref)
        np.testing.assert_array_equal(npy(x), y.numpy())


def test_inplace_forms_record_the_graph(torch):
    for L in (tg, torch):
        w = L.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = w * 1.0
        y.masked_fill_(L.tensor([[True, False], [False, False]]), 0.0).tril_().scatter_add_(
            1, L.tensor([[1], [0]]), w[:, :1])
        y.sum().backward()
        if L is tg:
            ours = (npy(y), npy(w.grad))
        else:
            np.testing.assert_array_equal(ours[0], y.detach().numpy())
            np.testing.assert_array_equal(ours[1], w.grad.numpy())


def test_masked_fill_with_minus_inf_then_softmax_is_the_causal_pattern():
    t = 4
    w = tg.zeros(t, t).masked_fill(tg.tril(tg.ones(t, t)) == 0, float("-inf")).softmax(-1)
    np.testing.assert_allclose(npy(w), np.tril(np.ones((t, t))) / np.arange(1, t + 1)[:, None])


def test_multinomial_draws_follow_the_weights_and_the_seed():
    tg.manual_seed(0)
    p = tg.tensor([0.1, 0.0, 0.6, 0.3])
    draws = npy(tg.multinomial(p, 20000, replacement=True))
    assert draws.dtype == np.int64 and not (draws == 1).any()
    np.testing.assert_allclose(np.bincount(draws, minlength=4) / 20000, npy(p), atol=0.015)
    rows = npy(tg.multinomial(tg.tensor([[1.0, 1.0, 1.0], [0.0, 5.0, 1.0]]), 3))
    assert sorted(rows[0]) == [0, 1, 2] and sorted(rows[1]) == [0, 1, 2] and rows[1][2] == 0
    tg.manual_seed(7)
    a = npy(p.multinomial(5, True))
    tg.manual_seed(7)
    np.testing.assert_array_equal(a, npy(p.multinomial(5, True)))
    assert tuple(tg.multinomial(p, 1).shape) == (1,)


def test_einsum_list_form_implicit_output_and_broadcasting(torch):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 1, 3)), rng.standard_normal((4, 3))
    for eq, ops in (("bij,kj", (a, b)), ("bij,kj->bik", (a, b)), ("ij->", (b,)),
                    ("...j,kj->...k", (a, b))):
        np.testing.assert_allclose(npy(tg.einsum(eq, [tg.tensor(o) for o in ops])),
                                   torch.einsum(eq, [torch.tensor(o) for o in ops]).numpy(),
                                   rtol=1e-12)
    x = np.ones((2, 1))   # a size-1 subscript broadcasts against its letter's size
    np.testing.assert_allclose(npy(tg.einsum("ij,ij->ij", tg.tensor(x), tg.tensor(b[:2]))),
                               torch.einsum("ij,ij->ij", torch.tensor(x),
                                            torch.tensor(b[:2])).numpy())


@pytest.mark.parametrize("args", [(3, 1), ([1, 3], 1), ([1, -1], 1), ([3, 1], 1), ([0, 10], 0),
                                  (2, 0), (5, 1), ("tensor", 0)])
def test_tensor_split_as_torch(torch, args):
    cuts, dim = args
    t, x = torch.arange(12.0).reshape(3, 4), tg.arange(12.0).reshape(3, 4)
    ours = tg.tensor_split(x, tg.tensor([1, 2]) if cuts == "tensor" else cuts, dim)
    theirs = torch.tensor_split(t, torch.tensor([1, 2]) if cuts == "tensor" else cuts, dim)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_select_is_a_view_with_the_dim_removed(torch):
    x = tg.arange(12.0).reshape(3, 4).requires_grad_()
    np.testing.assert_array_equal(tg.select(x, 1, -1).detach().numpy(), [3.0, 7.0, 11.0])
    x.select(0, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.eye(3)[2][:, None].repeat(4, 1))
    base = tg.zeros(2, 3)
    base.select(1, 0).fill_(5.0)
    np.testing.assert_array_equal(base.numpy(), [[5, 0, 0], [5, 0, 0]])


def test_cumsum_to_bool_refused_as_torch():
    with pytest.raises(NotImplementedError, match="cumsum"):
        tg.tensor([1, 2]).cumsum(0, dtype=tg.bool)
