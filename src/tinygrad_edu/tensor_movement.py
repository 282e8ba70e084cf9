"""Movement and construction-by-rearrangement methods of ``Tensor`` (roll, diagonal,
tile, movedim, unbind, ...; a mixin; issue 18)."""

# the names that tg also offers as functions (tg.xxx(t, ...)): see functional.py
FUNCTIONAL: tuple[str, ...] = ()


class MovementOps:
    __slots__ = ()
