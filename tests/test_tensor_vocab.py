"""The rest of the Tensor vocabulary (tensor_vocab.py, tensor_inplace_math.py) against
PyTorch: the in-place ``x_`` forms of the elementwise ops (values, dtype rule, version
counters, autograd through them on non-leaves, the refusal on leaves), add/sub with alpha,
rsub, addcmul/addcdiv, neg/sgn/absolute, clamp_min/max, reshape_as and mT/mH/H. Bernoulli,
new_*, strides and register_hook are in test_tensor_vocab_more.py; the float64 Jacobians
are op_table_math.py's rows; the errors errors_math.py's entries."""
import numpy as np
import pytest
from helpers import npy, outcome, same_as_torch

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

# methods whose in-place form would change the shape or the graph, not the values: left out
NOT_ELEMENTWISE = {"detach_", "squeeze_", "unsqueeze_", "t_", "transpose_", "swapaxes_",
                   "swapdims_"}
# unary ops with their in-place forms, on values inside every op's domain
UNARY = ["exp", "log", "sqrt", "sin", "cos", "tanh", "abs", "neg", "negative", "absolute",
         "sign", "sgn", "relu", "sigmoid", "erf", "erfc", "erfinv", "log2", "log10", "log1p",
         "exp2", "expm1", "rsqrt", "reciprocal", "square", "tan", "asin", "acos", "atan",
         "sinh", "cosh", "asinh", "atanh", "arcsin", "arccos", "arctan", "arcsinh",
         "arctanh", "sinc", "floor", "ceil", "round", "trunc", "fix", "frac", "nan_to_num",
         "logical_not", "bitwise_not"]
VALUES = [0.2, 0.35, 0.5, 0.65, 0.8]
# (name, args) for the in-place forms that take arguments; "T" stands for a tensor
WITH_ARGS = [("pow", (2,)), ("pow", (0.5,)), ("pow", ("T",)), ("clamp", (0.3, 0.6)),
             ("clip", (0.3, None)), ("clamp_min", (0.4,)), ("clamp_max", ("T",)),
             ("heaviside", ("T",)), ("atan2", ("T",)), ("hypot", ("T",)),
             ("copysign", ("T",)), ("xlogy", ("T",)), ("remainder", (0.3,)), ("fmod", ("T",)),
             ("lerp", ("T", 0.3)), ("eq", ("T",)), ("ne", (0.5,)), ("lt", ("T",)),
             ("le", (0.5,)), ("gt", ("T",)), ("ge", ("T",)), ("addcmul", ("T", "T")),
             ("addcdiv", ("T", "T")), ("cumsum", (0,)), ("cumprod", (0,)),
             ("logical_and", ("T",)), ("multiply", ("T",)), ("subtract", ("T",)),
             ("true_divide", ("T",)), ("mul", (3,)), ("add", ("T",)), ("sub", (1,))]


def _both(torch, a, dtype, requires_grad=False):
    x = tg.tensor(np.asarray(a), dtype=getattr(tg, dtype), requires_grad=requires_grad)
    y = torch.tensor(np.asarray(a), dtype=getattr(torch, dtype), requires_grad=requires_grad)
    return x, y


def _agree(ours, ref, what, rtol=1e-6):
    if isinstance(ref, type):
        assert ours is ref, f"{what}: torch raises {ref.__name__}, tg gave {ours!r}"
    else:
        assert not isinstance(ours, type), f"{what}: tg raised {ours.__name__}, torch did not"
        same_as_torch(ours, ref, rtol=rtol)


# ---- the sweep: every in-place twin PyTorch has ---------------------------------------------
def test_every_elementwise_method_has_its_in_place_twin(torch):
    missing = sorted(n + "_" for n in dir(tg.Tensor) if not n.startswith("_") and
                     hasattr(torch.Tensor, n + "_") and not hasattr(tg.Tensor, n + "_"))
    assert missing == sorted(NOT_ELEMENTWISE), missing


def test_in_place_forms_are_one_helper_not_hand_written_bodies():
    from tinygrad_edu import tensor_inplace_math as m
    for name in UNARY + [n for n, _ in WITH_ARGS if n not in ("multiply", "subtract",
                                                               "true_divide", "mul", "add",
                                                               "sub")]:
        method = getattr(tg.Tensor, name + "_")
        assert method.__code__ is m.inplace("x").__code__, name


# ---- in-place unary forms: values, dtype rule, versions -------------------------------------
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool"])
def test_in_place_unary_as_torch(torch, name, dtype):
    a = np.array(VALUES) if dtype.startswith("float") else np.array([0, 1, 2, 3])
    x, y = _both(torch, a.astype(bool) if dtype == "bool" else a, dtype)
    ref = outcome(lambda: getattr(y, name + "_")())
    before = x._version[0]
    ours = outcome(lambda: getattr(x, name + "_")())
    _agree(ours, ref, f"{name}_({dtype})", rtol=2e-6)
    if not isinstance(ref, type):
        assert ours is x and x._version[0] == before + 1
        same_as_torch(x, y, rtol=2e-6)


@pytest.mark.parametrize("name,args", WITH_ARGS, ids=[f"{n}{i}" for i, (n, _) in
                                                       enumerate(WITH_ARGS)])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_in_place_with_arguments_as_torch(torch, name, args, dtype):
    a = np.array(VALUES) if dtype == "float32" else np.array([1, 2, 3, 4, 5])
    x, y = _both(torch, a, dtype)
    other = np.array([0.5, 0.3, 0.5, 0.9, 0.1]) if dtype == "float32" else np.array([2, 1, 3,
                                                                                        1, 2])
    u, v = _both(torch, other, dtype)
    tg_args = [u if a == "T" else a for a in args]
    t_args = [v if a == "T" else a for a in args]
    ref = outcome(lambda: getattr(y, name + "_")(*t_args))
    ours = outcome(lambda: getattr(x, name + "_")(*tg_args))
    _agree(ours, ref, f"{name}_{args} on {dtype}")
    if not isinstance(ref, type):
        assert ours is x


def test_ipow_as_torch(torch):
    x, y = _both(torch, [1, 2, 3], "int64")
    x **= 2
    y **= 2
    same_as_torch(x, y)
    x, y = _both(torch, [1.0, 2.0, 3.0], "float32")
    x **= tg.tensor([0.5, 2.0, 1.0])
    y **= torch.tensor([0.5, 2.0, 1.0])
    same_as_torch(x, y)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type tg.int64"):
        z = tg.tensor([1, 2])
        z **= 0.5


# ---- autograd through the in-place forms ----------------------------------------------------
DIFFERENTIABLE = [n for n in UNARY if n not in ("logical_not", "bitwise_not")]


# PyTorch has no derivative for these in-place forms; tg has (their out-of-place one)
TORCH_OUT_OF_PLACE = {"asinh", "atanh", "arcsinh", "arctanh"}


@pytest.mark.parametrize("name", [n for n in DIFFERENTIABLE if n != "sgn"] + [
    "pow", "clamp", "clamp_min", "addcmul", "addcdiv", "lerp", "hypot", "cumsum"])
def test_backward_through_in_place_on_a_non_leaf_as_torch(torch, name):
    args = {"pow": (2.5,), "clamp": (0.3, 0.6), "clamp_min": (0.4,), "cumsum": (0,)}
    x, y = _both(torch, VALUES, "float64", requires_grad=True)
    w, v = _both(torch, [0.9, 0.6, 0.7, 0.4, 0.8], "float64", requires_grad=True)
    two = {"addcmul": (w, w), "addcdiv": (w, w), "lerp": (w, 0.3), "hypot": (w,)}
    two_t = {"addcmul": (v, v), "addcdiv": (v, v), "lerp": (v, 0.3), "hypot": (v,)}
    a = x * 0.9
    b = y * 0.9
    va = a._version[0]
    getattr(a, name + "_")(*two.get(name, args.get(name, ())))
    if name in TORCH_OUT_OF_PLACE:
        b = getattr(b, name)()
    else:
        getattr(b, name + "_")(*two_t.get(name, args.get(name, ())))
    assert a._version[0] == va + 1
    assert a.grad_fn is not None and a.requires_grad
    (a * tg.tensor([1.0, -2.0, 3.0, 0.5, 1.5], dtype=tg.float64)).sum().backward()
    (b * torch.tensor([1.0, -2.0, 3.0, 0.5, 1.5], dtype=torch.float64)).sum().backward()
    same_as_torch(a, b, rtol=1e-12)
    same_as_torch(x.grad, y.grad, rtol=1e-10)
    if name in two:  # addcdiv(w, w): d(w / w)/dw is 0 up to rounding
        same_as_torch(w.grad, v.grad, rtol=1e-10, atol=1e-14)


def test_sgn_in_place_has_a_zero_gradient():
    x = tg.tensor(VALUES, requires_grad=True)
    a = x * -2.0
    a.sgn_()
    (a * 3.0).sum().backward()
    np.testing.assert_array_equal(npy(x.grad), np.zeros(5))
    np.testing.assert_array_equal(npy(a), -np.ones(5))


@pytest.mark.parametrize("name", ["exp", "neg", "clamp_min", "pow", "addcmul", "sgn"])
def test_in_place_on_a_leaf_that_requires_grad_is_refused_as_torch(torch, name):
    args = {"clamp_min": (0.1,), "pow": (2,)}
    x, y = _both(torch, VALUES, "float32", requires_grad=True)
    tg_args = (x.detach(), x.detach()) if name == "addcmul" else args.get(name, ())
    t_args = (y.detach(), y.detach()) if name == "addcmul" else args.get(name, ())
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(y, name + "_")(*t_args)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        getattr(x, name + "_")(*tg_args)
    with tg.no_grad():  # what optimizers do
        getattr(x, name + "_")(*tg_args)
    with torch.no_grad():
        getattr(y, name + "_")(*t_args)
    same_as_torch(x, y)


def test_in_place_change_of_a_saved_output_keeps_the_old_values_for_backward(torch):
    # PyTorch raises here (exp saved the values sqrt_ overwrites); tg gives exp's node a
    # copy of them (inplace._keep_old_values), so backward is that of the out-of-place ops
    x, y = _both(torch, VALUES, "float64", requires_grad=True)
    a = (x * 1.0).exp()
    a.sqrt_()
    a.sum().backward()
    (y * 1.0).exp().sqrt().sum().backward()
    same_as_torch(x.grad, y.grad, rtol=1e-12)


# ---- signed results into unsigned tensors (PyTorch's cast rule) -----------------------------
@pytest.mark.parametrize("op", ["sub_", "add_", "mul_", "bitwise_and_", "bitwise_or_",
                                "__iand__", "__isub__", "bitwise_left_shift_"])
@pytest.mark.parametrize("other", ["int8", "int16", "int64", "bool", "float32"])
def test_in_place_into_uint8_casts_as_torch(torch, op, other):
    if other == "float32" and "bitwise" in op or op == "__iand__" and other == "float32":
        # both refuse; PyTorch names the cast (RuntimeError), tg the float bitwise op
        # (NotImplementedError): the in-place forms compute before they cast
        return
    x, y = _both(torch, [1, 2, 250, 7], "uint8")
    a = [True, False, True, True] if other == "bool" else [-3, 5, 9, -1]
    u, v = _both(torch, a, other)
    _agree(outcome(lambda: getattr(x, op)(u)), outcome(lambda: getattr(y, op)(v)), f"{op} {other}")


# ---- add / sub with alpha, rsub -------------------------------------------------------------
ALPHA_DTYPES = ["float32", "float64", "int64", "int8", "uint8", "bool"]


@pytest.mark.parametrize("a", ALPHA_DTYPES)
@pytest.mark.parametrize("b", ALPHA_DTYPES + ["number"])
@pytest.mark.parametrize("alpha", [2, 0.5, True, -3])
@pytest.mark.parametrize("op", ["add", "sub", "add_", "sub_", "rsub"])
def test_alpha_as_torch(torch, a, b, alpha, op):
    x, y = _both(torch, [True, False, True] if a == "bool" else [1, 2, 3], a)
    u, v = (3, 3) if b == "number" else _both(
        torch, [True, True, False] if b == "bool" else [4, 0, 2], b)
    if op == "rsub":
        ours = outcome(lambda: tg.rsub(x, u, alpha=alpha))
        ref = outcome(lambda: torch.rsub(y, v, alpha=alpha))
    else:
        ours = outcome(lambda: getattr(x, op)(u, alpha=alpha))
        ref = outcome(lambda: getattr(y, op)(v, alpha=alpha))
    _agree(ours, ref, f"{a}.{op}({b}, alpha={alpha})")


def test_functional_add_sub_subtract_with_alpha_and_gradients(torch):
    x, y = _both(torch, [0.5, -1.0, 2.0], "float64", requires_grad=True)
    u, v = _both(torch, [1.5, 2.0, -3.0], "float64", requires_grad=True)
    outs = [tg.add(x, u, alpha=2.5), tg.sub(x, u, alpha=-2), tg.subtract(x, u, alpha=0.5),
            x.add(u, alpha=3), tg.rsub(x, u, alpha=1.5), tg.rsub(x, 2.0, alpha=2)]
    refs = [torch.add(y, v, alpha=2.5), torch.sub(y, v, alpha=-2),
            torch.subtract(y, v, alpha=0.5), y.add(v, alpha=3), torch.rsub(y, v, alpha=1.5),
            torch.rsub(y, 2.0, alpha=2)]
    for o, r in zip(outs, refs):
        same_as_torch(o, r, rtol=1e-12)
    sum(o.sum() for o in outs).backward()
    sum(r.sum() for r in refs).backward()
    same_as_torch(x.grad, y.grad)
    same_as_torch(u.grad, v.grad)


def test_rsub_needs_a_tensor_first(torch):
    with pytest.raises(TypeError):
        torch.rsub(2.0, torch.ones(2))
    with pytest.raises(TypeError, match="rsub\\(\\): argument 'input' \\(position 1\\) must be "
                                        "Tensor, not float"):
        tg.rsub(2.0, tg.ones(2))


def test_optimizer_style_add_stays_in_place_and_fast_path_matches():
    p = tg.tensor([1.0, 2.0, 3.0])
    g = tg.tensor([0.5, 0.5, 0.5])
    data = p._data
    with tg.no_grad():
        p.add_(g, alpha=-0.1)
        p.sub_(g, alpha=np.float64(0.2))
    assert p._data is data
    np.testing.assert_allclose(npy(p), [0.85, 1.85, 2.85], rtol=1e-6)


# ---- addcmul / addcdiv ----------------------------------------------------------------------
ADDC_DTYPES = ["float32", "float64", "int64", "int32", "bool"]


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
@pytest.mark.parametrize("d0", ADDC_DTYPES)
@pytest.mark.parametrize("d1", ADDC_DTYPES)
@pytest.mark.parametrize("value", [1, 2.7, True])
def test_addc_dtypes_and_values_as_torch(torch, op, d0, d1, value):
    x, y = _both(torch, [True, False, True] if d0 == "bool" else [1, 2, 3], d0)
    u, v = _both(torch, [True, True, True] if d1 == "bool" else [2, 4, 5], d1)
    w, z = _both(torch, [3.0, 2.0, 4.0], "float32")
    for t1, t2, r1, r2 in ((u, u, v, v), (u, w, v, z), (w, u, z, v)):
        _agree(outcome(lambda t1=t1, t2=t2: getattr(tg, op)(x, t1, t2, value=value)),
               outcome(lambda r1=r1, r2=r2: getattr(torch, op)(y, r1, r2, value=value)),
               f"{op}({d0}, {t1.dtype}, {t2.dtype}, value={value})")
        _agree(outcome(lambda t1=t1, t2=t2: getattr(x.clone(), op + "_")(t1, t2, value=value)),
               outcome(lambda r1=r1, r2=r2: getattr(y.clone(), op + "_")(r1, r2, value=value)),
               f"{op}_({d0}, {t1.dtype}, {t2.dtype}, value={value})")


@pytest.mark.parametrize("op", ["addcmul", "addcdiv"])
def test_addc_broadcasts_and_differentiates_as_torch(torch, op):
    rng = np.random.default_rng(0)
    a, b, c = rng.random((3, 1)), rng.random((4,)) + 0.5, rng.random((2, 1, 4)) + 0.5
    xs = [tg.tensor(t, requires_grad=True) for t in (a, b, c)]
    ys = [torch.tensor(t, requires_grad=True) for t in (a, b, c)]
    out = getattr(xs[0], op)(xs[1], xs[2], value=-1.5)
    ref = getattr(ys[0], op)(ys[1], ys[2], value=-1.5)
    same_as_torch(out, ref, rtol=1e-12)
    g = rng.standard_normal(tuple(ref.shape))
    out.backward(tg.tensor(g))
    ref.backward(torch.tensor(g))
    for x, y in zip(xs, ys):
        same_as_torch(x.grad, y.grad, rtol=1e-10)


# ---- signs, clamps, shapes ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["neg", "negative", "absolute", "sgn", "sign"])
@pytest.mark.parametrize("dtype", ["float32", "int64", "int8", "uint8", "bool"])
def test_signs_as_torch(torch, name, dtype):
    a = [True, False] if dtype == "bool" else ([0, 3, 200] if dtype == "uint8" else [-2, 0, 3])
    x, y = _both(torch, a, dtype)
    _agree(outcome(lambda: getattr(x, name)()), outcome(lambda: getattr(y, name)()), name)
    if hasattr(torch, name):
        _agree(outcome(lambda: getattr(tg, name)(x)), outcome(lambda: getattr(torch, name)(y)),
               "tg." + name)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("bound", [2, 2.5, "T"])
def test_clamp_min_and_max_as_torch(torch, dtype, bound):
    x, y = _both(torch, [1, 2, 3, 4], dtype)
    b, c = (_both(torch, [2, 5, 1, 4], dtype) if bound == "T" else (bound, bound))
    for op in ("clamp_min", "clamp_max"):
        _agree(outcome(lambda op=op: getattr(tg, op)(x, b)),
               outcome(lambda op=op: getattr(torch, op)(y, c)), op)
        _agree(outcome(lambda op=op: getattr(x.clone(), op + "_")(b)),
               outcome(lambda op=op: getattr(y.clone(), op + "_")(c)), op + "_")


def test_reshape_as_and_matrix_transposes_as_torch(torch):
    a = np.arange(24.0).reshape(2, 3, 4)
    x, y = tg.tensor(a), torch.tensor(a)
    same_as_torch(tg.arange(24.0).reshape_as(x), torch.arange(24.0).reshape_as(y))
    same_as_torch(x.mT, y.mT)
    same_as_torch(x.mH, y.mH)
    same_as_torch(x[0].H, y[0].H)
    same_as_torch(x[0, 0, 0].H, y[0, 0, 0].H)
    assert np.shares_memory(x.mT._data, x._data)
    for bad in (lambda t: t[0, 0].mT, lambda t: t[0, 0].mH, lambda t: t.H, lambda t: t[0, 0].H,
                lambda t: tg.ones(5).reshape_as(t) if isinstance(t, tg.Tensor) else
                torch.ones(5).reshape_as(t)):
        assert outcome(lambda bad=bad: bad(x)) is outcome(lambda bad=bad: bad(y)) is RuntimeError


def test_mt_gradient_and_shared_version_counter():
    x = tg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    (x.mT * tg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    np.testing.assert_array_equal(npy(x.grad), [[1, 3, 5], [2, 4, 6]])
    y = tg.ones(2, 3)
    v = y.mT
    y.add_(1)
    assert v._version[0] == y._version[0] == 1
