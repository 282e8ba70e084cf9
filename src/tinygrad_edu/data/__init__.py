"""Datasets and batching with ``torch.utils.data``'s names, plus MNIST / Fashion-MNIST
and character-level text (CharVocab, CharDataset; Debian's fortunes and word list).

    from tinygrad_edu.data import DataLoader, FashionMNIST
    train = FashionMNIST(train=True).as_tensor_dataset(flatten=True)
    for x, y in DataLoader(train, batch_size=128, shuffle=True):
        ...
"""
from . import datasets
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .datasets import MNIST, FashionMNIST, read_idx
from .text import CharDataset, CharVocab, read_fortunes, read_text, read_words

__all__ = ["MNIST", "CharDataset", "CharVocab", "ConcatDataset", "DataLoader", "Dataset",
           "FashionMNIST", "Subset", "TensorDataset", "datasets", "default_collate",
           "random_split", "read_fortunes", "read_idx", "read_text", "read_words"]
