"""Primitives behind tensor_movement (issue 18)."""
__all__: list[str] = []
