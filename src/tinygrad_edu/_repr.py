"""PyTorch-like printing: ``tensor([0.6590, 0.2424], requires_grad=True)``."""
import numpy as np

from . import dtypes

_SHOWN_BY_DEFAULT = (dtypes.float32, dtypes.int64, dtypes.bool_)


def _float_formatter(a):
    finite = a[np.isfinite(a)]
    if finite.size == 0 or np.all(finite == np.round(finite)):
        big = finite.size and np.abs(finite).max() >= 1e8
        fmt = (lambda v: f"{v:.4e}") if big else (lambda v: f"{v:.0f}.")
    else:
        mags = np.abs(finite[finite != 0]) if np.any(finite != 0) else np.abs(finite)
        lo, hi = mags.min(), mags.max()
        sci = hi >= 1e8 or lo < 1e-4 or (lo > 0 and hi / lo > 1000)
        fmt = (lambda v: f"{v:.4e}") if sci else (lambda v: f"{v:.4f}")

    def one(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf") if np.isinf(v) else fmt(v)

    shown = a if a.size <= 1000 else np.concatenate([a.ravel()[:3], a.ravel()[-3:]])
    width = max((len(one(v)) for v in shown.ravel()), default=0)
    return lambda v: one(v).rjust(width)


def format_tensor(t, prefix="tensor("):
    """The string ``repr(t)`` shows."""
    a = t.numpy_view()
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
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"
