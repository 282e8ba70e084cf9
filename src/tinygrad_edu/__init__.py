"""tinygrad_edu: a small autograd library for learning how neural networks work.

    import tinygrad_edu as tg
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad  # tensor([2., 4.])
"""
from . import autograd, dtypes, functions  # noqa: F401
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .backend import backend_info  # noqa: F401
from .device import device  # noqa: F401
from .dtypes import (bool_ as bool, double, float, float16, float32,  # noqa: F401,A004
                     float64, half, int8, int16, int32, int64, long, short, uint8)
from .factories import (arange, as_tensor, empty, empty_like, eye, from_dlpack,  # noqa: F401
                        from_numpy, full, full_like, get_default_device, linspace,
                        normal, ones, ones_like, rand, rand_like, randint, randn, randn_like,
                        randperm, set_default_device, tensor, zeros, zeros_like)
from .functional import *  # noqa: F401,F403
from .functional import cat, concat, concatenate, einsum, stack, where  # noqa: F401 - typed
from .functional_math import *  # noqa: F401,F403 - bitwise ops, erfinv, rsub, addcmul, ...
from .random import (Generator, default_generator, get_rng_state,  # noqa: F401
                     initial_seed, manual_seed, seed, set_rng_state)
from .tensor import Size, Tensor  # noqa: F401
from .utils import gradcheck, gradgradcheck, numerical_gradient  # noqa: F401
from .utils import load, save  # noqa: F401 - checkpoints (.npz, never pickle)
# Above the core in the layers: nn, optim, data (also as tg.utils.data), datasets.
from . import nn, optim  # noqa: E402,F401
from . import linalg  # noqa: E402,F401 - tg.linalg (inv, solve, det, norms)
from .data import datasets  # noqa: E402,F401
from .utils import data as _utils_data  # noqa: E402,F401
from .utils import viz  # noqa: E402,F401
from . import cuda  # noqa: E402,F401 - imports CuPy only when asked

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # torch.bfloat16 has no tg twin: say why instead of a bare AttributeError
    if name == "bfloat16":
        raise AttributeError("tg.bfloat16 does not exist: tensors are stored by numpy, which has "
                             "no bfloat16; use tg.float16 (half) or tg.float32")
    raise AttributeError(f"module 'tinygrad_edu' has no attribute {name!r}")
