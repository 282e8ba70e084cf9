"""``tg.einsum``: the equation is parsed and checked here (operand count, ranks,
letter sizes, ellipsis), then one ``functions.Einsum`` runs it. Size-1 dimensions
broadcast against their letter's size, as in PyTorch; a letter repeated inside one
operand (a diagonal, ``'ii->i'``) is refused with a clear error."""
import string

from . import dtypes
from . import functions as F
from .factories import as_tensor


def _operand_subs(eq, operands):
    inputs, arrow, out = eq.partition("->")
    subs = inputs.split(",")
    if len(subs) > len(operands):
        raise RuntimeError(f"einsum(): fewer operands were provided than specified in the "
                           f"equation ({len(operands)} operands for {len(subs)} subscripts)")
    if len(subs) < len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the "
                           f"equation ({len(operands)} operands for {len(subs)} subscripts)")
    return subs, (out if arrow else None)


def _expand_ellipsis(subs, out, operands):
    """Replace '...' by letters the equation does not use, right-aligned across operands."""
    spare = [c for c in string.ascii_letters if c not in "".join(subs) + (out or "")]
    ranks = []
    for k, (s, t) in enumerate(zip(subs, operands)):
        letters = s.replace("...", "")
        if "..." in s:
            ranks.append(t.ndim - len(letters))
        if ("..." not in s and len(s) != t.ndim) or ("..." in s and ranks[-1] < 0):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(letters)}) does not match the number of dimensions "
                               f"({t.ndim}) for operand {k}"
                               f"{'' if '...' in s else ' and no ellipsis was given'}")
    width = max(ranks, default=0)
    fill = "".join(spare[:width])
    subs = [s.replace("...", fill[width - (t.ndim - len(s) + 3):]) if "..." in s else s
            for s, t in zip(subs, operands)]
    if out is not None:
        out = out.replace("...", fill)
    return subs, out, fill


def einsum(equation, *operands):
    """Sum of products over the letters missing from the output, e.g.
    ``einsum('bij,bjk->bik', a, b)`` (batched matmul) or ``'bhqd,bhkd->bhqk'``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [as_tensor(t) for t in operands]
    eq = equation.replace(" ", "")
    subs, out = _operand_subs(eq, operands)
    subs, out, fill = _expand_ellipsis(subs, out, operands)
    sizes = {}
    for k, (s, t) in enumerate(zip(subs, operands)):
        for c in s:
            if c not in string.ascii_letters:
                raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(c)} in "
                                   f"the equation string, subscripts must be in [a-zA-Z]")
            if s.count(c) > 1:
                raise NotImplementedError(f"einsum(): subscript {c} is repeated for operand {k} "
                                          f"('{s}'): diagonals are not supported; use "
                                          "tg.diagonal or a mask")
        for c, n in zip(s, t.shape):
            seen = sizes.get(c, 1)
            if n != seen and 1 not in (n, seen):
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which "
                                   f"does not broadcast with previously seen size {seen}")
            sizes[c] = max(n, seen)
    if out is None:  # implicit: the broadcast letters, then the letters seen once, sorted
        once = sorted(c for c in sizes if "".join(subs).count(c) == 1 and c not in fill)
        out = fill + "".join(once)
    for c in out:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               f"for any input operand")
        if out.count(c) > 1:
            raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the "
                               f"output")
    dt = operands[0].dtype
    for t in operands[1:]:
        dt = dtypes.promote(dt, t.dtype)
    ready = []
    for s, t in zip(subs, operands):
        t = t if t.dtype == dt else t.to(dt)
        full = tuple(sizes[c] for c in s)
        ready.append(t if tuple(t.shape) == full else t.expand(full))
    return F.Einsum.apply(*ready, subs=tuple(subs), out=out)
