"""tg.cuda: is a GPU usable here, and waiting for it (PyTorch's torch.cuda names).

Nothing here imports CuPy until asked; without CuPy or a GPU, ``is_available()``
is False and ``why_unavailable()`` says why.
"""
from .backend import cuda_available, cuda_backend


def is_available() -> bool:
    """True if CuPy is installed and sees an NVIDIA GPU (never raises)."""
    return cuda_available()


def why_unavailable() -> str | None:
    """None if CUDA can be used, else the reason (not installed, no GPU, driver)."""
    try:
        cuda_backend()
    except RuntimeError as e:
        return str(e)
    return None


def device_count() -> int:
    """The number of visible GPUs (0 without CUDA)."""
    if not is_available():
        return 0
    return int(cuda_backend().xp.cuda.runtime.getDeviceCount())


def current_device() -> int:
    """The index of the GPU that CUDA tensors are made on."""
    return int(cuda_backend().xp.cuda.runtime.getDevice())


def get_device_name(device: int | None = None) -> str:
    """The GPU's marketing name, e.g. 'NVIDIA H100 80GB HBM3'."""
    rt = cuda_backend().xp.cuda.runtime
    name = rt.getDeviceProperties(current_device() if device is None else device)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize() -> None:
    """Wait until every kernel queued on the GPU has finished (for timing: GPU work
    runs asynchronously, so a clock read without this measures only the launches)."""
    cuda_backend().synchronize()
