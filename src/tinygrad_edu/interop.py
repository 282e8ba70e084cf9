"""Handing tensors to other array libraries: ``np.asarray(t)`` and DLPack (CPU
tensors to numpy/PyTorch CPU, CUDA tensors to CuPy/PyTorch CUDA, no copy).

A mixin of the Tensor (like ``tensor_math``); the way back in, ``tg.from_dlpack``,
lives with the other constructors in ``factories``.
"""
from __future__ import annotations

from typing import Any

import numpy as np


def _no_grad_export(t: Any, what: str) -> np.ndarray:
    if t._requires_grad:
        raise RuntimeError(f"Can't export tensors that require gradient ({what}); "
                           "use tensor.detach() first")
    return t._data


class InteropOps:
    """The array protocols of a tensor (memory shared, never a silent copy)."""
    __slots__ = ()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        # numpy 2 passes copy=; copy=False with a dtype change cannot be honoured.
        a = self.numpy()  # type: ignore[attr-defined]
        if dtype is not None and np.dtype(dtype) != a.dtype:
            if copy is False:
                raise ValueError("unable to avoid a copy while converting the tensor to "
                                 f"{np.dtype(dtype)} (copy=False)")
            return a.astype(dtype)
        return a.copy() if copy else a

    def __dlpack__(self, *, stream: Any = None, max_version: tuple[int, int] | None = None,
                   dl_device: Any = None, copy: bool | None = None) -> Any:
        """A DLPack capsule of this tensor's memory (``torch.from_dlpack(t)``,
        ``np.from_dlpack(t)``, ``cupy.from_dlpack(t)``); a tensor that requires grad
        must be detached first."""
        a = _no_grad_export(self, "__dlpack__")
        if not isinstance(a, np.ndarray):  # CuPy orders the consumer's stream itself
            return a.__dlpack__(stream=stream) if stream is not None else a.__dlpack__()
        if stream is not None:
            raise BufferError("stream must be None for a CPU tensor")
        kwargs: dict[str, Any] = {}
        for k, v in (("max_version", max_version), ("dl_device", dl_device), ("copy", copy)):
            if v is not None:
                kwargs[k] = v
        return a.__dlpack__(**kwargs)

    def __dlpack_device__(self) -> tuple[int, int]:
        """(device type, device id): (1, 0) is DLPack's CPU, (2, N) CUDA GPU N."""
        a = self._data  # type: ignore[attr-defined]
        return (1, 0) if isinstance(a, np.ndarray) else a.__dlpack_device__()
