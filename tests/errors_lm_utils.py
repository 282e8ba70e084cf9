"""Error-catalogue entries for gradient clipping (tg.nn.utils), label smoothing and the
character-level text data (tg.data.text), in the format of test_errors.CATALOGUE:
(name, call, exception type, regex phrase). PyTorch's own sentences where it has one."""
import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn
from tinygrad_edu.data import CharDataset, CharVocab, read_fortunes, read_words
from tinygrad_edu.nn.utils import clip_grad_norm_, vector_to_parameters


def _param_with_grad(*values):
    p = nn.Parameter(tg.ones(len(values)))
    p.grad = tg.tensor(list(values))
    return p


CASES = [
    ("clip_grad_norm_ of an infinite gradient",
     lambda: clip_grad_norm_([_param_with_grad(1.0, float("inf"))], 1.0,
                             error_if_nonfinite=True), RuntimeError,
     r"The total norm of order 2\.0 for gradients from `parameters` is non-finite, so it "
     r"cannot be clipped"),
    ("clip_grad_norm_ of a list of arrays", lambda: clip_grad_norm_([[1.0, 2.0]], 1.0),
     TypeError, r"clip_grad_norm_: expected Tensors, but item 0 is a list"),
    ("clip_grad_norm_ inf norm of an empty gradient",
     lambda: clip_grad_norm_([_param_with_grad()], 1.0, norm_type="inf"), RuntimeError,
     r"clip_grad_norm_: cannot compute the inf norm of an empty gradient \(shape \[0\]\)"),
    ("vector_to_parameters of a list", lambda: vector_to_parameters([0.0] * 3, [tg.ones(3)]),
     TypeError, r"expected tg\.Tensor, but got: list"),
    ("vector_to_parameters too short a vector",
     lambda: vector_to_parameters(tg.ones(2), [tg.ones(3)]), RuntimeError,
     r"vector_to_parameters: vec of shape \[2\] must be 1-D with at least 3 elements"),
    ("cross_entropy label_smoothing above 1",
     lambda: F.cross_entropy(tg.ones(2, 3), tg.tensor([0, 1]), label_smoothing=1.5),
     RuntimeError, r"label_smoothing must be between 0\.0 and 1\.0\. Got: 1\.5"),
    ("CrossEntropyLoss label_smoothing as a string",
     lambda: nn.CrossEntropyLoss(label_smoothing="0.1")(tg.ones(2, 3), tg.tensor([0, 1])),
     TypeError, r"cross_entropy\(\): argument 'label_smoothing' must be float, not str"),
    ("CharVocab encode of an unknown character", lambda: CharVocab("abc").encode("abd"),
     ValueError, r"encode: character 'd' \(U\+0064\) at position 2 is not in the vocabulary "
     r"of 3 characters"),
    ("CharVocab decode of an id past the vocabulary", lambda: CharVocab("abc").decode([0, 7]),
     IndexError, r"decode: id 7 is out of range for a vocabulary of 3 characters \(0\.\.2\)"),
    ("CharDataset get_batch from too short a split",
     lambda: CharDataset("hello world", block_size=4).get_batch("val", 2), ValueError,
     r"get_batch: the val split holds 2 characters, too few for one block of block_size=4"),
    ("CharDataset split name", lambda: CharDataset("hello world", split="test"), ValueError,
     r"CharDataset: split must be 'train' or 'val', got 'test'"),
    ("read_words without wamerican", lambda: read_words("/nonexistent/dict/words"),
     FileNotFoundError, r"read_words: the word list not found at /nonexistent/dict/words; "
     r"install Debian's package with `sudo apt-get install wamerican`"),
    ("read_fortunes without fortunes", lambda: read_fortunes("/nonexistent/fortunes"),
     FileNotFoundError, r"read_fortunes: the fortunes directory not found at "
     r"/nonexistent/fortunes; install Debian's package with `sudo apt-get install fortunes`"),
    ("Generator.manual_seed of a float", lambda: tg.Generator().manual_seed(1.5), RuntimeError,
     r"manual_seed expected a long, but got float"),
    ("randn with a seed as its generator", lambda: tg.randn(3, generator=3), TypeError,
     r"randn\(\): argument 'generator' must be tg\.Generator, not int"),
    ("multinomial with a numpy generator",
     lambda: tg.ones(3).multinomial(1, generator=object()), TypeError,
     r"multinomial\(\): argument 'generator' must be tg\.Generator, not object"),
    ("Generator.set_state of a float tensor", lambda: tg.Generator().set_state(tg.zeros(3)),
     TypeError, r"RNG state must be a tg\.uint8 tensor from get_state\(\)"),
    ("Generator on cuda", lambda: tg.Generator("cuda"), RuntimeError,
     r"tg\.Generator: only CPU generators exist, got device cuda"),
    ("tg.bfloat16 (no numpy twin)", lambda: tg.bfloat16, AttributeError,
     r"tg\.bfloat16 does not exist: tensors are stored by numpy, which has no bfloat16; use "
     r"tg\.float16 \(half\) or tg\.float32"),
]
