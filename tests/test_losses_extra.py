"""issue 18's nn.functional extras and their modules against PyTorch: values and
gradients (float64) for every reduction, the edge points (zero vectors, kinks, zero
targets), one_hot's rules and the modules' reprs and attributes. Their errors are in
errors_select.py."""
import math
import warnings

import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _rand(shape, seed, lo=-2.0, hi=2.0):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


def _check(torch, name, arrays, kwargs=None, grad=True, rtol=1e-9, atol=1e-12, targets=()):
    """F.name on tg and torch float64 tensors: same values, same input gradients
    (inputs at positions in ``targets`` take no gradient)."""
    kwargs = kwargs or {}
    ours = [tg.tensor(a, dtype=tg.float64, requires_grad=grad and i not in targets)
            for i, a in enumerate(arrays)]
    refs = [torch.tensor(a, dtype=torch.float64, requires_grad=grad and i not in targets)
            for i, a in enumerate(arrays)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = getattr(F, name)(*ours, **kwargs)
        y = getattr(torch.nn.functional, name)(*refs, **kwargs)
    np.testing.assert_allclose(npy(x), y.detach().numpy(), rtol=rtol, atol=atol)
    if not grad:
        return
    w = _rand(tuple(y.shape), 7)
    (x * tg.tensor(w)).sum().backward()
    (y * torch.tensor(w)).sum().backward()
    for i, (o, r) in enumerate(zip(ours, refs)):
        if i not in targets:
            np.testing.assert_allclose(npy(o.grad), r.grad.numpy(), rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("dim", [1, 0, -1])
def test_normalize_matches_torch_also_for_a_zero_vector(torch, p, dim):
    a = _rand((3, 4), 0)
    a[1] = 0.0
    a[:, 2] = 0.0
    _check(torch, "normalize", [a], {"p": p, "dim": dim})


@pytest.mark.parametrize("shapes, dim", [(((3, 4), (3, 4)), 1), (((3, 4), (1, 4)), 1),
                                         (((2, 3, 4), (2, 3, 4)), -1), (((5,), (5,)), 0)])
def test_cosine_similarity_matches_torch(torch, shapes, dim):
    a, b = _rand(shapes[0], 1), _rand(shapes[1], 2)
    _check(torch, "cosine_similarity", [a, b], {"dim": dim})
    a[0] = 0.0   # a zero vector: eps keeps it finite
    _check(torch, "cosine_similarity", [a, b], {"dim": dim})


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(torch, p, keepdim):
    a, b = _rand((4, 5), 3), _rand((4, 5), 4)
    b[1] = a[1]
    _check(torch, "pairwise_distance", [a, b], {"p": p, "keepdim": keepdim})


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch_with_zero_targets(torch, reduction, log_target):
    x = np.log(np.random.default_rng(5).dirichlet(np.ones(4), 3))
    t = np.random.default_rng(6).dirichlet(np.ones(4), 3)
    t[0, 1] = 0.0
    _check(torch, "kl_div", [x, np.log(t) if log_target else t],
           {"reduction": reduction, "log_target": log_target})


def test_kl_div_mean_warns_as_torch():
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(tg.zeros(2, 2), tg.ones(2, 2))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_huber_loss_matches_torch_at_the_kink(torch, reduction, delta):
    a, b = _rand((3, 4), 8), _rand((3, 4), 9)
    b[0, 0], b[0, 1] = a[0, 0] + delta, a[0, 1]   # on the kink and at 0
    _check(torch, "huber_loss", [a, b], {"reduction": reduction, "delta": delta})


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_poisson_nll_loss_matches_torch(torch, log_input, full, reduction):
    x = _rand((3, 4), 10, 0.1, 2.0)
    t = np.random.default_rng(11).poisson(2.0, (3, 4)).astype(np.float64)
    t[0, :2] = [0.0, 1.0]
    _check(torch, "poisson_nll_loss", [x, t],
           {"log_input": log_input, "full": full, "reduction": reduction}, targets=(1,))


@pytest.mark.parametrize("vshape", [(3, 4), (3,), (3, 1)])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gaussian_nll_loss_matches_torch_with_clamped_var(torch, vshape, full, reduction):
    x, t = _rand((3, 4), 12), _rand((3, 4), 13)
    var = _rand(vshape, 14, 0.0, 1.0)
    var.flat[0] = 1e-9   # below eps: clamped, its gradient still flows
    _check(torch, "gaussian_nll_loss", [x, t, var], {"full": full, "reduction": reduction})


@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_margin_ranking_loss_matches_torch(torch, margin, reduction):
    a, b = _rand((6,), 15), _rand((6,), 16)
    t = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    _check(torch, "margin_ranking_loss", [a, b, t], {"margin": margin, "reduction": reduction},
           targets=(2,))


@pytest.mark.parametrize("margin", [1.0, 0.3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_hinge_embedding_loss_matches_torch(torch, margin, reduction):
    a = _rand((3, 4), 17)
    t = np.where(_rand((3, 4), 18) > 0, 1.0, -1.0)
    _check(torch, "hinge_embedding_loss", [a, t], {"margin": margin, "reduction": reduction},
           targets=(1,))


@pytest.mark.parametrize("p", [2.0, 1.0])
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_triplet_margin_loss_matches_torch(torch, p, swap, reduction):
    a, pos, neg = _rand((5, 3), 19), _rand((5, 3), 20), _rand((5, 3), 21)
    _check(torch, "triplet_margin_loss", [a, pos, neg],
           {"p": p, "swap": swap, "reduction": reduction, "margin": 2.0})


@pytest.mark.parametrize("shape", [(4, 3), (3,)])
@pytest.mark.parametrize("margin", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cosine_embedding_loss_matches_torch(torch, shape, margin, reduction):
    a, b = _rand(shape, 22), _rand(shape, 23)
    t = np.array([1.0, -1.0, -1.0, 1.0]) if len(shape) == 2 else np.array(-1.0)
    _check(torch, "cosine_embedding_loss", [a, b, t],
           {"margin": margin, "reduction": reduction}, targets=(2,))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_soft_margin_loss_matches_torch(torch, weighted, reduction):
    a = _rand((3, 4), 24, -30, 30)
    t = (_rand((3, 4), 25) > 0).astype(np.float64)
    arrays = [a, t] + ([_rand((4,), 26, 0, 1)] if weighted else [])
    kw = {"reduction": reduction}
    if weighted:   # weight is a keyword: checked through the module-free call
        ours = F.multilabel_soft_margin_loss(tg.tensor(a), tg.tensor(t),
                                             weight=tg.tensor(arrays[2]), **kw)
        ref = torch.nn.functional.multilabel_soft_margin_loss(
            torch.tensor(a), torch.tensor(t), weight=torch.tensor(arrays[2]), **kw)
        np.testing.assert_allclose(npy(ours), ref.numpy(), rtol=1e-9)
    else:
        _check(torch, "multilabel_soft_margin_loss", arrays, kw, targets=(1,))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_weight_matches_torch(torch, reduction):
    p = _rand((3, 4), 27, 0.01, 0.99)
    t = (_rand((3, 4), 28) > 0).astype(np.float64)
    for w in (_rand((3, 4), 29, 0, 2), _rand((4,), 30, 0, 2)):
        x, y = tg.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
        a = F.binary_cross_entropy(x, tg.tensor(t), weight=tg.tensor(w), reduction=reduction)
        b = torch.nn.functional.binary_cross_entropy(y, torch.tensor(t),
                                                     weight=torch.tensor(w),
                                                     reduction=reduction)
        np.testing.assert_allclose(npy(a), b.detach().numpy(), rtol=1e-9)
        a.sum().backward(), b.sum().backward()
        np.testing.assert_allclose(npy(x.grad), y.grad.numpy(), rtol=1e-9)


def test_one_hot_matches_torch(torch):
    for data, n in (([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3), (2, 4)):
        ours = F.one_hot(tg.tensor(data, dtype=tg.int64), n)
        ref = torch.nn.functional.one_hot(torch.tensor(data, dtype=torch.int64), n)
        assert ours.dtype == tg.int64 and tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_array_equal(npy(ours), ref.numpy())


MODULES = [("KLDivLoss", (), {"reduction": "batchmean", "log_target": True}, 2),
           ("HuberLoss", (), {"delta": 0.5}, 2), ("PoissonNLLLoss", (), {"full": True}, 2),
           ("GaussianNLLLoss", (), {"full": True}, 3),
           ("MarginRankingLoss", (0.5,), {}, 3), ("HingeEmbeddingLoss", (), {"margin": 2.0}, 2),
           ("TripletMarginLoss", (), {"swap": True}, 3),
           ("CosineEmbeddingLoss", (0.1,), {"reduction": "sum"}, 3),
           ("MultiLabelSoftMarginLoss", (), {}, 2), ("CosineSimilarity", (0,), {}, 2),
           ("PairwiseDistance", (1.0,), {"keepdim": True}, 2)]


@pytest.mark.parametrize("name, args, kwargs, n", MODULES)
def test_modules_match_torch_reprs_attributes_and_values(torch, name, args, kwargs, n):
    ours, ref = getattr(tg.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(ref)
    for k, v in vars(ref).items():
        if not k.startswith("_") and k != "training":
            assert getattr(ours, k) == v
    arrays = [_rand((4, 3), 31 + i, 0.1, 1.0) for i in range(n)]
    if name in ("MarginRankingLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss"):
        arrays[-1] = np.array([1.0, -1.0, 1.0, -1.0]) if name != "HingeEmbeddingLoss" else \
            np.where(arrays[-1] > 0.5, 1.0, -1.0)
        if name == "MarginRankingLoss":
            arrays[:2] = [a[:, 0] for a in arrays[:2]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x = ours(*[tg.tensor(a) for a in arrays])
        y = ref(*[torch.tensor(a) for a in arrays])
    np.testing.assert_allclose(npy(x), y.numpy(), rtol=1e-9)


def test_legacy_size_average_and_reduce_map_to_reduction_as_torch(torch):
    for sa, r in ((False, None), (None, False), (True, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert tg.nn.KLDivLoss(size_average=sa, reduce=r).reduction == \
                torch.nn.KLDivLoss(size_average=sa, reduce=r).reduction
