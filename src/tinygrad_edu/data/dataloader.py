"""DataLoader and default_collate, after ``torch.utils.data`` (single process, no workers)."""
from __future__ import annotations

import collections.abc
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import factories
from ..functional import stack
from ..tensor import Tensor
from .dataset import batch_fetcher, resolve_generator


def default_collate(batch: list[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate`` does.

    Tensors and numpy arrays are stacked along a new dim 0; Python numbers become one tensor
    (ints -> int64, floats -> float32, the library's default float; PyTorch makes float64
    here); numpy scalars keep their dtype; strings stay a list; dicts, namedtuples and
    sequences are collated field by field (tuples and lists come back as lists).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.requires_grad for t in batch):
            return stack(batch)  # keeps the batch connected to the graph
        shapes = [t.shape for t in batch]
        for i, s in enumerate(shapes):
            if s != shapes[0]:
                raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                                   f"{list(shapes[0])} at entry 0 and {list(s)} at entry {i}")
        return factories.from_numpy(np.stack([t.numpy() for t in batch]))
    if isinstance(elem, (np.ndarray, np.generic)) and elem.dtype.kind in "biuf":
        return factories.from_numpy(np.stack(batch))
    if isinstance(elem, (bool, int, float)):
        return factories.tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


class DataLoader:
    """Batches from a map-style dataset.

    ``DataLoader(dataset, batch_size=1, shuffle=False, sampler=None, drop_last=False,
    generator=None, collate_fn=None, seed=None)``; ``sampler`` is any iterable of indices.
    With ``shuffle`` every ``iter()`` (epoch) draws a new permutation from ``generator``
    (a numpy Generator), or from ``np.random.default_rng(seed)`` made once here, or else
    from tg's global generator (so ``tg.manual_seed`` reproduces it).
    A TensorDataset (or a Subset of one) with the default collate is batched by indexing its
    tensors with the whole index array at once, not sample by sample.
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 sampler: Any = None, drop_last: bool = False,
                 generator: np.random.Generator | None = None,
                 collate_fn: Callable[[list[Any]], Any] | None = None, seed: int | None = None,
                 num_workers: int = 0, pin_memory: bool = False, timeout: float = 0,
                 prefetch_factor: int | None = None, persistent_workers: bool = False) -> None:
        # num_workers, pin_memory, timeout, prefetch_factor, persistent_workers: accepted so
        # that tutorial code runs unchanged; batches are made in this process, on the CPU.
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 "
                             "to disable multiprocessing.")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.sampler = sampler
        self.num_workers, self.pin_memory = num_workers, pin_memory
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size <= 0:
            raise ValueError("batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size}")
        if not isinstance(shuffle, bool):
            raise ValueError(  # noqa: TRY004 - PyTorch's exception type
                f"shuffle should be a boolean value, but got shuffle={shuffle}")
        if generator is not None and seed is not None:
            raise ValueError("pass either generator or seed, not both")
        if seed is not None:
            generator = np.random.default_rng(seed)
        if generator is not None:
            resolve_generator(generator)  # type check now rather than at the first epoch
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn

    def __len__(self) -> int:
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        # The order is drawn here, not at the first next(), so iter() marks the epoch.
        n = len(self.dataset)
        if self.sampler is not None:  # any iterable of indices, read afresh each epoch
            order = np.fromiter((int(i) for i in self.sampler), dtype=np.int64)
        elif self.shuffle:
            order = resolve_generator(self.generator).permutation(n)
        else:
            order = np.arange(n)
        return self._batches(order)

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        fetch = batch_fetcher(self.dataset) if self.collate_fn is None else None
        collate = self.collate_fn or default_collate
        stop = len(self) * self.batch_size
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if fetch is not None:
                yield fetch(indices)
            else:
                yield collate([self.dataset[i] for i in indices.tolist()])

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
