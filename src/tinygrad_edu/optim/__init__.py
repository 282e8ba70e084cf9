"""Optimizers and learning-rate schedulers with PyTorch's names, defaults and
update formulas: ``from tinygrad_edu import optim; optim.SGD(params, lr=0.1)``."""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
