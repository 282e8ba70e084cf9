"""Every reduction over every integer dtype (and bool, float16, float32) against PyTorch:
the result dtype, the values (wrap-around included, as sum(dtype=int8) in PyTorch) or
the exception type where PyTorch refuses (mean of integers, argmax of bools)."""
import numpy as np
import pytest
from helpers import npy

import tinygrad_edu as tg

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DTYPES = ["uint8", "int8", "int16", "int32", "int64", "bool", "float16", "float32"]

# (name, f(module, x)): x is a [3, 4] tensor; tuple results compare field by field
REDUCTIONS = [
    ("sum", lambda m, x: x.sum()),
    ("sum dim", lambda m, x: x.sum(0)),
    ("sum dims keepdim", lambda m, x: x.sum((0, 1), keepdim=True)),
    ("sum function", lambda m, x: m.sum(x, 1)),
    ("mean", lambda m, x: x.mean()),
    ("mean dim", lambda m, x: x.mean(1)),
    ("prod", lambda m, x: x.prod()),
    ("prod dim", lambda m, x: x.prod(1, keepdim=True)),
    ("cumsum", lambda m, x: x.cumsum(0)),
    ("cumprod", lambda m, x: x.cumprod(1)),
    ("nansum", lambda m, x: x.nansum()),
    ("nanmean", lambda m, x: x.nanmean()),
    ("amax", lambda m, x: x.amax()),
    ("amin dim", lambda m, x: x.amin(0)),
    ("max", lambda m, x: x.max()),
    ("max dim", lambda m, x: tuple(x.max(1))),
    ("min dim", lambda m, x: tuple(x.min(0))),
    ("argmax", lambda m, x: x.argmax()),
    ("argmin dim", lambda m, x: x.argmin(1)),
    ("all", lambda m, x: x.all()),
    ("any dim", lambda m, x: x.any(0)),
    ("std", lambda m, x: x.std()),
    ("var dim", lambda m, x: x.var(0)),
    ("median", lambda m, x: x.median()),
    ("median dim", lambda m, x: x.median(1).values),
    ("mode", lambda m, x: x.mode(0).values),
    ("logsumexp", lambda m, x: x.logsumexp(1)),
    ("count_nonzero", lambda m, x: x.count_nonzero(0)),
    ("aminmax", lambda m, x: tuple(x.aminmax())),
    ("norm", lambda m, x: x.norm()),
    ("cummax", lambda m, x: tuple(x.cummax(1))),
    ("cummin", lambda m, x: tuple(x.cummin(0))),
    ("logcumsumexp", lambda m, x: x.logcumsumexp(1)),
    ("trace", lambda m, x: x[:, :3].trace()),
]
# explicit dtype=: the input is converted, then reduced (and wrapped) in that dtype
WITH_DTYPE = [
    ("sum", lambda m, x, d: x.sum(dtype=d)),
    ("sum dim", lambda m, x, d: x.sum(1, dtype=d)),
    ("prod", lambda m, x, d: x.prod(dtype=d)),
    ("prod dim", lambda m, x, d: x.prod(0, dtype=d)),
    ("cumsum", lambda m, x, d: x.cumsum(1, dtype=d)),
    ("cumprod", lambda m, x, d: x.cumprod(0, dtype=d)),
    ("nansum", lambda m, x, d: x.nansum(dtype=d)),
    ("mean", lambda m, x, d: x.mean(dtype=d)),
]


def _data(dtype):
    """Values that overflow int8 / uint8 sums and products, with zeros and ties."""
    a = np.array([[100, 0, 7, 100], [3, 100, 7, 1], [2, 5, 0, 90]])
    return a % 2 if dtype == "bool" else a


def _run(m, f, dtype, *extra):
    x = m.tensor(_data(dtype), dtype=getattr(m, dtype))
    try:
        out = f(m, x, *extra)
    except Exception as e:  # noqa: BLE001 - the exception's type is compared
        return type(e)
    return out if isinstance(out, tuple) else (out,)


def _same(ours, ref):
    if isinstance(ref, type):
        assert ours is ref, f"torch raised {ref.__name__}, tg gave {ours}"
        return
    assert not isinstance(ours, type), f"tg raised {ours.__name__}, torch gave {ref}"
    assert len(ours) == len(ref)
    for o, r in zip(ours, ref):
        assert o.dtype.name == str(r.dtype).split(".")[1]
        assert tuple(o.shape) == tuple(r.shape)
        tol = 1e-3 if r.dtype == torch.float16 else 1e-6
        np.testing.assert_allclose(npy(o).astype(np.float64), r.double().numpy(), rtol=tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,f", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_dtype_and_values_as_torch(name, f, dtype):
    _same(_run(tg, f, dtype), _run(torch, f, dtype))


@pytest.mark.parametrize("out", ["uint8", "int8", "int16", "int32", "int64", "bool",
                                 "float32", "float64"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool", "float32"])
@pytest.mark.parametrize("name,f", WITH_DTYPE, ids=[r[0] for r in WITH_DTYPE])
def test_reduction_with_dtype_argument_as_torch(name, f, dtype, out):
    ours = _run(tg, lambda m, x: f(m, x, getattr(m, out)), dtype)
    _same(ours, _run(torch, lambda m, x: f(m, x, getattr(m, out)), dtype))


def test_uint8_sum_is_int64_and_does_not_wrap():
    x = tg.tensor([200, 100], dtype=tg.uint8)
    assert x.sum().dtype == tg.int64 and x.sum().item() == 300
    assert x.sum(dtype=tg.uint8).item() == 44          # 300 mod 256, as torch


@pytest.mark.parametrize("bad", ["float", 5, 2.0])
def test_sum_with_a_non_dtype_raises_type_error_as_torch(bad):
    with pytest.raises(TypeError):
        torch.tensor([1, 2]).sum(dtype=bad)
    with pytest.raises(TypeError, match=r"sum\(\) received an invalid combination"):
        tg.tensor([1, 2]).sum(dtype=bad)


def test_sum_with_dtype_keeps_the_gradient_as_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.sum(dtype=tg.float64)
    assert y.dtype == tg.float64
    y.backward()
    assert x.grad.dtype == tg.float32 and x.grad.tolist() == [1.0, 1.0]
