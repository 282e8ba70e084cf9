"""tg.nn: Modules, layers, losses, init and functional, with PyTorch's names."""
from . import functional, init  # noqa: F401
from .layers import (Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,  # noqa: F401
                     ModuleDict, ModuleList, ReLU, Sequential, Sigmoid, Softmax, Step, Tanh)
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss,  # noqa: F401
                     MSELoss, NLLLoss, SmoothL1Loss)
from .module import Module, Parameter  # noqa: F401
