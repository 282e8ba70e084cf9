"""Adam and AdamW: bias-corrected moving averages of the gradient and its square."""
from .. import fused_step
from ..factories import zeros_like
from .optimizer import Optimizer, _check_non_negative, _lerp_


class Adam(Optimizer):
    """Adam (PyTorch's arithmetic, so trajectories agree to float rounding):
    ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 * v + (1 - beta2) * g * g``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.
    ``amsgrad`` uses the running maximum of v; ``decoupled_weight_decay`` (AdamW)
    shrinks ``p *= 1 - lr * weight_decay`` instead of adding ``wd * p`` to g."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        _check_non_negative(lr=lr, eps=eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        _check_non_negative(weight_decay=weight_decay)
        super().__init__(params, {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "amsgrad": amsgrad, "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay})
        self._fused = True  # False: the Tensor-op formula (the kernels' test reference)

    def _init_state(self, p, state, group):
        state["step"] = self._new_step()
        state["exp_avg"] = zeros_like(p)
        state["exp_avg_sq"] = zeros_like(p)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_like(p)

    def _update(self, p, state, group):
        step = self._advance(state)
        # one kernel pass; the Tensor ops below are its reference (and do amsgrad)
        if self._fused and fused_step.adam(p, state["exp_avg"], state["exp_avg_sq"], step, group):
            return
        grad = self._grad(p, group)
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if wd != 0 and group["decoupled_weight_decay"]:
            p.mul_(1 - lr * wd)
        exp_avg = _lerp_(state["exp_avg"], grad, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"].mul_(beta2).add_(grad * (1 - beta2) * grad)
        step_size = lr / (1 - beta1 ** step)
        bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
        if group["amsgrad"]:
            exp_avg_sq = state["max_exp_avg_sq"].copy_(
                state["max_exp_avg_sq"].maximum(exp_avg_sq))
        denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(group["eps"])
        p.add_(exp_avg * -step_size / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` each step)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
