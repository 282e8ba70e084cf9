"""Gradient helpers shared by the primitives."""
from ..autograd import _shape_of


def _unbroadcast(grad, shape):
    """Sum a broadcast gradient back down to an input's shape."""
    have = grad._data.shape
    if have == shape:  # a tuple, or a tg.Size (a tuple too)
        return grad
    shape = tuple(shape)
    lead = len(have) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and have[lead + i] != 1)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)


def _grads_to_inputs(ctx, *rules):
    """Evaluate each input's gradient rule (a thunk) only if that input needs a
    gradient, and sum the result back to that input's shape."""
    out = []  # a plain loop: this runs once per node of every backward
    for p, rule in zip(ctx.parents, rules):
        if p is None or rule is None:
            out.append(None)
            continue
        g = rule()
        shape = _shape_of(p)
        out.append(g if g._data.shape == shape else _unbroadcast(g, shape))
    return tuple(out)
