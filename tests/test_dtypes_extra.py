"""Issue 18's dtype rules and factories against PyTorch: the promotion table over every
pair of dtypes (tensors, 0-d tensors and Python numbers), conversions, float16 storage,
tg.finfo / tg.iinfo, arange's length and values with float steps, logspace, eye and the
*_like factories. Their errors are in errors_movement.py."""
import itertools

import numpy as np
import pytest
from helpers import npy, outcome, same_as_torch

import tinygrad_edu as tg


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def _pair(torch, name, shape, values=(1, 0)):
    a = np.resize(np.array(values), shape) if shape else np.array(values[0])
    return tg.tensor(a, dtype=getattr(tg, name)), torch.tensor(a, dtype=getattr(torch, name))


@pytest.mark.parametrize("op", ["add", "mul", "sub", "truediv", "eq", "lt"])
def test_promotion_table_of_two_tensors_as_torch(torch, op):
    fn = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
          "truediv": lambda a, b: a / b, "eq": lambda a, b: a == b, "lt": lambda a, b: a < b}[op]
    for a, b, sa, sb in itertools.product(NAMES, NAMES, [(2,), ()], [(2,), ()]):
        x, y = _pair(torch, a, sa, (1, 2))
        u, v = _pair(torch, b, sb, (2, 1))
        ours = outcome(lambda x=x, u=u: fn(x, u))
        ref = outcome(lambda y=y, v=v: fn(y, v))
        what = f"{a}{list(sa)} {op} {b}{list(sb)}"
        if isinstance(ref, type):
            assert ours is ref, f"{what}: torch raises {ref.__name__}, tg gave {ours}"
        else:
            assert not isinstance(ours, type), f"{what}: tg raised {ours.__name__}"
            assert str(ours.dtype) == "tg." + str(ref.dtype).split(".")[1], what
            np.testing.assert_allclose(npy(ours).astype(np.float64),
                                       ref.numpy().astype(np.float64), rtol=1e-3, err_msg=what)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", [True, 3, -2, 2.5])
def test_tensor_and_python_number_as_torch(torch, name, scalar):
    x, y = _pair(torch, name, (3,), (1, 0, 2))
    for fn in (lambda a: a + scalar, lambda a: scalar * a, lambda a: a / scalar,
               lambda a: a > scalar):
        ours, ref = outcome(lambda fn=fn: fn(x)), outcome(lambda fn=fn: fn(y))
        if isinstance(ref, type):
            assert ours is ref
        else:
            same_as_torch(ours, ref, rtol=1e-3)


def test_out_of_range_python_integers_wrap_as_torch(torch):
    x, y = _pair(torch, "uint8", (2,), (1, 250))
    same_as_torch(x - 2, y - 2)
    same_as_torch(x + (-2), y + (-2))


def test_subtraction_with_bools_refused_as_torch(torch):
    for a, s in [("bool", True), ("int64", True), ("bool", 3)]:
        x, y = _pair(torch, a, (2,))
        assert outcome(lambda x=x, s=s: x - s) is outcome(lambda y=y, s=s: y - s) is RuntimeError


def test_large_python_integers_wrap_as_torch(torch):
    x, y = _pair(torch, "uint8", (2,), (1, 250))
    same_as_torch(x + 300, y + 300)


@pytest.mark.parametrize("src", NAMES)
def test_to_every_dtype_and_type_as_as_torch(torch, src):
    a = np.array([0, 1, 2, 7, 100])
    x, y = _pair(torch, src, (5,), a)
    for dst in NAMES:
        same_as_torch(x.to(getattr(tg, dst)), y.to(getattr(torch, dst)))
        same_as_torch(x.type_as(tg.ones(1, dtype=getattr(tg, dst))),
                      y.type_as(torch.ones(1, dtype=getattr(torch, dst))))
    assert x.to(x.dtype) is x  # nothing to do: the tensor itself, as torch's


def test_float_to_integer_conversion_truncates_as_torch(torch):
    a = np.array([-2.7, -0.5, 0.0, 0.5, 2.7, 126.9])
    for dst in ("int8", "int16", "int32", "int64", "bool"):
        same_as_torch(tg.tensor(a).to(getattr(tg, dst)), torch.tensor(a).to(getattr(torch, dst)))


def test_float16_storage_values_and_gradients_as_torch(torch):
    a = np.array([[0.5, -1.25, 2.0], [3.0, -0.75, 1.5]])
    x = tg.tensor(a, dtype=tg.float16, requires_grad=True)
    y = torch.tensor(a, dtype=torch.float16, requires_grad=True)
    for fn in (lambda t: (t * t + 1).sum(), lambda t: t.exp().mean(), lambda t: t.relu().sum(),
               lambda t: (t @ t.T).sum(), lambda t: t.softmax(-1).max(),
               lambda t: t.roll(1, 1).diagonal().sum()):
        x.grad, y.grad = None, None
        out, ref = fn(x), fn(y)
        same_as_torch(out, ref, rtol=2e-3)
        out.backward()
        ref.backward()
        same_as_torch(x.grad, y.grad, rtol=2e-3, atol=1e-3)
    assert (x.detach().half() + tg.ones(1, dtype=tg.float32)).dtype == tg.float32


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_as_torch(torch, name):
    ours, ref = tg.finfo(getattr(tg, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert tg.finfo().dtype == "float32"


@pytest.mark.parametrize("name", INTS)
def test_iinfo_as_torch(torch, name):
    ours, ref = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
    for attr in ("bits", "max", "min", "dtype"):
        assert getattr(ours, attr) == getattr(ref, attr), attr
    assert outcome(lambda: tg.iinfo(tg.bool)) is outcome(lambda: torch.iinfo(torch.bool))


ARANGES = [(10,), (0, 1, 0.1), (0.1, 1.0, 0.3), (1, 2.5, 0.5), (0, 10, 3), (-1.5, 2, 0.7),
           (1e-3, 1, 1 / 3), (0, 1.0000001, 0.1), (5, 0, -0.5), (2.5,), (0, 5, 1.5),
           (0.5, 5.5, 1), (0, 0)]


@pytest.mark.parametrize("args", ARANGES)
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int64", "int32", "float16"])
def test_arange_length_and_values_as_torch(torch, args, dtype):
    kw = {"dtype": getattr(torch, dtype)} if dtype else {}
    ref = outcome(lambda: torch.arange(*args, **kw))
    ours = outcome(lambda: tg.arange(*args, **({"dtype": getattr(tg, dtype)} if dtype else {})))
    if isinstance(ref, type):
        assert ours in (ref, RuntimeError)  # torch's "step must be nonzero" is a ValueError
        return
    same_as_torch(ours, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("args, kw", [((0, 2, 5), {}), ((0, 2, 5), {"base": 2.0}),
                                      ((-1, 1, 4), {}), ((0, 3, 4), {"dtype": "int64"}),
                                      ((1, 1, 1), {}), ((0, 1, 0), {}),
                                      ((0, 2, 3), {"dtype": "float64", "base": 3.0})])
def test_logspace_as_torch(torch, args, kw):
    dt = kw.pop("dtype", None)
    ours = tg.logspace(*args, **kw, **({"dtype": getattr(tg, dt)} if dt else {}))
    ref = torch.logspace(*args, **kw, **({"dtype": getattr(torch, dt)} if dt else {}))
    same_as_torch(ours, ref, rtol=1e-6)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (3, 0)])
def test_eye_as_torch(torch, args):
    same_as_torch(tg.eye(*args), torch.eye(*args))
    same_as_torch(tg.eye(*args, dtype=tg.int64), torch.eye(*args, dtype=torch.int64))


@pytest.mark.parametrize("name", ["int64", "float32", "float64", "uint8", "bool"])
def test_like_factories_as_torch(torch, name):
    x, y = _pair(torch, name, (2, 3))
    for fn in ("zeros_like", "ones_like", "empty_like"):
        o, r = getattr(tg, fn)(x), getattr(torch, fn)(y)
        assert tuple(o.shape) == tuple(r.shape) and str(o.dtype)[3:] == str(r.dtype)[6:]
    same_as_torch(tg.full_like(x, 2.7), torch.full_like(y, 2.7))
    same_as_torch(tg.zeros_like(x, dtype=tg.float64), torch.zeros_like(y, dtype=torch.float64))
    for fn in ("rand_like", "randn_like"):
        o = outcome(lambda fn=fn: getattr(tg, fn)(x))
        r = outcome(lambda fn=fn: getattr(torch, fn)(y))
        if isinstance(r, type):
            assert o is r
        else:
            assert o.dtype == x.dtype and tuple(o.shape) == (2, 3)
    if name != "bool":
        o = tg.randint_like(x, 3, 7)
        assert o.dtype == x.dtype and 3 <= int(o.min().item()) and int(o.max().item()) < 7
        assert tg.randint_like(x, 5).dtype == torch.randint_like(y, 5).dtype.__str__()[6:] or \
            str(tg.randint_like(x, 5).dtype)[3:] == str(torch.randint_like(y, 5).dtype)[6:]
    assert tg.ones_like(x, device="cpu").device == x.device
