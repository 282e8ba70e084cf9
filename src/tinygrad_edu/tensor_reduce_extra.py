"""Reductions, cumulative ops and matrix products beyond the core (prod, norm, median,
cumprod, bmm, ...) of ``Tensor`` (a mixin; issue 18)."""

# the names that tg also offers as functions (tg.xxx(t, ...)): see functional.py
FUNCTIONAL: tuple[str, ...] = ()


class ReduceExtraOps:
    __slots__ = ()
