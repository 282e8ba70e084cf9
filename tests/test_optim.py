"""tinygrad_edu.optim: each optimizer against the published update in numpy
(float64, gradients of a quadratic that depend on the parameters) and against
torch.optim (float32, identical gradient sequences); param groups, zero_grad,
state_dict round trips and errors (lr schedulers: test_lr_scheduler.py)."""

import numpy as np
import pytest
from helpers import f64, npy

import tinygrad_edu as tg
from tinygrad_edu import optim

RNG = np.random.default_rng(0)
THETA0 = RNG.normal(size=(3, 2))
C = RNG.uniform(0.5, 2.0, size=(3, 2))   # loss = sum(C * (theta - T)^2)
T = RNG.normal(size=(3, 2))


def quad_grad(theta):
    return 2 * C * (theta - T)


# ---- the published algorithms, in numpy ---------------------------------------------
# maximize negates the gradient first, weight decay then adds wd * theta (PyTorch's code).
def _g(theta, maximize, wd):
    g = quad_grad(theta)
    return (-g if maximize else g) + wd * theta


def ref_sgd(theta, steps, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
            maximize=False):
    b = None
    for _ in range(steps):
        g = _g(theta, maximize, weight_decay)
        if momentum:
            b = g.copy() if b is None else momentum * b + (1 - dampening) * g
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g
    return theta


def ref_adagrad(theta, steps, lr=1e-2, lr_decay=0, weight_decay=0,
                initial_accumulator_value=0, eps=1e-10, maximize=False):
    s = np.full_like(theta, initial_accumulator_value)
    for t in range(1, steps + 1):
        g = _g(theta, maximize, weight_decay)
        s = s + g * g
        theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return theta


def ref_rmsprop(theta, steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    v, gavg, b = (np.zeros_like(theta) for _ in range(3))
    for _ in range(steps):
        g = _g(theta, maximize, weight_decay)
        v = alpha * v + (1 - alpha) * g * g
        vt = v
        if centered:
            gavg = alpha * gavg + (1 - alpha) * g
            vt = v - gavg ** 2
        if momentum > 0:
            b = momentum * b + g / (np.sqrt(vt) + eps)
            theta = theta - lr * b
        else:
            theta = theta - lr * g / (np.sqrt(vt) + eps)
    return theta


def ref_adam(theta, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
             amsgrad=False, maximize=False, decoupled=False):
    (b1, b2), m, v, vmax = betas, 0 * theta, 0 * theta, 0 * theta
    for t in range(1, steps + 1):
        g = _g(theta, maximize, 0 if decoupled else weight_decay)
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vhat = (vmax if amsgrad else v) / (1 - b2 ** t)
        theta = theta - lr * (m / (1 - b1 ** t)) / (np.sqrt(vhat) + eps)
    return theta


def ref_adamw(theta, steps, weight_decay=1e-2, **kw):
    return ref_adam(theta, steps, weight_decay=weight_decay, decoupled=True, **kw)


CASES = [
    ("SGD", ref_sgd, {"lr": 0.1}),
    ("SGD", ref_sgd, {"lr": 0.1, "momentum": 0.9}),
    ("SGD", ref_sgd, {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", ref_sgd, {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.2}),
    ("SGD", ref_sgd, {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("Adagrad", ref_adagrad, {"lr": 0.5}),
    ("Adagrad", ref_adagrad, {"lr": 0.5, "lr_decay": 0.3, "weight_decay": 0.1}),
    ("Adagrad", ref_adagrad, {"lr": 0.5, "initial_accumulator_value": 0.7, "eps": 1e-3}),
    ("Adagrad", ref_adagrad, {"lr": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("RMSprop", ref_rmsprop, {"lr": 0.05}),
    ("RMSprop", ref_rmsprop, {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.1}),
    ("RMSprop", ref_rmsprop, {"lr": 0.05, "centered": True, "alpha": 0.9}),
    ("RMSprop", ref_rmsprop, {"lr": 0.05, "centered": True, "alpha": 0.3, "momentum": 0.5,
                             "eps": 1e-3}),
    ("RMSprop", ref_rmsprop, {"lr": 0.05, "maximize": True}),
    ("Adam", ref_adam, {"lr": 0.1}),
    ("Adam", ref_adam, {"lr": 0.1, "amsgrad": True}),
    ("Adam", ref_adam, {"lr": 0.1, "weight_decay": 0.1, "betas": (0.3, 0.5), "eps": 1e-3}),
    ("Adam", ref_adam, {"lr": 0.1, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", ref_adamw, {"lr": 0.1}),
    ("AdamW", ref_adamw, {"lr": 0.1, "weight_decay": 0.3, "amsgrad": True}),
    ("AdamW", ref_adamw, {"lr": 0.1, "betas": (0.5, 0.9), "maximize": True}),
]
IDS = [f"{name}-{'-'.join(map(str, kw.values()))}" for name, _, kw in CASES]


def quad_loss(p):
    return (f64(C) * (p - f64(T)) ** 2).sum()


def run_tg(opt, params, steps):
    for _ in range(steps):
        opt.zero_grad()
        sum(quad_loss(p) for p in params).backward()
        opt.step()


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_matches_published_formula(name, ref, kw):
    p = f64(THETA0, requires_grad=True)
    frozen = f64(THETA0, requires_grad=True)  # never gets a grad: must be skipped
    opt = getattr(optim, name)([p, frozen], **kw)
    alias = p.detach()
    run_tg(opt, [p], 5)
    np.testing.assert_allclose(npy(p), ref(THETA0, 5, **kw), rtol=1e-10, atol=1e-12)
    assert not np.allclose(npy(p), THETA0)
    np.testing.assert_array_equal(npy(alias), npy(p))  # updated in place, same storage
    assert frozen.grad is None and np.array_equal(npy(frozen), THETA0)
    if name != "Adagrad":  # Adagrad creates every state at construction, like torch
        assert frozen not in opt.state


@pytest.mark.parametrize("name,ref,kw", CASES[1::2], ids=IDS[1::2])
def test_param_groups_use_their_own_options(name, ref, kw):
    a, b = f64(THETA0, requires_grad=True), f64(THETA0, requires_grad=True)
    opt = getattr(optim, name)([{"params": [a]}, {"params": b, "lr": kw["lr"] / 4}], **kw)
    run_tg(opt, [a, b], 4)
    np.testing.assert_allclose(npy(a), ref(THETA0, 4, **kw), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(b), ref(THETA0, 4, **{**kw, "lr": kw["lr"] / 4}),
                               rtol=1e-10, atol=1e-12)
    assert opt.param_groups[1]["lr"] == kw["lr"] / 4
    assert opt.param_groups[0]["lr"] == kw["lr"]


# ---- against torch.optim ----------------------------------------------------------
def _torch_pair(name, kw):
    torch = pytest.importorskip("torch")
    init = [RNG.normal(size=(4, 3)).astype(np.float32) for _ in range(3)]
    ours = [tg.tensor(x, requires_grad=True) for x in init]
    theirs = [torch.tensor(x, requires_grad=True) for x in init]

    def params(ps):
        return [{"params": ps[:2]}, {"params": [ps[2]], "lr": kw["lr"] / 3}]
    return ours, theirs, getattr(optim, name)(params(ours), **kw), \
        getattr(torch.optim, name)(params(theirs), **kw)


def close_f32(ours, theirs, what=""):
    """float32 agreement: torch fuses a + b * c (FMA) where we round twice, so allow
    a few ulps of the largest value (sums like momentum buffers cancel)."""
    theirs = npy(theirs)
    np.testing.assert_allclose(npy(ours), theirs, rtol=1e-6,
                               atol=1e-6 * max(1.0, np.abs(theirs).max()), err_msg=what)


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_matches_torch(name, ref, kw):
    torch = pytest.importorskip("torch")
    ours, theirs, opt, topt = _torch_pair(name, kw)
    for step in range(6):
        for i, (p, tp) in enumerate(zip(ours, theirs)):
            g = RNG.normal(size=(4, 3)).astype(np.float32)
            skip = i == 1 and step % 2 == 1  # a param without grad this step is skipped
            p.grad = None if skip else tg.tensor(g)
            tp.grad = None if skip else torch.tensor(g)
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs):
        close_f32(p, tp)
        for key, value in topt.state[tp].items():
            close_f32(opt.state[p][key], value, key)
        assert set(opt.state[p]) == set(topt.state[tp])


NAMES = ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


@pytest.mark.parametrize("name", NAMES)
def test_defaults_match_torch(name):
    torch = pytest.importorskip("torch")
    ours = getattr(optim, name)([tg.zeros(1, requires_grad=True)]).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert ours.items() <= theirs.items()


LAYOUTS = [("SGD", {"momentum": 0.9}), ("SGD", {}), ("Adagrad", {}),
           ("RMSprop", {"momentum": 0.9, "centered": True}), ("Adam", {"amsgrad": True}),
           ("AdamW", {})]


@pytest.mark.parametrize("name,kw", LAYOUTS, ids=[f"{n}-{k}" for n, k in LAYOUTS])
def test_state_dict_layout_matches_torch(name, kw):
    torch = pytest.importorskip("torch")
    kw = {"lr": 0.1, **kw}
    ours, theirs, opt, topt = _torch_pair(name, kw)
    for p, tp in zip(ours, theirs):
        p.grad, tp.grad = tg.ones_like(p), torch.ones_like(tp)
    opt.step()
    topt.step()
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["params"] for g in tsd["param_groups"]] == [[0, 1], [2]]
    stateless = (name, kw) == ("SGD", {"lr": 0.1})  # plain SGD keeps no state at all
    assert sorted(sd["state"]) == sorted(tsd["state"]) == ([] if stateless else [0, 1, 2])
    for i, st in tsd["state"].items():
        assert set(sd["state"][i]) == set(st)
    for g, tgroup in zip(sd["param_groups"], tsd["param_groups"]):
        assert g.items() <= tgroup.items()


# ---- zero_grad, closure, state_dict ------------------------------------------------
def test_zero_grad_both_modes():
    p = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    (p * p).sum().backward()
    g = p.grad
    opt.step()
    buf = npy(opt.state[p]["momentum_buffer"]).copy()
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.array_equal(npy(g), [0.0, 0.0])
    np.testing.assert_array_equal(npy(opt.state[p]["momentum_buffer"]), buf)  # no aliasing
    opt.zero_grad()
    assert p.grad is None


def test_step_closure_runs_with_grad_and_returns_loss():
    p = tg.tensor([3.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    with tg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 9.0 and p.item() == 3.0 - 0.25 * 6.0


ROUND_TRIP = [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
              ("Adagrad", {"lr": 0.3, "lr_decay": 0.1}),
              ("RMSprop", {"lr": 0.05, "centered": True, "momentum": 0.5}),
              ("Adam", {"lr": 0.1, "amsgrad": True}),
              ("AdamW", {"lr": 0.1, "weight_decay": 0.1})]


@pytest.mark.parametrize("name,kw", ROUND_TRIP, ids=[n for n, _ in ROUND_TRIP])
def test_state_dict_round_trip_continues_like_uninterrupted(name, kw):
    a, b = f64(THETA0, requires_grad=True), f64(THETA0 * 2, requires_grad=True)
    opt = getattr(optim, name)([{"params": [a]}, {"params": [b], "lr": 0.01}], **kw)
    run_tg(opt, [a, b], 3)
    saved = opt.state_dict()
    a2, b2 = (f64(npy(t), requires_grad=True) for t in (a, b))
    fresh = getattr(optim, name)([a2, b2], lr=123.0)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        fresh.load_state_dict(saved)
    fresh = getattr(optim, name)([{"params": [a2]}, {"params": [b2]}], lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kw["lr"] and fresh.param_groups[1]["lr"] == 0.01
    assert fresh.param_groups[0]["params"][0] is a2
    run_tg(opt, [a, b], 2)  # the original keeps going: loaded state must be a copy
    run_tg(fresh, [a2, b2], 2)
    np.testing.assert_array_equal(npy(a2), npy(a))
    np.testing.assert_array_equal(npy(b2), npy(b))
    if name != "SGD":
        assert fresh.state[a2]["step"].item() == 5.0


def test_load_state_dict_casts_buffers_to_param_dtype():
    p64 = f64([1.0, 2.0], requires_grad=True)
    p32 = tg.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([p32])
    p32.grad = tg.ones_like(p32)
    opt.step()
    other = optim.Adam([p64])
    other.load_state_dict(opt.state_dict())
    assert other.state[p64]["exp_avg"].dtype == tg.float64
    assert other.state[p64]["step"].dtype == tg.float32


# ---- errors ------------------------------------------------------------------------
def test_errors():
    p = tg.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^Invalid learning rate: -1$"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.Adam(p)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is int"):
        optim.Adam([p, 3])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.Adam([p * 2])
    with pytest.raises(TypeError, match="ordered collections"):
        optim.Adam([{"params": {p}}])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([{"params": [p]}, {"params": [p]}])
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.Adam([p, p])
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero"):
        optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True)
    saved = optim.Adam([p, tg.zeros(2, requires_grad=True)]).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        optim.Adam([p]).load_state_dict(saved)


BAD = [("SGD", {"momentum": -0.1}), ("SGD", {"weight_decay": -1}),
       ("SGD", {"nesterov": True}), ("Adagrad", {"lr_decay": -1}),
       ("Adagrad", {"initial_accumulator_value": -1}), ("Adagrad", {"eps": -1.0}),
       ("RMSprop", {"alpha": -0.5}), ("RMSprop", {"eps": -1.0}),
       ("Adam", {"betas": (1.0, 0.999)}), ("Adam", {"betas": (0.9, -0.1)}),
       ("AdamW", {"lr": -0.5}), ("Adam", {"weight_decay": -0.1})]


@pytest.mark.parametrize("name,kw", BAD, ids=[f"{n}-{k}" for n, k in BAD])
def test_invalid_options_raise_torchs_error(name, kw):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([tg.zeros(1, requires_grad=True)], **kw)
    assert str(ours.value) == str(theirs.value)
