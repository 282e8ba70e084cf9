"""The global random generator behind rand/randn, Tensor.normal_/uniform_, nn.init,
dropout and DataLoader shuffling (a numpy Generator; ``tg.manual_seed`` replaces it),
and the lookup of a ``generator=`` argument (a ``tg.Generator``, factories.py).

Threads: like PyTorch's default generator it is one for the whole process, not
per thread. Draws from several threads are safe (numpy's Generator locks) but
their order depends on the scheduler; for reproducible work per thread, build each
model after ``tg.manual_seed(seed)`` before starting the threads and give each
DataLoader its own ``seed=``/``generator=`` (tests/test_concurrency.py)."""
import math

import numpy as np

_seed = [int(np.random.SeedSequence().generate_state(1, np.uint64)[0])]  # OS, then manual_seed
_current = [np.random.default_rng(_seed[0])]


def check_seed(seed, fn="manual_seed"):
    """seed as PyTorch takes it: an integer (negative ones wrap modulo 2**64)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise RuntimeError(f"{fn} expected a long, but got {type(seed).__name__}")
    return int(seed) % 2 ** 64


def manual_seed(seed):
    """Seed the generator behind every random draw of the library."""
    _seed[0] = check_seed(seed)
    _current[0] = np.random.default_rng(_seed[0])
    return _current[0]


def generator():
    """The global numpy Generator (for modules that draw random numbers)."""
    return _current[0]


def resolve(gen, fn):
    """The numpy Generator a ``generator=`` argument names: the global one for None,
    else a ``tg.Generator``'s own (anything else is PyTorch's TypeError)."""
    if gen is None:
        return _current[0]
    rng = getattr(gen, "numpy_generator", None)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fn}(): argument 'generator' must be tg.Generator, not "
                        f"{type(gen).__name__}")
    return rng


def draw(kind, shape, dtype, rng=None):
    """'uniform' [0, 1) or 'normal' N(0, 1) samples of a float dtype (numpy draws
    float32/float64 natively; others are drawn in float32 and cast), from ``rng``
    (a numpy Generator) or the global one."""
    native = dtype if dtype in (np.float32, np.float64) else np.float32
    g = _current[0] if rng is None else rng
    out = g.random(shape, dtype=native) if kind == "uniform" else \
        g.standard_normal(shape, dtype=native)
    return out.astype(dtype, copy=False)


def dropout_mask(shape, p, dtype):
    """Dropout's multiplier: 0 with probability p, else 1 / (1 - p), as a numpy array.
    Raw 32-bit draws against p * 2**32: one draw and one compare, ~3x faster than
    uniform floats and a select (the GPT's 24 dropouts a step spent ~3 ms there)."""
    n = math.prod(shape)
    raw = _current[0].bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]
    keep = raw >= np.uint32(min(int(p * 2.0 ** 32), 2 ** 32 - 1))
    mask = keep.reshape(shape).astype(dtype)
    mask *= mask.dtype.type(1.0 / (1.0 - p))
    return mask
