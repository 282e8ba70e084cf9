"""Indexing-style methods of ``Tensor`` beyond gather/scatter (index_add, masked_select,
nonzero, take, unique, bincount, ...; a mixin; issue 18)."""

# the names that tg also offers as functions (tg.xxx(t, ...)): see functional.py
FUNCTIONAL: tuple[str, ...] = ()


class SelectOps:
    __slots__ = ()
