"""Spellings that beginner tutorials (d2l, the PyTorch quickstart) use on tensors:
numpy's axis=/keepdims=, .type(), tg.normal, in-place random fills, f-string formats."""
import numpy as np
import pytest

import tinygrad_edu as tg
from helpers import npy

X = [[1.0, 5.0, -2.0], [3.0, 2.0, 7.0]]


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "argmax", "argmin", "all",
                                  "any", "logsumexp", "std", "var"])
def test_axis_and_keepdims_spellings_match_torch(name, torch):
    x, tx = tg.tensor(X), torch.tensor(X)
    for kw in ({"axis": 1}, {"axis": 0, "keepdims": True}, {"dim": 1, "keepdims": True}):
        ours, ref = getattr(x, name)(**kw), getattr(tx, name)(**kw)
        np.testing.assert_allclose(npy(ours), ref.numpy(), rtol=1e-6)
        ours_fn = getattr(tg, name)(x, **kw) if hasattr(tg, name) else ours
        np.testing.assert_allclose(npy(ours_fn), ref.numpy(), rtol=1e-6)


def test_max_softmax_with_axis(torch):
    x, tx = tg.tensor(X), torch.tensor(X)
    assert npy(x.max(axis=1).indices).tolist() == tx.max(axis=1).indices.tolist()
    np.testing.assert_allclose(npy(x.softmax(axis=0)), tx.softmax(axis=0).numpy(), rtol=1e-6)


def test_type_names_and_conversion(torch):
    x = tg.tensor(X)
    assert x.type() == "tg.FloatTensor" and x.long().type() == "tg.LongTensor"
    assert x.type(tg.int64).dtype == tg.int64
    assert x.type("torch.DoubleTensor").dtype == tg.float64
    with pytest.raises(ValueError, match="invalid type"):
        x.type("torch.NotATensor")
    # d2l's accuracy(): (y_hat.type(y.dtype) == y).type(y.dtype).sum()
    y_hat, y = tg.tensor([2, 0, 1]), tg.tensor([2, 1, 1])
    assert float((y_hat.type(y.dtype) == y).type(y.dtype).sum()) == 2.0


def test_format_spec_on_a_scalar_tensor():
    loss = tg.tensor([0.25, 0.75]).mean()
    assert f"{loss:.3f}" == "0.500" and "{:.1%}".format(loss) == "50.0%"  # noqa: UP032
    assert f"{tg.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    with pytest.raises(TypeError):
        f"{tg.tensor([1.0, 2.0]):.2f}"


def test_normal_factory_d2l_style():
    tg.manual_seed(0)
    w = tg.normal(0, 0.01, size=(784, 10), requires_grad=True)
    assert w.shape == (784, 10) and w.requires_grad and w.is_leaf and w.dtype == tg.float32
    assert abs(float(w.std()) - 0.01) < 0.001 and abs(float(w.mean())) < 0.001
    tg.manual_seed(0)
    assert npy(tg.normal(0, 0.01, size=(784, 10))).tolist() == npy(w).tolist()
    m = tg.normal(tg.tensor([0.0, 100.0]), tg.tensor([1e-6, 1e-6]))
    np.testing.assert_allclose(npy(m), [0.0, 100.0], atol=1e-4)
    assert tg.normal(0.0, 1.0, (2, 3), dtype=tg.float64).dtype == tg.float64


def test_inplace_random_fills():
    tg.manual_seed(1)
    w = tg.zeros(20000)
    assert w.normal_(2.0, 0.5) is w
    assert abs(float(w.mean()) - 2.0) < 0.02 and abs(float(w.std()) - 0.5) < 0.02
    w.uniform_(-3.0, -1.0)
    v = npy(w)
    assert v.min() >= -3.0 and v.max() < -1.0 and abs(v.mean() + 2.0) < 0.03
    p = tg.zeros(5, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        p.normal_()
    p.data.normal_(0, 0.01)        # the tutorial idiom: through .data
    assert p.is_leaf and p.grad_fn is None and float(p.abs().sum()) > 0
    with pytest.raises(RuntimeError, match="floating point"):
        tg.zeros(3, dtype=tg.int64).uniform_()
