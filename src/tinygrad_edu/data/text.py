"""Character-level text for language models: a vocabulary, (x, y) blocks, and the text
that ships with Debian (nothing is ever downloaded).

    text = "\\n\\n".join(read_fortunes())           # Debian's `fortunes` quotations
    ds = CharDataset(text, block_size=32)          # vocab, 90/10 train/val split
    xb, yb = ds.get_batch("train", batch_size=16)  # as in "Let's build GPT"
    words = read_words()                           # makemore: lowercase a-z words
    vocab = CharVocab("".join(words), specials=".")  # '.' is 0, 'a'..'z' are 1..26
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ..factories import from_numpy
from ..tensor import Tensor
from .dataset import Dataset, resolve_generator

FORTUNES_DIR = "/usr/share/games/fortunes"
WORDS_PATH = "/usr/share/dict/words"
_SPLITS = ("train", "val")


def _codepoints(text: str) -> np.ndarray:
    """The text's characters as uint32 code points, without a Python loop."""
    return np.frombuffer(text.encode("utf-32-le"), dtype="<u4")


class CharVocab:
    """The characters of a text, one token each: ``itos`` (id -> char), ``stoi``
    (char -> id), ``encode`` and ``decode``.

    ``specials`` (e.g. ``"."``, makemore's start/end token) take the first ids, in the
    order given; the text's other characters follow in sorted order, as in the lectures'
    ``chars = sorted(set(text))``.
    """

    def __init__(self, text: str = "", specials: str | Sequence[str] = "") -> None:
        if not isinstance(text, str):
            raise TypeError(f"CharVocab: text must be a str, got {type(text).__name__}")
        specials = list(specials)
        for s in specials:
            if not isinstance(s, str) or len(s) != 1:
                raise ValueError(f"CharVocab: specials must be single characters, got {s!r}")
        if len(set(specials)) != len(specials):
            raise ValueError(f"CharVocab: specials {specials!r} repeat a character")
        self.itos: list[str] = specials + sorted(set(text) - set(specials))
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.itos)}
        # sorted code points and their ids: encode is one searchsorted over the text
        order = sorted(range(len(self.itos)), key=lambda i: ord(self.itos[i]))
        self._points = np.array([ord(self.itos[i]) for i in order], dtype=np.uint32)
        self._ids = np.array(order, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def vocab_size(self) -> int:
        """The number of tokens (the size of the embedding / the logits)."""
        return len(self.itos)

    def __contains__(self, char: object) -> bool:
        return char in self.stoi

    def encode_array(self, text: str) -> np.ndarray:
        """The ids of text's characters as an int64 numpy array."""
        if not isinstance(text, str):
            raise TypeError(f"encode: expected a str, got {type(text).__name__}")
        points = _codepoints(text)
        at = np.searchsorted(self._points, points).clip(max=max(len(self._points) - 1, 0))
        bad = (self._points[at] != points) if len(self._points) else np.ones(len(points), bool)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(f"encode: character {text[i]!r} (U+{ord(text[i]):04X}) at "
                             f"position {i} is not in the vocabulary of {len(self)} characters")
        return self._ids[at]

    def encode(self, text: str) -> list[int]:
        """The ids of text's characters (``[stoi[c] for c in text]``)."""
        return self.encode_array(text).tolist()

    def decode(self, ids: Iterable[int] | Tensor | np.ndarray) -> str:
        """The text of a sequence of ids (a list, a 1-D tensor or array)."""
        if isinstance(ids, Tensor):
            arr = ids.detach().numpy()
        elif isinstance(ids, (int, np.integer, np.ndarray)):
            arr = np.asarray(ids)
        else:
            arr = np.asarray(list(ids))
        if arr.ndim > 1:
            raise ValueError(f"decode: expected a 1-D sequence of ids, got shape "
                             f"{list(arr.shape)} (decode one row at a time)")
        if arr.size and arr.dtype.kind not in "iu":
            raise TypeError(f"decode: ids must be integers, got {arr.dtype}")
        bad = (arr < 0) | (arr >= len(self))
        if bad.any():
            raise IndexError(f"decode: id {int(arr[bad][0])} is out of range for a vocabulary "
                             f"of {len(self)} characters (0..{len(self) - 1})")
        return "".join(self.itos[i] for i in arr.reshape(-1).tolist())

    def __repr__(self) -> str:
        shown = "".join(self.itos[:40])
        return f"CharVocab({len(self)} chars: {shown!r}{'...' if len(self) > 40 else ''})"


class CharDataset(Dataset):
    """A text as (x, y) blocks of ``block_size`` ids, y being x shifted by one character.

    The whole text is encoded once (``data``, int64) and split into ``train_data`` (the
    first ``train_fraction``) and ``val_data`` (the rest), as in "Let's build GPT".
    As a Dataset (for DataLoader) item i of the chosen ``split`` is ``(x, y) =
    (data[i:i+T], data[i+1:i+T+1])``; ``get_batch`` draws random blocks from either
    split instead. ``vocab`` defaults to ``CharVocab(text)``: pass the training set's
    to encode another text with the same ids.
    """

    def __init__(self, text: str, block_size: int = 8, vocab: CharVocab | None = None,
                 split: str = "train", train_fraction: float = 0.9) -> None:
        if not isinstance(text, str):
            raise TypeError(f"CharDataset: text must be a str, got {type(text).__name__} "
                            "(read a file with tg.data.read_text)")
        self.block_size = _check_block_size(block_size, "CharDataset")
        self.split = _check_split(split, "CharDataset")
        if not 0.0 <= train_fraction <= 1.0:
            raise ValueError(f"CharDataset: train_fraction must be in [0, 1], got "
                             f"{train_fraction}")
        self.vocab = CharVocab(text) if vocab is None else vocab
        ids = self.vocab.encode_array(text)
        n = int(train_fraction * len(ids))
        self._split_ids = {"train": ids[:n], "val": ids[n:]}  # views of one array
        self.data = from_numpy(ids)
        self.train_data = from_numpy(ids[:n])
        self.val_data = from_numpy(ids[n:])

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def stoi(self) -> dict[str, int]:
        return self.vocab.stoi

    @property
    def itos(self) -> list[str]:
        return self.vocab.itos

    def encode(self, text: str) -> list[int]:
        return self.vocab.encode(text)

    def decode(self, ids: Any) -> str:
        return self.vocab.decode(ids)

    def _ids(self, split: str, block_size: int) -> np.ndarray:
        ids = self._split_ids[_check_split(split, "get_batch")]
        if len(ids) <= block_size:
            raise ValueError(f"get_batch: the {split} split holds {len(ids)} characters, too "
                             f"few for one block of block_size={block_size} plus its target "
                             f"(need {block_size + 1}); use a longer text or a smaller "
                             "block_size")
        return ids

    def get_batch(self, split: str, batch_size: int, block_size: int | None = None,
                  generator: np.random.Generator | None = None,
                  device: Any = None) -> tuple[Tensor, Tensor]:
        """``batch_size`` random blocks of ``split``: x and y, int64 of shape [B, T]
        with ``y[:, t] == x[:, t+1]``; starts drawn from tg's global generator (so
        ``tg.manual_seed`` repeats them) unless ``generator`` is given."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"get_batch: batch_size must be a positive int, got {batch_size!r}")
        t = self.block_size if block_size is None else _check_block_size(block_size, "get_batch")
        ids = self._ids(split, t)
        starts = resolve_generator(generator).integers(0, len(ids) - t, size=batch_size)
        at = starts[:, None] + np.arange(t)
        x, y = from_numpy(ids[at]), from_numpy(ids[at + 1])
        return (x, y) if device is None else (x.to(device), y.to(device))

    def __len__(self) -> int:
        return max(len(self._split_ids[self.split]) - self.block_size, 0)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        n = len(self)
        i = int(index)
        if not -n <= i < n:
            raise IndexError(f"index {index} is out of range for a dataset of {n} blocks")
        i, t = i % n, self.block_size
        ids = self._split_ids[self.split]
        return from_numpy(ids[i:i + t].copy()), from_numpy(ids[i + 1:i + t + 1].copy())

    def __repr__(self) -> str:
        return (f"CharDataset({self.split}: {len(self)} blocks of {self.block_size}, "
                f"{len(self.vocab)} chars, {len(self.data)} ids in all)")


def _check_block_size(block_size: Any, op: str) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise ValueError(f"{op}: block_size must be a positive int, got {block_size!r}")
    return block_size


def _check_split(split: Any, op: str) -> str:
    if split not in _SPLITS:
        raise ValueError(f"{op}: split must be 'train' or 'val', got {split!r}")
    return split


# ---- text on these machines ------------------------------------------------------------
def _missing(op: str, what: str, path: str, package: str, arg: str) -> FileNotFoundError:
    return FileNotFoundError(
        f"{op}: {what} not found at {path}; install Debian's package with `sudo apt-get "
        f"install {package}` (nothing is downloaded automatically), or pass {arg}=... to "
        "your own copy")


def read_text(path: str | os.PathLike[str]) -> str:
    """The contents of a UTF-8 text file (``\\r\\n`` read as ``\\n``)."""
    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise FileNotFoundError(f"read_text: no file {path!r}")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError(f"read_text: {path} is not UTF-8 text ({e})") from None


def read_words(path: str | os.PathLike[str] | None = None) -> list[str]:
    """The lowercase a-z words of a word list, one a line, in file order without
    repeats (default: Debian's ``wamerican``, /usr/share/dict/words): the makemore word
    list. Names, possessives ("abbey's") and accented words are left out."""
    path = WORDS_PATH if path is None else os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise _missing("read_words", "the word list", path, "wamerican", "path")
    words = re.findall(r"^[a-z]+$", read_text(path), flags=re.MULTILINE)
    return list(dict.fromkeys(words))


def _fortune_files(root: str) -> list[str]:
    """The plain fortune files of a directory, by name: not the ``.dat`` indexes, not the
    ``.u8`` links to the same files, not other links, hidden files or directories."""
    names = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if (name.startswith(".") or name.endswith((".dat", ".u8")) or os.path.islink(path)
                or not os.path.isfile(path)):
            continue
        names.append(name)
    return names


def read_fortunes(root: str | os.PathLike[str] | None = None,
                  names: Sequence[str] | None = None) -> list[str]:
    """The quotations of the ``fortune`` files in ``root`` (default: Debian's
    ``fortunes``, /usr/share/games/fortunes), files in sorted name order, each file's
    records (separated by lines holding only ``%``) in file order, empty ones dropped.
    ``names`` picks files (e.g. ``["computers", "science"]``)."""
    root = FORTUNES_DIR if root is None else os.path.expanduser(os.fspath(root))
    if not os.path.isdir(root):
        raise _missing("read_fortunes", "the fortunes directory", root, "fortunes", "root")
    available = _fortune_files(root)
    if names is None:
        names = available
    elif isinstance(names, str):
        raise TypeError(f"read_fortunes: names must be a list of file names, got the str "
                        f"{names!r} (write [{names!r}])")
    if not names:
        raise FileNotFoundError(f"read_fortunes: no fortune files in {root}. Install Debian's "
                                "package with `sudo apt-get install fortunes`, or pass root=...")
    records = []
    for name in names:
        if name not in available:
            raise FileNotFoundError(f"read_fortunes: no fortune file {name!r} in {root}; "
                                    f"available: {', '.join(available)}")
        text = read_text(os.path.join(root, name))
        for record in re.split(r"^[ \t]*%[ \t]*$\n?", text, flags=re.MULTILINE):
            record = record.strip("\n")
            if record.strip():
                records.append(record)
    return records
