"""Primitives behind tensor_select (issue 18)."""
__all__: list[str] = []
