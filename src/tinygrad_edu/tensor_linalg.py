"""Matrix products with PyTorch's strict shape rules (mm, bmm, addmm, baddbmm, mv, dot,
vdot, inner, matrix_power), norms, and the inverse, solve, determinant and SVD behind
``tg.linalg`` (a mixin of ``Tensor`` through ReduceExtraOps; issue 18).

The products are MatMul after the checks PyTorch makes (mm takes exactly two
matrices, no broadcasting); the norms are compositions whose gradient at a zero
vector is 0, as PyTorch's (the spectral and nuclear ones of the singular values);
inv / solve / det / svd are primitives of
``functions.reduce_extra`` (one xp.linalg call forward, backward in Tensor ops)."""
import collections

import numpy as np

from . import dtypes
from . import functions as F
from .backend import of_array as _backend_of
from .functions.reduce_extra import svd_unpack
from .shapes import broadcast_shapes

svd_result = collections.namedtuple("svd", ["U", "S", "Vh"])


class LinAlgError(RuntimeError):
    """A singular matrix where an inverse was needed (torch.linalg.LinAlgError)."""


def _same_dtype(a, b, msg):
    if a.dtype != b.dtype:
        raise RuntimeError(msg.format(a=a.dtype, b=b.dtype))


class LinalgOps:
    __slots__ = ()

    # ---- products ---------------------------------------------------------------------------
    def mm(self, mat2):
        """The product of two matrices (2-D only: no broadcasting, no vectors)."""
        if self.ndim != 2:
            raise RuntimeError(f"self must be a matrix (got {self.ndim}-D)")
        if mat2.ndim != 2:
            raise RuntimeError(f"mat2 must be a matrix (got {mat2.ndim}-D)")
        if self.shape[1] != mat2.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({self.shape[0]}x"
                               f"{self.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
        _same_dtype(self, mat2, "expected m1 and m2 to have the same dtype, but got: {a} != {b}")
        return F.MatMul.apply(self, mat2)

    def bmm(self, mat2):
        """Batched matrix product: [b, n, m] @ [b, m, p] -> [b, n, p] (no broadcasting)."""
        if self.ndim != 3:
            raise RuntimeError(f"batch1 must be a 3D tensor (got {self.ndim}-D)")
        if mat2.ndim != 3:
            raise RuntimeError(f"batch2 must be a 3D tensor (got {mat2.ndim}-D)")
        want = [self.shape[0], self.shape[2]]
        if list(mat2.shape[:2]) != want:
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                               f"{want} but got: {list(mat2.shape[:2])}.")
        _same_dtype(self, mat2, "expected scalar type {a} but found {b}")
        return F.MatMul.apply(self, mat2)

    def _scaled_sum(self, product, beta, alpha):
        """beta * self + alpha * product (self ignored when beta is 0, as PyTorch)."""
        out = product if alpha == 1 else product * alpha
        target = tuple(out.shape)
        try:
            base = self.expand(target)
        except RuntimeError:
            raise RuntimeError(f"The expanded size of the tensor ({list(target)}) must match "
                               f"the existing size {list(self.shape)} of input") from None
        if beta == 0:
            return out
        return out + (base if beta == 1 else base * beta)

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2), self broadcast to the product's shape."""
        return self._scaled_sum(mat1.mm(mat2), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * bmm(batch1, batch2)."""
        return self._scaled_sum(batch1.bmm(batch2), beta, alpha)

    def mv(self, vec):
        """Matrix [n, m] times vector [m] -> [n]."""
        if self.ndim != 2 or vec.ndim != 1:
            raise RuntimeError(f"vector + matrix @ vector expected, got 1, {self.ndim}, "
                               f"{vec.ndim}")
        if self.shape[1] != vec.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({self.shape[0]}), mat "
                               f"({self.shape[0]}x{self.shape[1]}), vec ({vec.shape[0]})")
        _same_dtype(self, vec, "expected m1 and m2 to have the same dtype, but got: {a} != {b}")
        return F.MatMul.apply(self, vec.unsqueeze(1)).squeeze(1)

    def dot(self, other):
        """The dot product of two 1-D tensors of one size and dtype (a 0-d tensor)."""
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(f"1D tensors expected, but got {self.ndim}D and {other.ndim}D "
                               f"tensors")
        if self.shape[0] != other.shape[0]:
            n, m = self.shape[0], other.shape[0]
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] "
                               f"to have the same number of elements, but got {n} and {m} "
                               f"elements respectively")
        _same_dtype(self, other, "dot : expected both vectors to have same dtype, but found "
                                 "{a} and {b}")
        return F.MatMul.apply(self.unsqueeze(0), other.unsqueeze(1)).reshape(())

    vdot = dot  # real tensors: no conjugate

    def inner(self, other):
        """Sum over the last dims: out[i..., j...] = sum_k self[i..., k] other[j..., k]
        (a product with a 0-d operand)."""
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        if self.shape[-1] != other.shape[-1]:
            raise RuntimeError(f"inner() the last dimension must match on both input tensors "
                               f"but got shapes {list(self.shape)} and {list(other.shape)}")
        _same_dtype(self, other, "expected scalar type {a} but found {b}")
        k = self.shape[-1]
        a, b = self.reshape(-1, k), other.reshape(-1, k)
        out = F.MatMul.apply(a, b, tb=True)
        return out.reshape(tuple(self.shape[:-1]) + tuple(other.shape[:-1]))

    def _square(self, op):
        if self.ndim < 2:
            raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
        if self.shape[-1] != self.shape[-2]:
            raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                               f"{self.shape[-2]} by {self.shape[-1]} matrices")

    def matrix_power(self, n):
        """A @ A @ ... (n times) for square matrices (batched); n = 0 gives the identity,
        a negative n powers of the inverse."""
        self._square("linalg.matrix_power")
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
        if n == 0:
            xp = _backend_of(self._data).xp
            eye = xp.broadcast_to(xp.eye(self.shape[-1], dtype=self._data.dtype), self.shape)
            everywhere = self._make(xp.ones((), dtype=bool))   # identity; zero gradient
            return self._make(xp.ascontiguousarray(eye)).where(everywhere, self)
        base = self.inverse() if n < 0 else self
        result, n = None, abs(int(n))
        while n:   # repeated squaring
            if n & 1:
                result = base if result is None else result.matmul(base)
            n >>= 1
            if n:
                base = base.matmul(base)
        return result

    # ---- inverse, solve, determinant ----------------------------------------------------------
    def _floating_matrix(self, op):
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. "
                               f"Got {self.dtype!r}")
        self._square(op)

    def inverse(self):
        """The inverse of (a batch of) square matrices (LinAlgError if singular)."""
        self._floating_matrix("linalg.inv")
        if self._data.size == 0:
            return self.clone()
        try:
            return F.Inv.apply(self)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.inv: The input matrix is singular, the inversion could "
                              "not be completed.") from None

    def det(self):
        """The determinant of (a batch of) square matrices."""
        self._floating_matrix("linalg.det")
        return F.Det.apply(self)

    def _solve(self, B, left=True):
        """X with self @ X = B (or X @ self = B when left is False)."""
        A = self
        if not left:
            return A.transpose(-2, -1)._solve(B.transpose(-2, -1)).transpose(-2, -1)
        A._floating_matrix("linalg.solve")
        _same_dtype(A, B, "linalg.solve: Expected A and B to have the same dtype, but found "
                          "A of type {a} and B of type {b} instead")
        vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
        Bm = B.unsqueeze(-1) if vector else B
        n = A.shape[-1]
        if Bm.ndim < 2 or Bm.shape[-2] != n:
            rows = Bm.shape[-2] if Bm.ndim >= 2 else Bm.shape[0]
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                               f"AX = B ({A.shape[-2]}x{n} and {rows}x{Bm.shape[-1]})")
        batch = broadcast_shapes(tuple(A.shape[:-2]), tuple(Bm.shape[:-2]), "linalg.solve")
        A2 = A if tuple(A.shape[:-2]) == batch else A.expand(batch + (n, n))
        B2 = Bm if tuple(Bm.shape[:-2]) == batch else Bm.expand(batch + tuple(Bm.shape[-2:]))
        try:
            X = F.Solve.apply(A2, B2)
        except np.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None
        return X.squeeze(-1) if vector else X

    # ---- singular values ------------------------------------------------------------------
    def _svd(self, full_matrices=True, op="linalg.svd"):
        """(U, S, Vh) with self = U diag(S) Vh (S descending), from one Svd node."""
        if self.ndim < 2:
            raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
        if self._data.dtype.kind != "f":
            raise RuntimeError(f"{op}: Expected a floating point or complex tensor as input. "
                               f"Got {self.dtype!r}")
        if self._data.dtype.itemsize < 4:   # numpy's (and PyTorch's CPU) LAPACK has no half
            raise NotImplementedError(f'"{op}" not implemented for {self.dtype!r}; convert '
                                      f"the input with .float() first")
        packed = F.Svd.apply(self, full_matrices=bool(full_matrices))
        return svd_result(*svd_unpack(packed, tuple(self.shape), bool(full_matrices)))

    # ---- norms --------------------------------------------------------------------------------
    def _vector_norm(self, ord=2, dim=None, keepdim=False, dtype=None):  # noqa: A002
        if isinstance(ord, str):
            raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not str "
                            f"({ord!r} is a matrix norm: use tg.linalg.matrix_norm)")
        if dtype is not None and dtypes.promote(self.dtype, dtype) != dtype:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({self.dtype!r}) "
                               f"should be convertible without narrowing to the specified "
                               f"dtype ({dtype!r})")
        x = self.to(dtype) if dtype is not None else self
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex "
                               f"tensor as input. Got {x.dtype!r}")
        ord = float(ord)   # noqa: A001
        a = x.abs()
        if ord == float("inf"):
            return a.amax(dim, keepdim)
        if ord == float("-inf"):
            return a.amin(dim, keepdim)
        if ord == 0:
            return x._make(x._data != 0).to(x.dtype).sum(dim, keepdim)
        if ord == 1:
            return a.sum(dim, keepdim)
        s = (x * x if ord == 2 else a.pow(ord)).sum(dim, keepdim)
        xp = _backend_of(s._data).xp
        pos = s._make(s._data > 0)   # a zero vector: value 0 and gradient 0, as PyTorch's
        one, zero = (s._make(xp.asarray(v, dtype=s._data.dtype)) for v in (1, 0))
        root = s.where(pos, one)
        root = root.sqrt() if ord == 2 else root.pow(1.0 / ord)
        return root.where(pos, zero)

    def _matrix_norm(self, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):  # noqa: A002
        x = self.to(dtype) if dtype is not None else self
        if x.ndim < 2:
            raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                               "dimensions.")
        if x._data.dtype.kind != "f":
            raise RuntimeError(f"linalg.matrix_norm: Expected a floating point or complex "
                               f"tensor as input. Got {x.dtype!r}")
        if len(dim) != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {tuple(dim)}")
        r, c = x._axis(dim[0]), x._axis(dim[1])
        if r == c:
            raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({r}, {c})")
        if ord == "fro":
            return x._vector_norm(2, (r, c), keepdim)
        if ord in ("nuc", 2, -2):   # of the singular values: their sum, max or min
            s = x.movedim((r, c), (-2, -1))._svd(False, "linalg.matrix_norm").S
            out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
            return out.unsqueeze(min(r, c)).unsqueeze(max(r, c)) if keepdim else out
        inf = float("inf")
        if ord not in (1, -1, inf, -inf):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        summed, kept = (r, c) if ord in (1, -1) else (c, r)   # 1: column sums, inf: row sums
        s = x.abs().sum(summed, keepdim=True)
        out = s.amax(kept, keepdim=True) if ord > 0 else s.amin(kept, keepdim=True)
        return out if keepdim else out.squeeze((r, c))

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """torch.norm: 'fro' (the 2-norm of the entries over dim), 'nuc' (the sum of the
        singular values over the two dims), or a number p: the vector p-norm over dim
        (all entries by default)."""
        if p == "nuc":
            return self._matrix_norm("nuc", (-2, -1) if dim is None else dim, keepdim, dtype)
        if p == "fro":
            p = 2
        if isinstance(p, str):
            raise RuntimeError(f"norm(): unknown p {p!r}; use a number, 'fro' or 'nuc'")
        return self._vector_norm(p, dim, keepdim, dtype)
