"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
from ..factories import zeros_like
from .optimizer import Optimizer, _check_non_negative, _lerp_


class RMSprop(Optimizer):
    """RMSprop (PyTorch's): ``v = alpha * v + (1 - alpha) * g * g``; the step is
    ``g / (sqrt(v) + eps)``, with ``v - mean(g)^2`` under the root when
    ``centered``, and fed through a momentum buffer when ``momentum > 0``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        _check_non_negative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                            alpha=alpha)
        super().__init__(params, {
            "lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
            "weight_decay": weight_decay, "maximize": maximize})

    def _init_state(self, p, state, group):
        state["step"] = self._new_step()
        state["square_avg"] = zeros_like(p)
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = zeros_like(p)

    def _update(self, p, state, group):
        grad = self._grad(p, group)
        self._advance(state)
        alpha, lr = group["alpha"], group["lr"]
        square_avg = state["square_avg"]
        square_avg.mul_(alpha).add_(grad * (1 - alpha) * grad)
        if group["centered"]:
            grad_avg = _lerp_(state["grad_avg"], grad, 1 - alpha)
            avg = (square_avg - grad_avg * grad_avg).sqrt()
        else:
            avg = square_avg.sqrt()
        avg.add_(group["eps"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf.mul_(group["momentum"]).add_(grad / avg)
            p.add_(buf, alpha=-lr)
        else:
            p.add_(grad * -lr / avg)
