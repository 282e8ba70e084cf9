"""The activation modules of issue 18 (ELU, SELU, CELU, Softplus, Softsign, Mish, Hardswish,
Hardsigmoid, Hardtanh, ReLU6, LogSigmoid, Softmin, GLU, PReLU, Threshold, Tanhshrink,
Hardshrink, Softshrink), each a thin Module around its function in functional_act,
with PyTorch's constructor arguments, attribute names and reprs."""
import warnings

from .. import dtypes
from ..factories import empty
from . import functional_act as A
from . import init
from .module import Module, Parameter


def _inplace(inplace):
    return ", inplace=True" if inplace else ""


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):  # noqa: A002
        return A.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace(self.inplace)


class CELU(ELU):
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""

    def forward(self, input):  # noqa: A002
        return A.celu(input, self.alpha, self.inplace)


class SELU(Module):
    """scale * elu(x, alpha) with the self-normalising constants."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):  # noqa: A002
        return A.selu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Mish(SELU):
    """x * tanh(softplus(x))."""

    def forward(self, input):  # noqa: A002
        return A.mish(input, self.inplace)


class Hardswish(SELU):
    """x * hardsigmoid(x) (MobileNetV3's activation)."""

    def forward(self, input):  # noqa: A002
        return A.hardswish(input, self.inplace)

    def extra_repr(self):
        return ""   # PyTorch's repr leaves inplace out here


class Hardsigmoid(Hardswish):
    """0 below -3, 1 above 3, x / 6 + 1/2 between."""

    def forward(self, input):  # noqa: A002
        return A.hardsigmoid(input, self.inplace)


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta, and x where beta * x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):  # noqa: A002
        return A.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class _Plain(Module):
    """An activation without arguments."""
    fn = staticmethod(A.softsign)

    def forward(self, input):  # noqa: A002
        return type(self).fn(input)


class Softsign(_Plain):
    """x / (1 + |x|)."""
    fn = staticmethod(A.softsign)


class LogSigmoid(_Plain):
    """log(sigmoid(x)), stable for any x."""
    fn = staticmethod(A.logsigmoid)


class Tanhshrink(_Plain):
    """x - tanh(x)."""
    fn = staticmethod(A.tanhshrink)


class Hardtanh(Module):
    """x limited to [min_val, max_val] (``min_value``/``max_value``: the old names)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None):
        super().__init__()
        if min_value is not None or max_value is not None:
            warnings.warn("keyword argument `min_value`/`max_value` is deprecated and renamed "
                          "to `min_val`/`max_val`", FutureWarning, stacklevel=2)
            min_val = min_val if min_value is None else min_value
            max_val = max_val if max_value is None else max_value
        if not max_val > min_val:
            raise AssertionError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                                 f"({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):  # noqa: A002
        return A.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace(self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Softmin(Module):
    """softmax(-x) along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return A.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class GLU(Module):
    """a * sigmoid(b) for the two halves a, b of the input along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):  # noqa: A002
        return A.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class PReLU(Module):
    """x where x > 0, else weight * x, with a learned ``weight`` of num_parameters slopes
    (1, or one per channel of dim 1), each starting at ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        dtype = dtypes.to_dtype(dtype) or dtypes.default_float
        self.weight = Parameter(empty(num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self):
        """Every slope back to ``init``."""
        init.constant_(self.weight, self.init)

    def forward(self, input):  # noqa: A002
        return A.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Threshold(Module):
    """x where x > threshold, else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):  # noqa: A002
        return A.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + _inplace(self.inplace)


class Hardshrink(Module):
    """x where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):  # noqa: A002
        return A.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - clamp(x, -lambd, lambd)."""

    def forward(self, input):  # noqa: A002
        return A.softshrink(input, self.lambd)
