"""Write docs/api.md, the API reference, from the docstrings of the public API.

    PYTHONPATH=src python docs/make_api.py           # rewrite docs/api.md
    PYTHONPATH=src python docs/make_api.py --check   # exit 1 if docs/api.md is stale
"""
import argparse
import inspect
import os
import re
import sys

import tinygrad_edu as tg

HERE = os.path.dirname(os.path.abspath(__file__))
TARGET = os.path.join(HERE, "api.md")

# (title, module, prefix shown in headings)
SECTIONS = [
    ("Tensors and functions", tg, "tg."),
    ("Layers and models", tg.nn, "tg.nn."),
    ("Functional", tg.nn.functional, "tg.nn.functional."),
    ("Initialisation", tg.nn.init, "tg.nn.init."),
    ("Gradient clipping and parameter vectors", tg.nn.utils, "tg.nn.utils."),
    ("Optimizers", tg.optim, "tg.optim."),
    ("Learning-rate schedules", tg.optim.lr_scheduler, "tg.optim.lr_scheduler."),
    ("Data", tg.data, "tg.data."),
    ("Looking at graphs", tg.viz, "tg.viz."),
]


def _signature(obj):
    """The call signature without annotations (shorter to read); a functional form
    ``tg.exp(input, *args, **kwargs)`` shows its Tensor method's arguments."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)"
    method = getattr(tg.Tensor, getattr(obj, "__name__", ""), None)
    if list(sig.parameters) == ["input", "args", "kwargs"] and inspect.isfunction(method):
        msig = inspect.signature(method)
        first, *rest = msig.parameters.values()
        sig = msig.replace(parameters=[first.replace(name="input"), *rest])
    sig = sig.replace(parameters=[p.replace(annotation=p.empty) for p in
                                  sig.parameters.values()],
                      return_annotation=sig.empty)
    return re.sub(r" at 0x[0-9a-f]+", "", str(sig))  # no memory addresses in the text


def _doc(obj):
    return inspect.cleandoc(obj.__doc__) if obj.__doc__ else ""


def _ours(obj):
    return getattr(obj, "__module__", "").startswith("tinygrad_edu")


def _public(module):
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not
                                                 n.startswith("_")]
    out = []
    for name in sorted(set(names), key=lambda n: (n.lower(), n)):
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not _ours(obj):
            continue
        # what a module defines, or re-exports from below it (not what it merely imports)
        if module is tg or obj.__module__.startswith(module.__name__) or \
                name in getattr(module, "__all__", ()):
            out.append((name, obj))
    return out


def _members(cls, documented):
    """(name, kind, object) of a class's public methods and properties: its own and
    those of its private bases (Tensor's operator mixins), not those of a base class
    with a section of its own (``documented``)."""
    seen, out = set(), []
    for klass in cls.__mro__:
        if not _ours(klass) or (klass is not cls and klass in documented):
            continue
        for name, obj in vars(klass).items():
            if name in seen or name.startswith("_"):
                continue
            seen.add(name)
            if isinstance(obj, property):
                out.append((name, "property", obj, inspect.getdoc(obj)))
            elif inspect.isfunction(obj) or isinstance(obj, (staticmethod, classmethod)):
                # an override without a docstring inherits its base's, as inspect.getdoc does
                out.append((name, "method", getattr(obj, "__func__", obj),
                            inspect.getdoc(getattr(cls, name))))
    return sorted(out, key=lambda m: (m[0].lower(), m[0]))


def render():
    lines = ["# API reference", "",
             "Generated from the docstrings by `docs/make_api.py`; do not edit by hand.", ""]
    missing = []
    documented = {obj for _, module, _ in SECTIONS for _, obj in _public(module)
                  if inspect.isclass(obj)}
    for title, module, prefix in SECTIONS:
        lines += [f"## {title}", ""]
        for name, obj in _public(module):
            kind = "class" if inspect.isclass(obj) else "function"
            lines += [f"### `{prefix}{name}{_signature(obj)}`", ""]
            doc = _doc(obj)
            if not doc:
                missing.append(prefix + name)
            lines += [doc or f"(undocumented {kind})", ""]
            if inspect.isclass(obj):
                for mname, mkind, m, mdoc in _members(obj, documented):
                    mdoc = (mdoc or "").split("\n\n")[0].replace("\n", " ")
                    sig = "" if mkind == "property" else _signature(m)
                    lines.append(f"- `{mname}{sig}`: {mdoc}" if mdoc else f"- `{mname}{sig}`")
                    if not mdoc:
                        missing.append(f"{prefix}{name}.{mname}")
                lines.append("")
    lines += ["## Not yet documented", "",
              ", ".join(f"`{m}`" for m in missing) if missing else "(nothing)", ""]
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--check", action="store_true", help="compare, do not write")
    check = p.parse_args(argv).check
    text = render()
    if check:
        with open(TARGET) as f:
            if f.read() != text:
                print("docs/api.md is stale: run PYTHONPATH=src python docs/make_api.py")
                return 1
        return 0
    with open(TARGET, "w") as f:
        f.write(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
