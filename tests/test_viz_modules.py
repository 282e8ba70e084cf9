"""tg.viz on convolutional nets: trace_modules groups the ops of every layer (a conv's
unfold and matmul, a batch norm's elementwise ops) under the layer's name, in to_dot's
clusters, in layers=True boxes and in explain's tags."""
import io
import re
import shutil

import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.train import ResidualBlock


def cnn():
    tg.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        ResidualBlock(4, 8, stride=2), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(8, 10))


def traced(model):
    x = tg.rand(2, 1, 8, 8, requires_grad=True)   # so the first conv's unfold is recorded
    with tg.viz.trace_modules(model) as trace:
        loss = nn.CrossEntropyLoss()(model(x), tg.tensor([1, 2]))
    return loss, trace


def clusters(dot):
    """{cluster label: [(node id, label) directly inside it]} and the nesting, parsed from
    the DOT text (one declaration per line, clusters opened and closed on their own)."""
    out, parent, stack = {}, {}, [None]
    for line in dot.splitlines():
        m = re.match(r'\s*subgraph cluster_\d+ \{ label="((?:[^"\\]|\\.)*)";', line)
        if m:
            parent[m.group(1)] = stack[-1]
            stack.append(m.group(1))
            out[m.group(1)] = []
        elif line.strip() == "}" and len(stack) > 1:
            stack.pop()
        else:
            m = re.match(r'\s*(\w+) \[.*label="((?:[^"\\]|\\.)*)"\];$', line)
            if m:
                out.setdefault(stack[-1], []).append(m.groups())
    return out, parent


def ops_in(nodes):
    return [label for nid, label in nodes if nid.startswith("op")]


def test_every_layer_is_a_cluster_holding_its_own_ops():
    model = cnn()
    loss, trace = traced(model)
    dot = tg.viz.to_dot(loss, params=model, modules=trace)
    groups, parent = clusters(dot)
    conv = "0: Conv2d\\n(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    bn = ("1: BatchNorm2d\\n(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
          "track_running_stats=True)")
    # the convolution: im2col (Unfold), the weight as a matrix, the product, the bias
    assert set(ops_in(groups[conv])) == {"UnfoldBackward", "ReshapeBackward",
                                         "ExpandBackward", "MatMulBackward", "AddBackward"}
    assert {label.split("\\n")[0] for nid, label in groups[conv] if nid.startswith("t")} >= {
        "0.weight", "0.bias"}
    # batch norm in training: one fused node (statistics, normalise, scale and shift)
    assert ops_in(groups[bn]) == ["BatchNormBackward"]
    assert ops_in(groups["2: ReLU"]) == ["ReluBackward"]
    assert ops_in(groups["3: MaxPool2d\\n(kernel_size=2, stride=2, padding=0, dilation=1, "
                         "ceil_mode=False)"]) == ["MaxPoolBackward"]
    assert ops_in(groups["5: AvgPool2d\\n(kernel_size=2, stride=2, padding=0)"])
    # nesting: the block's layers inside the block, the block inside the model
    block = "4: ResidualBlock"
    assert parent[block] == "Sequential" and parent["Sequential"] is None
    inner = {k.split("\\n")[0] for k, v in parent.items() if v == block}
    assert inner == {"4.conv1: Conv2d", "4.bn1: BatchNorm2d", "4.conv2: Conv2d",
                     "4.bn2: BatchNorm2d", "4.shortcut: Sequential"}
    assert sorted(ops_in(groups[block])) == ["AddBackward", "ReluBackward", "ReluBackward"]
    # outside every module: only the loss (and the input)
    assert ops_in(groups[None]) == ["CrossEntropyBackward"]


def test_grouping_changes_no_node_and_no_edge():
    model = cnn()
    loss, trace = traced(model)
    plain, grouped = tg.viz.to_dot(loss), tg.viz.to_dot(loss, modules=trace)
    decl = re.compile(r"^\s+(\w+ \[.*\];|\w+ -> \w+;)$", re.M)
    assert sorted(decl.findall(plain)) == sorted(decl.findall(grouped))
    # every arrow drawn once (batch norm is one fused node: no op here takes a tensor twice)
    edges = re.findall(r"^\s+(\w+ -> \w+);$", grouped, re.M)
    assert len(edges) == len(set(edges))
    assert "subgraph" not in plain and plain.count("subgraph cluster_") == 0
    assert grouped.count("subgraph cluster_") == 16   # every module call that made an op


def test_layers_draws_each_layer_as_one_box():
    model = cnn()
    loss, trace = traced(model)
    dot = tg.viz.to_dot(loss, modules=trace, layers=True)
    groups, parent = clusters(dot)
    boxes = {nid: label.split("\\n") for nid, label in
             re.findall(r'^\s+(\w+) \[shape=box, style="filled,rounded", fillcolor=moccasin, '
                        r'label="((?:[^"\\]|\\.)*)"\];$', dot, re.M)}
    heads = sorted(b[0] for b in boxes.values())
    assert heads == sorted(["0: Conv2d", "1: BatchNorm2d", "2: ReLU", "3: MaxPool2d",
                            "4.conv1: Conv2d", "4.bn1: BatchNorm2d", "4.conv2: Conv2d",
                            "4.bn2: BatchNorm2d", "4.shortcut.0: Conv2d",
                            "4.shortcut.1: BatchNorm2d", "5: AvgPool2d", "6: Flatten",
                            "7: Linear"])
    shape = {b[0]: b[-1] for b in boxes.values()}
    assert shape["0: Conv2d"] == "(2, 4, 8, 8) float32 cpu"
    assert shape["3: MaxPool2d"] == "(2, 4, 4, 4) float32 cpu"
    assert shape["4.shortcut.0: Conv2d"] == "(2, 8, 2, 2) float32 cpu"
    assert shape["6: Flatten"] == "(2, 8) float32 cpu"
    # no op of a layer is drawn; the block's own add and relus are
    ops = re.findall(r'^\s+op\d+ \[.*label="(\w+)"\];$', dot, re.M)
    assert sorted(ops) == ["AddBackward", "CrossEntropyBackward", "ReluBackward",
                           "ReluBackward"]
    # the edges run layer to layer, once each: conv -> bn -> relu -> pool -> the block
    edges = re.findall(r"^\s+(\w+) -> (\w+);$", dot, re.M)
    assert len(edges) == len(set(edges))
    ids = {b[0]: nid for nid, b in boxes.items()}
    chain = ["0: Conv2d", "1: BatchNorm2d", "2: ReLU", "3: MaxPool2d", "4.conv1: Conv2d"]
    for a, b in zip(chain, chain[1:]):
        assert (ids[a], ids[b]) in edges
    assert (ids["3: MaxPool2d"], ids["4.shortcut.0: Conv2d"]) in edges   # the shortcut
    assert parent["4.shortcut: Sequential"] == "4: ResidualBlock"


def test_explain_tags_each_line_with_its_layer():
    model = cnn()
    loss, trace = traced(model)
    buf = io.StringIO()
    tg.viz.explain(loss, modules=trace, file=buf, max_lines=None)
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("CrossEntropyBackward") and "[" not in lines[0]
    # im2col in every convolution, and in the average pooling too
    unfold = sorted(line.split("[")[-1] for line in lines if "UnfoldBackward" in line)
    assert unfold == ["0: Conv2d]", "4.conv1: Conv2d]", "4.conv2: Conv2d]",
                      "4.shortcut.0: Conv2d]", "5: AvgPool2d]"]
    assert any(line.endswith("[4.bn2: BatchNorm2d]") and "BatchNormBackward" in line
               for line in lines)
    assert any("MaxPoolBackward" in line and "[3: MaxPool2d]" in line for line in lines)


def test_trace_restores_the_model_and_changes_no_result():
    model = cnn()
    model.eval()
    x = tg.rand(2, 1, 8, 8)
    before = model(x).detach().numpy()
    with pytest.raises(RuntimeError, match="boom"):
        with tg.viz.trace_modules(model) as trace:
            traced_out = model(x).detach().numpy()
            raise RuntimeError("boom")
    assert (traced_out == before).all()
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert (model(x).detach().numpy() == before).all()
    assert len(trace.scopes) == 16 and len(trace) > 0   # every module call
    assert repr(trace).startswith("ModuleTrace(calls=16, ops=")


def test_a_module_called_twice_is_two_calls_and_no_graph_no_ops():
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.Tanh(), lin)
    x = tg.rand(2, 3)
    with tg.viz.trace_modules(model) as trace:
        y = model(x).sum()
    dot = tg.viz.to_dot(y, modules=trace, layers=True)
    heads = re.findall(r'fillcolor=moccasin, label="([^"\\]+)', dot)
    assert sorted(heads) == ["0: Linear", "0: Linear", "1: Tanh"]
    with tg.no_grad(), tg.viz.trace_modules(model) as trace:
        model(x)
    assert len(trace) == 0 and len(trace.scopes) == 4


def test_bad_modules_argument():
    loss, _ = traced(cnn())
    with pytest.raises(TypeError, match="trace_modules"):
        tg.viz.to_dot(loss, modules={"a": 1})
    with pytest.raises(TypeError, match="trace_modules"):
        tg.viz.explain(loss, modules=[1], file=io.StringIO())
    with pytest.raises(ValueError, match="layers=True needs modules"):
        tg.viz.to_dot(loss, layers=True)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")
def test_draw_the_layers(tmp_path):
    pytest.importorskip("graphviz")
    model = cnn()
    loss, trace = traced(model)
    svg = open(tg.viz.draw(loss, tmp_path / "cnn.svg", modules=trace, layers=True)).read()
    assert "4.shortcut.0: Conv2d" in svg and "MaxPoolBackward" not in svg
