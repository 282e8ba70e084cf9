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


def _fit(g, parent):
    """Gradient g summed back to parent's shape (a no-op when it already fits)."""
    shape = _shape_of(parent)
    return g if g._data.shape == shape else _unbroadcast(g, shape)


def _grads_to_inputs(ctx, *rules):
    """Evaluate each input's gradient rule (a thunk) only if that input needs a
    gradient, and sum the result back to that input's shape."""
    parents = ctx.parents
    if len(parents) == 2:  # most ops: no loop, no list
        (p0, p1), (r0, r1) = parents, rules
        return (None if p0 is None or r0 is None else _fit(r0(), p0),
                None if p1 is None or r1 is None else _fit(r1(), p1))
    return tuple([None if p is None or rule is None else _fit(rule(), p)
                  for p, rule in zip(parents, rules)])
