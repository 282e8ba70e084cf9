"""The Optimizer base class: parameter groups, per-parameter state, the step loop,
zero_grad and (de)serialization, with PyTorch's names and state_dict layout.

A subclass only says how to create a parameter's state (``_init_state``) and how
to update one parameter from its gradient (``_update``); the base walks the
groups, skips parameters without a gradient and runs everything under no_grad.
"""
import warnings
from collections import defaultdict
from copy import deepcopy
from itertools import chain

from ..grad_mode import enable_grad, no_grad
from ..tensor import Tensor


class _RequiredParameter:
    """Marks a default that every parameter group must set itself."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "") else f"{module}.{cls.__qualname__}"


def _lerp_(t, end, weight):
    """t.lerp_(end, weight) in place, with PyTorch's two-sided formula: starting from
    the nearer end keeps the rounding small (and weight 1 gives exactly end)."""
    if weight < 0.5:
        return t.add_((end - t) * weight)
    return t.copy_(end - (end - t) * (1 - weight))


def _check_non_negative(**options):
    """ValueError, in PyTorch's words, for the first negative option (keyword order)."""
    labels = {"lr": "learning rate", "eps": "epsilon value"}
    for name, value in options.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {labels.get(name, name + ' value')}: {value}")


class Optimizer:
    """Base class for optimizers.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) holding
    ``'params'`` and options that override ``defaults`` for that group.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor) or not hasattr(params, "__iter__") or \
                hasattr(params, "parameters"):  # a Module (Sequential iterates its layers)
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}"
                            + (" (pass model.parameters())" if hasattr(params, "parameters") or
                               getattr(params, "__name__", "") == "parameters" else ""))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"

    # ---- parameter groups ----------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a dict of parameters (and options) to optimize, e.g. unfrozen layers."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            # a set's order changes between runs, and the state_dict refers to params by position
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        param_group["params"] = params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len(params) != len(set(params)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set(chain.from_iterable(g["params"] for g in self.param_groups))
        if not seen.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients and the step ----------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients: drop them (default) or fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    # a create_graph gradient: zero a detached alias, not a graph node
                    p.grad = g = g.detach()
                else:
                    g.requires_grad_(False)
                with no_grad():
                    g.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient; ``closure`` (optional)
        re-evaluates the model and returns the loss, which step returns."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    if not state:
                        self._init_state(p, state, group)
                    self._update(p, state, group)
                    if not state:  # stateless updates (plain SGD) keep no entry, as in torch
                        del self.state[p]
        return loss

    def _init_state(self, p, state, group):
        """Fill the empty state dict of parameter p (called before its first update)."""

    def _update(self, p, state, group):
        """Update parameter p in place from p.grad (runs under no_grad)."""
        raise NotImplementedError

    @staticmethod
    def _new_step():
        # a 0-d float tensor, like torch, so state_dict layouts agree
        return Tensor(0.0)

    @staticmethod
    def _advance(state):
        """Count one more step; return the new count as a Python float."""
        state["step"].add_(1)
        return state["step"].item()

    @staticmethod
    def _grad(p, group):
        """p.grad negated for ``maximize`` and with L2 weight decay (``grad + wd * p``)
        added unless the group decouples weight decay from the gradient."""
        grad = p.grad
        if group.get("maximize", False):
            grad = -grad
        wd = group.get("weight_decay", 0)
        if wd != 0 and not group.get("decoupled_weight_decay", False):
            grad = grad + p * wd
        return grad

    # ---- serialization -------------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}:
        parameters are referred to by position across groups. As in PyTorch the state
        tensors are references, not copies (deepcopy for a snapshot)."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by ``state_dict`` (state tensors are copied
        and cast to their parameter's dtype; 'step' keeps its own)."""
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(self.param_groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"])
               for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _copy_state_value(p, key, val) for key, val in v.items()}
            else:
                state[k] = v  # not tied to a parameter: kept as is, like torch
        for group, saved in zip(self.param_groups, saved_groups):
            saved["params"] = group["params"]
        self.state = state
        self.param_groups = saved_groups


def _copy_state_value(param, key, value):
    if not isinstance(value, Tensor):
        return deepcopy(value)
    value = value.detach()
    # 'step' keeps its own dtype (torch issue 74424); buffers follow the parameter
    if key != "step" and param.is_floating_point():
        value = value.to(param.dtype)
    return value.clone()
