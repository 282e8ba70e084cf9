"""Each op keeps exactly the tensors its backward reads, as PyTorch's do, so an
in-place edit is refused only when it would change a gradient: for every op
family, editing an input or the output after the forward makes backward raise
exactly when that tensor was saved, and PyTorch (when installed) raises for the
same edits. micrograd's own engine test, which edits non-leaf values in place,
runs and gives micrograd's numbers."""
import numpy as np
import pytest

import tinygrad_edu as tg



def _micrograd_test_more_ops(lib):
    """micrograd's test_more_ops (test/test_engine.py), written for a tensor library."""
    a = lib.tensor(-4.0, dtype=lib.float64, requires_grad=True)
    b = lib.tensor(2.0, dtype=lib.float64, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.item(), a.grad.item(), b.grad.item()


def test_micrograds_engine_test_runs():
    """x * 3 and x / 2.0 keep no tensor operand, so editing x afterwards is fine."""
    g, ga, gb = _micrograd_test_more_ops(tg)
    # the values micrograd's test checks (against PyTorch)
    assert g == pytest.approx(24.70408163265306, rel=1e-12)
    assert ga == pytest.approx(138.83381924198252, rel=1e-12)
    assert gb == pytest.approx(645.5772594752186, rel=1e-12)


def test_micrograds_engine_test_matches_torch():
    th = pytest.importorskip("torch")
    np.testing.assert_allclose(_micrograd_test_more_ops(tg), _micrograd_test_more_ops(th),
                               rtol=1e-12)


# ---- one row per op family: (name, inputs' requires_grad, fn(lib, *inputs), saved) ----
# ``saved``: the input indices and "out" whose in-place edit must make backward raise.
def _inputs(lib, grads, shapes):
    rng = np.random.default_rng(0)
    out = []
    for g, s in zip(grads, shapes):
        arr = rng.uniform(0.5, 2.0, s)
        out.append(lib.tensor(arr, dtype=lib.float64, requires_grad=g))
    return out


ROWS = [
    # arithmetic: each side's gradient reads the other side; + and - read nothing
    ("add", (True, True), lambda L, a, b: a + b, set()),
    ("sub", (True, True), lambda L, a, b: a - b, set()),
    ("mul", (True, True), lambda L, a, b: a * b, {0, 1}),
    ("mul_one_side", (True, False), lambda L, a, b: a * b, {1}),
    ("mul_number", (True,), lambda L, a: a * 3, set()),
    ("div", (True, True), lambda L, a, b: a / b, {0, 1}),
    ("div_number", (True,), lambda L, a: a / 2.0, set()),
    ("pow_number", (True,), lambda L, a: a ** 2, {0}),
    ("pow", (True, True), lambda L, a, b: a ** b, {0, 1, "out"}),
    # math: the output where the derivative is written with it, else the input
    ("exp", (True,), lambda L, a: a.exp(), {"out"}),
    ("sqrt", (True,), lambda L, a: a.sqrt(), {"out"}),
    ("tanh", (True,), lambda L, a: a.tanh(), {"out"}),
    ("sigmoid", (True,), lambda L, a: a.sigmoid(), {"out"}),
    ("log", (True,), lambda L, a: a.log(), {0}),
    ("abs", (True,), lambda L, a: a.abs(), {0}),
    ("sin", (True,), lambda L, a: a.sin(), {0}),
    ("maximum", (True, True), lambda L, a, b: L.maximum(a, b), {0, 1}),
    ("clamp", (True,), lambda L, a: a.clamp(0.7, 1.5), {0}),
    ("where", (True, True), lambda L, a, b: L.where(a > 1, a, b), set()),
    # activations
    ("relu", (True,), lambda L, a: (a - 1).relu(), {"out"}),
    ("leaky_relu", (True,), lambda L, a: L.nn.functional.leaky_relu(a, 0.1), {0}),
    ("softmax", (True,), lambda L, a: a.softmax(-1), {"out"}),
    ("log_softmax", (True,), lambda L, a: a.log_softmax(-1), {"out"}),
    # reductions
    ("sum", (True,), lambda L, a: a.sum(), set()),
    ("mean", (True,), lambda L, a: a.mean(), set()),
    ("amax", (True,), lambda L, a: a.amax(-1), {0, "out"}),
    ("max_dim", (True,), lambda L, a: a.max(dim=-1)[0], set()),
    # products
    ("matmul", (True, True), lambda L, a, b: a @ b.T, {0, 1}),
    ("matmul_weight_only", (False, True), lambda L, a, b: a @ b.T, {0}),
    ("linear_constant_input", (False, True),
     lambda L, x, w: L.nn.functional.linear(x, w), {0}),
    # movement
    ("reshape", (True,), lambda L, a: a.reshape(-1), set()),
    ("transpose", (True,), lambda L, a: a.T, set()),
    ("getitem", (True,), lambda L, a: a[1:, ::2], set()),
    ("cat", (True, True), lambda L, a, b: L.cat([a, b]), set()),
]


def _raises_after_edit(lib, row, which):
    """Does backward raise after an in-place edit of input ``which`` (or the output)?"""
    name, grads, fn, _ = row
    xs = _inputs(lib, grads, [(3, 4)] * len(grads))
    out = fn(lib, *xs)
    with lib.no_grad():  # a write that changes no value still counts, as in PyTorch
        (out if which == "out" else xs[which]).add_(0)
    try:
        out.sum().backward()
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
        return True
    return False


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_only_what_backward_reads_is_guarded(row):
    name, grads, _, saved = row
    for which in [*range(len(grads)), "out"]:
        assert _raises_after_edit(tg, row, which) == (which in saved), (name, which)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_the_same_edits_are_refused_by_pytorch(row):
    th = pytest.importorskip("torch")
    name, grads, _, saved = row
    for which in [*range(len(grads)), "out"]:
        assert _raises_after_edit(th, row, which) == (which in saved), (name, which)


def test_an_edit_of_a_tensor_nobody_saved_leaves_the_gradient_right():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1      # a non-leaf: it may change in place
    z = y * 3      # keeps the 3, not y
    y.add_(100.0)  # recorded: y's history grows, z's gradient does not read y
    (z.sum() + y.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0, 4.0])
