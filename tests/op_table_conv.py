"""op_table rows for convolution, pooling, padding and im2col (tg.nn.functional), each
against a numpy reference written window by window from PyTorch's documentation
(loops over output positions: nothing shared with the im2col implementation)."""
import numpy as np
from hypothesis import strategies as st

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F

SIDE = st.integers(1, 3)


def _out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _pad2(x, p, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=value)


def _window(xp, oy, ox, k, s, d):
    return xp[:, :, oy * s[0]:oy * s[0] + d[0] * (k[0] - 1) + 1:d[0],
              ox * s[1]:ox * s[1] + d[1] * (k[1] - 1) + 1:d[1]]


# ---- references ---------------------------------------------------------------------
def conv2d_np(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = _pad2(x, padding)
    oh, ow = _out(h, kh, stride[0], padding[0], dilation[0]), \
        _out(wd, kw, stride[1], padding[1], dilation[1])
    out = np.zeros((n, o, oh, ow), x.dtype)
    og = o // groups
    for oy in range(oh):
        for ox in range(ow):
            win = _window(xp, oy, ox, (kh, kw), stride, dilation)
            for g in range(groups):
                out[:, g * og:(g + 1) * og, oy, ox] = np.einsum(
                    "nckl,ockl->no", win[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og])
    return out if b is None else out + b.reshape(1, o, 1, 1)


def conv_transpose2d_np(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                        groups=1, dilation=(1, 1)):
    n, cin, h, wd = x.shape
    og, kh, kw = w.shape[1:]
    full = ((h - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0],
            (wd - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1])
    out = np.zeros((n, og * groups) + full, x.dtype)
    cg = cin // groups
    for c in range(cin):
        g = c // cg
        for i in range(kh):
            for j in range(kw):
                ys, xs = i * dilation[0], j * dilation[1]
                out[:, g * og:(g + 1) * og, ys:ys + (h - 1) * stride[0] + 1:stride[0],
                    xs:xs + (wd - 1) * stride[1] + 1:stride[1]] += \
                    x[:, c, None] * w[c, :, i, j][None, :, None, None]
    want = [(a - 1) * s - 2 * p + d * (k - 1) + op + 1 for a, s, p, d, k, op in
            zip((h, wd), stride, padding, dilation, (kh, kw), output_padding)]
    out = out[:, :, padding[0]:padding[0] + want[0], padding[1]:padding[1] + want[1]]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def max_pool2d_np(x, kernel, stride, padding=(0, 0), dilation=(1, 1)):
    xp = _pad2(x, padding, -np.inf)
    oh = _out(x.shape[2], kernel[0], stride[0], padding[0], dilation[0])
    ow = _out(x.shape[3], kernel[1], stride[1], padding[1], dilation[1])
    return np.array([[_window(xp, oy, ox, kernel, stride, dilation).max(axis=(2, 3))
                      for ox in range(ow)] for oy in range(oh)]).transpose(2, 3, 0, 1)


def avg_pool2d_np(x, kernel, stride, padding=(0, 0), ceil_mode=False, count_include_pad=True):
    """PyTorch's own loop: each window clipped to the padded input, then (without
    count_include_pad) to the input."""
    n, c, h, w = x.shape

    def size(n_, k, s, p):
        span = n_ + 2 * p - k
        o = (span + (s - 1 if ceil_mode else 0)) // s + 1
        return o - 1 if ceil_mode and (o - 1) * s >= n_ + p else o
    oh, ow = size(h, kernel[0], stride[0], padding[0]), size(w, kernel[1], stride[1], padding[1])
    out = np.zeros((n, c, oh, ow), x.dtype)
    for oy in range(oh):
        for ox in range(ow):
            hs, ws = oy * stride[0] - padding[0], ox * stride[1] - padding[1]
            he, we = min(hs + kernel[0], h + padding[0]), min(ws + kernel[1], w + padding[1])
            pool = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
            if not count_include_pad:
                pool = (he - hs) * (we - ws)
            out[:, :, oy, ox] = x[:, :, hs:he, ws:we].sum(axis=(2, 3)) / pool
    return out


def unfold_np(x, kernel, dilation, padding, stride):
    xp = _pad2(x, padding)
    oh = _out(x.shape[2], kernel[0], stride[0], padding[0], dilation[0])
    ow = _out(x.shape[3], kernel[1], stride[1], padding[1], dilation[1])
    cols = [_window(xp, oy, ox, kernel, stride, dilation).reshape(x.shape[0], -1)
            for oy in range(oh) for ox in range(ow)]
    return np.stack(cols, axis=2)


def fold_np(cols, size, kernel, dilation, padding, stride):
    n, ck, _ = cols.shape
    c = ck // (kernel[0] * kernel[1])
    out = np.zeros((n, c, size[0] + 2 * padding[0], size[1] + 2 * padding[1]), cols.dtype)
    ow = _out(size[1], kernel[1], stride[1], padding[1], dilation[1])
    for l_ in range(cols.shape[2]):
        oy, ox = divmod(l_, ow)
        _window(out, oy, ox, kernel, stride, dilation)[...] += \
            cols[:, :, l_].reshape(n, c, kernel[0], kernel[1])
    return out[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]


def _bins(n, out):
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]


def adaptive_np(x, size, reduce):
    return np.array([[reduce(x[:, :, a:b, c:d], axis=(2, 3)) for c, d in _bins(x.shape[3], size[1])]
                     for a, b in _bins(x.shape[2], size[0])]).transpose(2, 3, 0, 1)


PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
             "circular": "wrap"}


def pad_np(x, pad, mode):
    widths = [(0, 0)] * (x.ndim - len(pad) // 2) + \
        [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(len(pad) // 2))]
    return np.pad(x, widths, mode=PAD_MODES[mode])


# ---- argument strategies ------------------------------------------------------------------
@st.composite
def conv_args(draw, dims=2, transposed=False, bias=True):
    """Shapes (input, weight[, bias]) and the geometry of a small convolution whose
    every output exists."""
    groups = draw(st.sampled_from([1, 1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(SIDE) for _ in range(dims))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(dims))
    padding = tuple(draw(st.integers(0, 1)) for _ in range(dims))
    n = draw(st.integers(1, 2))
    if transposed:
        size = tuple(draw(st.integers(1, 3)) for _ in range(dims))
        out_pad = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        padding = tuple(min(p, (d * (k - 1) + op) // 2) for p, d, k, op in
                        zip(padding, dilation, kernel, out_pad))
        shapes = ((n, cin) + size, (cin, cout // groups) + kernel) + (((cout,),) if bias else ())
        return shapes, dict(stride=stride, padding=padding, output_padding=out_pad,
                            groups=groups, dilation=dilation)
    size = tuple(d * (k - 1) + 1 + draw(st.integers(0, 3)) for k, d in zip(kernel, dilation))
    shapes = ((n, cin) + size, (cout, cin // groups) + kernel) + (((cout,),) if bias else ())
    return shapes, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


@st.composite
def pool_args(draw, dilation=True):
    kernel = (draw(SIDE), draw(SIDE))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilation else (1, 1)
    size = tuple(d * (k - 1) + 1 + draw(st.integers(0, 3)) for k, d in zip(kernel, dil))
    kw = dict(kernel_size=kernel, stride=stride, padding=padding)
    if dilation:
        kw["dilation"] = dil
    return ((draw(st.integers(1, 2)), draw(st.integers(1, 2))) + size,), kw


@st.composite
def unfold_args(draw):
    shapes, kw = draw(pool_args())
    return shapes, dict(kernel=kw["kernel_size"], dilation=kw["dilation"],
                        padding=kw["padding"], stride=kw["stride"])


@st.composite
def fold_args(draw):
    (shape,), kw = draw(unfold_args())
    k = kw["kernel"]
    n, c, h, w = shape
    blocks = [_out(a, b, s, p, d) for a, b, s, p, d in
              zip((h, w), k, kw["stride"], kw["padding"], kw["dilation"])]
    return ((n, c * k[0] * k[1], blocks[0] * blocks[1]),), dict(kw, size=(h, w))


@st.composite
def pad_args(draw):
    mode = draw(st.sampled_from(sorted(PAD_MODES)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(2, 4)),
             draw(st.integers(2, 4)))
    k = draw(st.integers(1, 2))
    limit = lambda n: n - 1 if mode == "reflect" else n  # noqa: E731
    pads = []
    for axis in range(k):
        n = shape[-1 - axis]
        pads += [draw(st.integers(0, limit(n))), draw(st.integers(0, limit(n)))]
    return (shape,), dict(pad=tuple(pads), mode=mode)


@st.composite
def adaptive_args(draw):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 5)),
             draw(st.integers(1, 5)))
    return (shape,), dict(size=(draw(st.integers(1, shape[2])), draw(st.integers(1, shape[3]))))


def _conv1d(*ts, **kw):
    kw = {k: v[1] if isinstance(v, tuple) else v for k, v in kw.items()}
    return F.conv1d(ts[0][:, :, 0], ts[1][:, :, 0], *ts[2:], **kw)


def _conv1d_np(x, w, b=None, **kw):
    kw = {k: (1 if k != "padding" else 0, v[1]) if isinstance(v, tuple) else v
          for k, v in kw.items()}
    return conv2d_np(x[:, :, :1], w[:, :, :1], b, **kw)[:, :, 0]


def _dropout2d_tg(x):
    tg.manual_seed(5)   # one mask for every call: finite differences see one function
    return F.dropout2d(x, 0.4)


def _dropout2d_np(x):
    keep = np.random.default_rng(5).random(x.shape[:2] + (1, 1), dtype=x.dtype) >= 0.4
    return x * keep / 0.6


def rows(Row):
    """The convolution rows, built with op_table's Row class."""
    return [
        Row("conv2d", lambda x, w, b, **kw: F.conv2d(x, w, b, **kw), conv2d_np, conv_args()),
        Row("conv2d_nobias", lambda x, w, **kw: F.conv2d(x, w, **kw), conv2d_np,
            conv_args(bias=False), smooth=True),
        Row("conv1d", _conv1d, _conv1d_np,
            conv_args().map(lambda a: (tuple(s[:2] + (1,) + s[3:] if len(s) == 4 else s
                                             for s in a[0]), a[1]))),
        Row("conv_transpose2d", lambda x, w, b, **kw: F.conv_transpose2d(x, w, b, **kw),
            conv_transpose2d_np, conv_args(transposed=True)),
        Row("unfold", lambda x, kernel, dilation, padding, stride: F.unfold(
            x, kernel, dilation, padding, stride), unfold_np, unfold_args()),
        Row("fold", lambda x, size, kernel, dilation, padding, stride: F.fold(
            x, size, kernel, dilation, padding, stride), fold_np, fold_args()),
        Row("max_pool2d", lambda x, **kw: F.max_pool2d(x, **kw),
            lambda x, kernel_size, stride, padding, dilation: max_pool2d_np(
                x, kernel_size, stride, padding, dilation), pool_args(), "distinct"),
        Row("avg_pool2d", lambda x, **kw: F.avg_pool2d(x, **kw),
            lambda x, **kw: avg_pool2d_np(x, kw["kernel_size"], kw["stride"], kw["padding"]),
            pool_args(dilation=False)),
        Row("avg_pool2d_ceil_exclude_pad", lambda x, **kw: F.avg_pool2d(
            x, ceil_mode=True, count_include_pad=False, **kw),
            lambda x, **kw: avg_pool2d_np(x, kw["kernel_size"], kw["stride"], kw["padding"],
                                          True, False), pool_args(dilation=False)),
        Row("adaptive_avg_pool2d", lambda x, size: F.adaptive_avg_pool2d(x, size),
            lambda x, size: adaptive_np(x, size, np.mean), adaptive_args()),
        Row("adaptive_max_pool2d", lambda x, size: F.adaptive_max_pool2d(x, size),
            lambda x, size: adaptive_np(x, size, np.max), adaptive_args(), "distinct"),
        Row("pad", lambda x, pad, mode: F.pad(x, pad, mode), pad_np, pad_args()),
        Row("dropout2d", _dropout2d_tg, _dropout2d_np,
            st.tuples(SIDE, SIDE, SIDE, SIDE).map(lambda s: ((s,), {}))),
    ]


REQUIRED_CONV = """conv1d conv2d conv_transpose2d unfold fold max_pool2d avg_pool2d
adaptive_avg_pool2d adaptive_max_pool2d pad dropout2d""".split()
