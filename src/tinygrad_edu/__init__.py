"""tinygrad_edu: a small autograd library for learning how neural networks work."""
from .backend import backend_info  # noqa: F401
