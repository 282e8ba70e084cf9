"""op_table rows for F.interpolate, each against a numpy reference written output by
output from PyTorch's rules (loops over output positions and their source taps: nothing
shared with the indexing / interpolation-matrix implementation)."""
import itertools
import math

import numpy as np
from hypothesis import strategies as st

from tinygrad_edu.nn.functional_resize import interpolate

SCALES = (0.5, 0.7, 1.2, 1.5, 2.0, 2.2)
MAX_SIDE = {3: 5, 4: 3, 5: 2}   # small outputs: the Jacobian takes one backward per element


@st.composite
def resize_args(draw, ranks, mode, align_corners=None):
    rank = draw(st.sampled_from(ranks))
    spatial = tuple(draw(st.integers(1, MAX_SIDE[rank])) for _ in range(rank - 2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial
    kw = {"mode": mode}
    if align_corners is not None:   # "either": drawn
        kw["align_corners"] = draw(st.booleans()) if align_corners == "either" else align_corners
    how = draw(st.sampled_from(["size", "scale", "recompute"]))
    if how == "size":
        sizes = tuple(draw(st.integers(1, 2 * MAX_SIDE[rank])) for _ in spatial)
        kw["size"] = sizes if len(sizes) > 1 or draw(st.booleans()) else sizes[0]
        return (shape,), kw
    sf = tuple(draw(st.sampled_from([s for s in SCALES if int(n * s) >= 1])) for n in spatial)
    kw["scale_factor"] = sf[0] if len(set(sf)) == 1 and draw(st.booleans()) else sf
    if how == "recompute":
        kw["recompute_scale_factor"] = True
    return (shape,), kw


# ---- references -----------------------------------------------------------------------------
def _axes(x, size=None, scale_factor=None, recompute_scale_factor=None):
    """Per spatial axis: (input size, output size, the scale factor the kernel sees)."""
    k = x.ndim - 2
    if size is not None:
        outs = list(size) if isinstance(size, tuple) else [size] * k
        return [(n, o, None) for n, o in zip(x.shape[2:], outs)]
    sfs = list(scale_factor) if isinstance(scale_factor, tuple) else [scale_factor] * k
    return [(n, int(n * s), None if recompute_scale_factor else s)
            for n, s in zip(x.shape[2:], sfs)]


def _nearest_source(n_in, n_out, sf, exact, shortcuts):
    """ATen's index: the scale rounded to float32, dst * scale (float32 arithmetic) or
    (dst + 0.5) * scale (double, then rounded to float) floored, clamped to n_in - 1."""
    scale = np.float32(1.0 / sf) if sf else np.float32(n_in) / np.float32(n_out)
    src = []
    for d in range(n_out):
        if shortcuts and n_out == n_in:
            i = d
        elif shortcuts and n_out == 2 * n_in:
            i = d // 2
        elif exact:
            i = math.floor(np.float32((d + 0.5) * float(scale)))
        else:
            i = math.floor(np.float32(d) * scale)
        src.append(min(i, n_in - 1))
    return src


def nearest_np(x, mode="nearest", **kw):
    axes = _axes(x, **kw)
    exact, shortcuts = mode == "nearest-exact", mode == "nearest" and x.ndim == 4
    src = [_nearest_source(n, o, s, exact, shortcuts) for n, o, s in axes]
    out = np.empty(x.shape[:2] + tuple(o for _, o, _ in axes), x.dtype)
    for pos in np.ndindex(*out.shape[2:]):
        out[(Ellipsis,) + pos] = x[(Ellipsis,) + tuple(s[p] for s, p in zip(src, pos))]
    return out


def _linear_taps(n_in, n_out, align_corners, sf):
    """[(source index, weight), (source index, weight)] for each output along one axis."""
    if n_out == n_in:   # ATen copies whatever the scale factor
        return [[(d, 1.0)] for d in range(n_out)]
    taps = []
    for d in range(n_out):
        if align_corners:
            src = d * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            scale = 1.0 / sf if sf else n_in / n_out
            src = max((d + 0.5) * scale - 0.5, 0.0)
        i0 = min(math.floor(src), n_in - 1)
        lam = min(max(src - i0, 0.0), 1.0)
        taps.append([(i0, 1.0 - lam), (min(i0 + 1, n_in - 1), lam)])
    return taps


def linear_np(x, mode, align_corners=False, **kw):
    axes = _axes(x, **kw)
    taps = [_linear_taps(n, o, align_corners, s) for n, o, s in axes]
    out = np.zeros(x.shape[:2] + tuple(o for _, o, _ in axes))
    for pos in np.ndindex(*out.shape[2:]):
        for corner in itertools.product(*(t[p] for t, p in zip(taps, pos))):
            weight = math.prod(w for _, w in corner)
            out[(Ellipsis,) + pos] += weight * x[(Ellipsis,) + tuple(i for i, _ in corner)]
    return out


def area_np(x, mode, **kw):
    """Adaptive average pooling: output i averages [floor(i n / o), ceil((i + 1) n / o))."""
    recompute = kw.pop("recompute_scale_factor", None) or "scale_factor" in kw
    axes = _axes(x, recompute_scale_factor=recompute, **kw)
    out = np.zeros(x.shape[:2] + tuple(o for _, o, _ in axes))
    for pos in np.ndindex(*out.shape[2:]):
        window = tuple(slice(math.floor(p * n / o), math.ceil((p + 1) * n / o))
                       for (n, o, _), p in zip(axes, pos))
        out[(Ellipsis,) + pos] = x[(Ellipsis,) + window].mean(axis=tuple(range(2, x.ndim)))
    return out


def _interp(x, **kw):
    return interpolate(x, **kw)


def rows(Row):
    """The resize rows, built with op_table's Row class."""
    return [
        Row("interpolate_nearest", _interp, nearest_np, resize_args((3, 4, 5), "nearest")),
        Row("interpolate_nearest_exact", _interp, nearest_np,
            resize_args((3, 4, 5), "nearest-exact")),
        Row("interpolate_linear", _interp, linear_np, resize_args((3,), "linear", False)),
        Row("interpolate_linear_align_corners", _interp, linear_np,
            resize_args((3,), "linear", True)),
        Row("interpolate_bilinear", _interp, linear_np, resize_args((4,), "bilinear", False)),
        Row("interpolate_bilinear_align_corners", _interp, linear_np,
            resize_args((4,), "bilinear", True)),
        Row("interpolate_trilinear", _interp, linear_np,
            resize_args((5,), "trilinear", "either")),
        Row("interpolate_area", _interp, area_np, resize_args((3, 4, 5), "area")),
    ]


REQUIRED_RESIZE = """interpolate_nearest interpolate_nearest_exact interpolate_linear
interpolate_bilinear interpolate_bilinear_align_corners interpolate_trilinear
interpolate_area""".split()
