"""Map-style datasets with ``torch.utils.data``'s names: Dataset, TensorDataset, Subset,
ConcatDataset and random_split."""
from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import factories
from ..tensor import Tensor


def resolve_generator(generator: Any) -> np.random.Generator:
    """The numpy Generator to draw from: tg's global one for None, a ``tg.Generator``'s
    own, or a numpy Generator itself.

    The global one is looked up on every call because ``tg.manual_seed`` replaces it.
    """
    if generator is None:
        return factories.generator()
    generator = getattr(generator, "numpy_generator", generator)
    if not hasattr(generator, "permutation"):
        raise TypeError(f"generator must be a tg.Generator or a numpy Generator "
                        f"(np.random.default_rng(seed)), got {type(generator).__name__}")
    return generator


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(i)`` and ``__len__()``.

    ``a + b`` concatenates two datasets (a ConcatDataset).
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Tensors sharing their first dimension; item ``i`` is ``tuple(t[i] for t in tensors)``."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset expects Tensors, got {type(t).__name__} "
                                "(wrap arrays with tg.from_numpy or tg.tensor)")
            if t.ndim == 0:
                raise ValueError("TensorDataset tensors need a first dimension (got a 0-d tensor)")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(f"Size mismatch between tensors: first dimensions are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> Any:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _take(self, indices: np.ndarray) -> list[Tensor]:
        """The collated batch for an int64 index array, one gather per tensor."""
        # np.take skips the autograd bookkeeping of t[indices]; tensors that record a graph
        # still go through t[indices] so the batch stays connected to them.
        return [t[indices] if t.requires_grad
                else factories.from_numpy(np.take(t.numpy(), indices, axis=0))
                for t in self.tensors]


class Subset(Dataset):
    """The items of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (list, tuple)):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: Any) -> Any:
        index = int(index)
        if index < 0:
            if -index > len(self):
                raise IndexError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"index {index} is out of range for a dataset of size {len(self)}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def batch_fetcher(dataset: Dataset) -> Callable[[np.ndarray], Any] | None:
    """A function ``int64 index array -> collated batch`` that avoids per-sample Python work,
    or None when ``dataset`` needs the generic per-item path.

    Only exact TensorDataset / Subset behaviour qualifies: a subclass that overrides
    ``__getitem__`` (say, to augment) must see every item go through its own code.
    """
    kind = type(dataset)
    if isinstance(dataset, TensorDataset) and kind.__getitem__ is TensorDataset.__getitem__:
        return dataset._take
    if isinstance(dataset, Subset) and kind.__getitem__ is Subset.__getitem__:
        inner = batch_fetcher(dataset.dataset)
        if inner is not None:
            mapping = np.asarray(dataset.indices, dtype=np.int64)
            return lambda indices: inner(mapping[indices])
    return None


def random_split(dataset: Dataset, lengths: Sequence[float],
                 generator: np.random.Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1 (the
    remainder of flooring goes round-robin to the first splits, as in PyTorch).
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1) \
            and sum(lengths) != n:
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(x) != x or x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = resolve_generator(generator).permutation(n)
    ends = np.cumsum(lengths, dtype=np.int64)
    return [Subset(dataset, order[end - int(size):end].tolist())
            for end, size in zip(ends, lengths)]
