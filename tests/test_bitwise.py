"""Bitwise ops and the integer operators (tinygrad_edu.tensor_bitwise) against PyTorch:
values, result dtypes and exception types over every pair of dtypes (tensors, 0-d
tensors, Python numbers, reflected operands), shifts past the width, in-place forms,
floor division's missing derivative, and the integer edge rules of tensor_math
(wrapped Python integers, integer powers). Messages are in errors_math.py."""
import itertools
import operator

import numpy as np
import pytest
from helpers import npy, outcome, same_as_torch

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
LEFT = np.array([5, -3, 0, 100, -128, 7, 1, -1])
RIGHT = np.array([1, 3, 2, 7, 1, 9, 62, 64])   # shift amounts up to and past every width
OPS = {"and": operator.and_, "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift,
       "rshift": operator.rshift, "floordiv": operator.floordiv, "mod": operator.mod}
FUNCS = {"and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
         "lshift": "bitwise_left_shift", "rshift": "bitwise_right_shift",
         "floordiv": "floor_divide", "mod": "remainder"}


def _make(lib, name, values, shape):
    a = values.astype(bool) if name == "bool" else values
    a = a[:shape[0]] if shape else a[0]
    return lib.tensor(np.asarray(a).astype(bool if name == "bool" else name),
                      dtype=getattr(lib, name))


def _agree(ours, ref, what):
    if isinstance(ref, type):
        assert ours is ref, f"{what}: torch raises {ref.__name__}, tg gave {ours!r}"
    else:
        assert not isinstance(ours, type), f"{what}: tg raised {ours.__name__}"
        same_as_torch(ours, ref, rtol=1e-6)


@pytest.mark.parametrize("op", list(OPS))
def test_operators_over_every_pair_of_dtypes_as_torch(torch, op):
    fn = OPS[op]
    for a, b, sa, sb in itertools.product(NAMES, NAMES, [(8,), ()], [(8,), ()]):
        x, y = _make(tg, a, LEFT, sa), _make(torch, a, LEFT, sa)
        u, v = _make(tg, b, RIGHT, sb), _make(torch, b, RIGHT, sb)
        what = f"{a}{list(sa)} {op} {b}{list(sb)}"
        _agree(outcome(lambda x=x, u=u: fn(x, u)), outcome(lambda y=y, v=v: fn(y, v)), what)
        f = FUNCS[op]
        _agree(outcome(lambda x=x, u=u, f=f: getattr(tg, f)(x, u)),
               outcome(lambda y=y, v=v, f=f: getattr(torch, f)(y, v)), what + " (function)")


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("number", [True, False, 3, -2, 300, 70, 2.5])
def test_python_numbers_on_either_side_as_torch(torch, op, name, number):
    fn = OPS[op]
    x, y = _make(tg, name, LEFT, (8,)), _make(torch, name, LEFT, (8,))
    what = f"{name} {op} {number!r}"
    _agree(outcome(lambda: fn(x, number)), outcome(lambda: fn(y, number)), what)
    _agree(outcome(lambda: fn(number, x)), outcome(lambda: fn(number, y)), "reflected " + what)


@pytest.mark.parametrize("name", NAMES)
def test_invert_and_bitwise_not_as_torch(torch, name):
    x, y = _make(tg, name, LEFT, (8,)), _make(torch, name, LEFT, (8,))
    _agree(outcome(lambda: ~x), outcome(lambda: ~y), f"~{name}")
    _agree(outcome(lambda: tg.bitwise_not(x)), outcome(lambda: torch.bitwise_not(y)), name)
    _agree(outcome(lambda: x.clone().bitwise_not_()), outcome(lambda: y.clone().bitwise_not_()),
           name + " in place")


@pytest.mark.parametrize("name", ["int8", "uint8", "int16", "int32", "int64"])
def test_shifts_by_negative_and_too_wide_amounts_as_torch(torch, name):
    info = np.iinfo(np.dtype(name))
    a = np.array([info.min, -5, -1, 0, 1, 5, info.max]).astype(name)
    bits = info.bits
    for s in (-70, -2, -1, 0, 1, bits - 1, bits, bits + 1, 200):
        for left in (True, False):
            ours = (tg.tensor(a) << s) if left else (tg.tensor(a) >> s)
            ref = (torch.tensor(a) << s) if left else (torch.tensor(a) >> s)
            same_as_torch(ours, ref)
    amounts = np.resize(np.array([-3, 0, 2, bits - 1, bits, bits + 5]), 7).astype(name)
    same_as_torch(tg.tensor(a) << tg.tensor(amounts), torch.tensor(a) << torch.tensor(amounts))
    same_as_torch(tg.tensor(a) >> tg.tensor(amounts), torch.tensor(a) >> torch.tensor(amounts))


def test_broadcasting_and_zero_dim_tensors_as_torch(torch):
    a, b = np.array([[6, -7, 12]]), np.array([[3], [5]])
    for op in OPS.values():
        same_as_torch(op(tg.tensor(a), tg.tensor(b)), op(torch.tensor(a), torch.tensor(b)))
    # a 0-d tensor of a wider integer dtype keeps the dimensioned tensor's dtype (wrapping)
    i8 = np.array([100, -100], dtype=np.int8)
    for op in (operator.and_, operator.lshift, operator.floordiv):
        same_as_torch(op(tg.tensor(i8), tg.tensor(300)), op(torch.tensor(i8), torch.tensor(300)))
        same_as_torch(op(tg.tensor(i8), tg.tensor([3])), op(torch.tensor(i8), torch.tensor([3])))


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("name, other", [("int64", 6), ("int64", "int8"), ("uint8", 300),
                                         ("int8", "int64"), ("bool", True), ("bool", "int64"),
                                         ("float32", 2.0), ("float64", "float32")])
def test_in_place_operators_and_methods_as_torch(torch, op, name, other):
    x, y = _make(tg, name, LEFT, (8,)), _make(torch, name, LEFT, (8,))
    if isinstance(other, str):
        u, v = _make(tg, other, RIGHT, (8,)), _make(torch, other, RIGHT, (8,))
    else:
        u = v = other
    iop = getattr(operator, "i" + op)

    def run(t, o):
        before = t
        t = iop(t, o)
        assert t is before, "an in-place operator returns the tensor it changed"
        return t
    _agree(outcome(lambda: run(x.clone(), u)), outcome(lambda: run(y.clone(), v)), f"{op}=")
    f = FUNCS[op] + "_"
    _agree(outcome(lambda: getattr(x.clone(), f)(u)), outcome(lambda: getattr(y.clone(), f)(v)),
           f)


def test_floor_divide_of_floats_records_a_node_without_derivative_as_torch(torch):
    a = [7.5, -3.0, 2.0]
    x = tg.tensor(a, dtype=tg.float64, requires_grad=True)
    y = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    for fn in (lambda t: t // 2, lambda t: 7 // t, lambda t: t.floor_divide(t * 0.5 + 3.0)):
        out, ref = fn(x), fn(y)
        same_as_torch(out, ref)
        assert out.requires_grad == ref.requires_grad is True
        assert outcome(lambda out=out: out.sum().backward()) is \
            outcome(lambda ref=ref: ref.sum().backward()) is RuntimeError
    with tg.no_grad():
        assert not (x // 2).requires_grad
    # div with rounding_mode="floor" is the same quotient with a zero gradient
    g, = tg.autograd.grad(x.div(2, rounding_mode="floor").sum(), [x])
    np.testing.assert_array_equal(npy(g), np.zeros(3))


def test_modulo_operator_is_remainder_with_its_gradient(torch):
    a = [7.5, -3.0, 2.25]
    x = tg.tensor(a, dtype=tg.float64, requires_grad=True)
    y = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    d = tg.tensor([2.0, 2.0, -1.5], dtype=tg.float64, requires_grad=True)
    e = torch.tensor([2.0, 2.0, -1.5], dtype=torch.float64, requires_grad=True)
    out, ref = x % d, y % e
    same_as_torch(out, ref)
    out.sum().backward()
    ref.sum().backward()
    same_as_torch(x.grad, y.grad)
    same_as_torch(d.grad, e.grad)


def test_results_of_integer_ops_record_nothing():
    i = tg.tensor([6, 3])
    for out in (i & 3, i | 1, i ^ 5, ~i, i << 1, i >> 1, i // 2, i % 4):
        assert not out.requires_grad and out.grad_fn is None


def test_masks_combine_as_before():
    """& | ~ on bool masks (what the library itself uses them for) stay logical."""
    m, n = tg.tensor([True, False, True]), tg.tensor([True, True, False])
    np.testing.assert_array_equal(npy(m & n), [True, False, False])
    np.testing.assert_array_equal(npy(m | n), [True, True, True])
    np.testing.assert_array_equal(npy(m ^ n), [False, True, True])
    np.testing.assert_array_equal(npy(~m), [False, True, False])
    np.testing.assert_array_equal(npy(m & np.array([True, True, True])), [True, False, True])


# ---- integer edge rules of the arithmetic operators -------------------------------------
@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("number", [-2, 300, -300, 70000, 2**31, 2**63, 2**64 - 1, -2**63,
                                    2**64, -2**63 - 1])
def test_out_of_range_python_integers_wrap_or_overflow_as_torch(torch, name, number):
    x, y = _make(tg, name, LEFT, (8,)), _make(torch, name, LEFT, (8,))
    for fn in (lambda t: t + number, lambda t: number - t, lambda t: t * number,
               lambda t: t > number, lambda t: t == number, lambda t: t / number):
        _agree(outcome(lambda fn=fn: fn(x)), outcome(lambda fn=fn: fn(y)), f"{name} with {number}")


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("b", NAMES + [True, 3, -2, 2.5])
def test_subtraction_and_negation_with_bools_as_torch(torch, a, b):
    x, y = _make(tg, a, LEFT, (8,)), _make(torch, a, LEFT, (8,))
    u, v = (_make(tg, b, RIGHT, (8,)), _make(torch, b, RIGHT, (8,))) if isinstance(b, str) \
        else (b, b)
    _agree(outcome(lambda: x - u), outcome(lambda: y - v), f"{a} - {b}")
    _agree(outcome(lambda: u - x), outcome(lambda: v - y), f"{b} - {a}")
    _agree(outcome(lambda: -x), outcome(lambda: -y), f"-{a}")
    _agree(outcome(lambda: x.clone().sub_(u)), outcome(lambda: y.clone().sub_(v)), f"{a}.sub_")


@pytest.mark.parametrize("op", ["sub_", "add_", "bitwise_and_", "bitwise_left_shift_"])
def test_in_place_signed_result_into_uint8_as_torch(torch, op):
    x, y = _make(tg, "uint8", LEFT, (8,)), _make(torch, "uint8", LEFT, (8,))
    u, v = _make(tg, "int8", RIGHT, (8,)), _make(torch, "int8", RIGHT, (8,))
    _agree(outcome(lambda: getattr(x, op)(u)), outcome(lambda: getattr(y, op)(v)), op)


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("b", NAMES + [True, False, 2, 0, -1, -2, 0.5, -1.5])
def test_powers_of_integer_tensors_as_torch(torch, a, b):
    base = np.array([2, -1, 1, 0, 3, -2, 5, 1])
    expo = np.array([-1, -2, -3, 0, 2, -1, 1, 3])
    x, y = _make(tg, a, base, (8,)), _make(torch, a, base, (8,))
    u, v = (_make(tg, b, expo, (8,)), _make(torch, b, expo, (8,))) if isinstance(b, str) \
        else (b, b)
    _agree(outcome(lambda: x ** u), outcome(lambda: y ** v), f"{a} ** {b}")
    _agree(outcome(lambda: u ** x), outcome(lambda: v ** y), f"{b} ** {a}")
    _agree(outcome(lambda: x.pow(u)), outcome(lambda: y.pow(v)), f"{a}.pow({b})")
    _agree(outcome(lambda: tg.tensor(3) ** u), outcome(lambda: torch.tensor(3) ** v),
           f"0-d int ** {b}")
