"""``tg.linalg``: PyTorch's torch.linalg names for what tinygrad_edu computes: norms
(vector_norm, matrix_norm, norm), inv, solve, det, matrix_power, svd and svdvals. Each is the Tensor
method of ``tensor_linalg`` behind it (one path per op); inputs must be Tensors, as
in PyTorch."""
from .tensor_linalg import LinAlgError, LinalgOps

__all__ = ["LinAlgError", "det", "inv", "matrix_norm", "matrix_power", "norm", "solve",
           "svd", "svdvals", "vector_norm"]


def _tensor(A, op, name="A"):
    if not isinstance(A, LinalgOps):
        raise TypeError(f"linalg_{op}(): argument '{name}' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    return A


def inv(A):
    """The inverse of (a batch of) square matrices; LinAlgError if one is singular."""
    return _tensor(A, "inv").inverse()


def det(A):
    """The determinant of (a batch of) square matrices."""
    return _tensor(A, "det").det()


def solve(A, B, *, left=True):
    """X with A @ X = B (X @ A = B when left is False); B may be a vector (or a batch of
    them) and batch dims broadcast."""
    return _tensor(A, "solve")._solve(_tensor(B, "solve", "B"), left)


def matrix_power(A, n):
    """A multiplied by itself n times (identity for 0, the inverse's powers below 0)."""
    return _tensor(A, "matrix_power").matrix_power(n)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """(sum |x|^ord)^(1/ord) over dim (all entries by default); ord inf / -inf give the
    largest / smallest |x|, ord 0 the number of non-zeros. 0 at a zero vector, with
    gradient 0 there, as PyTorch's."""
    return _tensor(x, "vector_norm", "input")._vector_norm(ord, dim, keepdim, dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):  # noqa: A002
    """'fro' (root of the sum of squares), 1 / -1 (largest / smallest column sum of |A|),
    inf / -inf (row sums), 2 / -2 (largest / smallest singular value), 'nuc' (their
    sum); over the two dims ``dim``."""
    return _tensor(A, "matrix_norm")._matrix_norm(ord, tuple(dim), keepdim, dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """torch.linalg.norm: with ord None the 2-norm of the entries (over dim); a string
    ord, or a number with a 2-D input (or two dims), a matrix norm; else a vector norm."""
    A = _tensor(A, "norm")
    if ord is None:
        return A._vector_norm(2, dim, keepdim, dtype)
    two = (dim is None and A.ndim == 2) or (isinstance(dim, (tuple, list)) and len(dim) == 2)
    if isinstance(ord, str) or two:
        return A._matrix_norm(ord, (-2, -1) if dim is None else tuple(dim), keepdim, dtype)
    if dim is None and A.ndim != 1:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.ndim}D.")
    return A._vector_norm(ord, dim, keepdim, dtype)


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending (a batch of matrices too); with
    full_matrices U and Vh are square, else U is [..., m, k] and Vh [..., k, n]. As
    in PyTorch a loss must not depend on the signs of the singular vectors."""
    return _tensor(A, "svd")._svd(full_matrices)


def svdvals(A):
    """The singular values of (a batch of) matrices, descending."""
    return _tensor(A, "svdvals")._svd(False, "linalg.svdvals").S
