"""Module.summary: layers, output shapes, parameter counts; no side effects."""
import io

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.nn import functional as F


def _mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def test_summary_table_of_the_main_job_mlp():
    buf = io.StringIO()
    s = _mlp().summary((1, 28, 28), file=buf)
    assert [(r.kind, r.depth, r.output_shape, r.params) for r in s.rows] == [
        ("Sequential", 0, [1, 10], None), ("Flatten", 1, [1, 784], None),
        ("Linear", 1, [1, 256], 784 * 256 + 256), ("ReLU", 1, [1, 256], None),
        ("Linear", 1, [1, 10], 256 * 10 + 10)]
    assert s.total_params == s.trainable_params == 203_530
    text = buf.getvalue()
    assert text == str(s) + "\n"
    assert "├─Linear: 1" in text and "200,960" in text and "Total params: 203,530" in text
    assert "Params size (MB): 0.81" in text
    assert repr(s) == "ModelSummary(layers=5, total_params=203,530, trainable_params=203,530)"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.block = nn.Sequential(nn.Linear(512, 10), nn.Softmax(dim=1))
        self.fc1.bias.requires_grad_(False)

    def forward(self, x):
        return self.block(F.relu(self.fc1(x)))


def test_summary_nested_custom_module_and_frozen_params():
    s = Net().summary((3, 784), file=io.StringIO())
    assert [(r.name, r.depth, r.output_shape) for r in s.rows] == [
        ("", 0, [3, 10]), ("fc1", 1, [3, 512]), ("block", 1, [3, 10]),
        ("block.0", 2, [3, 10]), ("block.1", 2, [3, 10])]
    assert s.total_params == 784 * 512 + 512 + 5130
    assert s.total_params - s.trainable_params == 512


def test_summary_lists_every_child_of_a_sequential():
    # a Linear and its ReLU are two layers, two rows: nothing fuses them behind the scenes
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    s = model.summary((5, 4), file=io.StringIO())
    assert [(r.kind, r.output_shape) for r in s.rows] == [
        ("Sequential", [5, 2]), ("Linear", [5, 8]), ("ReLU", [5, 8]), ("Linear", [5, 2])]


def test_summary_leaves_no_trace():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    model.train()
    tg.manual_seed(0)
    a = tg.rand(3)
    tg.manual_seed(0)
    model.summary((2, 4), file=io.StringIO())
    b = tg.rand(3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # the global RNG did not move
    assert all(m.training for m in model.modules())
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_summary_restores_on_error_and_takes_dtype_and_several_inputs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, a, b):
            return self.lin(a) + self.lin(b), a

    model = Two().double()
    s = model.summary([(2, 3), (2, 3)], file=io.StringIO())
    assert s.rows[0].output_shape == [[2, 1], [2, 3]]
    assert [r.params for r in s.rows] == [None, 4, None]  # a second call is not recounted
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        model.summary([(2, 5), (2, 5)], file=io.StringIO())
    assert all("forward" not in m.__dict__ for m in model.modules())
