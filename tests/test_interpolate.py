"""F.interpolate and the Upsample modules against PyTorch: values and gradients over
many configurations (sizes up and down, non-integer scale factors, recompute_scale_factor,
align_corners both ways, float32/float64, 3-D/4-D/5-D inputs), second order, the
modules' printed form and attributes, and every refused call with PyTorch's exception.
Finite-difference checks are the rows of op_table_resize.py."""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
import tinygrad_edu.nn.functional as F
from tinygrad_edu.nn.functional_resize import interpolate
from tinygrad_edu.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (input shape, interpolate's keyword arguments)
CASES = [
    ((2, 3, 5), dict(size=9)),
    ((2, 3, 7), dict(size=3)),
    ((2, 3, 5), dict(scale_factor=2)),
    ((2, 3, 5), dict(scale_factor=1.7)),
    ((2, 3, 13), dict(scale_factor=2.2)),            # out = 28, not 2 * in
    ((1, 2, 2), dict(scale_factor=1.2)),             # out == in, yet not a copy
    ((1, 2, 9), dict(scale_factor=0.35)),
    ((1, 2, 9), dict(scale_factor=0.35, recompute_scale_factor=True)),
    ((2, 3, 4, 5), dict(size=(7, 3))),
    ((2, 3, 4, 5), dict(size=8)),
    ((2, 3, 4, 5), dict(scale_factor=2)),
    ((2, 3, 4, 5), dict(scale_factor=(1.5, 0.6))),
    ((2, 3, 4, 5), dict(scale_factor=(2.5, 1.3), recompute_scale_factor=True)),
    ((2, 3, 7, 6), dict(scale_factor=1 / 3)),
    ((2, 3, 3, 5), dict(scale_factor=(2.2, 1.1))),   # 2-D nearest: halves, copies
    ((1, 1, 1, 1), dict(size=(3, 2))),
    ((1, 2, 6, 4), dict(size=(1, 1))),
    ((2, 2, 3, 4, 5), dict(size=(5, 2, 7))),
    ((2, 2, 3, 4, 5), dict(scale_factor=(2, 0.5, 1.4))),
    ((1, 2, 4, 3, 2), dict(scale_factor=1.5, recompute_scale_factor=True)),
]
MODES = {3: ["nearest", "nearest-exact", "linear", "area"],
         4: ["nearest", "nearest-exact", "bilinear", "area"],
         5: ["nearest", "nearest-exact", "trilinear", "area"]}
CONFIGS = [(shape, dict(kw, mode=mode, **({"align_corners": ac} if ac is not None else {})))
           for shape, kw in CASES for mode in MODES[len(shape)]
           for ac in ([False, True] if mode in ("linear", "bilinear", "trilinear") else [None])]


def _id(c):
    return f"{c[0]}-" + ",".join(f"{k}={v}" for k, v in c[1].items())


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("config", CONFIGS, ids=[_id(c) for c in CONFIGS])
def test_values_and_gradients_match_torch(config, dtype):
    shape, kw = config
    rng = np.random.default_rng(len(_id(config)))
    a = rng.standard_normal(shape).astype(dtype)
    t, g = torch.tensor(a, requires_grad=True), tg.tensor(a, requires_grad=True)
    want, got = TF.interpolate(t, **kw), interpolate(g, **kw)
    assert tuple(got.shape) == tuple(want.shape)
    assert got.dtype == getattr(tg, dtype) and got.device == g.device
    if kw["mode"].startswith("nearest"):   # a gather: bit for bit
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    else:
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **_tol(dtype))
    w = rng.standard_normal(tuple(want.shape)).astype(dtype)
    (want * torch.tensor(w)).sum().backward()
    (got * tg.tensor(w)).sum().backward()
    assert g.grad.dtype == g.dtype
    if _torch_backward_shortcuts(shape, kw):
        np.testing.assert_array_equal(g.grad.numpy(), _gather_vjp(shape, kw, w))
    else:
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), **_tol(dtype))


def _torch_backward_shortcuts(shape, kw):
    """Where PyTorch's CPU backward of 1-D/3-D 'nearest' disagrees with its forward:
    the backward still copies when out == in and halves when out == 2 in, while the
    forward uses 1/scale_factor (torch's own gradcheck fails there)."""
    if kw["mode"] != "nearest" or len(shape) == 4 or "scale_factor" not in kw \
            or kw.get("recompute_scale_factor"):
        return False
    sf = kw["scale_factor"]
    sf = sf if isinstance(sf, tuple) else (sf,) * (len(shape) - 2)
    return any((int(n * s) == n and s != 1) or (int(n * s) == 2 * n and s != 2)
               for n, s in zip(shape[2:], sf))


def _gather_vjp(shape, kw, w):
    """The exact gradient of a gather (w added at each output's source), with the
    sources read off PyTorch's forward of arange."""
    src = TF.interpolate(torch.arange(float(np.prod(shape)), dtype=torch.float64)
                         .reshape(shape), **kw).numpy().astype(np.int64)
    grad = np.zeros(int(np.prod(shape)), w.dtype)
    np.add.at(grad, src.ravel(), w.ravel())
    return grad.reshape(shape)


@pytest.mark.parametrize("shape, sf", [((1, 2, 3), 1.2), ((1, 2, 3), 2.2), ((1, 1, 2, 3, 3), 1.2)])
def test_nearest_gradient_is_the_gathers_where_torchs_backward_shortcuts(shape, sf):
    """Our gradient is that of the function computed (op_table_resize's finite
    differences check it too); PyTorch's differs here, a known inconsistency of its kernel."""
    kw = {"scale_factor": sf, "mode": "nearest"}
    assert _torch_backward_shortcuts(shape, kw)
    a = np.random.default_rng(6).standard_normal(shape)
    w = np.random.default_rng(7).standard_normal(TF.interpolate(torch.tensor(a), **kw).shape)
    g = tg.tensor(a, requires_grad=True)
    (interpolate(g, **kw) * tg.tensor(w)).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), _gather_vjp(shape, kw, w))
    t = torch.tensor(a, requires_grad=True)
    (TF.interpolate(t, **kw) * torch.tensor(w)).sum().backward()
    assert not np.allclose(t.grad.numpy(), g.grad.numpy())


def test_random_sizes_and_scale_factors_match_torch():
    """Many drawn configurations, values only: the index and weight rules (float32
    rounding of the scale, the clamps, out == in) must agree everywhere."""
    rng = np.random.default_rng(0)
    modes = {3: "linear", 4: "bilinear", 5: "trilinear"}
    for i in range(300):
        rank = 3 + i % 3
        spatial = tuple(int(v) for v in rng.integers(1, 12, rank - 2))
        mode = ["nearest", "nearest-exact", modes[rank], "area"][i // 3 % 4]
        kw = {"mode": mode}
        if mode == modes[rank]:
            kw["align_corners"] = bool(i % 2)
        if i % 5 == 0:
            kw["size"] = tuple(int(v) for v in rng.integers(1, 20, rank - 2))
        else:
            sf = tuple(float(v) for v in rng.uniform(0.2, 4.0, rank - 2))
            if min(int(n * s) for n, s in zip(spatial, sf)) < 1:
                continue
            kw["scale_factor"] = sf
            kw["recompute_scale_factor"] = True if i % 7 == 0 else None
        dtype = [np.float32, np.float64][i // 2 % 2]
        a = rng.standard_normal((2, 2) + spatial).astype(dtype)
        want = TF.interpolate(torch.tensor(a), **kw).numpy()
        got = interpolate(tg.tensor(a), **kw).numpy()
        assert got.shape == want.shape, kw
        np.testing.assert_allclose(got, want, **_tol(np.dtype(dtype).name), err_msg=str(kw))


def test_long_axes_pick_the_same_source_index_as_torch():
    """floor(dst * s) in float32 on long axes, where rounding decides the index."""
    rng = np.random.default_rng(1)
    for i in range(60):
        n = int(rng.integers(50, 400))
        a = np.arange(n, dtype=np.float32).reshape(1, 1, n)
        kw = ({"size": int(rng.integers(1, 900))} if i % 3 == 0
              else {"scale_factor": float(rng.uniform(0.05, 5.0))})
        if int(n * kw.get("scale_factor", 1)) < 1:
            continue
        for mode in ("nearest", "nearest-exact"):
            np.testing.assert_array_equal(interpolate(tg.tensor(a), mode=mode, **kw).numpy(),
                                          TF.interpolate(torch.tensor(a), mode=mode, **kw).numpy())


@pytest.mark.parametrize("mode, shape", [("nearest", (1, 2, 3, 4)), ("bilinear", (1, 2, 3, 4)),
                                         ("trilinear", (1, 1, 2, 3, 2)), ("area", (1, 2, 6, 5))])
def test_second_order_matches_torch(mode, shape):
    """d/dx of (d loss/dx) for loss = sum(interpolate(x)^2): the gradient graph (an
    index-add or a matmul) is itself differentiated."""
    x = np.random.default_rng(2).standard_normal(shape)
    kw = {"size": tuple(s + 2 for s in shape[2:]), "mode": mode}
    if mode == "area":
        kw["size"] = (4, 3)
    tx, gx = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    (tdx,) = torch.autograd.grad((TF.interpolate(tx, **kw) ** 2).sum(), tx, create_graph=True)
    (gdx,) = tg.autograd.grad((interpolate(gx, **kw) ** 2).sum(), gx, create_graph=True)
    (tdx ** 3).sum().backward()
    (gdx ** 3).sum().backward()
    np.testing.assert_allclose(gdx.detach().numpy(), tdx.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_non_contiguous_input_and_empty_batch():
    a = np.random.default_rng(3).standard_normal((2, 3, 5, 4))
    g = tg.tensor(a).transpose(2, 3)   # a view: (2, 3, 4, 5)
    t = torch.tensor(a).transpose(2, 3)
    for kw in (dict(size=(6, 3)), dict(scale_factor=1.5, mode="bilinear")):
        np.testing.assert_allclose(interpolate(g, **kw).numpy(), TF.interpolate(t, **kw).numpy(),
                                   rtol=1e-12)
    assert interpolate(tg.zeros(0, 2, 3, 3), size=5).shape == (0, 2, 5, 5)
    assert interpolate(tg.zeros(0, 2, 3, 3), size=5, mode="bilinear").shape == (0, 2, 5, 5)


def test_output_is_a_new_tensor_even_when_nothing_resizes():
    x = tg.randn(1, 2, 3, 3, requires_grad=True)
    for mode in ("nearest", "bilinear", "area"):
        y = interpolate(x, size=3, mode=mode)
        assert y is not x and y.requires_grad
        np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())


def test_nearest_of_integers_and_linear_modes_need_floats():
    """Nearest is a gather, so it keeps any dtype (PyTorch CPU only takes uint8 and
    floats); the weighted modes ask for a float tensor."""
    x = tg.arange(12).reshape(1, 1, 3, 4)
    y = interpolate(x, scale_factor=2)
    assert y.dtype == tg.int64
    np.testing.assert_array_equal(
        y.numpy(), TF.interpolate(torch.arange(12.0).reshape(1, 1, 3, 4), scale_factor=2).numpy())
    u = np.arange(16, dtype=np.uint8).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(interpolate(tg.tensor(u), size=3).numpy(),
                                  TF.interpolate(torch.tensor(u), size=3).numpy())
    for mode in ("bilinear", "area"):
        with pytest.raises(NotImplementedError, match=r"for tg\.int64.*\.float\(\)"):
            interpolate(x, size=2, mode=mode)


def test_on_every_device(device):
    """Index arrays and interpolation matrices follow the input to its device."""
    a = np.random.default_rng(4).standard_normal((2, 3, 4, 5)).astype(np.float32)
    for kw in (dict(scale_factor=1.5), dict(size=(3, 7), mode="bilinear", align_corners=True),
               dict(size=(2, 2), mode="area")):
        x = tg.tensor(a, device=device, requires_grad=True)
        y = interpolate(x, **kw)
        assert y.device == x.device and y.dtype == tg.float32
        y.sum().backward()
        t = torch.tensor(a, requires_grad=True)
        want = TF.interpolate(t, **kw)
        want.sum().backward()
        np.testing.assert_allclose(y.detach().cpu().numpy(), want.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(x.grad.cpu().numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


# ---- modules ----------------------------------------------------------------------------
MODULES = [
    ("Upsample", dict(scale_factor=2)),
    ("Upsample", dict(scale_factor=(2, 1.5), mode="bilinear")),
    ("Upsample", dict(size=(5, 3), mode="bilinear", align_corners=True)),
    ("Upsample", dict(size=7, mode="nearest")),
    ("Upsample", dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ("Upsample", dict(size=2, mode="area")),
    ("UpsamplingNearest2d", dict(scale_factor=3)),
    ("UpsamplingNearest2d", dict(size=(3, 8))),
    ("UpsamplingBilinear2d", dict(scale_factor=2)),
    ("UpsamplingBilinear2d", dict(size=5)),
]


@pytest.mark.parametrize("name, kw", MODULES, ids=[f"{n}-{kw}" for n, kw in MODULES])
def test_modules_print_store_and_compute_as_torch(name, kw):
    ours = {"Upsample": Upsample, "UpsamplingNearest2d": UpsamplingNearest2d,
            "UpsamplingBilinear2d": UpsamplingBilinear2d}[name](**kw)
    theirs = getattr(torch.nn, name)(**kw)
    assert repr(ours) == repr(theirs)
    for attr in ("name", "size", "scale_factor", "mode", "align_corners",
                 "recompute_scale_factor"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert list(ours.parameters()) == [] and len(ours.state_dict()) == 0
    a = np.random.default_rng(5).standard_normal((2, 3, 4, 6))
    np.testing.assert_allclose(ours(tg.tensor(a)).numpy(), theirs(torch.tensor(a)).numpy(),
                               rtol=1e-12, atol=1e-13)


def test_module_reprs_without_a_scale():
    assert repr(Upsample()) == repr(torch.nn.Upsample()) == "Upsample(size=None, mode='nearest')"
    assert Upsample(scale_factor=0).scale_factor is None   # PyTorch's falsy check
    assert repr(Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"


def test_public_names():
    """The re-exports (nn.functional.interpolate, nn.Upsample, ...): wired in
    nn/functional.py and nn/__init__.py."""
    assert F.interpolate is interpolate
    assert nn.Upsample is Upsample and nn.UpsamplingNearest2d is UpsamplingNearest2d
    assert nn.UpsamplingBilinear2d is UpsamplingBilinear2d


# ---- refused calls: PyTorch's exception type, and its message where it is the same ------
X3, X4, X5 = (1, 2, 4), (1, 2, 4, 5), (1, 2, 3, 4, 5)
ERRORS = [
    ("both size and scale_factor", X4, dict(size=3, scale_factor=2), True),
    ("neither size nor scale_factor", X4, {}, True),
    ("align_corners with nearest", X4, dict(size=3, align_corners=True), True),
    ("align_corners=False with nearest", X4, dict(size=3, align_corners=False), True),
    ("align_corners with area", X4, dict(size=3, mode="area", align_corners=False), True),
    ("bilinear of a 3-D input", X3, dict(size=3, mode="bilinear"), True),
    ("bilinear of a 5-D input", X5, dict(size=3, mode="bilinear"), True),
    ("linear of a 4-D input", X4, dict(size=3, mode="linear"), True),
    ("trilinear of a 4-D input", X4, dict(size=3, mode="trilinear"), True),
    ("nearest of a 2-D input", (2, 4), dict(size=3), True),
    ("nearest of a 6-D input", (1, 1, 2, 2, 2, 2), dict(size=3), True),
    ("unknown mode", X4, dict(size=3, mode="cubic"), True),
    ("size of the wrong length", X4, dict(size=(3, 3, 3)), True),
    ("a 2-D input with a 1-tuple size", (2, 4), dict(size=(3,)), True),
    ("scale_factor of the wrong length", X4, dict(scale_factor=(2, 2, 2)), True),
    ("float in size", X4, dict(size=(3.0, 3)), True),
    ("None in size", X4, dict(size=(None, 3)), True),
    ("float size", X4, dict(size=3.0), False),
    ("string scale_factor", X3, dict(scale_factor="2"), False),
    ("recompute with a size", X4, dict(size=3, recompute_scale_factor=True), True),
    ("antialias with nearest", X4, dict(size=3, antialias=True), True),
    ("antialias with linear", X3, dict(size=3, mode="linear", antialias=True), True),
    ("zero size", X4, dict(size=0), True),
    ("negative size", X4, dict(size=-1), True),
    ("zero size 1-D", X3, dict(size=0, mode="linear"), True),
    ("zero size 3-D", X5, dict(size=(0, 2, 2), mode="trilinear"), True),
    ("scale_factor too small", X4, dict(scale_factor=0.1, mode="bilinear"), True),
    ("zero scale_factor", X4, dict(scale_factor=0), True),
    ("negative scale_factor", X4, dict(scale_factor=-2), True),
    ("infinite scale_factor", X3, dict(scale_factor=float("inf")), True),
    ("empty spatial input", (1, 2, 0, 4), dict(size=3), True),
    ("no channels", (1, 0, 4, 4), dict(size=3, mode="bilinear"), True),
    ("no channels 1-D", (1, 0, 4), dict(size=3), True),
    ("area with a negative size", X4, dict(size=-1, mode="area"), True),
    ("area of an empty spatial input", (1, 2, 0, 5), dict(size=2, mode="area"), True),
    ("area 3-D negative size", X5, dict(size=-3, mode="area"), False),
]


@pytest.mark.parametrize("shape, kw, same_message", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_refused_calls_raise_torchs_exception(shape, kw, same_message):
    with pytest.raises(Exception) as want:  # noqa: PT011 - the type is compared below
        TF.interpolate(torch.zeros(shape), **kw)
    with pytest.raises(want.type) as got:
        interpolate(tg.zeros(*shape), **kw)
    if same_message:
        assert str(got.value) == str(want.value)


@pytest.mark.parametrize("shape, kw", [(X4, dict(size=3, mode="bilinear", antialias=True)),
                                       (X4, dict(size=3, mode="bicubic")),
                                       (X4, dict(size=3, mode="lanczos", antialias=True))])
def test_what_is_not_implemented_says_so(shape, kw):
    TF.interpolate(torch.zeros(shape), **kw)   # PyTorch has them
    with pytest.raises(NotImplementedError, match="not implemented in tinygrad_edu"):
        interpolate(tg.zeros(*shape), **kw)


def test_input_must_be_a_tensor_and_align_corners_a_bool():
    with pytest.raises(TypeError, match="argument 'input' must be a tg.Tensor, not list"):
        interpolate([[[1.0, 2.0]]], size=3)
    with pytest.raises(TypeError, match="'align_corners' must be bool, not int"):
        interpolate(tg.zeros(*X4), size=3, mode="bilinear", align_corners=1)
    with pytest.raises(TypeError):
        TF.interpolate(torch.zeros(X4), size=3, mode="bilinear", align_corners=1)
