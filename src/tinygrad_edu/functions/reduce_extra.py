"""Primitives behind tensor_reduce_extra (issue 18)."""
__all__: list[str] = []
