"""Utilities: gradient checking (and, later, serialisation and graph pictures)."""
from .gradcheck import gradcheck, gradgradcheck, numerical_gradient  # noqa: F401
