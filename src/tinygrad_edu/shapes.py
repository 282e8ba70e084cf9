"""Shape arithmetic shared by the primitives and the Tensor API (pure Python:
for the short shapes of real programs this is faster than numpy's helpers)."""


def broadcast_shapes(a, b, op="operation"):
    """The broadcast shape of a and b, or PyTorch's error naming the dimension."""
    if a == b:
        return a
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"{op}: the size of tensor a ({x}) must match the size of tensor "
                               f"b ({y}) at non-singleton dimension {i} "
                               f"(shapes {list(a)} and {list(b)})")
        out.append(y if x == 1 else x)
    return tuple(out)


def broadcasts_to(shape, target):
    """Whether shape broadcasts to exactly target (an in-place result keeps its shape)."""
    shape, target = tuple(shape), tuple(target)
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1]))


def shape_arg(args):
    """Accept f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(int(a) for a in args)
