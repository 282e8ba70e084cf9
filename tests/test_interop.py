"""Interop: np.asarray, from_numpy, DLPack both ways, state_dicts into PyTorch."""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.train import save_state_dict


def test_asarray_shares_memory_and_honours_dtype_and_copy():
    t = tg.tensor([1.0, 2.0, 3.0])
    a = np.asarray(t)
    a[0] = 9.0
    assert t.tolist() == [9.0, 2.0, 3.0]
    b = np.array(t, copy=True)
    b[1] = -1.0
    assert t.tolist()[1] == 2.0
    d = np.asarray(t, dtype=np.float64)
    assert d.dtype == np.float64 and d.tolist() == [9.0, 2.0, 3.0]
    assert np.asarray(t, dtype=np.float32) is t.numpy()  # same dtype: no copy
    with pytest.raises(ValueError, match="copy"):
        np.array(t, dtype=np.float64, copy=False)
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(tg.ones(2, requires_grad=True))
    assert np.add(t, 1).tolist() == [10.0, 3.0, 4.0]


def test_as_tensor_shares_what_it_can_as_torch_does():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = tg.as_tensor(a)  # a numpy array: no copy
    a[0, 0] = 100
    assert t[0, 0].item() == 100 and t.dtype == tg.float64
    assert tg.as_tensor(t) is t  # a tensor as it is
    assert tg.as_tensor(t, dtype=tg.float32).dtype == tg.float32
    lst = tg.as_tensor([[1.0, 2.0]])  # other data as tg.tensor reads it
    assert lst.dtype == tg.float32 and lst.shape == (1, 2)
    assert tg.as_tensor(3).dtype == tg.int64
    torch = pytest.importorskip("torch")
    for data in ([[1.0, 2.0]], 3, np.arange(3, dtype=np.int32), np.ones(2, np.float32)):
        assert str(tg.as_tensor(data).dtype).split(".")[1] == \
            str(torch.as_tensor(data).dtype).split(".")[1]


def test_from_numpy_shares_memory_both_ways():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = tg.from_numpy(a)
    a[0, 0] = 100
    assert t[0, 0].item() == 100 and t.dtype == tg.float64
    t.add_(1)
    assert a[1, 2] == 6
    v = tg.from_numpy(a[:, ::2])  # a strided view is shared too
    a[1, 2] = -5
    assert v[1, 1].item() == -5
    with pytest.raises(TypeError, match="np.ndarray"):
        tg.from_numpy([1, 2])


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_ndarray_subclasses_follow_plain_numpy_rules():
    """np.matrix keeps its rows 2-D under indexing; a tensor of one shares its memory but
    indexes, reduces and reshapes like PyTorch (as torch.from_numpy does)."""
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    t = tg.from_numpy(m)
    assert t[0].shape == (2,) and t.exp()[0].shape == (2,) and (t + 0).sum(1).shape == (2,)
    assert (t * 1).flatten().shape == (4,) and t.reshape(4).shape == (4,)
    m[0, 0] = 9.0
    assert t[0, 0].item() == 9.0
    # an op on a tensor around a subclass (here made without from_numpy) gives a plain array
    raw = tg.Tensor._make(np.asmatrix(np.ones((2, 2))))
    assert type(raw.exp()._data) is np.ndarray and raw.exp()[0].shape == (2,)


def test_dlpack_out_to_numpy():
    t = tg.arange(6).reshape(2, 3).float()
    assert t.__dlpack_device__() == (1, 0)
    a = np.from_dlpack(t)
    a[0, 1] = 42
    assert t[0, 1].item() == 42
    with pytest.raises(RuntimeError, match="detach"):
        np.from_dlpack(tg.ones(2, requires_grad=True))
    with pytest.raises(BufferError):
        t.__dlpack__(stream=1)


class _Holder:
    """A third-party object that only speaks DLPack."""

    def __init__(self, a):
        self.a = a

    def __dlpack__(self, **kwargs):
        return self.a.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.a.__dlpack_device__()


def test_from_dlpack_numpy_and_protocol_objects():
    a = np.arange(4, dtype=np.float32)
    t = tg.from_dlpack(a)
    a[2] = 7
    assert t.tolist() == [0, 1, 7, 3] and t.dtype == tg.float32
    h = tg.from_dlpack(_Holder(a))
    h.mul_(2)
    assert a.tolist() == [0, 2, 14, 6]
    with pytest.raises(TypeError, match="__dlpack__"):
        tg.from_dlpack([1.0, 2.0])

    class OnGpu(_Holder):
        def __dlpack_device__(self):
            return (3, 0)  # kDLCUDAHost: neither CPU nor CUDA device memory
    with pytest.raises(RuntimeError, match="only CPU and CUDA memory"):
        tg.from_dlpack(OnGpu(a))


def test_dlpack_with_torch():
    torch = pytest.importorskip("torch")
    x = torch.arange(6.0).reshape(2, 3)
    t = tg.from_dlpack(x)
    x[1, 1] = -3
    assert t[1, 1].item() == -3 and t.shape == (2, 3)
    tt = tg.from_dlpack(x.T)  # non-contiguous: strides carried over
    assert tt.tolist() == x.T.tolist()
    assert tg.from_dlpack(torch.tensor([1, 2], dtype=torch.int64)).dtype == tg.int64
    back = torch.from_dlpack(t)
    back[0, 0] = 11
    assert t[0, 0].item() == 11 and x[0, 0].item() == 11


def _trained_model():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.Adam(model.parameters(), lr=0.01)
    x, y = tg.randn(32, 3, 4), tg.randint(0, 3, (32,))
    for _ in range(5):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(x), y).backward()
        opt.step()
    return model


def test_state_dict_round_trip_into_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    model = _trained_model()
    path = save_state_dict(model, tmp_path / "model.npz")
    ref = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.ReLU(),
                              torch.nn.Linear(8, 3))
    with np.load(path) as f:
        ref.load_state_dict({k: torch.from_numpy(f[k]) for k in f.files})
    x = np.random.default_rng(1).standard_normal((5, 3, 4)).astype(np.float32)
    ours = model(tg.from_numpy(x)).detach().numpy()
    with torch.no_grad():
        theirs = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    # and back: PyTorch's state_dict loads into a fresh model of ours
    fresh = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 3))
    fresh.load_state_dict(ref.state_dict())
    np.testing.assert_allclose(fresh(tg.from_numpy(x)).detach().numpy(), theirs,
                               rtol=1e-5, atol=1e-6)
