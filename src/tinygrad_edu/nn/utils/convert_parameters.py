"""parameters_to_vector / vector_to_parameters (``torch.nn.utils``): a model's parameters
as one flat vector and back, e.g. for a line search or a hand-written optimizer."""
from ...functional import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, device, name):
    if not isinstance(param, Tensor):
        raise TypeError(f"{name}: expected Tensors as parameters, got {type(param).__name__}")
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        f"supported ({device} and {param.device}).")
    return param.device


def parameters_to_vector(parameters):
    """One 1-D tensor of all the parameters' values, flattened and joined in order
    (differentiable, as in PyTorch)."""
    device, flat = None, []
    for p in parameters:
        device = _check_device(p, device, "parameters_to_vector")
        flat.append(p.reshape(-1))
    if not flat:
        raise ValueError("parameters_to_vector: expected a non-empty iterable of parameters")
    return cat(flat)


def vector_to_parameters(vec, parameters):
    """Set each parameter's values (``p.data``) to its slice of the 1-D tensor ``vec``."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected tg.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    needed = sum(p.numel() for p in params if isinstance(p, Tensor))
    if vec.ndim != 1 or vec.numel() < needed:
        raise RuntimeError(f"vector_to_parameters: vec of shape {list(vec.shape)} must be 1-D "
                           f"with at least {needed} elements, one per parameter element")
    device, pointer = None, 0
    for p in params:
        device = _check_device(p, device, "vector_to_parameters")
        n = p.numel()
        # .data: the parameter keeps its identity (optimizers hold it) but takes new values
        p.data = vec[pointer:pointer + n].reshape(p.shape).data
        pointer += n
