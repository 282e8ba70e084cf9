"""Datasets and batching with ``torch.utils.data``'s names, plus MNIST / Fashion-MNIST.

    from tinygrad_edu.data import DataLoader, FashionMNIST
    train = FashionMNIST(train=True).as_tensor_dataset(flatten=True)
    for x, y in DataLoader(train, batch_size=128, shuffle=True):
        ...
"""
from . import datasets
from .dataloader import DataLoader, default_collate
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .datasets import MNIST, FashionMNIST, read_idx

__all__ = ["MNIST", "ConcatDataset", "DataLoader", "Dataset", "FashionMNIST", "Subset",
           "TensorDataset", "datasets", "default_collate", "random_split", "read_idx"]
