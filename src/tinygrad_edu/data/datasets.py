"""MNIST and Fashion-MNIST from local IDX files (raw or .gz); nothing is ever downloaded.

Where the files are looked for, when ``root`` is None, in order:

1. ``$TG_DATA/<name>`` then ``$TG_DATA`` (``name`` is ``mnist`` or ``fashion-mnist``;
   ``TG_DATA`` may list several directories separated by ``os.pathsep``),
2. ``~/.cache/tinygrad_edu/<name>``,
3. ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``; Fashion only).

With ``root`` given: ``root``, ``root/<name>`` and torchvision's ``root/<Class>/raw``.
"""
from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ..factories import from_numpy
from .dataset import Dataset, TensorDataset

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dims
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dim

# IDX type byte -> element type; multi-byte types are stored big-endian.
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _read_bytes(path: str) -> bytes:
    """The file's bytes, decompressed when it is gzip (by name or by its magic bytes)."""
    with open(path, "rb") as f:
        raw = f.read()
    if not (str(path).endswith(".gz") or raw[:2] == b"\x1f\x8b"):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: corrupt gzip file ({e})") from e


def read_idx(path: str, magic: int | None = None) -> np.ndarray:
    """Read an IDX file (raw or .gz) into a numpy array of its dims, validating it all.

    ``magic`` (e.g. ``IMAGES_MAGIC``) pins the element type and the number of dims.
    Raises ValueError naming the file for a bad header, a payload whose length is not
    exactly the product of the dims, or a corrupt gzip stream.
    """
    buf = _read_bytes(path)
    if len(buf) < 4:
        raise ValueError(f"{path}: {len(buf)} bytes is too short for an IDX header")
    found = int.from_bytes(buf[:4], "big")
    type_byte, ndim = buf[2], buf[3]
    if magic is not None and found != magic:
        raise ValueError(f"{path}: bad IDX magic number 0x{found:08x}, expected 0x{magic:08x} "
                         "(is this the right file?)")
    if buf[0] or buf[1] or type_byte not in _IDX_TYPES:
        raise ValueError(f"{path}: bad IDX magic number 0x{found:08x} (not an IDX file)")
    header = 4 + 4 * ndim
    if len(buf) < header:
        raise ValueError(f"{path}: IDX header for {ndim} dims needs {header} bytes, file has "
                         f"{len(buf)} (truncated)")
    dims = tuple(int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = _IDX_TYPES[type_byte]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    payload = len(buf) - header
    if payload != expected:
        why = "truncated" if payload < expected else "over-long"
        raise ValueError(f"{path}: IDX payload is {why}: expected {expected} bytes for dims "
                         f"{dims}, found {payload}")
    array = np.frombuffer(buf, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    # astype copies into a writable, native-endian array (frombuffer on bytes is read-only).
    return array.reshape(dims).astype(dtype.newbyteorder("="))


def _find(directory: str, stem: str) -> str | None:
    """The path of ``stem`` or ``stem.gz`` in directory (raw first: no decompression)."""
    for name in (stem, stem + ".gz"):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    return None


class MNIST(Dataset):
    """The MNIST digits (60,000 train / 10,000 test images of 28x28) from local IDX files.

    ``MNIST(root=None, train=True, transform=None, target_transform=None)``; see the module
    docstring for where files are searched. Attributes as in torchvision: ``data`` (uint8
    tensor N x 28 x 28), ``targets`` (int64 tensor), ``classes``, ``class_to_idx``;
    ``folder`` is the directory the files came from.

    ``ds[i]`` is ``(image, label)``: there is no PIL here, so the image arrives as
    torchvision's ``ToTensor()`` would give it, a float32 tensor (1, 28, 28) in [0, 1], and
    ``transform`` (if any) is applied to that tensor; the label is a Python int, passed
    through ``target_transform``. For training, ``as_tensor_dataset()`` converts everything
    at once into a TensorDataset that DataLoader batches without per-sample work.
    """

    name = "mnist"
    classes: ClassVar[list[str]] = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
                                    "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    system_dirs: tuple[str, ...] = ()
    how_to_get = ("download the four IDX files (train-images-idx3-ubyte.gz, "
                  "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
                  "t10k-labels-idx1-ubyte.gz) from https://yann.lecun.com/exdb/mnist/ "
                  "(mirror: https://ossci-datasets.s3.amazonaws.com/mnist/)")

    def __init__(self, root: str | os.PathLike[str] | None = None, train: bool = True,
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[Any], Any] | None = None) -> None:
        self.train = bool(train)
        self.transform = transform
        self.target_transform = target_transform
        images_path, labels_path = self._locate(root)
        self.folder = os.path.dirname(images_path)
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC)
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{images_path}: images are {images.shape[1:]}, expected 28 x 28")
        if len(labels) != len(images):
            raise ValueError(f"count mismatch: {labels_path} holds {len(labels)} labels but "
                             f"{images_path} holds {len(images)} images")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{labels_path}: label {int(labels.max())} out of range "
                             f"0..{len(self.classes) - 1}")
        self.data = from_numpy(images)
        self.targets = from_numpy(labels.astype(np.int64))

    @classmethod
    def search_dirs(cls, root: str | os.PathLike[str] | None = None) -> list[str]:
        """The directories searched for the files, in order."""
        if root is not None:
            root = os.path.expanduser(os.fspath(root))
            return [root, os.path.join(root, cls.name), os.path.join(root, cls.__name__, "raw")]
        dirs = []
        for base in filter(None, os.environ.get("TG_DATA", "").split(os.pathsep)):
            # The named subdirectory first, so one TG_DATA can hold both datasets.
            dirs += [os.path.join(base, cls.name), base]
        dirs.append(os.path.join(os.path.expanduser("~"), ".cache", "tinygrad_edu", cls.name))
        return dirs + list(cls.system_dirs)

    def _locate(self, root: str | os.PathLike[str] | None) -> list[str]:
        prefix = "train" if self.train else "t10k"
        stems = (f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte")
        searched = self.search_dirs(root)
        for directory in searched:
            paths = [_find(directory, stem) for stem in stems]
            found = [p for p in paths if p is not None]
            if len(found) == len(stems):
                return found
        listing = "\n".join(f"  {d}" for d in searched)
        raise FileNotFoundError(
            f"{type(self).__name__} {prefix} files ({stems[0]}[.gz], {stems[1]}[.gz]) not "
            f"found; searched:\n{listing}\nNothing is downloaded automatically. To get the "
            f"data, {self.how_to_get} into one of those directories (e.g. "
            f"~/.cache/tinygrad_edu/{self.name}), or set TG_DATA, or pass root=...")

    @property
    def class_to_idx(self) -> dict[str, int]:
        """Class name -> label."""
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return self.data.shape[0]

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        index = int(index)
        image = from_numpy(self.data.numpy()[index][None].astype(np.float32) / 255)
        label = int(self.targets.numpy()[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def as_tensor_dataset(self, flatten: bool = False,
                          normalize: tuple[float, float] | None = None) -> TensorDataset:
        """All items at once: a TensorDataset of (float32 images in [0, 1], int64 labels).

        Images are (N, 1, 28, 28), or (N, 784) with ``flatten=True``; ``normalize=(mean,
        std)`` then maps x to (x - mean) / std. Transforms are not applied here.
        """
        if self.transform is not None or self.target_transform is not None:
            raise ValueError("as_tensor_dataset() does not apply transform/target_transform; "
                             "create the dataset without them or index it item by item")
        images = self.data.numpy().astype(np.float32)
        images /= 255  # in place: the array is already the one copy we need
        images = images.reshape(len(self), -1) if flatten else images[:, None]
        if normalize is not None:
            mean, std = normalize
            images -= np.float32(mean)
            images /= np.float32(std)
        return TensorDataset(from_numpy(images), from_numpy(self.targets.numpy().copy()))

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.folder}\n    Split: "
                f"{'Train' if self.train else 'Test'}")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 10 clothing classes, the same format and API as MNIST."""

    name = "fashion-mnist"
    classes: ClassVar[list[str]] = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    how_to_get = ("run `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu; installs "
                  "/usr/share/datasets/fashion-mnist), or download the four IDX files "
                  "(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                  "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) from "
                  "https://github.com/zalandoresearch/fashion-mnist")
