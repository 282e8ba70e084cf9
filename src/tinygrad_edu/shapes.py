"""Shape arithmetic shared by the primitives and the Tensor API (pure Python:
for the short shapes of real programs this is faster than numpy's helpers)."""
import functools
import operator


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


def broadcasts(a, b):
    """Whether shapes a and b broadcast together."""
    return all(x == y or x == 1 or y == 1 for x, y in zip(a[::-1], b[::-1]))


def broadcasts_to(shape, target):
    """Whether shape broadcasts to exactly target (an in-place result keeps its shape)."""
    shape, target = tuple(shape), tuple(target)
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(shape[::-1], target[::-1]))


def shape_arg(args, op="size"):
    """Accept f(2, 3), f((2, 3)) and f([2, 3]); every entry must be an integer
    (2.5 would silently become 2)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        return tuple(operator.index(a) for a in args)
    except TypeError:
        bad = next(a for a in args if not hasattr(type(a), "__index__"))
        raise TypeError(f"{op}: expected a sequence of ints, but found an element of type "
                        f"{type(bad).__name__} ({bad!r})") from None


def size_arg(args, op):
    """A new tensor's size: non-negative ints whose product numpy can allocate
    (too many elements is an allocation failure, a MemoryError)."""
    shape = shape_arg(args, op + "()")
    for d in shape:
        if d < 0:
            raise RuntimeError(f"{op}(): trying to create a tensor with negative dimension "
                               f"{d}: {list(shape)}")
    n = 1
    for d in shape:
        n *= d
    if n >= 1 << 60:  # 8-byte elements past 2**63 bytes: numpy says ValueError, not MemoryError
        raise MemoryError(f"{op}(): cannot allocate a tensor of {n} elements ({list(shape)})")
    return shape


def numpy_names(method):
    """Also accept numpy's spellings axis= and keepdims=, as PyTorch does."""
    @functools.wraps(method)
    def wrapper(self, *args, **kw):
        if kw:
            if "axis" in kw:
                kw["dim"] = kw.pop("axis")
            if "keepdims" in kw:
                kw["keepdim"] = kw.pop("keepdims")
        return method(self, *args, **kw)
    return wrapper


def conv_out_size(n, k, dilation=1, padding=0, stride=1):
    """Windows of a convolution or pooling along one axis of length n (PyTorch's
    formula): floor((n + 2 padding - dilation (k - 1) - 1) / stride) + 1."""
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
