"""Every script in examples/ runs with --quick, exits 0 and prints what the curriculum
says it should. Each runs in a subprocess from a temporary folder, so files it writes
(PNG plots under out/) land there."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FASHION = Path("/usr/share/datasets/fashion-mnist")
HAVE_DATA = FASHION.is_dir() or bool(os.environ.get("TG_DATA"))
needs_data = pytest.mark.skipif(not HAVE_DATA, reason=f"Fashion-MNIST not found: {FASHION} "
                                "is absent and TG_DATA is unset (apt-get install "
                                "dataset-fashion-mnist, or set TG_DATA)")
HAVE_TEXT = Path("/usr/share/dict/words").is_file() and Path("/usr/share/games/fortunes").is_dir()
needs_text = pytest.mark.skipif(not HAVE_TEXT, reason="the word list or the fortunes are "
                                "missing (apt-get install wamerican fortunes)")


def _has_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def run(script, *args, cwd, timeout=60):
    # OpenMP threads that spin while waiting make the C backend several times slower
    # when other processes share the cores (a loaded CI box, pytest -n); sleeping
    # waiters keep these runs at a few seconds. A value set by the caller wins.
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "passive")}
    return subprocess.run([sys.executable, str(EXAMPLES / script), "--quick", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


# script -> lines (substrings) its output must contain
EXPECTED = {
    "a_layers.py": [
        "Linear(10, 5) on randn(1, 10) -> [1, 5]",
        "weight shape [5, 10]",
        "batch of 200 rows -> output [200, 5]",
        "Linear(10, 5) then Linear(5, 2) -> [1, 2]",
        "(fc1): Linear(in_features=784, out_features=512, bias=True)",
        "row sums tensor([1.0000, 1.0000, 1.0000, 1.0000]",
        "(relu): ReLU()",
        "tensor([0.6590, 0.2424, 0.0986])",
        "tensor([[5., 7., 9.]])",
        "tensor([ 6., 15.])",
    ],
    "a4_activations.py": [
        "all gradients match their formulas",
        "tensor([[0., 0., 0., 0.],",
    ],
    "b_losses.py": [
        "L1Loss        0.6666666865348816",
        "MSELoss       0.8333333134651184",
        "SmoothL1Loss  0.375",
        "targets [0, 1]: 0.8965588212013245",
        "targets [1, 2]: 1.2465587854385376",
        "one sample, good: loss 0.4170  predictions [0]",
        "one sample, bad : loss 1.8406  predictions [1]",
        "three, good: loss 0.5251  predictions [2, 0, 1]",
        "three, bad : loss 1.4073  predictions [1, 1, 1]",
        "BCELoss 0.9608011841773987",
        "sum of squares 0.0975   cross entropy 0.510825457099338",
        "sum of squares 0.5975   cross entropy 2.302584092994546",
        "nll_loss(log(y + 1e-7), [2]) = 0.510825457099338",
    ],
    "c2_backprop_222.py": [
        "hidden [0.593270 0.596884]  output [0.751365 0.772928]  loss 0.298371",
        "layer 1 weight grad [[0.00043857 0.00087714]",
        "[0.00049771 0.00099543]]",
        "layer 2 weight grad [[ 0.08216704  0.08266763]",
        "[-0.02260254 -0.02274024]]",
        "new layer 2 weight [[0.39178330 0.44173324]",
        "all four ways agree on the weight grads",
    ],
    "c3_numerical_gradient.py": [
        "fc1.grad 2.0  w.grad 0.5  b.grad -0.5",
        "at 10.0: central difference 0.3000000000",
        "gradient of sum(x^2) at [3.0, 4.0]: by hand [6. 8.]",
        "lr 0.1    -> [-6.11",
        "loss 0.9280682857864075",
        "[[ 0.21924757  0.14356243 -0.36281   ]",
    ],
    "spirals_by_hand.py": ["train accuracy"],
    "d1_two_layer_net.py": ["gradient check", "W1: mean |autograd - numerical|",
                            "300 iterations in"],
    "d2_d2l_recipe.py": ["(3): Linear(in_features=256, out_features=10, bias=True)",
                         "epoch 1, loss", "final test acc"],
    "d3_optimizers.py": ["Adagrad", "RMSprop", "Adam", "one layer, SGD", "best:"],
    "e_lenet.py": ["Conv2d output shape: (1, 6, 28, 28)",
                   "AvgPool2d output shape: (1, 6, 14, 14)",
                   "Conv2d output shape: (1, 16, 10, 10)", "Flatten output shape: (1, 400)",
                   "Linear output shape: (1, 10)", "├─AvgPool2d: 5  [1, 16, 5, 5]",
                   "Total params: 61,706", "SGD lr 0.9", "epoch 1, loss", "test acc"],
    "f_makemore.py": ["4,000 words, vocabulary '.abcdefghijklmnopqrstuvwxyz'",
                      "counts tensor of shape [27, 27]", "row sums 1.0000..1.0000",
                      "sampled from the counts:", "gradient descent is",
                      "contexts X [", "first: '...' -> ", "MLP by hand after 600 steps",
                      "(1): BatchNorm1d(200", "sampled words:"],
    "g_gpt.py": ["vocabulary of 97", "a batch: x [4, 8], y [4, 8]",
                 "count-based bigram baseline: val loss", "the three versions agree: True",
                 "[0.5000, 0.5000, 0.0000, 0.0000],", "rows sum to 1: True",
                 "GPT (32,097 parameters) after 150 steps"],
}
PLOTS = {"a4_activations.py": ["activations/sigmoid.png", "activations/step.png"],
         "c3_numerical_gradient.py": ["gradients/tangent.png"],
         "d1_two_layer_net.py": ["two_layer_net/two_layer_net_accuracy.png"]}
DATA = {"d1_two_layer_net.py", "d2_d2l_recipe.py", "d3_optimizers.py", "e_lenet.py"}
TEXT = {"f_makemore.py", "g_gpt.py"}


def test_every_example_is_listed():
    scripts = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(EXPECTED)


def test_readme_lists_every_example():
    readme = (EXAMPLES / "README.md").read_text()
    for name in EXPECTED:
        assert name in readme, name


@pytest.mark.parametrize("script", [pytest.param(s, marks=needs_data) if s in DATA else
                                    pytest.param(s, marks=needs_text) if s in TEXT else s
                                    for s in EXPECTED])
def test_example_runs_quick(script, tmp_path):
    proc = run(script, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for line in EXPECTED[script]:
        assert line in proc.stdout, f"{line!r} not in output:\n{proc.stdout}"
    if _has_matplotlib():
        for png in PLOTS.get(script, []):
            assert (tmp_path / "out" / png).stat().st_size > 1000, png


@pytest.mark.parametrize("script", sorted(DATA))
def test_data_examples_exit_2_without_data(script, tmp_path):
    # MNIST has no system copy: an empty folder must give the library's message, exit 2.
    proc = run(script, "--dataset", "mnist", "--data", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "MNIST train files" in proc.stderr and "not found" in proc.stderr
    assert "Traceback" not in proc.stderr
