"""Make the pictures the docs show (docs/img/): graphs of the curriculum's 2-2-2
network, of the main job's MLP and of LeNet (layer by layer), the layers of the
library's own modules (.dot always; .svg with Graphviz), activation plots, training
curves, the feature maps of a trained convolution layer, the causal mask, a trained
attention head's weights and a trained 2-D character embedding (.png with matplotlib;
the feature maps also need Fashion-MNIST, the embedding the word list). The last four
are drawn by running the pages' own code blocks.

    PYTHONPATH=src python docs/make_figures.py [--out docs/img]
"""
import argparse
import ast
import contextlib
import io
import os
import re
import shutil
import tempfile

import numpy as np

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.data.text import WORDS_PATH
from tinygrad_edu.train import build_mlp

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(os.path.dirname(HERE), "src", "tinygrad_edu")
# the packages above the core, drawn as one box each; the core's files one box each
_GROUPS = ("nn", "optim", "data", "utils")
_CLUSTERS = {"backend": "backend/: the kernels' Python side",
             "functions": "functions/: forward and backward of each op"}
# small modules every layer uses (names and helpers): arrows into them are drawn grey
_HELPERS = {"dtypes", "shapes", "device", "grad_mode", "anomaly_mode", "_convert", "_repr",
            "_rng"}


class Net222(nn.Module):
    """Curriculum C.2: 2 inputs, 2 hidden sigmoid units, 2 sigmoid outputs (float64)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 2).double()
        self.fc2 = nn.Linear(2, 2).double()
        with tg.no_grad():
            self.fc1.weight.copy_(tg.tensor([[0.15, 0.20], [0.25, 0.30]]))
            self.fc1.bias.fill_(0.35)
            self.fc2.weight.copy_(tg.tensor([[0.40, 0.45], [0.50, 0.55]]))
            self.fc2.bias.fill_(0.60)

    def forward(self, x):
        return tg.sigmoid(self.fc2(tg.sigmoid(self.fc1(x))))


def graphs():
    """{name: DOT source} of the graphs the docs show."""
    net = Net222()
    x = tg.tensor([[0.05, 0.10]], dtype=tg.float64)
    loss = nn.MSELoss()(net(x), tg.tensor([[0.01, 0.99]], dtype=tg.float64))
    loss.backward(retain_graph=True)  # keeps the intermediate values for the picture
    out = {"net222": tg.viz.to_dot(loss, params=net, show_values=True)}
    tg.manual_seed(0)
    mlp = build_mlp([784, 512, 256, 10])  # the main job's model
    image = tg.from_numpy(np.random.default_rng(0).random((1, 28, 28), dtype=np.float32))
    mlp_loss = nn.CrossEntropyLoss()(mlp(image), tg.tensor([3]))
    mlp_loss.backward(retain_graph=True)
    out["mlp"] = tg.viz.to_dot(mlp_loss, params=mlp)
    out["layers"] = layers()
    out["lenet"] = lenet_layers()
    return out


def lenet_layers():
    """DOT source of d2l's LeNet (as e_convolutions.md writes it) drawn layer by layer:
    tg.viz.trace_modules, then to_dot(layers=True)."""
    tg.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    with tg.viz.trace_modules(net) as trace:
        out = net(tg.rand(1, 1, 28, 28))
    return tg.viz.to_dot(out, modules=trace, layers=True)


def _node(rel):
    """The box a module of the package is drawn in: 'nn' for nn/*, a package's
    __init__ as the package ('backend/'), else its path."""
    top = rel.split("/")[0]
    if top in _GROUPS:
        return top
    return rel[:-len("__init__")] if rel.endswith("/__init__") else rel


def _imports(rel, tree):
    """The modules of the package that module ``rel`` imports at module level."""
    parts = rel.split("/")[:-1]
    for node in tree.body:
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = parts[:len(parts) - (node.level - 1)]
        names = [node.module] if node.module else [a.name for a in node.names]
        for name in names:
            target = "/".join(base + name.split("."))
            if os.path.isdir(os.path.join(PACKAGE, target)):
                yield target + "/__init__"
            elif os.path.exists(os.path.join(PACKAGE, target + ".py")):
                yield target


def layers():
    """DOT source of the library's layers: a box per core module (a package above
    the core: one box), an arrow from each module to those it imports at module level
    (down the page: imports point down), read from the source itself."""
    edges, nodes = set(), set()
    for root, _, files in os.walk(PACKAGE):
        for f in sorted(files):
            rel = os.path.relpath(os.path.join(root, f), PACKAGE)[:-3].replace(os.sep, "/")
            if not f.endswith(".py") or rel in ("__init__", "__main__"):
                continue
            with open(os.path.join(root, f)) as fh:
                tree = ast.parse(fh.read())
            src = _node(rel)
            nodes.add(src)
            edges |= {(src, _node(t)) for t in _imports(rel, tree) if _node(t) != src}
    lines = ["digraph layers {", "  rankdir=TB; node [shape=box, style=filled, "
             "fillcolor=white, fontname=Helvetica, fontsize=11];"]
    for name, label in _CLUSTERS.items():
        lines.append(f'  subgraph "cluster_{name}" {{ label="{label}"; fontname=Helvetica; '
                     f'fontsize=10; style=dashed;')
        lines += [f'    "{n}";' for n in sorted(nodes) if n.startswith(name + "/")]
        lines.append("  }")
    lines += [f'  "{n}" [fillcolor=lightblue];' for n in _GROUPS if n in nodes]
    lines += [f'  "{a}" -> "{b}"' + (" [color=gray75];" if b in _HELPERS else ";")
              for a, b in sorted(edges)]
    lines.append("}")
    return "\n".join(lines) + "\n"


def history():
    """Per-epoch curves of a small run (three Gaussian blobs, SGD)."""
    tg.manual_seed(0)
    centers = tg.randn(3, 20) * 1.5
    labels = tg.randint(0, 3, (600,))
    x = centers[labels] + tg.randn(600, 20) * 2
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
    opt = tg.optim.SGD(model.parameters(), lr=0.05)
    hist = {"loss": [], "train_acc": [], "test_acc": []}
    for _ in range(12):
        for i in range(0, 500, 50):
            opt.zero_grad()
            loss = nn.CrossEntropyLoss()(model(x[i:i + 50]), labels[i:i + 50])
            loss.backward()
            opt.step()
        with tg.no_grad():
            pred = model(x).argmax(1) == labels
            hist["loss"].append(nn.CrossEntropyLoss()(model(x[:500]), labels[:500]).item())
        hist["train_acc"].append(pred[:500].float().mean().item())
        hist["test_acc"].append(pred[500:].float().mean().item())
    return hist


def page_figures(page, names, out, missing=()):
    """Run the code blocks of docs/``page`` in a temporary folder, one namespace, as
    tests/test_docs.py does, and copy the PNGs they save, ``names``, into ``out``: each
    figure is exactly what the page's own code draws. Like the docs test, stop at the
    first block marked ``<!-- doctest: needs X -->`` with X in ``missing``. The paths
    copied (the names saved before the stop)."""
    with open(os.path.join(HERE, page)) as f:
        blocks = re.findall(r"(?:<!-- doctest: needs ([\w-]+) -->\n)?```python\n(.*?)```",
                            f.read(), re.S)
    out = os.path.abspath(out)  # before the chdir
    cwd = os.getcwd()
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            namespace = {"__name__": "__doc_page__"}
            with contextlib.redirect_stdout(io.StringIO()):  # what the page prints
                for i, (need, code) in enumerate(blocks):
                    if need in missing:
                        break
                    exec(compile(code, f"{page} block {i + 1}", "exec"),  # noqa: S102
                         namespace)
            for name in names:
                if os.path.exists(name):
                    made.append(os.path.join(out, name))
                    shutil.copyfile(name, made[-1])
        finally:
            os.chdir(cwd)
    return made


def feature_maps(out):
    """e_convolutions.md's last block draws the first convolution layer's kernels and
    feature maps of a net trained on Fashion-MNIST: [its path], [] without the data."""
    from tinygrad_edu.data import FashionMNIST
    try:
        FashionMNIST(train=False)
    except FileNotFoundError:
        return []
    return page_figures("e_convolutions.md", ["feature_maps.png"], out)


def language_models(out):
    """f_language_models.md draws the causal mask next to a masked softmax (F.2), the
    attention weights of the one-head GPT it trains (F.3) and, with the word list, a
    2-D character embedding trained by makemore's MLP (F.6)."""
    missing = () if os.path.isfile(WORDS_PATH) else ("words",)
    return page_figures("f_language_models.md",
                        ["causal_mask.png", "attention_weights.png", "embedding_2d.png"],
                        out, missing)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(HERE, "img"))
    out = p.parse_args(argv).out
    os.makedirs(out, exist_ok=True)
    made = []
    for name, dot in graphs().items():
        path = os.path.join(out, f"{name}.dot")
        with open(path, "w") as f:
            f.write(dot)
        made.append(path)
        if shutil.which("dot"):
            import graphviz  # with dot present, the package is the doc's prerequisite
            svg = graphviz.Source(dot).pipe(format="svg")
            with open(os.path.join(out, f"{name}.svg"), "wb") as f:
                f.write(svg)
            made.append(os.path.join(out, f"{name}.svg"))
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("matplotlib missing: no PNGs")
    else:
        for fn, name in ((tg.sigmoid, "sigmoid"),
                         (lambda t: tg.nn.functional.leaky_relu(t, 0.1), "leaky_relu")):
            path = os.path.join(out, f"activation_{name}.png")
            tg.viz.plot_activation(fn, title=name, path=path)
            made.append(path)
        made.append(os.path.join(out, "history.png"))
        tg.viz.plot_history(history(), made[-1])
        maps = feature_maps(out)
        if not maps:
            print("Fashion-MNIST missing: no feature_maps.png")
        lm = language_models(out)
        if len(lm) < 3:
            print(f"{WORDS_PATH} missing: no embedding_2d.png")
        made += maps + lm
    print("\n".join(made))


if __name__ == "__main__":
    main()
