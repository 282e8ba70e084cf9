"""The movement ops that PyTorch returns as views (diagonal, unfold, movedim, unbind,
swapaxes, narrow, split, chunk; transpose and slicing for reference) share memory and
the version counter with their base in tg too: writes through the view reach the
base and the other way round, values as PyTorch's; a backward that would read values
changed through a view raises as PyTorch's does. tg records no in-place op on a view
of a tensor in the graph (it raises; PyTorch rebases the base's graph instead)."""
import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg

torch = pytest.importorskip("torch")

# (name, view(x) for x of shape [3, 4, 5]): the first view of a tuple is the one used
VIEWS = [
    ("diagonal", lambda x: x.diagonal()),
    ("diagonal offset", lambda x: x.diagonal(1, 1, 2)),
    ("diagonal negative offset", lambda x: x.diagonal(-1, -1, 0)),
    ("diagonal function", lambda x: tg.diagonal(x, 2, 2, 1) if isinstance(x, tg.Tensor)
     else torch.diagonal(x, 2, 2, 1)),
    ("unfold", lambda x: x.unfold(2, 2, 2)),
    ("unfold of a middle dim", lambda x: x.unfold(1, 1, 3)),
    ("movedim", lambda x: x.movedim(0, 2)),
    ("unbind", lambda x: x.unbind(1)[2]),
    ("swapaxes", lambda x: x.swapaxes(0, 2)),
    ("narrow", lambda x: x.narrow(2, 1, 3)),
    ("split", lambda x: x.split(2, 1)[1]),
    ("chunk", lambda x: x.chunk(2, 2)[0]),
    ("transpose", lambda x: x.transpose(0, 1)),
    ("slice", lambda x: x[1:, ::2]),
]
IDS = [v[0] for v in VIEWS]


def _pair():
    a = np.arange(60, dtype=np.float64).reshape(3, 4, 5)
    return tg.tensor(a), torch.tensor(a)


def _same(ours, ref):
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_array_equal(npy(ours), ref.numpy())


@pytest.mark.parametrize("name,view", VIEWS, ids=IDS)
def test_writes_through_the_view_reach_the_base_as_torch(name, view):
    x, t = _pair()
    v, w = view(x), view(t)
    _same(v, w)
    v.mul_(-1.0)
    w.mul_(-1.0)
    _same(x, t)
    v[..., :1] = 7.0
    w[..., :1] = 7.0
    _same(x, t)
    v.fill_(0.5) if name == "unbind" else v.add_(tg.ones(tuple(v.shape), dtype=v.dtype))
    w.fill_(0.5) if name == "unbind" else w.add_(torch.ones(tuple(w.shape), dtype=w.dtype))
    _same(x, t)


@pytest.mark.parametrize("name,view", VIEWS, ids=IDS)
def test_writes_to_the_base_show_in_the_view_as_torch(name, view):
    x, t = _pair()
    v, w = view(x), view(t)
    x.mul_(2.0).sub_(3.0)
    t.mul_(2.0).sub_(3.0)
    x[1] = -1.0
    t[1] = -1.0
    _same(v, w)


@pytest.mark.parametrize("name,view", VIEWS, ids=IDS)
def test_a_write_to_the_base_invalidates_what_backward_saved_of_the_view(name, view):
    for m in (torch, tg):
        leaf = m.ones(3, 4, 5, dtype=m.float64, requires_grad=True)
        x = leaf * 2.0
        v = view(x)
        out = (v * v).sum()          # Mul saves v
        with m.no_grad():
            x.add_(1.0)              # bumps the counter v shares
        # torch words it differently for the views of unbind / split / chunk
        with pytest.raises(RuntimeError, match="modified by an inplace operation" if m is tg
                           else "modified"):
            out.backward()


@pytest.mark.parametrize("name,view", VIEWS, ids=IDS)
def test_gradients_through_the_view_as_torch(name, view):
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    x = tg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    v, w = view(x), view(t)
    wts = np.random.default_rng(1).standard_normal(tuple(w.shape))
    (v * tg.tensor(wts)).sum().backward()
    (w * torch.tensor(wts)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_overlapping_windows_read_the_same_memory():
    x = tg.arange(6.0)
    v = x.unfold(0, 3, 1)
    x[2] = 100.0
    assert v.numpy().tolist() == [[0.0, 1.0, 100.0], [1.0, 100.0, 3.0],
                                  [100.0, 3.0, 4.0], [3.0, 4.0, 5.0]]


@pytest.mark.parametrize("name,view", [VIEWS[0], VIEWS[4]], ids=["diagonal", "unfold"])
def test_in_place_on_a_view_in_the_graph_is_refused_like_every_tg_view(name, view):
    leaf = tg.ones(3, 4, 5, dtype=tg.float64, requires_grad=True)
    v = view(leaf * 2.0)
    with pytest.raises(RuntimeError, match="in-place change of a view"):
        v.mul_(tg.tensor(3.0, dtype=tg.float64, requires_grad=True))


def test_diag_of_a_matrix_is_a_copy_as_torch():
    x, t = tg.ones(3, 3), torch.ones(3, 3)
    x.diag().fill_(0.0)
    t.diag().fill_(0.0)
    assert x.sum().item() == t.sum().item() == 9.0
