"""Stochastic gradient descent with momentum, dampening and Nesterov (PyTorch's SGD)."""
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

    def _update(self, p, state, group):
        grad = self._grad(p, group)
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # a copy: grad may be p.grad itself, which zero_grad may zero in place
                state["momentum_buffer"] = buf = grad.detach().clone()
            else:
                buf.mul_(momentum).add_(grad, alpha=1 - group["dampening"])
            grad = grad + buf * momentum if group["nesterov"] else buf
        p.add_(grad, alpha=-group["lr"])
