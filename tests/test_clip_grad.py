"""tg.nn.utils: clip_grad_norm_ / clip_grad_value_ / get_total_norm against PyTorch
(every norm type, inf included, the non-finite error), in place and outside the graph;
parameters_to_vector / vector_to_parameters."""
import math

import numpy as np
import pytest
import strategies as S
from helpers import npy
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn.utils import (clip_grad_norm_, clip_grad_value_, get_total_norm,
                                   parameters_to_vector, vector_to_parameters)

NORMS = [2.0, 1.0, 3.0, 0.5, 0.0, math.inf, -math.inf, "inf"]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _params(L, arrays, grads, dtype):
    """Parameters of library L holding arrays, with .grad set (None where grads is None)."""
    out = []
    for a, g in zip(arrays, grads):
        p = L.nn.Parameter(L.tensor(a.astype(dtype)))
        if g is not None:
            p.grad = L.tensor(g.astype(dtype))
        out.append(p)
    return out


@st.composite
def grad_sets(draw):
    """A few parameters of small shapes, some without a gradient, gradients scaled so
    that clipping sometimes happens and sometimes not."""
    shapes = draw(st.lists(S.shapes(min_dims=0, max_dims=3, max_side=4), min_size=1,
                           max_size=4))
    rng = np.random.default_rng(draw(S.seeds))
    scale = draw(st.sampled_from([0.01, 1.0, 10.0]))
    arrays = [rng.standard_normal(s) for s in shapes]
    grads = [None if draw(st.booleans()) and i else rng.standard_normal(s) * scale
             for i, s in enumerate(shapes)]
    return arrays, grads


def _close(ours, ref, dtype):
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(ours, np.float64), np.asarray(ref, np.float64),
                               rtol=rtol, atol=rtol)


@pytest.mark.parametrize("norm_type", NORMS, ids=str)
@given(problem=grad_sets(), max_norm=st.sampled_from([0.1, 1.0, 5.0]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_clip_grad_norm_matches_torch(torch, device, norm_type, problem, max_norm, dtype):
    arrays, grads = problem
    if math.isinf(float(norm_type)) and any(g is not None and g.size == 0 for g in grads):
        return  # the inf norm of an empty gradient is an error in both (tested below)
    ours, ref = _params(tg, arrays, grads, dtype), _params(torch, arrays, grads, dtype)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    total_ref = torch.nn.utils.clip_grad_norm_(ref, max_norm, norm_type)
    assert isinstance(total, tg.Tensor) and total.shape == () and not total.requires_grad
    assert str(total.dtype).split(".")[-1] == str(total_ref.dtype).split(".")[-1]
    _close(npy(total), npy(total_ref), dtype)
    for p, q in zip(ours, ref):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            _close(npy(p.grad), npy(q.grad), dtype)


@given(problem=grad_sets(), clip=st.sampled_from([0.0, 0.05, 1.0]))
def test_clip_grad_value_matches_torch(torch, problem, clip):
    arrays, grads = problem
    ours, ref = _params(tg, arrays, grads, np.float64), _params(torch, arrays, grads, np.float64)
    assert clip_grad_value_(ours, clip) is None
    torch.nn.utils.clip_grad_value_(ref, clip)
    for p, q in zip(ours, ref):
        if p.grad is not None:
            np.testing.assert_array_equal(npy(p.grad), npy(q.grad))


def test_clipping_is_in_place_and_unrecorded():
    model = nn.Linear(3, 2)
    (model(tg.ones(4, 3) * 10).sum() ** 2).backward()
    grads = [p.grad for p in model.parameters()]
    total = clip_grad_norm_(model.parameters(), max_norm=1.0)   # a generator, read once
    assert total.item() > 1.0
    assert all(p.grad is g for p, g in zip(model.parameters(), grads))   # same tensors
    assert all(g.grad_fn is None and not g.requires_grad for g in grads)
    assert get_total_norm(grads).item() == pytest.approx(1.0, rel=1e-5)
    clip_grad_value_(model.parameters(), 0.01)
    assert max(np.abs(g.numpy()).max() for g in grads) <= 0.01


def test_single_tensor_and_no_gradients():
    p = nn.Parameter(tg.tensor([3.0, 4.0]))
    p.grad = tg.tensor([3.0, 4.0])
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    q = nn.Parameter(tg.ones(2))
    total = clip_grad_norm_([q], 1.0)
    assert total.item() == 0.0 and q.grad is None
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((x for x in []), 1.0)


def test_nonfinite_norm(torch):
    p = nn.Parameter(tg.ones(3))
    p.grad = tg.tensor([1.0, float("inf"), 2.0])
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, np.inf, 2.0])   # untouched
    p.grad = tg.tensor([1.0, float("nan"), 2.0])
    assert math.isnan(clip_grad_norm_([p], 1.0).item())  # scaled anyway: NaN shows
    q = torch.nn.Parameter(torch.ones(3))
    q.grad = torch.tensor([1.0, float("nan"), 2.0])
    torch.nn.utils.clip_grad_norm_([q], 1.0)
    np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_inf_norm_of_an_empty_gradient_is_an_error():
    p = nn.Parameter(tg.zeros(0))
    p.grad = tg.zeros(0)
    with pytest.raises(RuntimeError, match="cannot compute the inf norm of an empty gradient"):
        clip_grad_norm_([p], 1.0, norm_type="inf")
    assert clip_grad_norm_([p], 1.0).item() == 0.0


def test_gradient_clipping_in_a_training_step():
    """The curriculum's RNN loop: backward, clip by the global norm, step."""
    tg.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    (model(tg.randn(8, 4) * 100) ** 2).mean().backward()
    clip_grad_norm_(model.parameters(), 0.5)
    opt.step()
    moved = np.sqrt(sum(((p.detach().numpy() - b) ** 2).sum()
                        for p, b in zip(model.parameters(), before)))
    assert moved == pytest.approx(0.1 * 0.5, rel=1e-4)   # lr * clipped norm


def test_parameters_to_vector_round_trip(torch):
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    vec = parameters_to_vector(model.parameters())
    ref = np.concatenate([p.detach().numpy().reshape(-1) for p in model.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), ref)
    assert vec.requires_grad   # differentiable, as in PyTorch
    params = list(model.parameters())
    vector_to_parameters(tg.arange(float(vec.numel())), params)
    assert all(p is q for p, q in zip(params, model.parameters()))
    np.testing.assert_array_equal(parameters_to_vector(params).detach().numpy(),
                                  np.arange(vec.numel()))
    assert params[0].shape == (4, 3) and params[0].requires_grad


def test_vector_to_parameters_errors():
    p = nn.Parameter(tg.ones(2, 3))
    with pytest.raises(TypeError, match="expected tg.Tensor, but got: list"):
        vector_to_parameters([1.0] * 6, [p])
    with pytest.raises(RuntimeError, match=r"vec of shape \[5\] must be 1-D with at least 6"):
        vector_to_parameters(tg.ones(5), [p])
    with pytest.raises(ValueError, match="non-empty"):
        parameters_to_vector([])
