"""Module.summary on convolutional nets: d2l's LeNet and a BatchNorm ResNet, row by row
against PyTorch (each module's own parameter count and its forward's output shape,
read from the same net built with torch.nn), and the torchinfo-style table itself."""
import io

import numpy as np
import pytest

from tinygrad_edu import nn as tnn

torch = pytest.importorskip("torch")


def lenet(nn, modern=False):
    """d2l's LeNet-5, written once for tg.nn and torch.nn alike."""
    act, pool = (nn.ReLU, nn.MaxPool2d) if modern else (nn.Sigmoid, nn.AvgPool2d)
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), act(), pool(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), act(), pool(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84), act(),
        nn.Linear(84, 10))


def resnet(nn):
    """A stem, a residual block, a strided block with a 1x1 shortcut, a global pool."""

    class Residual(nn.Module):
        def __init__(self, cin, cout, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = (nn.Identity() if cin == cout and stride == 1 else
                             nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                           nn.BatchNorm2d(cout)))

        def forward(self, x):
            y = self.bn1(self.conv1(x)).relu()
            return (self.bn2(self.conv2(y)) + self.shortcut(x)).relu()

    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        nn.MaxPool2d(2), Residual(8, 8), Residual(8, 16, stride=2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def torch_rows(model, shape):
    """(name, class, depth, output shape, own parameter count or None) per module call,
    in call order: what torchinfo lists, read with PyTorch's forward hooks."""
    names = {id(m): n for n, m in model.named_modules()}
    rows, depth, handles = [], [0], []

    def pre(m, args):
        own = sum(p.numel() for p in m.parameters(recurse=False))
        rows.append([names[id(m)], type(m).__name__, depth[0], None, own or None])
        m._row = rows[-1]
        depth[0] += 1

    def post(m, args, out):
        depth[0] -= 1
        m._row[3] = list(out.shape)

    for m in model.modules():
        handles += [m.register_forward_pre_hook(pre), m.register_forward_hook(post)]
    model.eval()
    with torch.no_grad():
        model(torch.randn(*shape))
    for h in handles:
        h.remove()
    return [tuple(r) for r in rows]


def our_rows(summary):
    return [(r.name, r.kind, r.depth, r.output_shape, r.params) for r in summary.rows]


@pytest.mark.parametrize("build,shape", [(lenet, (1, 1, 28, 28)),
                                         (lambda nn: lenet(nn, modern=True), (4, 1, 28, 28)),
                                         (resnet, (1, 1, 28, 28)), (resnet, (3, 1, 20, 20))])
def test_summary_rows_match_torch(build, shape):
    ours, theirs = build(tnn), build(torch.nn)
    s = ours.summary(shape, file=io.StringIO())
    assert our_rows(s) == torch_rows(theirs, shape)
    total = sum(p.numel() for p in theirs.parameters())
    assert s.total_params == s.trainable_params == total
    # running_mean / running_var / num_batches_tracked are buffers, not parameters
    assert s.params_bytes == 4 * total


def test_lenet_table_as_torchinfo_prints_it():
    buf = io.StringIO()
    s = lenet(tnn).summary((1, 1, 28, 28), file=buf)
    assert buf.getvalue() == str(s) + "\n"
    lines = buf.getvalue().splitlines()
    assert lines[1:4] == ["Layer (type)    Output Shape            Param #", "=" * 52,
                          "Sequential      [1, 10]                 --"]
    assert lines[4:16] == [
        "├─Conv2d: 0     [1, 6, 28, 28]          156",
        "├─Sigmoid: 1    [1, 6, 28, 28]          --",
        "├─AvgPool2d: 2  [1, 6, 14, 14]          --",
        "├─Conv2d: 3     [1, 16, 10, 10]         2,416",
        "├─Sigmoid: 4    [1, 16, 10, 10]         --",
        "├─AvgPool2d: 5  [1, 16, 5, 5]           --",
        "├─Flatten: 6    [1, 400]                --",
        "├─Linear: 7     [1, 120]                48,120",
        "├─Sigmoid: 8    [1, 120]                --",
        "├─Linear: 9     [1, 84]                 10,164",
        "├─Sigmoid: 10   [1, 84]                 --",
        "├─Linear: 11    [1, 10]                 850"]
    assert lines[17:21] == ["Total params: 61,706", "Trainable params: 61,706",
                            "Non-trainable params: 0", "Params size (MB): 0.25"]


def test_resnet_table_nests_the_blocks():
    text = io.StringIO()
    resnet(tnn).summary((1, 1, 28, 28), file=text)
    lines = text.getvalue().splitlines()
    block = lines.index(next(line for line in lines if line.startswith("├─Residual: 5")))
    assert [line.split()[0] for line in lines[block:block + 9]] == [
        "├─Residual:", "│", "│", "│", "│", "│", "│", "│", "├─AdaptiveAvgPool2d:"]
    assert lines[block + 1].split() == ["│", "├─Conv2d:", "conv1", "[1,", "16,", "7,", "7]",
                                        "1,152"]
    assert lines[block + 5].split()[:3] == ["│", "├─Sequential:", "shortcut"]
    assert lines[block + 6].split()[:4] == ["│", "│", "├─Conv2d:", "0"]
    assert lines[block + 7].split()[-1] == "32"   # BatchNorm2d(16): weight and bias


def test_summary_leaves_batch_norm_statistics_alone():
    model = resnet(tnn)
    model.train()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    model.summary((2, 1, 28, 28), file=io.StringIO())
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert all(m.training for m in model.modules())


def test_summary_of_the_lazy_lenet_is_the_eager_one():
    # d2l's current edition writes LeNet lazily; the summary's forward infers the shapes
    lazy = tnn.Sequential(
        tnn.LazyConv2d(6, kernel_size=5, padding=2), tnn.Sigmoid(),
        tnn.AvgPool2d(kernel_size=2, stride=2), tnn.LazyConv2d(16, kernel_size=5),
        tnn.Sigmoid(), tnn.AvgPool2d(kernel_size=2, stride=2), tnn.Flatten(),
        tnn.LazyLinear(120), tnn.Sigmoid(), tnn.LazyLinear(84), tnn.Sigmoid(),
        tnn.LazyLinear(10))
    s = lazy.summary((1, 1, 28, 28), file=io.StringIO())
    assert our_rows(s) == torch_rows(lenet(torch.nn), (1, 1, 28, 28))
    assert s.total_params == 61_706
    assert isinstance(lazy[0], tnn.Conv2d) and lazy[0].weight.shape == (6, 1, 5, 5)
