"""Hypothesis strategies shared by the test suite.

Shapes are small on purpose: the gradient tests build full Jacobians, one
backward pass per output element, so every strategy takes a ``max_numel``
budget. Values are generated from a drawn integer seed with numpy (continuous
values, so no accidental ties), pushed into a *domain* that keeps finite
differences away from kinks, poles and ties.
"""
import math

import numpy as np
import tinygrad_edu as tg
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

MAX_NUMEL = 48


def numel(shape):
    return int(math.prod(shape))


# ---- shapes -----------------------------------------------------------------
@st.composite
def shapes(draw, min_dims=0, max_dims=4, min_side=1, max_side=4,
           max_numel=MAX_NUMEL, allow_zero=False):
    """A shape of ``min_dims..max_dims`` dims, sides ``min_side..max_side``,
    at most ``max_numel`` elements; with ``allow_zero`` one side may be 0."""
    ndim = draw(st.integers(min_dims, max_dims))
    out, budget = [], max_numel
    for _ in range(ndim):
        hi = max(min_side, min(max_side, budget))
        side = draw(st.integers(min_side, hi))
        out.append(side)
        budget = max(1, budget // max(side, 1))
    if allow_zero and ndim and draw(st.integers(0, 4)) == 0:
        out[draw(st.integers(0, ndim - 1))] = 0
    return tuple(out)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4,
                         max_numel=MAX_NUMEL, allow_zero=False):
    """Tuples of ``num_shapes`` mutually broadcastable shapes (size-1 dims,
    missing leading dims), result at most ``max_numel`` elements."""
    def ok(bs):
        return numel(bs.result_shape) <= max_numel and all(
            numel(s) <= max_numel for s in bs.input_shapes)
    normal = mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
        min_side=1, max_side=max_side).filter(ok)
    if not allow_zero:
        return normal.map(lambda bs: tuple(bs.input_shapes))
    zero = mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=max(min_dims, 1), max_dims=max_dims,
        min_side=0, max_side=3).filter(ok)
    return st.one_of(normal, zero).map(lambda bs: tuple(bs.input_shapes))


def pairs_of_broadcastable(**kw):
    return broadcastable_shapes(num_shapes=2, **kw)


def triples_of_broadcastable(**kw):
    return broadcastable_shapes(num_shapes=3, **kw)


@st.composite
def shape_and_dim(draw, min_dims=1, max_dims=4, allow_none=True, allow_tuple=True,
                  min_reduced=1, **kw):
    """A shape plus a ``dim`` argument (None, int possibly negative, or tuple)
    whose reduced element count is at least ``min_reduced``."""
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, **kw))
    nd = len(shape)
    choices = []
    if allow_none or nd == 0:
        choices.append(None)
    if nd:
        choices += list(range(-nd, nd))
    if allow_tuple and nd >= 2:
        axes = sorted(draw(st.sets(st.integers(0, nd - 1), min_size=1, max_size=nd)))
        neg = draw(st.booleans())      # also spell some axes negatively: (-1, 0)
        choices.append(tuple(a - nd if neg and i % 2 == 0 else a for i, a in enumerate(axes)))
    dim = draw(st.sampled_from(choices))
    axes = range(nd) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    reduced = numel([shape[a] for a in axes])
    if reduced < min_reduced:
        # enlarge the reduced axes instead of rejecting the example
        shape = tuple(max(s, 2) if (i in [a % nd for a in axes]) else s
                      for i, s in enumerate(shape)) if nd else shape
    return shape, dim


# ---- values -----------------------------------------------------------------
DOMAINS = {
    "any":      dict(lo=-2.0, hi=2.0, kinks=()),
    "pos":      dict(lo=0.5, hi=2.0, kinks=()),
    "nonzero":  dict(lo=-2.0, hi=2.0, kinks=(0.0,)),
    "clamp":    dict(lo=-2.0, hi=2.0, kinks=(-0.5, 0.5)),
    "unit":     dict(lo=-0.9, hi=0.9, kinks=()),
    "distinct": None,   # joint pool, spacing 0.25: no ties anywhere
}
KINK_GAP = 0.1


def domain_values(rng, shape, domain, dtype=np.float64):
    spec = DOMAINS[domain]
    x = rng.uniform(spec["lo"], spec["hi"], size=shape)
    for k in spec["kinks"]:
        near = np.abs(x - k) < KINK_GAP
        x = np.where(near, np.where(x >= k, k + KINK_GAP, k - KINK_GAP), x)
    return x.astype(dtype)


def gen_inputs(seed, shapes_, domain, dtype=np.float64):
    """Arrays for ``shapes_`` in ``domain`` (one name for all inputs or one per
    input). The ``distinct`` domain draws all inputs from one shuffled pool, so
    no two elements of any input tie (max/min/maximum stay differentiable)."""
    rng = np.random.default_rng(seed)
    doms = [domain] * len(shapes_) if isinstance(domain, str) else list(domain)
    if any(d == "distinct" for d in doms):
        n = sum(numel(s) for s, d in zip(shapes_, doms) if d == "distinct")
        pool = (rng.permutation(n) - n / 2) * 0.25 + rng.uniform(-0.05, 0.05)
    out, at = [], 0
    for s, d in zip(shapes_, doms):
        if d == "distinct":
            k = numel(s)
            out.append(pool[at:at + k].reshape(s).astype(dtype))
            at += k
        else:
            out.append(domain_values(rng, s, d, dtype))
    return out


seeds = st.integers(0, 2**32 - 1)
float_dtypes = st.sampled_from([np.float32, np.float64])
layouts = st.sampled_from(["contiguous", "transposed", "strided"])


def arrays_in(shape, domain="any", dtype=np.float64):
    """Strategy: one array of ``shape`` in ``domain``."""
    return seeds.map(lambda s: gen_inputs(s, [shape], domain, dtype)[0])


# ---- non-contiguous views ------------------------------------------------------
def as_layout(arr, layout, xp=np):
    """The same values as ``arr`` in another memory layout (a VIEW; numpy, or CuPy
    with xp=cupy): ``transposed`` is Fortran order (a transpose of a contiguous
    array), ``strided`` a ``[::2]`` slice of a bigger array."""
    arr = xp.asarray(arr)
    if layout == "contiguous" or arr.ndim == 0 or arr.size == 0:
        return arr.copy()       # (np.ascontiguousarray would make 0-d arrays 1-d)
    if layout == "transposed":
        return xp.ascontiguousarray(arr.T).T
    if layout == "strided":
        big = xp.full(tuple(2 * s for s in arr.shape), np.nan, dtype=arr.dtype)
        view = big[tuple(slice(None, None, 2) for _ in arr.shape)]
        view[...] = arr
        return view
    raise ValueError(layout)


def layout_tensor(arr, layout):
    """A tensor sharing memory with as_layout(arr, layout), on the default device
    (through DLPack on a GPU, so the view's strides reach the kernels)."""
    if tg.get_default_device().type == "cpu":
        return tg.from_numpy(as_layout(arr, layout))
    from tinygrad_edu.backend import cuda_backend
    return tg.from_dlpack(as_layout(arr, layout, cuda_backend().xp))


@st.composite
def noncontiguous_arrays(draw, shape_strategy=None, domain="any", dtype=np.float64):
    shape = draw(shape_strategy or shapes(min_dims=1))
    arr = gen_inputs(draw(seeds), [shape], domain, dtype)[0]
    return as_layout(arr, draw(st.sampled_from(["transposed", "strided"])))
