"""tinygrad_edu.data: datasets, DataLoader batching and shuffling, IDX readers."""
import gzip
import os
from collections import namedtuple

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import data
from tinygrad_edu.data import (
    MNIST,
    DataLoader,
    Dataset,
    FashionMNIST,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
    read_idx,
)

SYSTEM_FASHION = "/usr/share/datasets/fashion-mnist"


class Items(Dataset):
    """A plain map-style dataset (the generic, per-sample path)."""

    def __init__(self, items):
        self.items = items

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)


def epoch_ids(loader):
    """The sample ids of one epoch, batch by batch (datasets built on tg.arange)."""
    return [b[0].tolist() for b in loader]


# ---- datasets ----------------------------------------------------------------------------
def test_tensor_dataset_items_and_len():
    x, y = tg.arange(12).reshape(6, 2), tg.arange(6) * 10
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    assert xi.tolist() == [8, 9] and yi.item() == 40
    assert ds[-1][1].item() == 50
    assert ds.tensors == (x, y)


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(tg.zeros(3, 2), tg.zeros(4))
    with pytest.raises(TypeError, match="Tensor"):
        TensorDataset(np.zeros(3))


def test_abstract_dataset_and_concat():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    both = Items([1, 2]) + Items([3])
    assert len(both) == 3 and [both[i] for i in range(3)] == [1, 2, 3] and both[-1] == 3
    with pytest.raises(IndexError):
        both[3]


def test_random_split_partitions():
    ds = TensorDataset(tg.arange(10))
    a, b = random_split(ds, [7, 3], generator=np.random.default_rng(0))
    ids = sorted(a[i][0].item() for i in range(7)) + sorted(b[i][0].item() for i in range(3))
    assert sorted(ids) == list(range(10)) and len(a) == 7 and len(b) == 3
    assert [len(s) for s in random_split(ds, [0.5, 0.5])] == [5, 5]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [4, 4])


# ---- DataLoader: batching ------------------------------------------------------------------
@pytest.mark.parametrize("n,bs,drop_last,sizes", [
    (10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]),
    (2, 5, False, [2]), (2, 5, True, [])])
def test_batch_sizes_and_len(n, bs, drop_last, sizes):
    for ds in (TensorDataset(tg.arange(n)), Items(list(range(n)))):  # fast and generic paths
        loader = DataLoader(ds, batch_size=bs, drop_last=drop_last)
        batches = list(loader)
        assert len(loader) == len(sizes)
        assert [len(b[0] if isinstance(b, list) else b) for b in batches] == sizes


def test_batches_are_stacked_in_order():
    x, y = tg.arange(20).reshape(10, 2).float(), tg.arange(10)
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    assert xb.shape == (4, 2) and xb.dtype == tg.float32 and yb.dtype == tg.int64
    assert yb.tolist() == [0, 1, 2, 3] and xb.tolist()[3] == [6.0, 7.0]


def test_tuple_items_collated():
    items = [(tg.full((2, 3), float(i)), i) for i in range(5)]
    xb, yb = next(iter(DataLoader(Items(items), batch_size=4)))
    assert xb.shape == (4, 2, 3) and xb[2].tolist() == [[2.0] * 3] * 2
    assert yb.dtype == tg.int64 and yb.tolist() == [0, 1, 2, 3]


def test_python_scalars_and_containers_collated():
    ints, floats, bools = default_collate([1, 2]), default_collate([0.5, 1.5]), \
        default_collate([True, False])
    assert ints.dtype == tg.int64 and ints.tolist() == [1, 2]
    assert floats.dtype == tg.float32 and floats.tolist() == [0.5, 1.5]
    assert bools.dtype == tg.bool and bools.tolist() == [True, False]
    assert default_collate([np.float64(1.0), np.float64(2.0)]).dtype == tg.float64
    assert default_collate(["a", "b"]) == ["a", "b"]
    d = default_collate([{"x": 1, "y": np.ones(2)}, {"x": 2, "y": np.zeros(2)}])
    assert d["x"].tolist() == [1, 2] and d["y"].shape == (2, 2)
    Pair = namedtuple("Pair", "a b")
    p = default_collate([Pair(1, 2.0), Pair(3, 4.0)])
    assert isinstance(p, Pair) and p.a.tolist() == [1, 3]
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([tg.zeros(2), tg.zeros(3)])


def test_custom_collate_fn_is_used():
    loader = DataLoader(TensorDataset(tg.arange(5)), batch_size=2, collate_fn=len)
    assert list(loader) == [2, 2, 1]


@pytest.mark.parametrize("bad", [0, -1, 1.5, None, True, "2"])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        DataLoader(TensorDataset(tg.arange(3)), batch_size=bad)


def test_bad_generator_and_shuffle_args():
    ds = TensorDataset(tg.arange(3))
    with pytest.raises(TypeError, match="numpy Generator"):
        DataLoader(ds, shuffle=True, generator=42)
    with pytest.raises(ValueError, match="either generator or seed"):
        DataLoader(ds, generator=np.random.default_rng(0), seed=0)
    with pytest.raises(ValueError, match="shuffle should be a boolean"):
        DataLoader(ds, shuffle=1)


# ---- DataLoader: shuffling -------------------------------------------------------------------
@pytest.fixture(params=["tensor", "generic"])
def ids_dataset(request):
    n = 50
    return TensorDataset(tg.arange(n)) if request.param == "tensor" \
        else Items([(i,) for i in range(n)])


def test_every_sample_once_per_epoch(ids_dataset):
    loader = DataLoader(ids_dataset, batch_size=8, shuffle=True, seed=1)
    for _ in range(3):
        seen = [i for batch in epoch_ids(loader) for i in batch]
        assert sorted(seen) == list(range(50))


def test_same_seed_same_batches_new_order_each_epoch(ids_dataset):
    a = DataLoader(ids_dataset, batch_size=8, shuffle=True, seed=7)
    b = DataLoader(ids_dataset, batch_size=8, shuffle=True,
                   generator=np.random.default_rng(7))
    epochs_a, epochs_b = [epoch_ids(a) for _ in range(2)], [epoch_ids(b) for _ in range(2)]
    assert epochs_a == epochs_b
    assert epochs_a[0] != epochs_a[1]
    assert epoch_ids(DataLoader(ids_dataset, batch_size=8, shuffle=True, seed=8)) != epochs_a[0]
    assert epoch_ids(DataLoader(ids_dataset, batch_size=8)) == \
        [list(range(s, min(s + 8, 50))) for s in range(0, 50, 8)]


def test_global_manual_seed_drives_shuffle(ids_dataset):
    loader = DataLoader(ids_dataset, batch_size=8, shuffle=True)
    tg.manual_seed(123)
    first = [epoch_ids(loader) for _ in range(2)]
    tg.manual_seed(123)
    assert [epoch_ids(loader) for _ in range(2)] == first
    assert first[0] != first[1]


def test_fast_path_skips_getitem(monkeypatch):
    ds = TensorDataset(tg.arange(10), tg.arange(10) * 2)
    monkeypatch.setattr(TensorDataset, "__getitem__", lambda self, i: 1 / 0)
    batches = list(DataLoader(ds, batch_size=4, shuffle=True, seed=0))
    assert sum(len(b[0]) for b in batches) == 10
    assert all((b[1].numpy() == 2 * b[0].numpy()).all() for b in batches)
    # a Subset of a TensorDataset is gathered in one go as well
    sub = Subset(ds, [9, 3, 5])
    assert next(iter(DataLoader(sub, batch_size=3)))[0].tolist() == [9, 3, 5]


def test_subclass_getitem_is_honoured():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            return (self.tensors[0][i] * 2,)
    batch = next(iter(DataLoader(Doubled(tg.arange(4)), batch_size=4)))
    assert batch[0].tolist() == [0, 2, 4, 6]


def test_batches_keep_grad_connection():
    w = tg.ones(4, 2, requires_grad=True)
    (xb,) = next(iter(DataLoader(TensorDataset(w), batch_size=3)))
    xb.sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0]] * 3 + [[0.0, 0.0]]


# ---- IDX files -----------------------------------------------------------------------------
def idx_bytes(array, magic=None):
    """The IDX encoding of a uint8 array (``magic`` overrides the 4 header bytes)."""
    magic = 0x0800 | array.ndim if magic is None else magic
    head = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return head + array.astype(np.uint8).tobytes()


def write(path, payload, gz=False):
    path = str(path) + (".gz" if gz else "")
    with open(path, "wb") as f:
        f.write(gzip.compress(payload) if gz else payload)
    return path


def write_split(directory, n=12, train=True, gz=False, labels=None, images=None):
    """Small MNIST-format files; returns (images, labels)."""
    os.makedirs(directory, exist_ok=True)
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) if images is None else images
    labels = (np.arange(n) % 10).astype(np.uint8) if labels is None else labels
    prefix = "train" if train else "t10k"
    write(os.path.join(directory, f"{prefix}-images-idx3-ubyte"), idx_bytes(images), gz)
    write(os.path.join(directory, f"{prefix}-labels-idx1-ubyte"), idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_valid(tmp_path, gz):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    out = read_idx(write(tmp_path / "a", idx_bytes(a), gz), data.datasets.IMAGES_MAGIC)
    assert out.dtype == np.uint8 and (out == a).all() and out.flags.writeable


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("payload,phrase", [
    (idx_bytes(np.zeros(5, np.uint8), magic=0x00000803), "bad IDX magic number"),
    (idx_bytes(np.zeros(5, np.uint8), magic=0x12340801), "bad IDX magic number"),
    (idx_bytes(np.zeros((2, 3, 4), np.uint8))[:-1], "truncated: expected 24 bytes"),
    (idx_bytes(np.zeros((2, 3, 4), np.uint8)) + b"\0", "over-long: expected 24 bytes"),
    (b"\x00\x00\x08\x03\x00\x00", "truncated"),
    (b"\x00\x00", "too short"),
])
def test_read_idx_rejects_bad_files(tmp_path, payload, phrase, gz):
    path = write(tmp_path / "bad", payload, gz)
    magic = None if "magic" not in phrase else data.datasets.LABELS_MAGIC
    with pytest.raises(ValueError, match=phrase) as err:
        read_idx(path, magic)
    assert "bad" in str(err.value)  # names the file


def test_read_idx_corrupt_gzip(tmp_path):
    good = gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))
    for name, blob in [("cut.gz", good[:-12]), ("flip.gz", good[:20] + b"\xff" * 8 + good[28:]),
                       ("junk.gz", b"not gzip at all")]:
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(ValueError, match="corrupt gzip") as err:
            read_idx(tmp_path / name)
        assert name in str(err.value)


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_from_root(tmp_path, gz):
    images, labels = write_split(tmp_path, n=12, gz=gz)
    ds = MNIST(root=tmp_path)
    assert len(ds) == 12 and ds.data.dtype == tg.uint8 and ds.data.shape == (12, 28, 28)
    assert ds.targets.dtype == tg.int64 and ds.targets.tolist() == labels.tolist()
    img, label = ds[3]
    assert img.shape == (1, 28, 28) and img.dtype == tg.float32 and label == 3
    np.testing.assert_allclose(img.numpy()[0], images[3] / 255, rtol=1e-6)
    xs, ys = ds.as_tensor_dataset(flatten=True).tensors
    assert xs.shape == (12, 784) and xs.dtype == tg.float32 and ys.dtype == tg.int64
    assert 0 <= xs.numpy().min() and xs.numpy().max() <= 1
    norm = ds.as_tensor_dataset(normalize=(0.5, 0.25)).tensors[0]
    assert norm.shape == (12, 1, 28, 28)
    np.testing.assert_allclose(norm.numpy()[3, 0], (images[3] / 255 - 0.5) / 0.25, atol=1e-6)
    with pytest.raises(FileNotFoundError):
        MNIST(root=tmp_path, train=False)


def test_transforms(tmp_path):
    write_split(tmp_path, n=4)
    ds = MNIST(root=tmp_path, transform=lambda x: x.flatten(), target_transform=lambda y: -y)
    img, label = ds[2]
    assert img.shape == (784,) and label == -2
    with pytest.raises(ValueError, match="transform"):
        ds.as_tensor_dataset()


def test_label_count_mismatch(tmp_path):
    write_split(tmp_path, n=12, labels=np.zeros(11, np.uint8))
    with pytest.raises(ValueError, match="count mismatch.*11 labels.*12 images"):
        MNIST(root=tmp_path)


def test_label_out_of_range(tmp_path):
    write_split(tmp_path, n=12, labels=np.full(12, 10, np.uint8))
    with pytest.raises(ValueError, match="label 10 out of range 0..9"):
        FashionMNIST(root=tmp_path)


def test_images_must_be_28x28(tmp_path):
    write_split(tmp_path, n=3, images=np.zeros((3, 28, 27), np.uint8))
    with pytest.raises(ValueError, match="28 x 28"):
        MNIST(root=tmp_path)


def test_search_tg_data_then_home(tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    home, shared = tmp_path / "home", tmp_path / "shared"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TG_DATA", str(shared))
    write_split(home / ".cache" / "tinygrad_edu" / "fashion-mnist", n=5)
    assert len(FashionMNIST()) == 5  # TG_DATA is empty: falls through to ~/.cache
    write_split(shared, n=6)
    assert len(FashionMNIST()) == 6 and len(MNIST()) == 6  # TG_DATA itself
    write_split(shared / "mnist", n=7)
    assert len(MNIST()) == 7 and len(FashionMNIST()) == 6  # TG_DATA/<name> before TG_DATA
    write_split(tmp_path / "tv" / "FashionMNIST" / "raw", n=8, gz=True)
    assert len(FashionMNIST(root=tmp_path / "tv")) == 8  # torchvision's layout under root


def test_not_found_message(tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    monkeypatch.setenv("TG_DATA", str(tmp_path / "nodata"))
    with pytest.raises(FileNotFoundError) as err:
        FashionMNIST()
    msg = str(err.value)
    assert "sudo apt-get install dataset-fashion-mnist" in msg
    assert str(tmp_path / "nodata") in msg and ".cache/tinygrad_edu/fashion-mnist" in msg
    assert "train-images-idx3-ubyte" in msg and "root=" in msg
    with pytest.raises(FileNotFoundError, match="yann.lecun.com"):
        MNIST()


# ---- the real Fashion-MNIST --------------------------------------------------------------------
@pytest.mark.skipif(not os.path.isdir(SYSTEM_FASHION),
                    reason=f"{SYSTEM_FASHION} absent (sudo apt-get install dataset-fashion-mnist)")
def test_real_fashion_mnist(monkeypatch):
    monkeypatch.delenv("TG_DATA", raising=False)
    train, test = FashionMNIST(root=SYSTEM_FASHION), FashionMNIST(root=SYSTEM_FASHION,
                                                                  train=False)
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == tg.uint8
    assert len(test) == 10000 and test.data.shape == (10000, 28, 28)
    counts = np.bincount(train.targets.numpy(), minlength=10)
    assert counts.tolist() == [6000] * 10 and train.targets.dtype == tg.int64
    assert train.classes[0] == "T-shirt/top" and train.class_to_idx["Ankle boot"] == 9
    img, label = test[0]
    assert img.dtype == tg.float32 and img.shape == (1, 28, 28) and 0 <= label <= 9
    assert float(img.min()) >= 0 and float(img.max()) <= 1 and float(img.max()) > 0.5
    assert train.data.numpy().max() == 255


def test_tutorial_worker_options_are_accepted_and_batches_unchanged():
    ds = TensorDataset(tg.arange(10), tg.arange(10) * 2)
    plain = [b[0].tolist() for b in DataLoader(ds, batch_size=4)]
    opts = DataLoader(ds, batch_size=4, num_workers=4, pin_memory=True, timeout=0,
                      persistent_workers=False, prefetch_factor=None)
    assert [b[0].tolist() for b in opts] == plain
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)


def test_sampler_gives_the_order_and_the_length():
    ds = TensorDataset(tg.arange(10))
    loader = DataLoader(ds, batch_size=3, sampler=[9, 8, 7, 1])
    assert [b[0].tolist() for b in loader] == [[9, 8, 7], [1]] and len(loader) == 2
    assert len(DataLoader(ds, batch_size=3, sampler=[9, 8, 7, 1], drop_last=True)) == 1
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=[0], shuffle=True)
