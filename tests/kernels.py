"""One kernel of a backend by its op's name, for the kernel tests.

A backend has a few generic entry points (``unary(op, x)``, ``binary(op, a, b)``,
``reduce(op, x, axis, keepdims)``, ``softmax(x, axis, log)``) and its fused
kernels. ``Ops(be).exp(x)`` is ``be.unary("exp", x)``, ``Ops(be).add(a, b)`` is
``be.binary("add", a, b)``, ``Ops(be).sum(x, axis)`` is ``be.reduce("sum", x, axis)``,
``Ops(be).log_softmax(x, axis)`` is ``be.softmax(x, axis, log=True)``; other names
(matmul, linear, the fused kernels) are the backend's own.
"""
import numpy as np

from tinygrad_edu.backend import numpy_backend

UNARY = set(numpy_backend._UNARY)
BINARY = set(numpy_backend._BINARY)
REDUCE = set(numpy_backend._REDUCE)


def _axes(x, axis):
    """numpy's axis argument as the interface's: sorted non-negative axes (one int
    for argmax / argmin)."""
    if axis is None or isinstance(axis, (int, np.integer)):
        return axis
    nd = np.ndim(x)
    return tuple(sorted({int(a) % nd for a in axis}))


class Ops:
    """The kernels of backend ``be`` by op name."""

    def __init__(self, be):
        self.be = be

    def __getattr__(self, op):
        be = self.be
        if op in UNARY:
            return lambda x, *params, **kw: be.unary(op, x, *params, **kw)
        if op in BINARY:
            return lambda a, b, *params, **kw: be.binary(op, a, b, *params, **kw)
        if op in REDUCE:
            def reduce(x, axis=None, keepdims=False):
                if op in ("argmax", "argmin") and axis is not None:
                    axis = int(axis) % max(np.ndim(x), 1)
                return be.reduce(op, x, _axes(x, axis), keepdims)
            return reduce
        if op == "log_softmax":
            return lambda x, axis=-1, **kw: be.softmax(x, axis, True, **kw)
        return getattr(be, op)
