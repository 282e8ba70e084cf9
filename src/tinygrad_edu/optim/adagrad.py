"""Adagrad: per-coordinate step sizes shrinking with the sum of squared gradients."""
from ..factories import full_like
from .optimizer import Optimizer, _check_non_negative


class Adagrad(Optimizer):
    """Adagrad (PyTorch's): ``sum += g * g``; ``p -= clr * g / (sqrt(sum) + eps)``
    with ``clr = lr / (1 + (step - 1) * lr_decay)``. State is created for every
    parameter at construction, as in PyTorch."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        _check_non_negative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                            initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "maximize": maximize})
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, self.state[p], group)

    def _init_state(self, p, state, group):
        state["step"] = self._new_step()
        state["sum"] = full_like(p, group["initial_accumulator_value"])

    def _update(self, p, state, group):
        step = self._advance(state)
        grad = self._grad(p, group)
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"].add_(grad * grad)
        std = state["sum"].sqrt().add_(group["eps"])
        p.add_(grad * -clr / std)
