"""load_state_dict's checks: every mismatch of a checkpoint against a module's own
state_dict, collected into one message before anything is copied."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import dtypes
from ..factories import from_numpy
from ..tensor import Tensor


def _shape(v: Any) -> tuple[int, ...]:
    return tuple(v.shape)


def _kind(dtype: Any) -> str:
    return "float" if dtype.is_floating_point else ("bool" if dtype == dtypes.bool_ else "int")


def _as_values(v: Any) -> Tensor | None:
    """A checkpoint value as a Tensor (numbers, not objects), or None if it is not one."""
    if isinstance(v, Tensor):
        return v
    try:
        arr = np.asarray(v)
    except Exception:  # noqa: BLE001 - any failure means "not an array"
        return None
    return from_numpy(arr) if arr.dtype.kind in "biuf" else None


def _checked_values(own: Mapping[str, Tensor], state_dict: Mapping[str, Any], strict: bool,
                    owner: str) -> tuple[dict[str, Tensor], list[str], list[str]]:
    """(values to copy by key, missing keys, unexpected keys), or PyTorch's RuntimeError
    listing every problem (with ``strict``: missing/unexpected keys and kind changes)."""
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    errors: list[str] = []
    values: dict[str, Any] = {}
    for k, target in own.items():
        if k not in state_dict:
            continue
        v = _as_values(state_dict[k])
        if v is None:
            t = type(state_dict[k])
            errors.append(f'While copying the parameter named "{k}", expected a tensor '
                          f"or array from checkpoint but received {t.__module__}."
                          f"{t.__qualname__}")
        elif _shape(v) != _shape(target):
            errors.append(f"size mismatch for {k}: copying a param with shape "
                          f"{list(_shape(v))} from checkpoint, the shape in current "
                          f"model is {list(_shape(target))}.")
        elif strict and hasattr(state_dict[k], "dtype") and \
                _kind(v.dtype) != _kind(target.dtype):
            # float64 into float32 converts, as in PyTorch; floats into an integer
            # buffer (or ints into a parameter) is a different checkpoint
            errors.append(f"dtype mismatch for {k}: copying a param with dtype {v.dtype!r} "
                          f"from checkpoint, the dtype in current model is "
                          f"{target.dtype!r}; convert the checkpoint or the model first.")
        values[k] = v
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: " +
                          ", ".join(f'"{k}"' for k in unexpected) + ".")
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: " +
                          ", ".join(f'"{k}"' for k in missing) + ".")
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {owner}:\n\t"
                           + "\n\t".join(errors))
    return values, missing, unexpected
