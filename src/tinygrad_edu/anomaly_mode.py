"""Anomaly detection: ``with tg.autograd.detect_anomaly(): ...``.

While it is on, every op remembers where it was created, and the first op
whose forward or backward turns finite values into NaN or Inf raises a
RuntimeError naming the op and that place. Thread-local like grad mode: one
thread debugging leaves the others at full speed. Off by default (the checks
scan every result).
"""
import os
import threading
import traceback

import numpy as np

from .backend import host

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class _AnomalyMode(threading.local):
    enabled = False
    in_backward = False  # the ops inside a backward report as that backward


_anomaly = _AnomalyMode()


def is_anomaly_enabled():
    """True inside ``detect_anomaly()`` (in this thread)."""
    return _anomaly.enabled


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns checking on (as a call or a context manager)."""

    def __init__(self, mode):
        self._prev = _anomaly.enabled
        _anomaly.enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _anomaly.enabled = self._prev
        return False


class detect_anomaly:
    """Context manager / decorator: raise at the first op producing NaN or Inf."""

    def __init__(self, check_nan=True):
        self.check_nan = bool(check_nan)

    def __enter__(self):
        self._prev = _anomaly.enabled
        _anomaly.enabled = self.check_nan
        return self

    def __exit__(self, *exc):
        _anomaly.enabled = self._prev
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


def _stack():
    """The creation stack, user frames only (the library's own frames are noise)."""
    frames = [f for f in traceback.extract_stack()[:-2] if not f.filename.startswith(_PACKAGE)]
    return traceback.StackSummary.from_list(frames[-8:])


def _where(stack):
    if not stack:
        return "inside tinygrad_edu"
    f = stack[-1]
    return f'File "{f.filename}", line {f.lineno}, in {f.name}: {f.line}'


def _bad(arr):
    """'nan', 'inf' or None for a float array (other dtypes cannot hold either)."""
    a = host(arr)  # anomaly mode is a debugging aid: reading GPU values back is fine
    if a.dtype.kind != "f" or a.size == 0:
        return None
    if np.isnan(a).any():
        return "nan"
    return "inf" if np.isinf(a).any() else None


def check_forward(ctx, inputs, out):
    """Raise if the op made NaN/Inf from finite inputs; otherwise remember where it was made."""
    ctx.anomaly_trace = _stack()
    what = _bad(out)
    if what is None or _anomaly.in_backward or any(_bad(t._data) for t in inputs):
        return
    raise RuntimeError(f"Function '{ctx.name()[:-len('Backward')]}' produced {what} values "
                       f"in its forward output (shape {list(np.shape(out))}) from finite "
                       f"inputs. It was created at:\n  {_where(ctx.anomaly_trace)}\n"
                       "Traceback of its creation (most recent call last):\n"
                       + "".join(ctx.anomaly_trace.format()))


def checked_backward(node, grad_in):
    """Run node's backward; raise if it made NaN/Inf from a finite incoming gradient."""
    prev, _anomaly.in_backward = _anomaly.in_backward, True
    try:
        grads_out = type(node).backward(node, grad_in)
    finally:
        _anomaly.in_backward = prev
    if _bad(grad_in._data):
        return grads_out
    for i, g in enumerate(grads_out if isinstance(grads_out, tuple) else (grads_out,)):
        what = None if g is None else _bad(g._data)
        if what is None:
            continue
        trace = getattr(node, "anomaly_trace", None)
        where = _where(trace) if trace is not None else \
            "unknown (the forward ran outside detect_anomaly())"
        raise RuntimeError(f"Function '{node.name()}' returned {what} values in its {i}th "
                           f"output. The forward op was created at:\n  {where}\n"
                           + ("Traceback of its creation (most recent call last):\n"
                              + "".join(trace.format()) if trace is not None else ""))
    return grads_out
