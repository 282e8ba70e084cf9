"""op_table rows for the recurrent cells (tinygrad_edu.nn.rnn_cells: rnn_tanh_cell,
rnn_relu_cell, lstm_cell, gru_cell), the input, the state(s) and every weight and bias
as float tensors so the float64 Jacobian covers all of them, each against a numpy
formula written from PyTorch's documented equations (gate order i, f, g, o for the
LSTM and r, z, n for the GRU, with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))).

The LSTM row returns h' and c' side by side (op_table wants one output). Inputs and
states come from the ``any`` domain, weights and biases from ``unit``, so the gates
stay out of saturation and float32 forwards stay within op_table's tolerance. The
relu cell is not ``smooth``: its kink at 0 is a measure-zero set for the drawn
inputs, but there is no second derivative to check. The sequence layers (RNN, LSTM,
GRU) are these steps in a loop; test_rnn.py checks them against PyTorch and with
gradcheck.

The fused pointwise parts of a step (functions.rnn: LSTMCell on the gates and c,
GRUCell on the input half, the hidden half and h) have rows of their own, so their
Jacobians and second derivatives are checked on any gates, not only on those a
linear layer makes; so do the fused layers (LSTMLayer, GRULayer: a whole sequence in
one direction; h_t at [t] of the result, and the LSTM's last c at [T])."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.functions as fn
import tinygrad_edu.nn.rnn_cells as C

_WEIGHTS = ("unit", "unit", "unit", "unit")


@st.composite
def cell_args(draw, gates, states=1):
    """Shapes of x, the state(s), w_ih, w_hh, b_ih, b_hh: batch 1-2 or unbatched, input
    size 1-3, hidden size 1-2."""
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    n_in, hid = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    rows = gates * hid
    return (batch + (n_in,),) + (batch + (hid,),) * states + \
        ((rows, n_in), (rows, hid), (rows,), (rows,)), {}


def _lin(x, w, b):
    return x.astype(np.float64) @ w.T + b


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _rnn_np(x, h, w_ih, w_hh, b_ih, b_hh, relu=False):
    pre = _lin(x, w_ih, b_ih) + _lin(h, w_hh, b_hh)
    return (np.maximum(pre, 0) if relu else np.tanh(pre)).astype(x.dtype)


def _lstm_tg(x, h, c, w_ih, w_hh, b_ih, b_hh):
    return tg.cat(list(C.lstm_cell(x, (h, c), w_ih, w_hh, b_ih, b_hh)), dim=-1)


def _lstm_np(x, h, c, w_ih, w_hh, b_ih, b_hh):
    i, f, g, o = np.split(_lin(x, w_ih, b_ih) + _lin(h, w_hh, b_hh), 4, axis=-1)
    c2 = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return np.concatenate([_sigmoid(o) * np.tanh(c2), c2], axis=-1).astype(x.dtype)


def _gru_np(x, h, w_ih, w_hh, b_ih, b_hh):
    i_r, i_z, i_n = np.split(_lin(x, w_ih, b_ih), 3, axis=-1)
    h_r, h_z, h_n = np.split(_lin(h, w_hh, b_hh), 3, axis=-1)
    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return ((1 - z) * n + z * h).astype(x.dtype)


@st.composite
def pointwise_args(draw, gates, states=1):
    """Shapes of the pointwise part's inputs: the gates (LSTM: [.., 4 * hidden] and c) or
    the two halves (GRU: gi, gh [.., 3 * hidden] and h); batch 1-2 or none, hidden 1-3."""
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=1)))
    hid = draw(st.integers(1, 3))
    return (batch + (gates * hid,),) * states + (batch + (hid,),), {}


def _lstm_pointwise_np(gates, c):
    i, f, g, o = np.split(gates.astype(np.float64), 4, axis=-1)
    c2 = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
    return np.concatenate([_sigmoid(o) * np.tanh(c2), c2], axis=-1).astype(gates.dtype)


def _gru_pointwise_np(gi, gh, h):
    i_r, i_z, i_n = np.split(gi.astype(np.float64), 3, axis=-1)
    h_r, h_z, h_n = np.split(gh.astype(np.float64), 3, axis=-1)
    r, z = _sigmoid(i_r + h_r), _sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return ((1 - z) * n + z * h).astype(gi.dtype)


@st.composite
def layer_args(draw, gates, states=1):
    """Shapes of x [T, N, in], the state(s) [N, H], w_ih, w_hh, b_ih, b_hh: T 1-3,
    N 1-2, in 1-3, H 1-2; either direction."""
    steps, batch = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n_in, hid = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    rows = gates * hid
    return ((steps, batch, n_in),) + ((batch, hid),) * states + \
        ((rows, n_in), (rows, hid), (rows,), (rows,)), {"reverse": draw(st.booleans())}


def _lstm_layer_np(x, h, c, w_ih, w_hh, b_ih, b_hh, reverse=False):
    out = np.empty((x.shape[0] + 1,) + h.shape)
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        hc = _lstm_np(x[t], h, c, w_ih, w_hh, b_ih, b_hh).astype(np.float64)
        h, c = np.split(hc, 2, axis=-1)
        out[t] = h
    out[-1] = c
    return out.astype(x.dtype)


def _gru_layer_np(x, h, w_ih, w_hh, b_ih, b_hh, reverse=False):
    out = np.empty((x.shape[0],) + h.shape)
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        h = out[t] = _gru_np(x[t], h, w_ih, w_hh, b_ih, b_hh).astype(np.float64)
    return out.astype(x.dtype)


def rows(Row):
    """The recurrent-cell rows, built with op_table's Row class."""
    return [
        Row("rnn_cell", C.rnn_tanh_cell, _rnn_np, cell_args(1), ("any", "any") + _WEIGHTS,
            smooth=True),
        Row("rnn_relu_cell", C.rnn_relu_cell, lambda *a: _rnn_np(*a, relu=True), cell_args(1),
            ("any", "any") + _WEIGHTS),
        Row("lstm_cell", _lstm_tg, _lstm_np, cell_args(4, states=2),
            ("any", "any", "any") + _WEIGHTS, smooth=True),
        Row("gru_cell", C.gru_cell, _gru_np, cell_args(3), ("any", "any") + _WEIGHTS,
            smooth=True),
        Row("lstm_pointwise", fn.LSTMCell.apply, _lstm_pointwise_np, pointwise_args(4),
            ("any", "any"), smooth=True),
        Row("gru_pointwise", fn.GRUCell.apply, _gru_pointwise_np, pointwise_args(3, states=2),
            ("any", "any", "any"), smooth=True),
        Row("lstm_layer", fn.LSTMLayer.apply, _lstm_layer_np, layer_args(4, states=2),
            ("any", "any", "any") + _WEIGHTS, smooth=True),
        Row("gru_layer", fn.GRULayer.apply, _gru_layer_np, layer_args(3),
            ("any", "any") + _WEIGHTS, smooth=True),
    ]


REQUIRED_RNN = ["rnn_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "lstm_pointwise",
                "gru_pointwise", "lstm_layer", "gru_layer"]
