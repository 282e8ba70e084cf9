"""Optimizer steps through the backend's fused in-place kernels (sgd_step,
adam_step): one pass over each parameter instead of a chain of Tensor ops.

optim/ sits above the Tensor and sees only its public API; this module is the
Tensor-level door it uses. Each function returns False (touching nothing) when
the arrays do not fit a kernel (a gradient of another dtype or shape, a
read-only parameter, state replaced by something else) and the optimizer then
runs its Tensor-op formula, which these kernels are tested equal to.

One call per parameter, not one per model: gradients are fresh arrays from
each backward (zero_grad drops them), users may replace ``p.data``, and param
groups carry their own options, so a flat parameter/gradient buffer would have
to be re-gathered every step, costing the pass it saves.
"""
from .backend import of_array as _backend_of, writeable as _writeable


def _fits(p, *state):
    a, g = p._data, p._grad._data
    return (a.dtype.kind == "f" and _writeable(a) and g.dtype == a.dtype
            and g.shape == a.shape
            and all(s._data.dtype == a.dtype and s._data.shape == a.shape
                    and _writeable(s._data) for s in state))


def _bump(*tensors):
    for t in tensors:
        t._version[0] += 1


def sgd(p, buf, group, first):
    """SGD step of p in place (buf: the momentum buffer or None); True if done."""
    if not _fits(p, *(() if buf is None else (buf,))):
        return False
    _backend_of(p._data).sgd_step(
        p._data, p._grad._data, None if buf is None else buf._data, group["lr"],
        group["weight_decay"], group["momentum"], group["dampening"], group["nesterov"],
        group["maximize"], first)
    _bump(p, *(() if buf is None else (buf,)))
    return True


def adam(p, exp_avg, exp_avg_sq, step, group):
    """Adam/AdamW step of p in place (no amsgrad); True if done."""
    if group["amsgrad"] or not _fits(p, exp_avg, exp_avg_sq):
        return False
    beta1, beta2 = group["betas"]
    _backend_of(p._data).adam_step(
        p._data, p._grad._data, exp_avg._data, exp_avg_sq._data, step, group["lr"],
        beta1, beta2, group["eps"], group["weight_decay"], group["decoupled_weight_decay"],
        group["maximize"])
    _bump(p, exp_avg, exp_avg_sq)
    return True
