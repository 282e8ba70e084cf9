"""The error catalogue: a learner's wrong calls, each with the exception type PyTorch
uses and a key phrase of a message that names the op, the shapes/dtypes and the fix.

Wording rules (checked below for every entry): the message names the operation
(``op(): ...`` or ``op: ...``, or PyTorch's own sentence where learners will search
for it), shapes print as lists ``[2, 3]``, dtypes as ``tg.float32``."""
import numpy as np
import pytest

import errors_index
import errors_lm_utils
import errors_math
import errors_movement
import errors_reduce
import errors_rnn
import errors_select
import tinygrad_edu as tg
from tinygrad_edu import nn, optim
from tinygrad_edu.data import DataLoader, TensorDataset
import tinygrad_edu.nn.functional as F


def x23():
    return tg.arange(6.0).reshape(2, 3)


def leaf(*shape):
    return tg.ones(*shape, requires_grad=True)


def _backward_twice():
    loss = leaf(3).exp().sum()
    loss.backward()
    loss.backward()


def _step_before_backward():
    # two layers: the first one's gradient reads the second one's weight, which the
    # step changes (a single layer on a constant input would need only the input, and
    # PyTorch, like tg, raises nothing then)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(tg.ones(4, 3)).sum().backward()
    loss = model(tg.ones(4, 3)).sum()
    opt.step()
    loss.backward()


def _edit_saved():
    y = leaf(2) * 2
    z = y * y
    with tg.no_grad():
        y += 1
    z.sum().backward()


def _assign(obj, name, value):
    setattr(obj, name, value)


CATALOGUE = [
    # ---- shapes ------------------------------------------------------------------------------
    ("matmul inner dims", lambda: x23() @ tg.ones(4, 2), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x2\)"),
    ("matmul of a 0-d tensor", lambda: tg.tensor(1.0) @ x23(), RuntimeError,
     "both arguments to matmul need to be at least 1D"),
    ("batched matmul batch dims", lambda: tg.ones(2, 2, 3) @ tg.ones(3, 3, 4), RuntimeError,
     r"matmul: the size of tensor a \(2\) must match the size of tensor b \(3\)"),
    ("broadcast add", lambda: x23() + tg.ones(4), RuntimeError,
     r"add: the size of tensor a \(3\) must match the size of tensor b \(4\) at non-singleton "
     r"dimension 1 \(shapes \[2, 3\] and \[4\]\)"),
    ("broadcast mul", lambda: x23() * tg.ones(3, 2), RuntimeError,
     r"mul: .*shapes \[2, 3\] and \[3, 2\]"),
    ("view of an impossible size", lambda: x23().view(4, 2), RuntimeError,
     r"shape '\[4, 2\]' is invalid for input of size 6"),
    ("view of a transposed tensor", lambda: x23().t().view(6), RuntimeError,
     r"view size is not compatible.*Use \.reshape\(\.\.\.\) instead"),
    ("two inferred dims", lambda: x23().reshape(-1, -1), RuntimeError,
     r"only one dimension can be inferred \(-1\)"),
    ("expand a non-singleton dim", lambda: x23().expand(4, 3), RuntimeError,
     r"expanded size of the tensor \(4\) must match the existing size \(2\)"),
    ("expand to a negative size", lambda: tg.ones(3).expand(-1, -1), RuntimeError,
     "expand: the expanded size"),
    ("cat of mismatched sizes", lambda: tg.cat([x23(), tg.ones(2, 4)]), RuntimeError,
     "Sizes of tensors must match except in dimension 0"),
    ("cat of nothing", lambda: tg.cat([]), RuntimeError, r"cat\(\): expected a non-empty list"),
    ("stack of unequal tensors", lambda: tg.stack([tg.ones(2), tg.ones(3)]), RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"),
    ("permute that is no permutation", lambda: x23().permute(0, 0), RuntimeError,
     r"permute: dims \[0, 0\] are not a permutation"),
    ("setitem shape mismatch", lambda: x23().__setitem__(0, tg.ones(4)), RuntimeError,
     r"setitem: shape mismatch: value tensor of shape \[4\] cannot be broadcast to indexing "
     r"result of shape \[3\]"),
    ("in-place op changing the shape", lambda: tg.ones(3).add_(tg.ones(2, 3)), RuntimeError,
     r"add_: output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"),
    ("t() of 3-D", lambda: tg.ones(2, 3, 4).t(), RuntimeError,
     "t\\(\\) expects a tensor with <= 2 dimensions, got 3"),
    # ---- dims and indices --------------------------------------------------------------------
    ("sum over a missing dim", lambda: x23().sum(2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    ("softmax over a missing dim", lambda: x23().softmax(5), IndexError, "Dimension out of range"),
    ("a float dim", lambda: x23().sum(1.0), TypeError, "dim must be an int, got float"),
    ("a repeated dim", lambda: x23().sum((0, 0)), RuntimeError,
     r"dim \[0, 0\] appears multiple times"),
    ("flatten start after end", lambda: x23().flatten(1, 0), RuntimeError,
     "start_dim cannot come after end_dim"),
    ("index out of range", lambda: x23()[5], IndexError,
     "index 5 is out of bounds for axis 0 with size 2"),
    ("a float tensor as index", lambda: x23()[tg.tensor([0.5])], IndexError,
     "tensors used as indices must be long, int or bool tensors"),
    ("too many indices", lambda: x23()[0, 0, 0], IndexError, "too many indices"),
    # ---- dtypes ------------------------------------------------------------------------------
    ("int tensor requiring grad", lambda: tg.tensor([1, 2], requires_grad=True), RuntimeError,
     r"only Tensors of floating point dtype can require gradients \(this one is tg\.int64\); "
     r"convert it first with \.float\(\)"),
    ("matmul float32 @ float64", lambda: tg.ones(2, 3) @ tg.ones(3, 2, dtype=tg.float64),
     RuntimeError, r"same dtype, but got tg\.float32 and tg\.float64.*\.double\(\)"),
    ("float64 batch into a float32 layer", lambda: nn.Linear(3, 2)(tg.ones(4, 3, dtype=tg.float64)),
     RuntimeError, r"linear: input dtype tg\.float64 does not match weight dtype tg\.float32"),
    ("int labels into a layer", lambda: nn.Linear(3, 2)(tg.tensor([[1, 2, 3]])), RuntimeError,
     r"linear: input dtype tg\.int64 does not match"),
    ("mean of ints", lambda: tg.tensor([1, 2]).mean(), RuntimeError,
     r"mean\(\): input dtype must be floating point, got tg\.int64"),
    ("var of ints", lambda: tg.tensor([1, 2]).var(), RuntimeError,
     r"var\(\): input dtype must be floating point"),
    ("float written into an int tensor", lambda: tg.tensor([1, 2]).add_(0.5), RuntimeError,
     r"add_: result type tg\.float32 can't be cast to the desired output type tg\.int64"),
    ("unknown dtype", lambda: tg.zeros(2, dtype="float128"), TypeError,
     "unsupported dtype 'float128'"),
    ("complex data", lambda: tg.tensor([1 + 2j]), TypeError,
     "could not convert complex numbers to a tensor"),
    # ---- argument types ----------------------------------------------------------------------
    ("a string as data", lambda: tg.tensor("abc"), TypeError,
     "could not convert strings to a tensor"),
    ("ragged lists", lambda: tg.tensor([[1, 2], [3]]), ValueError,
     "every row must have the same length"),
    ("None as data", lambda: tg.tensor(None), TypeError, "could not convert NoneType to a tensor"),
    ("adding a string", lambda: x23() + "a", TypeError, "could not convert strings to a tensor"),
    ("multiplying by an object", lambda: x23() * object(), TypeError,
     "could not convert object to a tensor"),
    ("a string into a layer", lambda: nn.ReLU()("x"), TypeError,
     r"relu\(\): argument 'input' must be a tg\.Tensor or numeric data, not str"),
    ("a float size", lambda: tg.zeros(2.5), TypeError,
     r"zeros\(\): expected a sequence of ints, but found an element of type float"),
    ("a non-number fill", lambda: tg.full((2,), "a"), TypeError,
     r"full\(\): fill_value must be a number"),
    ("grad set to a number", lambda: _assign(leaf(2), "grad", 5), TypeError,
     "assigned grad expected to be a Tensor or None but got int"),
    ("a plain tensor as a parameter", lambda: _assign(nn.Linear(3, 2), "weight", tg.ones(2, 3)),
     TypeError, r"cannot assign 'Tensor' as parameter 'weight' .*assign to \.weight\.data"),
    ("the model instead of its parameters", lambda: optim.Adam(nn.Linear(2, 2)), TypeError,
     r"should be an iterable of Tensors or dicts.*pass model\.parameters\(\)"),
    ("parameters without calling it", lambda: optim.SGD(nn.Linear(2, 2).parameters, lr=0.1),
     TypeError, r"pass model\.parameters\(\)"),
    ("a non-dict state_dict", lambda: nn.Linear(2, 2).load_state_dict([1, 2]), TypeError,
     "Expected state_dict to be dict-like, got list"),
    # ---- sizes and allocation ----------------------------------------------------------------
    ("negative size", lambda: tg.zeros(-1), RuntimeError,
     r"zeros\(\): trying to create a tensor with negative dimension -1: \[-1\]"),
    ("negative eye", lambda: tg.eye(-1), RuntimeError, r"eye\(\): .*negative dimension"),
    ("arange with step 0", lambda: tg.arange(0, 10, 0), RuntimeError,
     r"arange\(\): step must be nonzero"),
    ("arange going the wrong way", lambda: tg.arange(10, 0), RuntimeError,
     "inconsistent with step sign"),
    ("randint with low >= high", lambda: tg.randint(5, 2, (3,)), RuntimeError,
     r"randint\(\): expects 'low' to be less than 'high', but got low=5 >= high=2"),
    ("normal with negative std", lambda: tg.normal(0.0, -1.0, (2,)), RuntimeError, "std >= 0.0"),
    ("an impossible allocation", lambda: tg.zeros(10 ** 13), MemoryError, "36.4 TiB"),
    ("too many elements to count", lambda: tg.zeros(10 ** 20), MemoryError,
     r"zeros\(\): cannot allocate a tensor of 100000000000000000000 elements"),
    # ---- empty tensors -----------------------------------------------------------------------
    ("max of an empty tensor", lambda: tg.zeros(0).max(), RuntimeError,
     r"max\(\): Expected reduction dim to be specified for input\.numel\(\) == 0"),
    ("max over an empty dim", lambda: tg.zeros(0, 3).max(0), IndexError,
     r"max\(\): Expected reduction dim 0 to have non-zero size \(shape \[0, 3\]\)"),
    ("argmax of an empty tensor", lambda: tg.zeros(0).argmax(), RuntimeError,
     r"argmax\(\): Expected reduction dim to be specified"),
    ("amax over an empty dim", lambda: tg.zeros(0, 3).amax(0), RuntimeError,
     r"amax\(\): cannot reduce over a zero-size dimension \(shape \[0, 3\]\)"),
    ("item of an empty tensor", lambda: tg.zeros(0).item(), RuntimeError,
     "a Tensor with 0 elements cannot be converted to Scalar"),
    # ---- autograd ----------------------------------------------------------------------------
    ("backward of a vector", lambda: (leaf(3) * 2).backward(), RuntimeError,
     r"grad can be implicitly created only for scalar outputs; got an output of shape \[3\]"
     r".*\.sum\(\)"),
    ("backward with nothing to differentiate", lambda: tg.ones(3).sum().backward(), RuntimeError,
     "does not require grad and does not have a grad_fn"),
    ("backward twice", _backward_twice, RuntimeError,
     "Trying to backward through the graph a second time.*retain_graph=True"),
    ("gradient of the wrong shape", lambda: (leaf(3) * 2).backward(tg.ones(4)), RuntimeError,
     r"Mismatch in shape: grad_output has a shape of \[4\] and output has a shape of \[3\]"),
    ("in-place change of a leaf", lambda: leaf(2).add_(1), RuntimeError,
     r"a leaf Variable that requires grad is being used in an in-place operation.*tg\.no_grad"),
    ("editing a tensor backward needs", _edit_saved, RuntimeError,
     r"modified by an inplace operation: input 0 \(tg\.float32 of shape \[2\]\) of MulBackward"),
    ("optimizer.step() before backward()", _step_before_backward, RuntimeError,
     r"modified by an inplace operation.*LinearBackward.*call optimizer\.step\(\) only after"),
    ("numpy() of a tensor requiring grad", lambda: leaf(2).numpy(), RuntimeError,
     r"Use tensor\.detach\(\)\.numpy\(\) instead"),
    ("grad of the wrong shape assigned", lambda: _assign(leaf(2), "grad", tg.ones(3)), RuntimeError,
     r"assign a gradient of size \[3\] to a tensor of size \[2\]"),
    ("requires_grad on a non-leaf", lambda: _assign(leaf(2) * 2, "requires_grad", False),
     RuntimeError, r"only change requires_grad flags of leaf variables.*\.detach\(\)"),
    ("bool of a vector", lambda: bool(x23()), RuntimeError,
     r"Boolean value of Tensor with 6 values is ambiguous; use \.any\(\) or \.all\(\)"),
    # ---- nn, losses, data, optim -------------------------------------------------------------
    ("wrong in_features", lambda: nn.Linear(3, 2)(tg.ones(4, 5)), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(4x5 and 3x2\).*in_features=3"),
    ("a float as in_features", lambda: nn.Linear(3.5, 2), ValueError,
     "Linear: in_features must be a non-negative int, got 3.5"),
    ("class index out of range", lambda: F.cross_entropy(tg.ones(4, 3), tg.tensor([0, 1, 3, 0])),
     IndexError, r"Target 3 is out of bounds \(valid class indices are 0\.\.2"),
    ("labels and scores of different batch sizes",
     lambda: F.cross_entropy(tg.ones(4, 3), tg.tensor([0, 1])), ValueError,
     r"Expected input batch_size \(4\) to match target batch_size \(2\)"),
    ("one-hot labels",
     lambda: F.cross_entropy(tg.ones(4, 3), tg.tensor(np.eye(3, dtype=np.int64)[[0, 1, 2, 0]])),
     RuntimeError, r"looks one-hot; pass class indices of shape \[4\]"),
    ("float labels to nll_loss", lambda: F.nll_loss(tg.ones(4, 3), tg.tensor([0.0, 1.0, 2.0, 0.0])),
     RuntimeError, r"nll_loss: expected target of integer class indices \(int64\), got float32"),
    ("scores into binary_cross_entropy",
     lambda: F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0])),
     RuntimeError, "between 0 and 1.*binary_cross_entropy_with_logits"),
    ("bad reduction", lambda: F.mse_loss(tg.ones(2), tg.ones(2), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    ("dropout probability", lambda: nn.Dropout(1.5), ValueError,
     "dropout probability has to be between 0 and 1, but got 1.5"),
    ("forward not written", lambda: nn.Module()(x23()), NotImplementedError,
     r'Module \[Module\] is missing the required "forward" function'),
    ("empty parameter list", lambda: optim.SGD([], lr=0.1), ValueError,
     "optimizer got an empty parameter list"),
    ("negative learning rate", lambda: optim.SGD([leaf(2)], lr=-1), ValueError,
     "Invalid learning rate: -1"),
    ("batch size 0", lambda: DataLoader(TensorDataset(tg.ones(4, 2)), batch_size=0), ValueError,
     "batch_size should be a positive integer value"),
    ("dataset tensors of different lengths", lambda: TensorDataset(tg.ones(4, 2), tg.ones(3)),
     ValueError, r"Size mismatch between tensors: first dimensions are \[4, 3\]"),
    # ---- devices and files -------------------------------------------------------------------
    ("a CUDA tensor on a CPU build", lambda: tg.zeros(2, device="cuda"), RuntimeError,
     "CUDA is not available: CuPy is not installed; install the extra"),
    ("moving a model to CUDA", lambda: nn.Linear(2, 2).to("cuda"), RuntimeError,
     "CUDA is not available: CuPy is not installed"),
    ("loading a missing checkpoint", lambda: tg.load("/nonexistent/model.npz"), FileNotFoundError,
     "No such file or directory"),
    # ---- convolution and pooling ----------------------------------------------------------
    ("conv2d on a 2-D input", lambda: F.conv2d(tg.ones(3, 5), tg.ones(2, 3, 3, 3)),
     RuntimeError, r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
     r"input of size: \[3, 5\]"),
    ("conv2d channels", lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 2, 3, 3)), RuntimeError,
     r"weight of size \[2, 2, 3, 3\], expected input\[1, 3, 5, 5\] to have 2 channels, but got "
     r"3 channels instead"),
    ("conv2d groups", lambda: F.conv2d(tg.ones(1, 4, 5, 5), tg.ones(3, 2, 3, 3), groups=2),
     RuntimeError, "expected weight to be divisible by 2 at dimension 0"),
    ("conv2d kernel larger than the input", lambda: F.conv2d(tg.ones(1, 3, 5, 5),
                                                             tg.ones(2, 3, 7, 7)),
     RuntimeError, r"padded input size per channel: \(5 x 5\). Kernel size: \(7 x 7\)"),
    ("conv2d negative padding", lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3),
                                                 padding=-1),
     RuntimeError, "negative padding is not supported"),
    ("conv2d zero stride", lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3), stride=0),
     RuntimeError, "non-positive stride is not supported"),
    ("conv2d fractional stride", lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3),
                                                  stride=1.5),
     TypeError, "argument 'stride' must be an int or a tuple of 2 ints"),
    ("conv2d same padding with stride", lambda: F.conv2d(
        tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3), stride=2, padding="same"),
     RuntimeError, "padding='same' is not supported for strided convolutions"),
    ("Conv2d same padding with stride", lambda: nn.Conv2d(3, 2, 3, stride=2, padding="same"),
     ValueError, "padding='same' is not supported for strided convolutions"),
    ("conv2d bias size", lambda: F.conv2d(tg.ones(1, 3, 5, 5), tg.ones(2, 3, 3, 3),
                                          tg.ones(3)),
     RuntimeError, r"expected bias to be 1-dimensional with 2 elements, but got bias of size "
     r"\[3\]"),
    ("max_pool2d window larger than the input", lambda: F.max_pool2d(tg.ones(1, 1, 4, 4), 5),
     RuntimeError, r"Given input size: \(1x4x4\). Calculated output size: \(1x0x0\). Output "
     r"size is too small"),
    ("avg_pool2d padding over half the window", lambda: F.avg_pool2d(tg.ones(1, 1, 4, 4), 3,
                                                                     padding=2),
     RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, "
     "kernel_size=3"),
    ("fold with the wrong number of blocks", lambda: F.fold(tg.ones(1, 4, 8), (4, 4), 2),
     RuntimeError, r"expected size of input's dimension 2 to match the calculated number of "
     r"sliding blocks 3 \* 3 = 9, but got input.size\(2\)=8"),
    # ---- batch normalisation ------------------------------------------------------------------
    ("batch_norm with one value per channel", lambda: F.batch_norm(
        tg.ones(1, 3), tg.zeros(3), tg.ones(3), training=True), ValueError,
     r"Expected more than 1 value per channel when training, got input size \[1, 3\]"),
    ("batch_norm running stats of another size", lambda: F.batch_norm(
        x23(), tg.zeros(4), tg.ones(4)), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    ("batch_norm in eval without running stats", lambda: F.batch_norm(x23(), None, None),
     RuntimeError, "running_mean must be defined in evaluation mode"),
    ("batch_norm of an integer tensor", lambda: F.batch_norm(
        tg.ones(2, 3, dtype=tg.int64), None, None, training=True), NotImplementedError,
     '"batch_norm" not implemented for tg.int64'),
    ("batch_norm of mixed dtypes", lambda: F.batch_norm(
        x23().double(), tg.zeros(3), tg.ones(3)), RuntimeError,
     r"batch_norm: mixed dtype: input is tg\.float64 but running_mean is tg\.float32"),
    ("BatchNorm1d of a 4-D input", lambda: nn.BatchNorm1d(3)(tg.ones(2, 3, 4, 5)),
     ValueError, r"expected 2D or 3D input \(got 4D input\)"),
    ("BatchNorm2d of a 3-D input", lambda: nn.BatchNorm2d(3)(tg.ones(2, 3, 4)),
     ValueError, r"expected 4D input \(got 3D input\)"),
    # ---- resizing ---------------------------------------------------------------------------
    ("interpolate with both size and scale_factor",
     lambda: F.interpolate(tg.ones(1, 1, 4, 4), size=8, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    ("interpolate with neither size nor scale_factor",
     lambda: F.interpolate(tg.ones(1, 1, 4, 4)), ValueError,
     "either size or scale_factor should be defined"),
    ("interpolate nearest with align_corners",
     lambda: F.interpolate(tg.ones(1, 1, 4, 4), scale_factor=2, align_corners=True), ValueError,
     r"align_corners option can only be set with the interpolating modes: linear \| bilinear"),
    ("interpolate bilinear of a 3-D input",
     lambda: F.interpolate(tg.ones(1, 1, 4), scale_factor=2, mode="bilinear"),
     NotImplementedError, "Got 3D input, but bilinear mode needs 4D input"),
    ("interpolate an image without batch and channel dims",
     lambda: F.interpolate(tg.ones(4, 4), scale_factor=2), NotImplementedError,
     r"Only 3D, 4D and 5D input Tensors supported \(got 2D\)"),
    ("interpolate with a size of the wrong length",
     lambda: F.interpolate(tg.ones(1, 1, 4, 4), size=(8, 8, 8)), ValueError,
     r"spatial dimensions of \[4, 4\] and output size of \(8, 8, 8\)"),
    ("interpolate down to nothing",
     lambda: F.interpolate(tg.ones(1, 1, 4, 4), scale_factor=0.1), RuntimeError,
     r"Input and output sizes should be greater than 0, but got input \(H: 4, W: 4\) output "
     r"\(H: 0, W: 0\)"),
    ("interpolate with antialias",
     lambda: F.interpolate(tg.ones(1, 1, 4, 4), size=2, mode="bilinear", antialias=True),
     NotImplementedError, r"antialias=True \(mode='bilinear'\) is not implemented"),
    ("Upsample an integer image bilinearly",
     lambda: nn.Upsample(scale_factor=2, mode="bilinear")(tg.ones(1, 1, 2, 2, dtype=tg.int64)),
     NotImplementedError, r"\"upsample_bilinear\" not implemented for tg\.int64"),
    # ---- lazy layers --------------------------------------------------------------------------
    ("shape of a lazy layer's placeholder", lambda: nn.LazyLinear(3).weight.shape, RuntimeError,
     r"Can't access the shape of an uninitialized parameter or buffer"),
    ("computing with a lazy layer's placeholder", lambda: nn.LazyLinear(3).weight + 1, ValueError,
     r"Attempted to use an uninitialized parameter in Tensor\.__add__"),
    ("LazyConv2d of a 2-D input", lambda: nn.LazyConv2d(6, 3)(tg.ones(8, 8)), RuntimeError,
     r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but got input of "
     r"size: \[8, 8\]"),
    ("LazyConv2d channels vs groups", lambda: nn.LazyConv2d(6, 3, groups=2)(tg.ones(1, 3, 8, 8)),
     ValueError, r"in_channels must be divisible by groups \(the input has 3 channels, groups=2\)"),
    ("checkpoint of another size into a lazy layer",
     lambda: nn.LazyLinear(10).load_state_dict(nn.Linear(4, 5).state_dict()), RuntimeError,
     r"size mismatch for weight: copying a param with shape \[5, 4\] from checkpoint, the "
     r"shape in current model is \[10, 4\]"),
    # ---- language-model layers --------------------------------------------------------------
    ("embedding index out of range", lambda: F.embedding(tg.tensor([0, 5]), tg.ones(5, 3)),
     IndexError, r"index out of range in self: index 5 is not in \[0, 4\]"),
    ("embedding float indices", lambda: F.embedding(tg.tensor([1.0]), tg.ones(5, 3)),
     RuntimeError, r"Long, Int; but got tg.float32 instead; convert the indices with \.long\(\)"),
    ("embedding padding_idx outside the table", lambda: nn.Embedding(5, 3, padding_idx=5),
     AssertionError, r"Padding_idx must be within num_embeddings: padding_idx=5 is outside "
     r"\[-5, 4\]"),
    ("embedding max_norm", lambda: nn.Embedding(5, 3, max_norm=1.0), NotImplementedError,
     r"Embedding\(\): max_norm is not supported"),
    ("layer_norm shape vs input", lambda: F.layer_norm(x23(), (4,)), RuntimeError,
     r"Given normalized_shape=\[4\], expected input with shape \[\*, 4\], but got input of "
     r"size \[2, 3\]"),
    ("layer_norm weight shape", lambda: F.layer_norm(x23(), (3,), tg.ones(4)), RuntimeError,
     r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[4\]"),
    ("rms_norm of integers", lambda: F.rms_norm(tg.tensor([[1, 2]]), (2,)), NotImplementedError,
     r'"rms_norm" not implemented for tg.int64'),
    ("gelu approximate", lambda: nn.GELU("exact")(x23()), RuntimeError,
     r"approximate argument must be either none or tanh, got 'exact'"),
]
CATALOGUE += errors_index.CASES + errors_lm_utils.CASES + errors_rnn.CASES
CATALOGUE += errors_math.CASES
CATALOGUE += errors_reduce.CASES + errors_movement.CASES + errors_select.CASES


@pytest.mark.parametrize("call, error, phrase", [c[1:] for c in CATALOGUE],
                         ids=[c[0] for c in CATALOGUE])
def test_wrong_call_raises_a_teaching_error(call, error, phrase):
    with pytest.raises(error, match=phrase) as info:
        call()
    msg = str(info.value)
    assert "\n" not in msg.split(":")[0] and len(msg) < 600, "one readable sentence or two"


def test_catalogue_is_large_and_every_entry_is_distinct():
    assert len(CATALOGUE) >= 40
    assert len({c[0] for c in CATALOGUE}) == len(CATALOGUE)


def test_shapes_and_dtypes_print_consistently():
    """Shapes as [2, 3] lists and dtypes as tg.<name> in every message that names them."""
    for call, phrase in [(lambda: x23() + tg.ones(4), "[2, 3]"),
                         (lambda: tg.ones(2, 3) @ tg.ones(3, 2, dtype=tg.float64), "tg.float64"),
                         (lambda: x23().view(4, 2), "[4, 2]")]:
        with pytest.raises(Exception) as info:  # noqa: PT011 - the message is the point
            call()
        assert phrase in str(info.value)
        assert "torch." not in str(info.value) and "np.float" not in str(info.value)


def test_wrong_calls_leave_no_half_done_state():
    """A refused call changes nothing: the tensor, its version and its graph are as before."""
    t = x23()
    before, version = t.numpy().copy(), t._version[0]
    for bad in (lambda: t.__setitem__(0, tg.ones(4)), lambda: t.add_(tg.ones(2, 2)),
                lambda: t.view(4, 2)):
        with pytest.raises(RuntimeError):
            bad()
    np.testing.assert_array_equal(t.numpy(), before)
    assert t._version[0] == version


def test_empty_reductions_give_pytorchs_results_without_warnings():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy "mean of empty slice" on the way
        assert tg.zeros(0).sum().item() == 0.0
        assert np.isnan(tg.zeros(0).mean().item())
        np.testing.assert_array_equal(tg.zeros(0, 3).sum(0).numpy(), [0.0, 0.0, 0.0])
        assert np.isnan(tg.zeros(0, 3).mean(0).numpy()).all()
        values, indices = tg.zeros(0, 3).max(1)
        assert values.shape == (0,) and indices.shape == (0,) and indices.dtype == tg.int64
        assert tg.zeros(0).logsumexp(0).item() == -np.inf
        assert tg.zeros(0, 3).softmax(0).shape == (0, 3)
        x = tg.zeros(0, 3, requires_grad=True)
        x.sum().backward()
        assert x.grad.shape == (0, 3)
