"""Convolution, pooling and padding against PyTorch: values, gradients and indices
of the functional ops over many configurations in float32 and float64, the
modules' parameters, printed form and state_dicts, and the convolution chapter of
the curriculum (section E). Finite-difference checks are rows of op_table_conv.py."""
import numpy as np
import pytest

import tinygrad_edu as tg
import tinygrad_edu.nn.functional as F
from tinygrad_edu import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# (name, call(lib_functional, *inputs), input shapes): the same call in torch and tg
CASES = [
    ("conv2d", lambda f, x, w, b: f.conv2d(x, w, b, 2, 1, 1, 1), (2, 3, 7, 6), (4, 3, 3, 2), (4,)),
    ("conv2d_groups_dilation", lambda f, x, w: f.conv2d(x, w, None, (1, 2), (2, 0), (2, 1), 2),
     (2, 4, 7, 6), (6, 2, 3, 2)),
    ("conv2d_depthwise", lambda f, x, w: f.conv2d(x, w, None, 1, 1, 1, 3), (2, 3, 5, 5),
     (3, 1, 3, 3)),
    ("conv2d_same_even_kernel", lambda f, x, w: f.conv2d(x, w, padding="same"), (1, 2, 5, 6),
     (3, 2, 4, 3)),
    ("conv2d_same_dilated", lambda f, x, w: f.conv2d(x, w, padding="same", dilation=2),
     (1, 2, 5, 6), (3, 2, 2, 3)),
    ("conv2d_valid", lambda f, x, w: f.conv2d(x, w, padding="valid"), (1, 2, 5, 6), (3, 2, 2, 3)),
    ("conv2d_unbatched", lambda f, x, w: f.conv2d(x, w), (2, 5, 5), (3, 2, 2, 2)),
    ("conv2d_batch1_channel1", lambda f, x, w: f.conv2d(x, w), (1, 1, 3, 3), (1, 1, 2, 2)),
    ("conv1d", lambda f, x, w, b: f.conv1d(x, w, b, 2, 1, 2), (2, 3, 9), (4, 3, 3), (4,)),
    ("conv1d_same_groups", lambda f, x, w: f.conv1d(x, w, padding="same", groups=3), (2, 3, 8),
     (3, 1, 4)),
    ("conv_transpose2d", lambda f, x, w, b: f.conv_transpose2d(x, w, b, 2, 1, 1), (2, 4, 3, 4),
     (4, 3, 3, 3), (3,)),
    ("conv_transpose2d_groups_dilation",
     lambda f, x, w: f.conv_transpose2d(x, w, None, 1, 0, 0, 2, 2), (2, 4, 3, 4), (4, 1, 2, 3)),
    ("conv_transpose2d_output_padding",
     lambda f, x, w: f.conv_transpose2d(x, w, None, (3, 2), (1, 2), (2, 1)), (1, 2, 3, 4),
     (2, 3, 3, 3)),
    ("unfold", lambda f, x: f.unfold(x, (2, 3), 2, 1, (1, 2)), (2, 3, 6, 7)),
    ("fold", lambda f, x: f.fold(x, (5, 6), (2, 2), 1, 1, 2), (2, 8, 12)),
    ("max_pool2d", lambda f, x: f.max_pool2d(x, 3, 2, 1), (2, 3, 7, 6)),
    ("max_pool2d_ceil_indices",
     lambda f, x: f.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True), (2, 3, 8, 6)),
    ("max_pool2d_dilation_indices",
     lambda f, x: f.max_pool2d(x, (2, 3), (1, 2), (1, 0), (2, 1), return_indices=True),
     (1, 2, 7, 9)),
    ("max_pool2d_unbatched", lambda f, x: f.max_pool2d(x, 2), (3, 4, 5)),
    ("max_pool1d", lambda f, x: f.max_pool1d(x, 3, 2, 1, ceil_mode=True), (2, 3, 8)),
    ("avg_pool2d", lambda f, x: f.avg_pool2d(x, 3, 2, 1), (2, 3, 7, 6)),
    ("avg_pool2d_ceil_exclude_pad",
     lambda f, x: f.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 6)),
    ("avg_pool2d_ceil", lambda f, x: f.avg_pool2d(x, 3, 2, 1, ceil_mode=True), (2, 3, 8, 6)),
    ("avg_pool2d_divisor", lambda f, x: f.avg_pool2d(x, 2, divisor_override=3), (2, 3, 8, 6)),
    ("avg_pool1d", lambda f, x: f.avg_pool1d(x, 4, 3, 2, True, False), (2, 3, 11)),
    ("adaptive_avg_pool2d", lambda f, x: f.adaptive_avg_pool2d(x, (3, 2)), (2, 3, 7, 5)),
    ("adaptive_avg_pool2d_global", lambda f, x: f.adaptive_avg_pool2d(x, 1), (2, 3, 7, 5)),
    ("adaptive_max_pool2d_indices", lambda f, x: f.adaptive_max_pool2d(x, (3, 2), True),
     (2, 3, 7, 5)),
    ("adaptive_max_pool2d_none", lambda f, x: f.adaptive_max_pool2d(x, (3, None)), (3, 7, 5)),
    ("pad_constant", lambda f, x: f.pad(x, (1, 2, 0, 3)), (2, 3, 4, 5)),
    ("pad_constant_crop_value", lambda f, x: f.pad(x, (1, -2, 0, 3), value=2.5), (2, 3, 4, 5)),
    ("pad_reflect", lambda f, x: f.pad(x, (1, 2, 3, 0), mode="reflect"), (2, 3, 4, 5)),
    ("pad_replicate", lambda f, x: f.pad(x, (1, 2, 3, 0), mode="replicate"), (2, 3, 4, 5)),
    ("pad_circular", lambda f, x: f.pad(x, (1, 2, 3, 0), mode="circular"), (2, 3, 4, 5)),
    ("pad_reflect_1d", lambda f, x: f.pad(x, (2, 1), mode="reflect"), (2, 3, 5)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_functional_matches_torch(case, dtype):
    _, call, *shapes = case
    rng = np.random.default_rng(len(case[0]))
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    gs = [tg.tensor(a, requires_grad=True) for a in arrays]
    want, got = call(TF, *ts), call(F, *gs)
    if isinstance(want, tuple):  # (values, indices)
        np.testing.assert_array_equal(got[1].numpy(), want[1].numpy())
        assert got[1].dtype == tg.int64
        want, got = want[0], got[0]
    assert tuple(got.shape) == tuple(want.shape) and got.dtype == getattr(tg, dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), **tol)
    w = rng.standard_normal(tuple(want.shape)).astype(dtype)
    (want * torch.tensor(w)).sum().backward()
    (got * tg.tensor(w)).sum().backward()
    for t, g in zip(ts, gs):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), **tol)


def test_max_pool_gradient_goes_to_the_first_maximum_on_ties():
    """ReLU outputs are full of zeros: every window ties, and PyTorch routes the whole
    gradient to the first maximum, not an even split."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 2, 3] = 1.0
    t, g = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    TF.max_pool2d(t, 2).sum().backward()
    F.max_pool2d(g, 2).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


def test_max_pool_of_integers_and_nan():
    x = np.arange(16).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(F.max_pool2d(tg.tensor(x), 2, padding=1).numpy(),
                                  TF.max_pool2d(torch.tensor(x), 2, padding=1).numpy())
    y = np.ones((1, 1, 2, 2))
    y[0, 0, 1, 0] = np.nan
    assert np.isnan(F.max_pool2d(tg.tensor(y), 2).item())


def test_second_order_through_conv2d_matches_torch():
    """conv is bilinear: d/dw of (d loss/dx) is a convolution again."""
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    gx, gw = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
    (tdx,) = torch.autograd.grad((TF.conv2d(tx, tw, padding=1) ** 2).sum(), tx, create_graph=True)
    (gdx,) = tg.autograd.grad((F.conv2d(gx, gw, padding=1) ** 2).sum(), gx, create_graph=True)
    (tdx ** 2).sum().backward()
    (gdx ** 2).sum().backward()
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


# ---- modules --------------------------------------------------------------------------------
MODULES = [
    lambda m: m.Conv2d(1, 6, 5, padding=2),
    lambda m: m.Conv2d(2, 4, (3, 2), stride=2, dilation=2, groups=2, bias=False,
                       padding_mode="reflect"),
    lambda m: m.Conv2d(2, 3, 3, padding="same", padding_mode="circular"),
    lambda m: m.Conv2d(2, 3, 4, padding="same", padding_mode="replicate"),
    lambda m: m.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
    lambda m: m.Conv1d(3, 4, 3, padding=2, padding_mode="replicate"),
    lambda m: m.MaxPool2d(2), lambda m: m.MaxPool1d(3, 2, 1), lambda m: m.AvgPool2d(2),
    lambda m: m.AvgPool1d(3), lambda m: m.AdaptiveAvgPool2d(1),
    lambda m: m.AdaptiveMaxPool2d((2, None)), lambda m: m.Unfold(2), lambda m: m.Fold((4, 4), 2),
    lambda m: m.ZeroPad2d(1), lambda m: m.ZeroPad2d((1, 2, 3, 4)), lambda m: m.Dropout2d(),
]


@pytest.mark.parametrize("make", MODULES)
def test_modules_print_and_compute_as_torch(make):
    t, g = make(torch.nn).double().eval(), make(nn).to(tg.float64).eval()
    assert repr(g) == repr(t)
    assert [(k, tuple(v.shape)) for k, v in g.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    g.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    shape = {torch.nn.Conv1d: (2, 3, 9), torch.nn.MaxPool1d: (2, 3, 9),
             torch.nn.AvgPool1d: (2, 3, 9), torch.nn.Fold: (2, 8, 9)}.get(type(t))
    if shape is None:
        shape = (2, getattr(t, "in_channels", 4), 9, 8)
    x = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_allclose(g(tg.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_conv_default_init_bounds_and_transpose_output_size():
    w = nn.Conv2d(16, 32, 3).weight.detach().numpy()
    bound = 1 / np.sqrt(16 * 9)  # kaiming_uniform_(a=sqrt(5)) is uniform(+-1/sqrt(fan_in))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    b = nn.Conv2d(16, 32, 3).bias.detach().numpy()
    assert np.abs(b).max() <= bound
    up = nn.ConvTranspose2d(4, 2, 3, stride=2)
    assert up(tg.ones(1, 4, 5, 5), output_size=(12, 12)).shape == (1, 2, 12, 12)


def test_cnn_state_dict_moves_between_torch_and_tg():
    def net(m):
        return m.Sequential(m.Conv2d(1, 4, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                            m.Conv2d(4, 8, 3), m.ReLU(), m.AdaptiveAvgPool2d(1), m.Flatten(),
                            m.Linear(8, 10))
    t, g = net(torch.nn), net(nn)
    g.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 1, 12, 12)).astype(np.float32)
    np.testing.assert_allclose(g(tg.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    t2 = net(torch.nn)
    t2.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in g.state_dict().items()})
    np.testing.assert_allclose(t2(torch.tensor(x)).detach().numpy(),
                               t(torch.tensor(x)).detach().numpy(), rtol=1e-6)


# ---- the convolution chapter (curriculum E) --------------------------------------------------
def test_e1_cross_correlation_by_hand_and_learning_an_edge_kernel():
    x = tg.arange(9.0).reshape(1, 1, 3, 3)
    k = tg.tensor([[0.0, 1.0], [2.0, 3.0]]).reshape(1, 1, 2, 2)
    assert F.conv2d(x, k).reshape(2, 2).tolist() == [[19.0, 25.0], [37.0, 43.0]]
    img = tg.ones(6, 8)
    img[:, 2:6] = 0
    edge = F.conv2d(img.reshape(1, 1, 6, 8), tg.tensor([[[[1.0, -1.0]]]]))
    conv = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
    for _ in range(20):
        loss = ((conv(img.reshape(1, 1, 6, 8)) - edge) ** 2).sum()
        conv.zero_grad()
        loss.backward()
        conv.weight.data[:] -= 3e-2 * conv.weight.grad
    np.testing.assert_allclose(conv.weight.detach().numpy().ravel(), [1.0, -1.0], atol=0.05)


def test_e2_padding_and_stride_output_sizes():
    x = tg.rand(1, 1, 8, 8)
    assert nn.Conv2d(1, 1, 3, padding=1)(x).shape == (1, 1, 8, 8)
    assert nn.Conv2d(1, 1, (5, 3), padding=(2, 1))(x).shape == (1, 1, 8, 8)
    assert nn.Conv2d(1, 1, (3, 5), padding=(0, 1), stride=(3, 4))(x).shape == (1, 1, 2, 2)


def test_e3_channels_sum_and_1x1_conv_is_a_linear_layer():
    x, w = tg.rand(2, 3, 3, 3), tg.rand(2, 3, 2, 2)
    per_channel = sum(F.conv2d(x[:, i:i + 1], w[:, i:i + 1]) for i in range(3))
    np.testing.assert_allclose(F.conv2d(x, w).numpy(), per_channel.numpy(), rtol=1e-6)
    k = tg.rand(2, 3, 1, 1)
    linear = (k.reshape(2, 3) @ x.permute(1, 0, 2, 3).reshape(3, -1)).reshape(2, 2, 3, 3)
    np.testing.assert_allclose(F.conv2d(x, k).numpy(), linear.permute(1, 0, 2, 3).numpy(),
                               rtol=1e-6)


def test_e4_pooling_on_a_grid():
    x = tg.arange(16.0).reshape(1, 1, 4, 4)
    assert nn.MaxPool2d(3)(x).tolist() == [[[[10.0]]]]
    assert nn.MaxPool2d(3, padding=1, stride=2)(x).reshape(-1).tolist() == [5.0, 7.0, 13.0, 15.0]
    assert nn.AvgPool2d(2)(x).reshape(-1).tolist() == [2.5, 4.5, 10.5, 12.5]
    two = tg.cat([x, x + 1], 1)
    assert nn.MaxPool2d(3, padding=1, stride=2)(two).shape == (1, 2, 2, 2)


def test_e5_lenet_shape_walk():
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
                        nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
                        nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84),
                        nn.Sigmoid(), nn.Linear(84, 10))
    x = tg.rand(1, 1, 28, 28)
    shapes = []
    for layer in net:
        x = layer(x)
        shapes.append(tuple(x.shape))
    assert shapes == [(1, 6, 28, 28), (1, 6, 28, 28), (1, 6, 14, 14), (1, 16, 10, 10),
                      (1, 16, 10, 10), (1, 16, 5, 5), (1, 400), (1, 120), (1, 120), (1, 84),
                      (1, 84), (1, 10)]
