"""tg.linalg.svd / svdvals and the norms built on singular values (matrix_norm and norm
with ord 2, -2, 'nuc'; Tensor.norm('nuc')) against PyTorch: values, gradients (first
and second order) and the shapes of the full and thin factorisations. The float64
finite-difference rows are in op_table_reduce.py; errors in errors_reduce.py."""
import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg

torch = pytest.importorskip("torch")


def _pair(a):
    return (tg.tensor(a, requires_grad=True),
            torch.tensor(a, requires_grad=True))


def _close(ours, ref, tol=1e-10):
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(npy(ours), ref.detach().numpy(), rtol=tol, atol=tol)


def _grads_as_torch(a, f_tg, f_torch, tol=1e-10):
    x, y = _pair(a)
    o, r = f_tg(x), f_torch(y)
    _close(o, r, tol)
    w = np.random.default_rng(1).standard_normal(tuple(r.shape))
    (o * tg.tensor(w)).sum().backward()
    (r * torch.tensor(w)).sum().backward()
    _close(x.grad, y.grad, tol)


SHAPES = [(3, 3), (4, 2), (2, 5), (2, 3, 4), (2, 1, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_matrix_norm_values_and_gradients_as_torch(shape, ord):  # noqa: A002
    a = np.random.default_rng(0).standard_normal(shape)
    _grads_as_torch(a, lambda x: tg.linalg.matrix_norm(x, ord),
                    lambda y: torch.linalg.matrix_norm(y, ord))


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
@pytest.mark.parametrize("dim,keepdim", [((0, 2), False), ((2, 0), True), ((-1, 1), True)])
def test_matrix_norm_over_other_dims_as_torch(ord, dim, keepdim):  # noqa: A002
    a = np.random.default_rng(3).standard_normal((3, 2, 4))
    _grads_as_torch(a, lambda x: tg.linalg.matrix_norm(x, ord, dim, keepdim),
                    lambda y: torch.linalg.matrix_norm(y, ord, dim, keepdim))
    _grads_as_torch(a, lambda x: tg.linalg.norm(x, ord, dim, keepdim),
                    lambda y: torch.linalg.norm(y, ord, dim, keepdim))


def test_tensor_norm_nuc_and_linalg_norm_of_a_matrix_as_torch():
    a = np.random.default_rng(4).standard_normal((3, 5))
    _grads_as_torch(a, lambda x: x.norm("nuc"), lambda y: y.norm("nuc"))
    _grads_as_torch(a, lambda x: tg.norm(x, p="nuc"), lambda y: torch.norm(y, p="nuc"))
    _grads_as_torch(a, lambda x: tg.linalg.norm(x, 2), lambda y: torch.linalg.norm(y, 2))
    _grads_as_torch(a, lambda x: tg.linalg.norm(x, -2), lambda y: torch.linalg.norm(y, -2))


def test_spectral_norm_gradient_is_the_top_singular_pair():
    a = np.random.default_rng(5).standard_normal((4, 3))
    x = tg.tensor(a, requires_grad=True)
    tg.linalg.matrix_norm(x, 2).backward()
    u, s, vh = np.linalg.svd(a)
    np.testing.assert_allclose(x.grad.numpy(), np.outer(u[:, 0], vh[0]), atol=1e-12)
    y = tg.tensor(a, requires_grad=True)
    tg.linalg.matrix_norm(y, "nuc").backward()
    np.testing.assert_allclose(y.grad.numpy(), u[:, :3] @ vh, atol=1e-12)


def test_tied_largest_singular_values_share_the_gradient_as_torch():
    a = np.diag([3.0, 3.0, 1.0])
    _grads_as_torch(a, lambda x: tg.linalg.matrix_norm(x, 2),
                    lambda y: torch.linalg.matrix_norm(y, 2))


@pytest.mark.parametrize("ord", [2, "nuc"])
def test_second_order_as_torch(ord):  # noqa: A002
    a = np.random.default_rng(6).standard_normal((3, 4))
    x, y = _pair(a)
    (gx,) = tg.autograd.grad(tg.linalg.matrix_norm(x, ord), x, create_graph=True)
    (gy,) = torch.autograd.grad(torch.linalg.matrix_norm(y, ord), y, create_graph=True)
    _close(gx, gy)
    w = np.random.default_rng(7).standard_normal(a.shape)
    (gx * tg.tensor(w)).sum().backward()
    (gy * torch.tensor(w)).sum().backward()
    _close(x.grad, y.grad, 1e-9)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5), (2, 3, 4), (0, 3), (3, 0)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_shapes_and_reconstruction_as_torch(shape, full):
    a = np.random.default_rng(8).standard_normal(shape)
    U, S, Vh = tg.linalg.svd(tg.tensor(a), full_matrices=full)
    U2, S2, Vh2 = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    for o, r in ((U, U2), (S, S2), (Vh, Vh2)):
        assert tuple(o.shape) == tuple(r.shape) and o.dtype == tg.float64
    _close(S, S2)
    k = S.shape[-1]
    np.testing.assert_allclose((U[..., :k] * S.unsqueeze(-2)).matmul(Vh[..., :k, :]).numpy(),
                               a, atol=1e-12)
    _close(tg.linalg.svdvals(tg.tensor(a)), torch.linalg.svdvals(torch.tensor(a)))


@pytest.mark.parametrize("full", [True, False])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 4)])
def test_svd_gradient_of_sign_free_losses_as_torch(shape, full):
    """Losses that read U, S and Vh but not the signs of the singular vectors."""
    a = np.random.default_rng(9).standard_normal(shape)

    def loss(m, x):
        U, S, Vh = m.linalg.svd(x, full_matrices=full)
        k = S.shape[-1]
        Uk, Vk = U[..., :k], Vh[..., :k, :]
        uu = (Uk * S.unsqueeze(-2) ** 3).matmul(Uk.transpose(-2, -1))
        vv = (Vk.transpose(-2, -1) * S.unsqueeze(-2).exp()).matmul(Vk)
        return (uu * uu).sum() + vv.sum() + (Uk.matmul(Vk) ** 2).sum()
    _grads_as_torch(a, lambda x: loss(tg, x), lambda y: loss(torch, y), 1e-9)


def test_svd_float32_as_torch():
    a = np.random.default_rng(10).standard_normal((3, 4)).astype(np.float32)
    x = tg.tensor(a, requires_grad=True)
    s = tg.linalg.svdvals(x)
    assert s.dtype == tg.float32
    s.sum().backward()
    y = torch.tensor(a, requires_grad=True)
    torch.linalg.svdvals(y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.grad.numpy(), atol=1e-5)
