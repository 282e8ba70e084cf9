"""The docs run: every ```python block of docs/*.md, page by page, one namespace per
page, in a temporary folder. A block preceded by ``<!-- doctest: needs X -->`` (X one
of matplotlib, torch, graphviz, fashion-mnist, words) skips the rest of its page without X.
A ```text block right after a python block is what that block prints, exactly."""
import contextlib
import importlib
import importlib.util
import inspect
import io
import os
import re
import shutil
import subprocess
import sys

import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
PAGES = ["a_layers.md", "b_losses.md", "c_gradients.md", "d_training.md", "e_convolutions.md",
         "f_language_models.md", "architecture.md"]
_BLOCK = re.compile(r"(?:<!-- doctest: needs ([\w-]+) -->\n)?```python\n(.*?)```"
                    r"(?:\n\n```text\n(.*?)```)?", re.S)


def blocks(page):
    """[(need or None, code, expected output or None)] of one Markdown page, in order."""
    with open(os.path.join(DOCS, page)) as f:
        return [m.groups() for m in _BLOCK.finditer(f.read())]


def _have(need):
    if need == "fashion-mnist":
        from tinygrad_edu.data import FashionMNIST
        try:
            FashionMNIST(train=False)
            return True
        except FileNotFoundError:
            return False
    if need == "words":  # Debian's wamerican, the makemore word list
        from tinygrad_edu.data.text import WORDS_PATH
        return os.path.isfile(WORDS_PATH)
    if need == "graphviz":
        return importlib.util.find_spec("graphviz") is not None and bool(shutil.which("dot"))
    if need in ("matplotlib", "torch"):
        return importlib.util.find_spec(need) is not None
    raise ValueError(f"unknown doctest need {need!r}")


@pytest.mark.parametrize("page", PAGES)
def test_page_runs(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the docs write land here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    found = blocks(page)
    assert len(found) >= 4, f"{page}: expected code blocks"
    checked = sum(e is not None for _, _, e in found)
    assert page != "c_gradients.md" or checked == 2  # the explain outputs
    namespace = {"__name__": "__doc_page__"}
    for i, (need, code, expected) in enumerate(found):
        if need is not None and not _have(need):
            rest = len(found) - i
            pytest.skip(f"{page}: {rest} last block(s) need {need}")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"{page} block {i + 1}", "exec"), namespace)  # noqa: S102
            except Exception as e:
                raise AssertionError(f"{page}, code block {i + 1} failed: {e!r}\n{code}") from e
        if expected is not None:
            assert out.getvalue() == expected, f"{page}, code block {i + 1} prints otherwise"


def test_architecture_line_ranges_are_current():
    """docs/architecture.md names the lines to open for each step: they must hold the
    function or class named beside them, from its first line to its last."""
    with open(os.path.join(DOCS, "architecture.md")) as f:
        rows = re.findall(r"^\| \d+ \| `([\w.]+)` \| `src/(tinygrad_edu/[\w/]+)\.py` \| "
                          r"(\d+)-(\d+) \|", f.read(), re.M)
    assert len(rows) >= 10
    for qual, path, first, last in rows:
        obj = importlib.import_module(path.replace("/", "."))
        for part in qual.split("."):
            obj = vars(obj)[part] if isinstance(obj, type) else getattr(obj, part)
        obj = getattr(obj, "__func__", getattr(obj, "fget", obj))  # methods, properties
        lines, start = inspect.getsourcelines(obj)
        assert (start, start + len(lines) - 1) == (int(first), int(last)), \
            f"architecture.md: {qual} is at lines {start}-{start + len(lines) - 1} of {path}.py"


def test_the_index_links_every_page():
    with open(os.path.join(DOCS, "README.md")) as f:
        index = f.read()
    for page in PAGES + ["api.md"]:
        assert f"({page})" in index


def test_readme_links_the_tutorials():
    with open(os.path.join(os.path.dirname(DOCS), "README.md")) as f:
        readme = f.read()
    for page in PAGES:
        assert f"docs/{page}" in readme


def test_api_reference_is_current():
    out = subprocess.run([sys.executable, os.path.join(DOCS, "make_api.py"), "--check"],
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.returncode == 0, out.stdout + out.stderr


def test_committed_graph_source_is_current():
    sys.path.insert(0, DOCS)
    try:
        import make_figures
    finally:
        sys.path.remove(DOCS)
    digits = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")  # the last digit may differ by backend
    for name, dot in make_figures.graphs().items():
        with open(os.path.join(DOCS, "img", f"{name}.dot")) as f:
            assert digits.sub("N", f.read()) == digits.sub("N", dot), \
                f"docs/img/{name}.dot is stale: run docs/make_figures.py"
