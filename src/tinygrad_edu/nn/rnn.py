"""Recurrent sequence layers RNN, LSTM and GRU (and the cells, re-exported from
rnn_cells), with PyTorch's constructor arguments, parameter names
(``weight_ih_l{k}[_reverse]`` ...), shapes, gate order, initialisation, return values
and layouts, so state_dicts move between the two.

An LSTM or GRU layer (one direction) is one node over the whole sequence
(functions.rnn.LSTMLayer, GRULayer): one GEMM for the input half of every step, a
loop of hidden GEMMs and fused pointwise steps, and a backward through time in Tensor
ops that ends with one GEMM per weight. The RNN runs its cell step by step in Tensor
ops and autograd unrolls the loop (backpropagation through time). Each of its steps
computes its input half from its own input tensor (a layer above the first reads the
steps of the one below, not slices of their stack), so backward adds no
[steps, ...]-sized array per step, and multiplies [x_t, h] by [W_ih, W_hh] in one GEMM.
``proj_size`` (LSTM projections) is not supported."""
import numbers
import warnings

from .. import dtypes
from .. import functions as _fn
from ..factories import empty, zeros
from ..functional import cat, stack
from . import functional as F
from .module import Module, Parameter
from .rnn_cells import (GRUCell, LSTMCell, RNNCell, RNNCellBase, _nonlinearity,  # noqa: F401
                        _size, _tensor_arg, _uniform_init, gru_cell, lstm_cell,
                        rnn_relu_cell, rnn_tanh_cell)

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _shape_str(shape):
    return "(" + ", ".join(str(s) for s in shape) + ")"


class RNNBase(Module):
    """The parameters and the time loop shared by RNN, LSTM and GRU. For layer k and
    direction d (``_reverse`` for the backward one of a bidirectional layer):
    weight_ih_l{k} [gates * hidden, input_size for k = 0 else D * hidden],
    weight_hh_l{k} [gates * hidden, hidden], bias_ih_l{k} and bias_hh_l{k}
    [gates * hidden], all from U(-1/sqrt(hidden), 1/sqrt(hidden))."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        self.mode = mode
        self.input_size = _size(input_size, "input_size")
        self.hidden_size = _size(hidden_size, "hidden_size", positive=True)
        self.num_layers = _size(num_layers, "num_layers", positive=True)
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={self.num_layers}", stacklevel=2)
        proj_size = _size(proj_size, "proj_size")
        if proj_size >= self.hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size:
            raise NotImplementedError(f"{mode}: proj_size > 0 (projected LSTM hidden states, "
                                      f"got proj_size={proj_size}) is not supported in "
                                      f"tinygrad_edu; use proj_size=0 and a Linear layer on "
                                      f"the output")
        self.bias, self.batch_first = bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.proj_size = 0
        rows = _GATES[mode] * self.hidden_size
        dtype = dtypes.to_dtype(dtype) or dtypes.default_float
        self._flat_weights_names = []
        for layer in range(self.num_layers):
            cols = self.input_size if layer == 0 else self.hidden_size * self._directions
            for d in range(self._directions):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (rows, cols)), ("weight_hh", (rows, self.hidden_size))]
                if bias:
                    shapes += [("bias_ih", (rows,)), ("bias_hh", (rows,))]
                for kind, shape in shapes:
                    setattr(self, kind + sfx, Parameter(empty(*shape, dtype=dtype,
                                                              device=device)))
                    self._flat_weights_names.append(kind + sfx)
        self.reset_parameters()

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as in PyTorch."""
        per = 4 if self.bias else 2
        flat = [getattr(self, n) for n in self._flat_weights_names]
        return [flat[i:i + per] for i in range(0, len(flat), per)]

    def reset_parameters(self):
        """Every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        _uniform_init(self)

    def flatten_parameters(self):
        """A no-op: PyTorch packs the weights into one buffer for cuDNN; tg needs not."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0), ("bidirectional", False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s

    # ---- checks ------------------------------------------------------------------------------
    def _check_input(self, input):  # noqa: A002
        name = type(self).__name__
        _tensor_arg(input, "input", name)
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D tensor "
                             f"instead")
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(f"{name} input dtype ({input.dtype!r}) does not match weight dtype "
                             f"({w.dtype!r}). Convert input: input.to({w.dtype!r}), or convert "
                             f"model: model.to({input.dtype!r})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _check_states(self, states, input, batch):  # noqa: A002
        """Each initial state must be [num_layers * D, batch, hidden] ([num_layers * D,
        hidden] for an unbatched input), of the weights' dtype."""
        name, batched = type(self).__name__, input.ndim == 3
        for t in states:
            _tensor_arg(t, "hx", name)
        if any(t.ndim != input.ndim for t in states):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            which = "hx and cx" if len(states) == 2 else "hx"
            got = ", ".join(f"{t.ndim}-D" for t in states)
            got = f"({got}) tensors" if len(states) == 2 else f"{got} tensor"
            raise RuntimeError(f"For {kind} input, {which} should also be {input.ndim}-D but "
                               f"got {got}")
        want = (self.num_layers * self._directions, batch, self.hidden_size)
        for k, t in enumerate(states):
            got = tuple(t.shape) if batched else (t.shape[0], 1, t.shape[1])
            if got != want:
                what = f"hidden[{k}]" if len(states) == 2 else "hidden"
                shown = want if batched else (want[0], want[2])
                raise RuntimeError(f"Expected {what} size {_shape_str(shown)}, got "
                                   f"{list(t.shape)}")
            if t.dtype != self.weight_ih_l0.dtype:
                raise RuntimeError(f"{name}: hx dtype {t.dtype!r} does not match weight dtype "
                                   f"{self.weight_ih_l0.dtype!r} (mat1 and mat2 must have the "
                                   f"same dtype)")

    # ---- the computation --------------------------------------------------------------------
    def _layer_params(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        b = (getattr(self, "bias_ih" + sfx), getattr(self, "bias_hh" + sfx)) if self.bias \
            else (None, None)
        return getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx), *b

    def _direction(self, x, xs, state, params, reverse):
        """One direction of one layer: (its output, final state). The LSTM and the GRU
        are one node over the sequence x (functions.rnn.LSTMLayer, GRULayer), output
        [steps, batch, hidden]; the RNN runs step by step, reading xs[t] (the steps of
        the layer below) or x[t], and gives its output as a list of steps. Each of its
        steps computes its own input half: a slice of one [steps, ...] product would
        hand each step's gradient back as a whole [steps, ...] array."""
        w_ih, w_hh, b_ih, b_hh = params
        steps = len(xs) if xs is not None else x.shape[0]
        if self.mode == "LSTM":   # xs is None: the layer below handed over a whole tensor
            out = _fn.LSTMLayer.apply(x, *state, w_ih, w_hh,
                                      *(() if b_ih is None else (b_ih, b_hh)),
                                      reverse=reverse)
            return out[:steps], (out[0 if reverse else steps - 1], out[steps])
        if self.mode == "GRU":
            out = _fn.GRULayer.apply(x, *state, w_ih, w_hh,
                                     *(() if b_ih is None else (b_ih, b_hh)), reverse=reverse)
            return out, (out[0 if reverse else steps - 1],)
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        ys = [None] * steps
        (h,) = state
        # [x_t, h] @ [W_ih, W_hh].T + (b_ih + b_hh): one GEMM a step, one weight gradient
        w = cat([w_ih, w_hh], dim=1)
        b = None if b_ih is None else b_ih + b_hh
        for t in order:
            pre = F.linear(cat([x[t] if xs is None else xs[t], h], dim=1), w, b)
            h = ys[t] = pre.relu() if self.mode == "RNN_RELU" else pre.tanh()
        return ys, (h,)

    def _run(self, input, hx, n_states):  # noqa: A002
        """The checked forward: (output, [h_n] or [h_n, c_n]) in PyTorch's layouts."""
        self._check_input(input)
        batched = input.ndim == 3
        steps, batch = ((input.shape[1], input.shape[0]) if self.batch_first else
                        input.shape[:2]) if batched else (input.shape[0], 1)
        if hx is not None:
            self._check_states(list(hx) if n_states == 2 else [hx], input, batch)
        if steps == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)              # time-major inside: x[t] is one step
        states = [] if hx is None else [s if batched else s.unsqueeze(1)
                                        for s in (list(hx) if n_states == 2 else [hx])]
        zero = zeros(batch, self.hidden_size, dtype=input.dtype, device=input.device)
        finals = [[] for _ in range(n_states)]
        xs = None   # the layer's input as one tensor per step, when it is made that way
        for layer in range(self.num_layers):
            outs = []
            for d in range(self._directions):
                k = layer * self._directions + d
                state = tuple(s[k] for s in states) if states else (zero,) * n_states
                y, state = self._direction(x, xs, state, self._layer_params(layer, d), d == 1)
                outs.append(y)
                for f, s in zip(finals, state):
                    f.append(s)
            xs = None
            if layer < self.num_layers - 1 and isinstance(outs[0], list) and not (
                    self.dropout and self.training):   # the next layer reads the steps
                xs = outs[0] if len(outs) == 1 else [cat(p, dim=1) for p in zip(*outs)]
                continue
            outs = [stack(y) if isinstance(y, list) else y for y in outs]
            x = outs[0] if len(outs) == 1 else cat(outs, dim=2)
            if layer < self.num_layers - 1 and self.dropout and self.training:
                x = F.dropout(x, self.dropout, training=True)
        finals = [stack(f) for f in finals]
        if not batched:
            return x.squeeze(1), [f.squeeze(1) for f in finals]
        return (x.transpose(0, 1) if self.batch_first else x), finals


def _hx_pair(hx, name):
    if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
        raise TypeError(f"{name}: hx must be a tuple (h_0, c_0) of two tensors, got "
                        f"{type(hx).__name__}")


class RNN(RNNBase):
    """An Elman RNN: h_t = tanh(x_t @ W_ih.T + b_ih + h_{t-1} @ W_hh.T + b_hh) (or relu),
    stacked ``num_layers`` deep, optionally bidirectional. Input [seq, batch, input_size]
    ([batch, seq, ...] with ``batch_first``) or unbatched [seq, input_size]; returns
    (output [seq, batch, D * hidden], h_n [D * num_layers, batch, hidden])."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None,
                 dtype=None):
        mode = "RNN_RELU" if _nonlinearity(nonlinearity) == "relu" else "RNN_TANH"
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        output, (h_n,) = self._run(input, hx, 1)
        return output, h_n


class LSTM(RNNBase):
    """A long short-term memory layer (gates i, f, g, o), stacked and optionally
    bidirectional; hx = (h_0, c_0). Returns (output, (h_n, c_n)), shaped as in RNN.
    ``proj_size`` > 0 is not supported."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        _hx_pair(hx, "LSTM")
        output, (h_n, c_n) = self._run(input, hx, 2)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """A gated recurrent unit layer (gates r, z, n; n = tanh(W_in x + b_in +
    r * (W_hn h + b_hn))), stacked and optionally bidirectional. Returns (output, h_n)."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        output, (h_n,) = self._run(input, hx, 1)
        return output, h_n


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell",
           "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]
