"""Gradient helpers shared by the primitives."""


def _unbroadcast(grad, shape):
    """Sum a broadcast gradient back down to an input's shape."""
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                      if n == 1 and grad.shape[lead + i] != 1)
    return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad.reshape(shape)


def _grads_to_inputs(ctx, *rules):
    """Evaluate each input's gradient rule (a thunk) only if that input needs a
    gradient, and sum the result back to that input's shape."""
    return tuple([_unbroadcast(rule(), p.shape) if p is not None and rule is not None else None
                  for p, rule in zip(ctx.parents, rules)])
