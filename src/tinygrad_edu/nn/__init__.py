"""tg.nn: Modules, layers, losses, init and functional, with PyTorch's names."""
from . import functional, init  # noqa: F401
from .activations import (CELU, ELU, GLU, SELU, Hardshrink, Hardsigmoid,  # noqa: F401
                          Hardswish, Hardtanh, LogSigmoid, Mish, PReLU, ReLU6, Softmin, Softplus,
                          Softshrink, Softsign, Tanhshrink, Threshold)
from .conv import (AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d,  # noqa: F401
                   Conv1d, Conv2d, ConvTranspose2d, Dropout2d, Fold, MaxPool1d, MaxPool2d,
                   Unfold, ZeroPad2d)
from .layers import (Dropout, Flatten, Identity, LeakyReLU, Linear, LogSoftmax,  # noqa: F401
                     ModuleDict, ModuleList, ReLU, Sequential, Sigmoid, Softmax, Step, Tanh,
                     Unflatten)
from .lazy import (LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d,  # noqa: F401
                   LazyConvTranspose2d, LazyLinear, LazyModuleMixin, UninitializedBuffer,
                   UninitializedParameter)
from .lm_layers import GELU, Embedding, LayerNorm, RMSNorm, SiLU  # noqa: F401
from .losses import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss,  # noqa: F401
                     MSELoss, NLLLoss, SmoothL1Loss)
from .losses_extra import *  # noqa: F401,F403 - issue 18's extra loss modules
from .module import Module, Parameter  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d  # noqa: F401
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNBase, RNNCell, RNNCellBase  # noqa: F401
from .transformer import (MultiheadAttention, TransformerEncoder,  # noqa: F401
                          TransformerEncoderLayer)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
from . import utils  # noqa: F401 - tg.nn.utils: clip_grad_norm_, parameters_to_vector
