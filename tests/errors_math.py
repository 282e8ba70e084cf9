"""Error-catalogue entries (tests/test_errors.py) for issue 18's elementwise math and
activations: PyTorch's exception types, messages that name the op, the argument and
the dtypes."""
import tinygrad_edu as tg
from tinygrad_edu import nn
import tinygrad_edu.nn.functional as F

ints = tg.tensor([1, 2, 3])
x3 = tg.tensor([0.5, -1.0, 2.0])
CASES = [
    ("floor of a bool tensor", lambda: tg.ones(2).bool().floor(), NotImplementedError,
     r'"floor" not implemented for tg.bool'),
    ("frac of integers", lambda: ints.frac(), NotImplementedError,
     r'"frac" not implemented for tg.int64'),
    ("round with decimals on integers", lambda: ints.round(decimals=1), NotImplementedError,
     r'"round" not implemented for tg.int64'),
    ("log2_ of an integer tensor", lambda: ints.log2_(), RuntimeError,
     r"log2_: result type tg.float32 can't be cast to the desired output type tg.int64"),
    ("float_power_ of float32", lambda: x3.float_power_(2), RuntimeError,
     r"the base given to float_power_ has dtype tg.float32 but the operation's result "
     r"requires dtype tg.float64"),
    ("integer remainder by zero", lambda: ints.remainder(tg.tensor([1, 0, 2])), RuntimeError,
     r"ZeroDivisionError: remainder\(\): integer division by zero"),
    ("integer floor division by zero", lambda: ints.div(0, rounding_mode="floor"),
     RuntimeError, r"ZeroDivisionError: div\(\): integer division by zero"),
    ("div rounding mode", lambda: x3.div(2, rounding_mode="round"), RuntimeError,
     r"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"),
    ("fmod of bools", lambda: tg.ones(2).bool().fmod(tg.ones(2).bool()), NotImplementedError,
     r'"fmod" not implemented for tg.bool'),
    ("atan2 with a number", lambda: x3.atan2(2.0), TypeError,
     r"atan2\(\): argument 'other' \(position 2\) must be Tensor, not float"),
    ("logaddexp of integers", lambda: tg.logaddexp(ints, ints), NotImplementedError,
     r'"logaddexp" not implemented for tg.int64'),
    ("hypot shapes", lambda: tg.hypot(x3, tg.ones(2)), RuntimeError,
     r"hypot: the size of tensor a \(3\) must match the size of tensor b \(2\)"),
    ("lerp end dtype", lambda: x3.lerp(x3.double(), 0.5), RuntimeError,
     r"lerp: expected dtype tg.float32 for `end` but got dtype tg.float64"),
    ("lerp of integers", lambda: ints.lerp(ints, 0.5), NotImplementedError,
     r'"lerp" not implemented for tg.int64'),
    ("isclose dtypes", lambda: tg.isclose(x3, x3.double()), RuntimeError,
     r"isclose\(\): tg.float32 did not match tg.float64"),
    ("allclose negative rtol", lambda: tg.allclose(x3, x3, rtol=-1), RuntimeError,
     r"rtol must be greater than or equal to zero, but got -1"),
    ("logical_and with a number", lambda: x3.logical_and(1), TypeError,
     r"logical_and\(\): argument 'other' \(position 2\) must be Tensor, not int"),
    # ---- activations -------------------------------------------------------------------
    ("elu of integers", lambda: F.elu(ints), NotImplementedError,
     r'"elu" not implemented for tg.int64'),
    ("celu with alpha 0", lambda: F.celu(x3, alpha=0.0), RuntimeError,
     r"ZeroDivisionError: alpha cannot be 0 for CELU"),
    ("hardtanh limits reversed", lambda: F.hardtanh(x3, 2.0, 1.0), ValueError,
     r"hardtanh: min_val cannot be greater than max_val"),
    ("Hardtanh limits reversed", lambda: nn.Hardtanh(1.0, -1.0), AssertionError,
     r"Hardtanh: max_val \(-1.0\) must be greater than min_val \(1.0\)"),
    ("hardtanh of bools", lambda: F.hardtanh(tg.ones(2).bool()), RuntimeError,
     r"Bool inputs not supported for hardtanh"),
    ("softshrink negative lambda", lambda: F.softshrink(x3, -1.0), RuntimeError,
     r"softshrink: lambda must be in range \[0, inf\) for input dtype tg.float32, but found -1"),
    ("glu odd halving dim", lambda: F.glu(tg.ones(2, 3)), RuntimeError,
     r"Halving dimension must be even, but dimension 1 is size 3"),
    ("glu of a scalar", lambda: F.glu(tg.tensor(1.0)), RuntimeError,
     r"glu does not support scalars because halving size must be even"),
    ("prelu weight count", lambda: F.prelu(tg.ones(2, 4), tg.ones(3)), RuntimeError,
     r"Mismatch of parameter numbers and input channel size. Found parameter numbers = 3 and "
     r"channel size = 4"),
    ("prelu weight rank", lambda: F.prelu(tg.ones(2, 4), tg.ones(2, 2)), RuntimeError,
     r"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"),
    ("prelu weight dtype", lambda: F.prelu(x3, tg.ones(1).double()), RuntimeError,
     r"prelu: Type promoting not supported. Got tg.float32 and tg.float64"),
    ("PReLU channels", lambda: nn.PReLU(3)(tg.ones(2, 4)), RuntimeError,
     r"Found parameter numbers = 3 and channel size = 4"),
    ("softmin of bools", lambda: F.softmin(tg.ones(2).bool(), 0), RuntimeError,
     r"softmin: negation, the `-` operator, on a bool tensor is not supported"),
]
