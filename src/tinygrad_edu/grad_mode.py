"""Grad mode: whether new operations are recorded for backward.

Thread-local, as in PyTorch: ``no_grad`` in one thread leaves the others
recording. Each guard works as a context manager and as a decorator.
"""
import functools
import threading


class _GradMode(threading.local):
    enabled = True


_mode = _GradMode()


def is_grad_enabled():
    """True when new operations are being recorded for backward."""
    return _mode.enabled


class _GradModeGuard:
    _target = True

    def __new__(cls, func=None):
        # `@tg.no_grad` without parentheses decorates directly, as in PyTorch
        if callable(func):
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        pass

    def __enter__(self):
        self._prev = _mode.enabled
        _mode.enabled = self._target
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeGuard):
    """Context manager / decorator: operations inside record no graph."""
    _target = False


class enable_grad(_GradModeGuard):
    """Context manager / decorator: re-enable recording inside ``no_grad``."""
    _target = True


class set_grad_enabled(_GradModeGuard):
    """``set_grad_enabled(False)`` as a call, a context manager or a decorator."""

    def __init__(self, mode):
        self._target = bool(mode)
        self._prev = _mode.enabled
        _mode.enabled = self._target  # takes effect on the call, like PyTorch

    def __enter__(self):
        return self

    def __call__(self, fn):
        _mode.enabled = self._prev
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return fn(*args, **kwargs)
        return wrapper
