"""Error-catalogue entries for the recurrent layers (tinygrad_edu.nn.rnn and rnn_cells),
in the format of test_errors.CATALOGUE: (name, call, exception type, regex phrase).
PyTorch's own sentences where it has one (checked against torch 2.x), a clearer one
naming the layer where PyTorch's is confusing (a wrongly shaped cell state)."""
import tinygrad_edu as tg
from tinygrad_edu import nn


def seq(*shape, dtype=None):
    return tg.ones(*shape, dtype=dtype or tg.float32)


CASES = [
    ("RNN of a 1-D input", lambda: nn.RNN(3, 4)(seq(3)), ValueError,
     r"RNN: Expected input to be 2D or 3D, got 1D tensor instead"),
    ("LSTM input feature size", lambda: nn.LSTM(3, 4)(seq(5, 2, 4)), RuntimeError,
     r"input\.size\(-1\) must be equal to input_size\. Expected 3, got 4"),
    ("RNN input dtype vs weights", lambda: nn.RNN(3, 4)(seq(5, 2, 3, dtype=tg.float64)),
     ValueError, r"RNN input dtype \(tg\.float64\) does not match weight dtype \(tg\.float32\)\. "
     r"Convert input: input\.to\(tg\.float32\), or convert model: model\.to\(tg\.float64\)"),
    ("GRU h0 without the bidirectional layer's second direction",
     lambda: nn.GRU(3, 4, bidirectional=True)(seq(5, 2, 3), tg.zeros(1, 2, 4)), RuntimeError,
     r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]"),
    ("LSTM c0 of another batch size",
     lambda: nn.LSTM(3, 4)(seq(5, 2, 3), (tg.zeros(1, 2, 4), tg.zeros(1, 3, 4))), RuntimeError,
     r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 3, 4\]"),
    ("RNN unbatched input with a batched h0",
     lambda: nn.RNN(3, 4)(seq(5, 3), tg.zeros(1, 1, 4)), RuntimeError,
     r"For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    ("LSTM h0 alone instead of (h0, c0)", lambda: nn.LSTM(3, 4)(seq(5, 2, 3), tg.zeros(1, 2, 4)),
     TypeError, r"LSTM: hx must be a tuple \(h_0, c_0\) of two tensors, got Tensor"),
    ("RNN of an empty sequence", lambda: nn.RNN(3, 4)(seq(0, 2, 3)), RuntimeError,
     r"Expected sequence length to be larger than 0 in RNN"),
    ("RNN nonlinearity", lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError,
     r"Unknown nonlinearity 'sigmoid'\. Select from 'tanh' or 'relu'\."),
    ("RNN dropout outside [0, 1]", lambda: nn.GRU(3, 4, num_layers=2, dropout=1.5), ValueError,
     r"dropout should be a number in range \[0, 1\] representing the probability of an "
     r"element being zeroed"),
    ("RNN hidden_size of zero", lambda: nn.LSTM(3, 0), ValueError,
     r"hidden_size must be greater than zero"),
    ("RNN hidden_size as a float", lambda: nn.RNN(3, 4.0), TypeError,
     r"hidden_size should be of type int, got: float"),
    ("LSTM proj_size", lambda: nn.LSTM(3, 4, proj_size=2), NotImplementedError,
     r"LSTM: proj_size > 0 .*is not supported in tinygrad_edu"),
    ("RNNCell of a sequence", lambda: nn.RNNCell(3, 4)(seq(5, 2, 3)), ValueError,
     r"RNNCell: Expected input to be 1D or 2D, got 3D instead"),
    ("LSTMCell input feature size", lambda: nn.LSTMCell(3, 4)(seq(2, 4)), RuntimeError,
     r"input has inconsistent input_size: got 4 expected 3"),
    ("GRUCell hx of another batch size", lambda: nn.GRUCell(3, 4)(seq(2, 3), tg.zeros(3, 4)),
     RuntimeError, r"Input batch size 2 doesn't match hidden0 batch size 3"),
    ("LSTMCell c of another hidden size",
     lambda: nn.LSTMCell(3, 4)(seq(2, 3), (tg.zeros(2, 4), tg.zeros(2, 5))), RuntimeError,
     r"hidden1 has inconsistent hidden_size: got 5, expected 4"),
    ("RNNCell unbatched input with a batched hx",
     lambda: nn.RNNCell(3, 4)(seq(3), tg.zeros(1, 4)), RuntimeError,
     r"RNNCell: for unbatched 1-D input, hx should also be 1-D but got 2-D tensor"),
    ("GRUCell hx dtype vs weights",
     lambda: nn.GRUCell(3, 4)(seq(2, 3), tg.zeros(2, 4, dtype=tg.float64)), RuntimeError,
     r"GRUCell: hx dtype tg\.float64 does not match weight dtype tg\.float32 \(mat1 and mat2 "
     r"must have the same dtype\)"),
]
