"""The differentiable primitives: forward on arrays next to backward on Tensors.

One class per op, grouped by kind in the modules of this package; every
composite op of the Tensor (mean, var, logsumexp, stack, repeat, ...) is built
from these. Backward functions use only Tensor methods, so with
``create_graph=True`` the gradient is itself differentiable.
"""
from .activations import (Gelu, GeluGrad, LeakyRelu, LeakyReluGrad, LogSoftmax,  # noqa: F401
                          Relu, ReluGrad, Sigmoid, Softmax, Tanh)
from .conv import Fold, MaxPool, MaxPoolGrad, Unfold  # noqa: F401
from .elementwise import (Abs, Add, Cast, Clamp, Cos, Div, Erf, Exp, Heaviside,  # noqa: F401
                          Log, Maximum, Minimum, Mul, Neg, Pow, Sign, Sin, Sqrt, Step, Sub,
                          Where)
from .indexing import Cumsum, Flip, Gather, GatherAdjoint, Scatter  # noqa: F401
from .losses import (BinaryCrossEntropy, BinaryCrossEntropyWithLogits,  # noqa: F401
                     CrossEntropy, CrossEntropyGrad)
from .math_ops import (Acos, Acosh, Asin, Asinh, Atan, Atan2, Atanh, Ceil,  # noqa: F401
                       Copysign, Cosh, DivRounded, Erfc, Exp2, Expm1, Floor, Fmod, Hypot,
                       Lerp, Log1p, Log2, Log10, LogAddExp, NanToNum, Remainder, Round,
                       Rsqrt, Sinc, Sinh, Tan, Trunc, XLogY)
from .matmul import Einsum, Linear, MatMul  # noqa: F401
from .norm import BatchNorm, BatchNormGrad, LayerNorm, LayerNormGrad, MaskedScale  # noqa: F401
from .movement import Cat, Expand, GetItem, IndexAdd, Permute, Reshape  # noqa: F401
from .reduce import Amax, Amin, Sum  # noqa: F401
from .rnn import GRUCell, GRULayer, LSTMCell, LSTMLayer  # noqa: F401
from .movement_extra import *  # noqa: F401,F403 - issue 18's movement primitives
from .reduce_extra import *  # noqa: F401,F403 - issue 18's reduction primitives
from .select import *  # noqa: F401,F403 - issue 18's indexing primitives
