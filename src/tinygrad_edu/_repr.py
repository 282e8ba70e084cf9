"""PyTorch-like printing: ``tensor([0.6590, 0.2424], requires_grad=True)``."""
import numpy as np

from . import dtypes
from .backend import host

_SHOWN_BY_DEFAULT = (dtypes.float32, dtypes.int64, dtypes.bool_)


def _float_formatter(a):
    """PyTorch's rules: integral values print as ``1.``; scientific notation when the
    non-zero finite magnitudes span more than 1000x or leave [1e-4, 1e8); width from
    those values only, so ``inf``/``nan`` are not padded."""
    vals = a[np.isfinite(a) & (a != 0)].astype(np.float64)
    sci, integral, width = False, True, 1
    if vals.size:
        mags = np.abs(vals)
        lo, hi = mags.min(), mags.max()
        integral = bool(np.all(vals == np.ceil(vals)))
        sci = hi / lo > 1000.0 or hi > 1.0e8 or (not integral and lo < 1.0e-4)
        if sci:
            width = max(len(f"{v:.4e}") for v in vals)
        elif integral:
            width = max(len(f"{v:.0f}") for v in vals) + 1
        else:
            width = max(len(f"{v:.4f}") for v in vals)

    def fmt(v):
        if sci:
            out = f"{v:.4e}"
        elif integral:
            out = f"{v:.0f}" + ("" if np.isinf(v) or np.isnan(v) else ".")
        else:
            out = f"{v:.4f}"
        return out.rjust(width)
    return fmt


def format_tensor(t, prefix="tensor("):
    """The string ``repr(t)`` shows."""
    a = t.numpy_view()
    on_gpu = t.is_cuda
    if on_gpu:
        a = host(a)  # printing reads the values back, as PyTorch does
    if a.size == 0 and a.ndim > 1:
        body = f"[], size={tuple(a.shape)}"
    elif a.dtype.kind == "f":
        body = np.array2string(a, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                               max_line_width=80, formatter={"float_kind": _float_formatter(a)})
    else:
        body = np.array2string(a, separator=", ", prefix=prefix, threshold=1000, edgeitems=3,
                               max_line_width=80)
    extras = []
    if t.dtype not in _SHOWN_BY_DEFAULT or (a.size == 0 and t.dtype != dtypes.float32):
        extras.append(f"dtype={t.dtype!r}")
    if on_gpu:
        extras.insert(0, f"device='{t.device}'")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
