"""The operators (+ - * / ** and their reflected forms) are their Function applied
to the operands in order, a Python number taking the tensor's dtype: the same
values, dtype, graph and gradients as ``F.Add.apply(a, b)`` and the rest, and
the in-place checks, for tensor-tensor and tensor-number operands on both sides."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_edu as tg
from tinygrad_edu import functions as F
from tinygrad_edu.backend import numpy_backend as RB

OPS = [("__add__", F.Add, False), ("__radd__", F.Add, True), ("__sub__", F.Sub, False),
       ("__rsub__", F.Sub, True), ("__mul__", F.Mul, False), ("__rmul__", F.Mul, True),
       ("__truediv__", F.Div, False), ("__rtruediv__", F.Div, True),
       ("__pow__", F.Pow, False), ("__rpow__", F.Pow, True)]
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast: b drops leading dims and/or has some dims of 1."""
    a = draw(shapes)
    b = list(a[draw(st.integers(0, len(a) - 1)):])
    b = tuple(1 if draw(st.booleans()) else n for n in b)
    return (b, a) if draw(st.booleans()) else (a, b)


def _leaf(data, grad):
    return tg.tensor(data, requires_grad=grad)


def _apply(fn, x, other, reverse):
    """fn applied to x and other (other first if reverse), a number as a 0-d tensor
    of x's dtype: what x <op> other must give."""
    if not isinstance(other, tg.Tensor):
        other = tg.tensor(other, dtype=x.dtype)
    return fn.apply(other, x) if reverse else fn.apply(x, other)


def _check_same(op_result, applied):
    assert op_result.dtype == applied.dtype and op_result.shape == applied.shape
    np.testing.assert_array_equal(op_result.detach().numpy(), applied.detach().numpy())
    assert type(op_result._data) is np.ndarray
    assert op_result.requires_grad == applied.requires_grad
    assert (op_result.grad_fn is None) == (applied.grad_fn is None)
    if op_result.grad_fn is not None:
        assert op_result.grad_fn.name() == applied.grad_fn.name()
        assert op_result.grad_fn.needs_input_grad == applied.grad_fn.needs_input_grad
        assert [type(p) for p, _ in op_result.grad_fn.next_functions] == \
            [type(p) for p, _ in applied.grad_fn.next_functions]


@pytest.mark.parametrize("name,fn,reverse", OPS)
@settings(max_examples=30, deadline=None)
@given(pair=st.one_of(shapes.map(lambda s: (s, s)), broadcast_pair()),
       dtype=st.sampled_from([np.float32, np.float64]),
       grads=st.tuples(st.booleans(), st.booleans()), seed=st.integers(0, 2**16))
def test_tensor_tensor_is_the_function_applied(name, fn, reverse, pair, dtype, grads, seed):
    rng = np.random.default_rng(seed)
    a0, b0 = (rng.uniform(0.5, 2.0, s).astype(dtype) for s in pair)
    results = []
    for _ in range(2):  # fresh leaves for each path, so gradients do not mix
        a, b = _leaf(a0, grads[0]), _leaf(b0, grads[1])
        results.append((a, b))
    (a1, b1), (a2, b2) = results
    op_result = getattr(a1, name)(b1)
    applied = _apply(fn, a2, b2, reverse)
    _check_same(op_result, applied)
    if op_result.requires_grad:
        op_result.sum().backward()
        applied.sum().backward()
        for x, y in ((a1, a2), (b1, b2)):
            assert (x.grad is None) == (y.grad is None)
            if x.grad is not None:
                np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy())


@pytest.mark.parametrize("name,fn,reverse", OPS)
@pytest.mark.parametrize("number", [3, -2, 0.5, 2.0, 2 ** 63 + 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.filterwarnings("ignore:overflow encountered in cast")  # 2 ** 63 in float16: inf
def test_tensor_number_is_the_function_applied(name, fn, reverse, number, dtype):
    if fn is F.Pow and abs(number) > 3:
        pytest.skip("overflows to inf, whose gradient is nan")
    data = np.array([[0.5, 1.5, 2.0], [1.0, 3.0, 0.25]], dtype)
    x1, x2 = _leaf(data, True), _leaf(data, True)
    op_result = getattr(x1, name)(number)
    applied = _apply(fn, x2, number, reverse)
    _check_same(op_result, applied)
    assert op_result.dtype == x1.dtype  # the number takes the tensor's dtype
    op_result.sum().backward()
    applied.sum().backward()
    np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())


def test_results_are_plain_arrays_for_0d_and_mixed_operands():
    """0-d operands (numpy would answer with a scalar), broadcasting, promotion."""
    s = tg.tensor(2.0)
    assert type((s + s)._data) is np.ndarray and (s * 3)._data.shape == ()
    v = tg.ones(3)
    assert (v + tg.ones(2, 3)).shape == (2, 3)  # broadcasting
    assert (v + s).shape == (3,) and (s - v).shape == (3,)  # a 0-d operand
    assert (v + tg.ones(3, dtype=tg.float64)).dtype == tg.float64  # promotion
    assert (tg.arange(3) / 2).dtype == tg.float32  # integers divide as floats
    assert (tg.arange(3) + 1).dtype == tg.int64
    p = tg.nn.Parameter(tg.ones(3))
    assert type(p + p) is tg.Tensor and type(2 * p) is tg.Tensor


def test_shapes_that_do_not_broadcast_get_pytorchs_error():
    with pytest.raises(RuntimeError, match="must match the size"):
        tg.ones(2, 3) * tg.ones(2, 4, requires_grad=True)


def test_operators_keep_inplace_checks():
    a = tg.ones(3, requires_grad=True)
    b = tg.ones(3) * 2
    y = a * b  # Mul keeps its inputs: changing b afterwards must be caught
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_operators_respect_no_grad_and_anomaly_mode():
    a = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        y = a * 2
    assert not y.requires_grad and y.grad_fn is None
    zero = tg.zeros(3, requires_grad=True)
    with tg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match="NaN|nan"):
            zero / zero  # anomaly mode sees the forward


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
@pytest.mark.parametrize("name,fn,reverse", OPS)
def test_operators_give_plain_arrays_around_ndarray_subclasses(name, fn, reverse):
    """A tensor around an np.matrix (made without from_numpy) gives a result that is a
    plain array: indexing it then drops a dim, as in PyTorch."""
    raw = tg.Tensor._make(np.asmatrix(np.full((2, 2), 2.0, np.float32)))
    for other in (raw, tg.Tensor._make(np.asmatrix(np.ones((2, 2), np.float32)))):
        out = getattr(raw, name)(other)
        assert type(out._data) is np.ndarray and out[0].shape == (2,)


def _op_functions():
    """Every Function whose forward is one elementwise kernel (``op``)."""
    found, stack = [], [tg.autograd.Function]
    while stack:
        for c in stack.pop().__subclasses__():
            stack.append(c)
            if c.op and c.__module__.startswith("tinygrad_edu.functions"):
                found.append(c)
    return sorted(found, key=lambda c: c.__name__)


@pytest.mark.parametrize("fn", _op_functions(), ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(), (5,), (3, 1 << 15)])  # 0-d, numpy-sized, C-sized
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_apply_fast_case_equals_the_general_path(fn, shape, dtype):
    """apply runs an op's kernel alone (its one fast case) outside the graph, and also
    recording when the op's forward is Function's own; anomaly mode always takes the
    general path (forward, checks). Both give the same values, dtype and shape to the
    bit, the same node (type, parents, needs_input_grad) and the same gradients."""
    rng = np.random.default_rng(3)
    arity = 2 if fn.op in RB._BINARY else 1
    arrays = [rng.uniform(0.2, 3.0, shape).astype(dtype) for _ in range(arity)]
    grad = rng.uniform(-1.0, 1.0, shape).astype(dtype)

    def run(requires):
        xs = [tg.tensor(a, requires_grad=r) for a, r in zip(arrays, requires)]
        y = fn.apply(*xs)
        if any(requires):
            y.backward(tg.tensor(grad))
        return y, xs

    cases = [(False,) * arity, (True,) * arity] + [(True, False), (False, True)] * (arity - 1)
    for requires in cases:
        fast, xs = run(requires)
        with tg.autograd.detect_anomaly():
            general, xs_general = run(requires)
        assert fast.dtype == general.dtype and fast.shape == general.shape
        np.testing.assert_array_equal(fast.detach().numpy(), general.detach().numpy())
        if not any(requires):
            assert fast.grad_fn is None and general.grad_fn is None
            continue
        node, ref = fast.grad_fn, general.grad_fn
        assert type(node) is type(ref) and node.needs_input_grad == ref.needs_input_grad
        assert [p is x for p, x in zip(node.parents, xs)] == \
            [p is x for p, x in zip(ref.parents, xs_general)]
        for x, x_general in zip(xs, xs_general):  # ReluGrad's mask gets no gradient
            assert (x.grad is None) == (x_general.grad is None)
            if x.grad is not None:
                np.testing.assert_array_equal(x.grad.numpy(), x_general.grad.numpy())
