"""Devices, PyTorch's names: ``tg.device("cuda:0")``, ``tg.device("cpu")``.

A tensor's device is where its array lives: a numpy array is on the CPU, a
CuPy array on its GPU. The backend layer maps arrays to devices; this module
only names them (factories.py keeps the default device).
"""
from __future__ import annotations

_KINDS = ("cpu", "cuda")


class device(str):  # noqa: N801 - PyTorch's spelling
    """A device name that is also a string: ``device("cuda")``, ``device("cuda", 0)``,
    ``device("cpu")``; ``.type`` and ``.index`` as in PyTorch."""
    type: str
    index: int | None  # type: ignore[assignment]  # PyTorch's name shadows str.index

    def __new__(cls, type_or_name: object, index: int | None = None) -> device:
        if isinstance(type_or_name, device) and index is None:
            return type_or_name
        name = str(type_or_name).strip()
        kind, _, idx = name.partition(":")
        if kind not in _KINDS:
            raise RuntimeError(f"Expected one of {', '.join(_KINDS)} device type at start of "
                               f"device string: {name!r}")
        if idx:
            if index is not None:
                raise RuntimeError(f"device {name!r} already names an index; got index={index}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: {name!r} (expected e.g. 'cuda:0')")
            index = int(idx)
        if index is not None and (not isinstance(index, int) or index < 0):
            raise RuntimeError(f"Device index must not be negative, got {index!r}")
        if kind == "cpu" and index not in (None, 0):
            raise RuntimeError(f"CPU device index must be 0, got {index}")
        self = super().__new__(cls, kind if index is None or kind == "cpu" else f"{kind}:{index}")
        self.type = kind
        self.index = None if kind == "cpu" else index
        return self

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):  # pickles and copies as the plain constructor call
        return (device, (str(self),))


CPU = device("cpu")
