"""Stochastic gradient descent with momentum, dampening and Nesterov (PyTorch's SGD)."""
from .. import fused_step
from ..factories import zeros_like
from .optimizer import Optimizer, _check_non_negative


class SGD(Optimizer):
    """SGD: ``p -= lr * g`` where g is the gradient (plus ``weight_decay * p``),
    or with momentum ``b = momentum * b + (1 - dampening) * g`` and g replaced
    by b (or by ``g + momentum * b`` with ``nesterov``). The first step sets
    ``b = g`` without dampening, as PyTorch does."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        _check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "dampening": dampening,
            "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize})
        self._fused = True  # False: the Tensor-op formula (the kernels' test reference)

    def _update(self, p, state, group):
        momentum = group["momentum"]
        if self._fused:  # one kernel pass; the Tensor ops below are its reference
            buf = state.get("momentum_buffer") if momentum != 0 else None
            first = momentum != 0 and buf is None
            new = zeros_like(p) if first else buf
            if fused_step.sgd(p, new, group, first):
                if first:
                    state["momentum_buffer"] = new
                return
        grad = self._grad(p, group)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # a copy: grad may be p.grad itself, which zero_grad may zero in place
                state["momentum_buffer"] = buf = grad.detach().clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad + buf * momentum if group["nesterov"] else buf
        p.add_(grad, alpha=-group["lr"])
