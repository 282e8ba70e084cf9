"""tg.viz: DOT source, drawing, the explain tree and the plots."""
import io
import re
import shutil
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


class Net222(nn.Module):
    """The curriculum's C.2 network, weights fixed."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 2)
        self.fc2 = nn.Linear(2, 2)
        self.fc1.weight.data = tg.tensor([[0.15, 0.20], [0.25, 0.30]])
        self.fc1.bias.data = tg.tensor([0.35, 0.35])
        self.fc2.weight.data = tg.tensor([[0.40, 0.45], [0.50, 0.55]])
        self.fc2.bias.data = tg.tensor([0.60, 0.60])

    def forward(self, x):
        return tg.sigmoid(self.fc2(tg.sigmoid(self.fc1(x))))


def _loss(net):
    x = tg.tensor([[0.05, 0.10]])
    return nn.MSELoss()(net(x), tg.tensor([[0.01, 0.99]]))


def _parse(dot):
    """{node id: label} and the edge list of DOT text written by to_dot."""
    nodes = dict(re.findall(r'^\s+(\w+) \[.*label="((?:[^"\\]|\\.)*)"\];$', dot, re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+);$", dot, re.M)
    return nodes, edges


def test_to_dot_names_shapes_and_data_flow_edges():
    net = Net222()
    loss = _loss(net)
    nodes, edges = _parse(tg.viz.to_dot(loss, params=dict(net.named_parameters())))
    labels = {k: v.split("\\n") for k, v in nodes.items()}
    named = {v[0]: k for k, v in labels.items() if k.startswith("t") and "." in v[0]}
    assert set(named) == {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
    assert labels[named["fc1.weight"]][1] == "(2, 2) float32 cpu"
    assert labels[named["fc2.bias"]][1] == "(2,) float32 cpu"
    w = net.fc1.weight.detach().numpy()
    assert labels[named["fc1.weight"]][2] == (f"min {w.min():.4g} max {w.max():.4g} "
                                              f"norm {np.linalg.norm(w):.4g}")
    ops = [v[0] for k, v in labels.items() if k.startswith("op")]
    assert ops.count("SigmoidBackward") == 2
    # every edge goes tensor -> op or op -> its own output tensor; parameters only feed ops
    for a, b in edges:
        assert (a.startswith("t") and b.startswith("op")) or (a.startswith("op") and
                                                               b == "t" + a[2:])
    for t in named.values():
        assert all(a != "op" + t[1:] for a, _ in edges)  # nothing computes a parameter
        assert any(a == t for a, _ in edges)             # and each is used
    # the root is the loss: an op's output that feeds nothing
    fed = {a for a, _ in edges}
    roots = [k for k in nodes if k.startswith("t") and k not in fed]
    assert len(roots) == 1 and labels[roots[0]][0] == "() float32 cpu"
    assert labels[roots[0]][1] == f"value {loss.item():.4g}" == "value 0.2984"


def test_names_come_from_live_modules_without_params():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    out = model(tg.ones(1, 3)).sum()
    labels = [v.split("\\n")[0] for v in _parse(tg.viz.to_dot(out))[0].values()]
    # the outermost model's names, not the child Linear's own "weight"
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= set(labels)
    assert "weight" not in labels


def test_params_may_name_inputs_and_intermediates_and_are_checked():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = h.sum()
    labels = [v.split("\\n")[0] for v in
              _parse(tg.viz.to_dot(y, params={"x": x, "h": h}))[0].values()]
    assert "x" in labels and "h" in labels
    with pytest.raises(TypeError, match="params"):
        tg.viz.to_dot(y, params=[x])
    with pytest.raises(TypeError, match="not a tensor"):
        tg.viz.to_dot(y, params={"x": np.ones(2)})
    with pytest.raises(TypeError, match="Tensor"):
        tg.viz.to_dot(np.ones(2))


def test_show_values_writes_small_values_and_grads():
    net = Net222()
    loss = _loss(net)
    loss.backward()
    dot = tg.viz.to_dot(loss, params=net, show_values=True)
    labels = _parse(dot)[0].values()
    w1 = next(v for v in labels if v.startswith("fc1.weight")).split("\\n")
    assert w1[2] == "data [[0.15, 0.2], [0.25, 0.3]]"
    grad = np.array(eval(w1[3][len("grad "):]))  # noqa: S307 - our own label text
    np.testing.assert_allclose(grad, [[0.00043857, 0.00087714], [0.00049771, 0.00099543]],
                               rtol=1e-3)
    # big tensors keep the statistics even with show_values
    big = tg.ones(5, 5, requires_grad=True)
    lab = list(_parse(tg.viz.to_dot((big * 2).sum(), show_values=True))[0].values())
    assert any(line.startswith("min 1 max 1 norm 5") for v in lab for line in v.split("\\n"))


def test_dot_escapes_quotes_in_names():
    x = tg.ones(2, requires_grad=True)
    dot = tg.viz.to_dot(x.sum(), params={'say "hi"\\': x})
    assert 'label="say \\"hi\\"\\\\\\n(2,)' in dot


def test_deep_graph_needs_no_recursion():
    x = tg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(3 * sys.getrecursionlimit()):
        y = y * 1.0
    nodes, edges = _parse(tg.viz.to_dot(y))
    assert len(edges) == 2 * 3 * sys.getrecursionlimit()
    buf = io.StringIO()
    tg.viz.explain(y, file=buf, max_lines=50)
    lines = buf.getvalue().splitlines()
    assert len(lines) == 51 and lines[-1].startswith(f"... {3 * sys.getrecursionlimit() - 49}")
    assert "[depth 49]" in lines[49]


def test_explain_tree_and_grad_norms():
    net = Net222()
    loss = _loss(net)
    loss.backward()
    buf = io.StringIO()
    tg.viz.explain(loss, params=net, file=buf)
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("DivBackward  () float32 cpu  value 0.2984")
    w2 = next(line for line in lines if "fc2.weight" in line)
    g = net.fc2.weight.grad.numpy()
    assert w2.endswith(f"grad norm {np.linalg.norm(g):.4g}")
    assert w2.index("fc2.weight") > lines[1].index("SumBackward")  # deeper = indented more
    # (out - target) is used twice by the square: written once, referred to once
    ref = [line for line in lines if "(see #" in line]
    assert len(ref) == 1 and "SubBackward" in ref[0]
    assert sum(1 for line in lines if "SubBackward" in line and "#" in line) == 2


def test_explain_shows_retained_grads():
    x = tg.tensor([1.0, -2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h * h).sum().backward()
    buf = io.StringIO()
    tg.viz.explain((x * 2).sum(), file=buf)  # a fresh graph: h's grad is not in it
    assert "grad norm" in buf.getvalue()   # x's grad (a leaf)
    buf = io.StringIO()
    tg.viz.explain(h, file=buf)
    assert buf.getvalue().splitlines()[0].endswith(f"grad norm {np.linalg.norm([4, -8]):.4g}")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
def test_draw_svg_and_png(tmp_path):
    pytest.importorskip("graphviz")
    net = Net222()  # alive while drawing: names come from live modules
    loss = _loss(net)
    svg = tg.viz.draw(loss, tmp_path / "g.svg")
    text = open(svg).read()
    assert "<svg" in text and "fc1.weight" in text and "SigmoidBackward" in text
    png = tg.viz.draw(loss, tmp_path / "g", format="png")
    assert png.endswith("g.png") and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_draw_without_graphviz_says_how_to_get_it(tmp_path, monkeypatch):
    loss = _loss(Net222())
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(RuntimeError, match="pip install graphviz.*apt-get install graphviz"):
        tg.viz.draw(loss, tmp_path / "g.svg")
    monkeypatch.undo()
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))  # the package without the dot program
    with pytest.raises(RuntimeError, match="to_dot"):
        tg.viz.draw(loss, tmp_path / "g.svg")


def test_plot_activation_plots_autograd_derivative(tmp_path):
    pytest.importorskip("matplotlib")
    fig = tg.viz.plot_activation(tg.sigmoid, path=tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 1000
    x = fig.axes[0].lines[0].get_xdata()
    y = fig.axes[0].lines[0].get_ydata()
    g = fig.axes[1].lines[0].get_ydata()
    np.testing.assert_allclose(x, np.linspace(-10, 10, 100), rtol=1e-6)
    np.testing.assert_allclose(g, y * (1 - y), atol=1e-6)
    fig = tg.viz.plot_activation(lambda t: tg.nn.functional.leaky_relu(t, 0.1),
                                 title="leaky_relu")
    assert set(np.round(fig.axes[1].lines[0].get_ydata().astype(float), 6).tolist()) == {0.1, 1.0}
    with pytest.raises(ValueError, match="same shape"):
        tg.viz.plot_activation(lambda t: t.sum())


def test_plot_history(tmp_path):
    pytest.importorskip("matplotlib")
    h = {"loss": [1.0, 0.5, 0.25], "train_acc": [0.5, 0.7, 0.8], "test_acc": [0.4, 0.6, 0.7]}
    fig = tg.viz.plot_history(h, tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
    assert [len(ax.lines) for ax in fig.axes] == [1, 2]
    np.testing.assert_array_equal(fig.axes[1].lines[1].get_ydata(), h["test_acc"])
    with pytest.raises(ValueError, match="empty"):
        tg.viz.plot_history({})


def test_plots_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(RuntimeError, match="pip install matplotlib"):
        tg.viz.plot_history({"loss": [1.0]})
    with pytest.raises(RuntimeError, match="pip install matplotlib"):
        tg.viz.plot_activation(tg.tanh)


def test_leaf_and_dtype_changes():
    nodes, edges = _parse(tg.viz.to_dot(tg.ones(2)))
    assert list(nodes.values()) == ["(2,) float32 cpu\\nmin 1 max 1 norm 1.414"] and not edges
    x = tg.ones(3, requires_grad=True)
    y = (x.double() * 2).sum()
    labels = [v.split("\\n")[0] for v in _parse(tg.viz.to_dot(y))[0].values()]
    assert labels.count("(3,) float64 cpu") == 2 and labels.count("(3,) float32 cpu") == 1
    assert "() float64 cpu" in labels


def test_explain_prints_to_stdout(capsys):
    x = tg.tensor([3.0], requires_grad=True)
    tg.viz.explain((x * x).sum())
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "SumBackward  () float32 cpu  value 9"
    assert out[1] == "└─ MulBackward  (1,) float32 cpu"
    assert out[2] == "   ├─ leaf  (1,) float32 cpu  value 3 #0"
    assert out[3] == "   └─ (see #0: leaf)"


def test_grads_true_computes_every_gradient_and_leaves_grad_alone():
    net = Net222()
    loss = _loss(net)
    buf = io.StringIO()
    tg.viz.explain(loss, params=net, grads=True, file=buf)
    lines = buf.getvalue().splitlines()
    assert all(p.grad is None for p in net.parameters())
    assert all("grad norm" in line for line in lines if "(see #" not in line)
    loss.backward()  # the graph is still there
    w = next(line for line in lines if "fc1.weight" in line)
    assert w.endswith(f"grad norm {np.linalg.norm(net.fc1.weight.grad.numpy()):.4g}")
    assert lines[0].endswith("grad norm 1")
    with pytest.raises(RuntimeError, match="retain_graph"):
        tg.viz.to_dot(loss, grads=True)  # freed by backward
    with pytest.raises(ValueError, match="single-number"):
        tg.viz.explain(net(tg.ones(1, 2)), grads=True, file=io.StringIO())


def test_grads_true_shows_vanishing_gradients():
    tg.manual_seed(0)
    model = nn.Sequential(*[m for _ in range(6) for m in (nn.Linear(4, 4), nn.Sigmoid())])
    loss = model(tg.randn(2, 4)).sum()
    labels = _parse(tg.viz.to_dot(loss, grads=True))[0]
    norms = {v.split("\\n")[0]: float(v.rsplit("grad norm ", 1)[1]) for v in labels.values()
             if v.split("\\n")[0].endswith(".weight")}
    loss.backward()
    for name, p in model.named_parameters():
        if name.endswith("weight"):
            assert norms[name] == pytest.approx(np.linalg.norm(p.grad.numpy()), rel=1e-3)
    assert norms["0.weight"] < norms["10.weight"] / 100  # six sigmoids deep: it vanished
