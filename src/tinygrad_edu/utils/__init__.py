"""Utilities: gradient checking and safe checkpoints (save / load)."""
from .gradcheck import gradcheck, gradgradcheck, numerical_gradient  # noqa: F401
from .serialization import load, save  # noqa: F401
