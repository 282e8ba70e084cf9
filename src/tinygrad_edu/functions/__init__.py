"""The differentiable primitives: forward on arrays next to backward on Tensors.

One class per op, grouped by kind in the modules of this package. Every
composite op in tensor_ops.py (mean, var, logsumexp, stack, repeat, ...) is
built from these. Backward functions use only Tensor methods, so with
``create_graph=True`` the gradient is itself differentiable.
"""
from .elementwise import (Abs, Add, Cast, Clamp, Cos, Div, Exp, Heaviside,  # noqa: F401
                          LeakyRelu, LeakyReluGrad, Log, Maximum, Minimum, Mul, Neg, Pow, Relu,
                          ReluGrad, Sigmoid, Sign, Sin, Sqrt, Step, Sub, Tanh, Where)
from .movement import Cat, Expand, GetItem, IndexAdd, Permute, Reshape  # noqa: F401
from .reduce import Amax, Amin, LogSoftmax, MatMul, Softmax, Sum  # noqa: F401
from .nn import BinaryCrossEntropy, BinaryCrossEntropyWithLogits, CrossEntropy, Linear  # noqa: F401
