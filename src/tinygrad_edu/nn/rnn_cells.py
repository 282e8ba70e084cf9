"""Recurrent cells: one time step of an Elman RNN, an LSTM and a GRU, as functions
(``rnn_tanh_cell``, ``rnn_relu_cell``, ``lstm_cell``, ``gru_cell``, PyTorch's
``torch.*_cell`` signatures) and as the modules RNNCell, LSTMCell and GRUCell with
PyTorch's parameter names, shapes, gate order and initialisation, so state_dicts move
between the two.

The LSTM's and GRU's pointwise part is one fused node (functions.rnn: LSTMCell,
GRUCell); the sequence layers in tinygrad_edu.nn.rnn run the LSTM and the GRU over a
whole sequence as one node (functions.rnn: LSTMLayer, GRULayer)."""
import math
import numbers

from .. import dtypes
from ..factories import empty, zeros
from .. import functions as _fn
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


# ---- one step's pointwise part, given its GEMMs' results --------------------------------------
def _lstm_step(gates, c):
    """(h', c') from the gates x @ w_ih.T + b_ih + h @ w_hh.T + b_hh (PyTorch's order
    i, f, g, o in the rows of the weights) and c: one fused node, whose result
    [..., 2 * hidden] holds h' and c' side by side."""
    hc = _fn.LSTMCell.apply(gates, c)
    n = c.shape[-1]
    return hc[..., :n], hc[..., n:]


def _gru_step(gi, gh, h):
    """h' from gi = x @ w_ih.T + b_ih, gh = h @ w_hh.T + b_hh and h, gate order r, z, n;
    the reset gate multiplies W_hn h + b_hn (PyTorch's, and cuDNN's, form), not h
    itself. One fused node."""
    return _fn.GRUCell.apply(gi, gh, h)


# ---- the functional forms (no checks: the modules check) -----------------------------------
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """h' = tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)."""
    return (F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)).tanh()


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """h' = relu(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)."""
    return (F.linear(input, w_ih, b_ih) + F.linear(hx, w_hh, b_hh)).relu()


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """(h', c') from hx = (h, c): i, f, o = sigmoid, g = tanh of the gate rows,
    c' = f * c + i * g, h' = o * tanh(c')."""
    gates = F.linear(input, w_ih, b_ih) + F.linear(hx[0], w_hh, b_hh)
    return _lstm_step(gates, hx[1])


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):  # noqa: A002
    """h' = (1 - z) * n + z * h with r, z = sigmoid(...) and
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""
    return _gru_step(F.linear(input, w_ih, b_ih), F.linear(hx, w_hh, b_hh), hx)


# ---- argument checks shared with nn.rnn ----------------------------------------------------
def _size(value, what, positive=False):
    """An int size argument (numpy ints too), refused with PyTorch's wording otherwise."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{what} should be of type int, got: {type(value).__name__}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{what} must be greater than zero" if positive else
                         f"{what} must be non-negative, got {value}")
    return int(value)


def _nonlinearity(nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
    return nonlinearity


def _tensor_arg(t, what, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: {what} must be a tg.Tensor, got {type(t).__name__}")


def _same_dtype(t, weight, what, name):
    if t.dtype != weight.dtype:
        raise RuntimeError(f"{name}: {what} dtype {t.dtype!r} does not match weight dtype "
                           f"{weight.dtype!r} (mat1 and mat2 must have the same dtype); convert "
                           f"it with .to({weight.dtype!r}) or the module with .to({t.dtype!r})")


def _uniform_init(module):
    """PyTorch's recurrent init: every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    stdv = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for p in module.parameters():
        init.uniform_(p, -stdv, stdv)


# ---- the cell modules ----------------------------------------------------------------------
class RNNCellBase(Module):
    """weight_ih [gates * hidden, input], weight_hh [gates * hidden, hidden] and, with
    ``bias``, bias_ih and bias_hh [gates * hidden], all from U(-1/sqrt(hidden), +)."""

    _gates = 1
    _states = 1     # tensors in hx: 1, or 2 (h, c) for the LSTM

    def __init__(self, input_size, hidden_size, bias=True, num_chunks=None, device=None,
                 dtype=None):
        super().__init__()
        self.input_size = _size(input_size, "input_size")
        self.hidden_size = _size(hidden_size, "hidden_size")
        self.bias = bool(bias)
        rows = (num_chunks or self._gates) * self.hidden_size
        dtype = dtypes.to_dtype(dtype) or dtypes.default_float
        self.weight_ih = Parameter(empty(rows, self.input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(rows, self.hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(empty(rows, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(rows, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _uniform_init(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input, hx):  # noqa: A002
        """Check everything before computing: returns the input and the state tensors as
        2-D [batch, features] (zeros when hx is None) and whether the input was batched."""
        name = type(self).__name__
        _tensor_arg(input, "input", name)
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        _same_dtype(input, self.weight_ih, "input", name)
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.ndim == 2
        if hx is None:
            z = zeros(input.shape[0] if batched else 1, self.hidden_size, dtype=input.dtype,
                      device=input.device)
            return (input if batched else input.unsqueeze(0)), [z] * self._states, batched
        if self._states == 2:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two tensors, got "
                                f"{type(hx).__name__}")
            states = list(hx)
        else:
            states = [hx]
        for k, h in enumerate(states):
            _tensor_arg(h, f"hx[{k}]" if self._states == 2 else "hx", name)
            if h.ndim != input.ndim:
                kind = "batched" if batched else "unbatched"
                raise RuntimeError(f"{name}: for {kind} {input.ndim}-D input, hx should also "
                                   f"be {input.ndim}-D but got {h.ndim}-D tensor (shape "
                                   f"{list(h.shape)})")
            if batched and h.shape[0] != input.shape[0]:
                raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} "
                                   f"batch size {h.shape[0]}")
            if h.shape[-1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got "
                                   f"{h.shape[-1]}, expected {self.hidden_size}")
            _same_dtype(h, self.weight_ih, "hx", name)
        if batched:
            return input, states, batched
        return input.unsqueeze(0), [h.unsqueeze(0) for h in states], batched

    def _params(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


class RNNCell(RNNCellBase):
    """h' = tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh) (or relu); input [batch, input_size]
    or [input_size], hx of the matching [batch, hidden_size] or [hidden_size] (zeros if
    omitted). An unknown nonlinearity is refused here, not at the first call."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        nonlinearity = _nonlinearity(nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        x, (h,), batched = self._prepare(input, hx)
        step = rnn_relu_cell if self.nonlinearity == "relu" else rnn_tanh_cell
        out = step(x, h, *self._params())
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """(h', c') = one LSTM step; hx = (h_0, c_0), zeros if omitted. Weight rows hold
    the gates in PyTorch's order i, f, g, o."""

    _gates, _states = 4, 2

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        x, hc, batched = self._prepare(input, hx)
        h, c = lstm_cell(x, hc, *self._params())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """h' = one GRU step (gates r, z, n in PyTorch's order and form); hx zeros if omitted."""

    _gates = 3

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        x, (h,), batched = self._prepare(input, hx)
        out = gru_cell(x, h, *self._params())
        return out if batched else out.squeeze(0)
