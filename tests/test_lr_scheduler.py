"""tg.optim.lr_scheduler: MultiStepLR, LambdaLR, MultiplicativeLR, LinearLR and
ReduceLROnPlateau against torch.optim.lr_scheduler (the lr sequences, bit for bit,
for one and two param groups), state_dict round trips and argument errors."""
import copy
import warnings

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import optim
from tinygrad_edu.optim import lr_scheduler


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


class Warmup:
    """A callable object: its __dict__ (not the function) goes into the state_dict."""

    def __init__(self, k=2):
        self.k = k

    def __call__(self, epoch):
        return 1.0 / (epoch + self.k)


# (name, kwargs for 1 group, kwargs for 2 groups): the 2-group kwargs may give lists
SCHEDULERS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, None),
    ("ExponentialLR", {"gamma": 0.9}, None),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}, None),
    ("MultiStepLR", {"milestones": [3, 7, 7, 20], "gamma": 0.5}, None),
    ("MultiStepLR", {"milestones": (12, 2)}, None),  # unsorted, default gamma
    ("LambdaLR", {"lr_lambda": lambda e: 0.95 ** e},
     {"lr_lambda": [lambda e: 0.9 ** e, Warmup()]}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.97},
     {"lr_lambda": (lambda e: 0.97, lambda e: 1.0 if e % 4 else 0.5)}),
    ("LinearLR", {}, None),  # defaults: 1/3 up to 1 over 5 epochs
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 10}, None),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 17}, None),
]
IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULERS)]


def _optimizer(lib, groups):
    def p():
        return lib.zeros(1, requires_grad=True)
    if groups == 1:
        return lib.optim.SGD([p()], lr=0.7)
    return lib.optim.SGD([{"params": [p()]}, {"params": [p()], "lr": 0.3}], lr=1.0)


def _lr_sequence(lib, name, kw, groups, steps=30):
    opt = _optimizer(lib, groups)
    start = [g["lr"] for g in opt.param_groups]
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **kw)
    assert [g["initial_lr"] for g in opt.param_groups] == start == sched.base_lrs
    lrs = [sched.get_last_lr()]
    for _ in range(steps):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
        assert lrs[-1] == [g["lr"] for g in opt.param_groups]
    return np.array(lrs)


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("name,kw1,kw2", SCHEDULERS, ids=IDS)
def test_lr_sequence_matches_torch(torch, name, kw1, kw2, groups):
    kw = kw1 if groups == 1 or kw2 is None else kw2
    ours = _lr_sequence(tg, name, kw, groups)
    theirs = _lr_sequence(torch, name, kw, groups)
    assert ours.shape == (31, groups)
    np.testing.assert_array_equal(ours, theirs)
    assert len(np.unique(ours[:, 0])) > 1  # the schedule did something


CLOSED = [(i, s) for i, s in zip(IDS, SCHEDULERS) if s[0] != "MultiplicativeLR"]


@pytest.mark.parametrize("name,kw1,kw2", [s for _, s in CLOSED], ids=[i for i, _ in CLOSED])
def test_step_with_epoch_uses_the_closed_form_like_torch(torch, name, kw1, kw2):
    def run(lib):
        opt = _optimizer(lib, 2)
        sched = getattr(lib.optim.lr_scheduler, name)(opt, **kw1)
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the epoch argument is deprecated
            for epoch in [3, 0, 7, 8, 20, 2, 25, 6]:
                opt.step()
                sched.step(epoch)
                out.append(sched.get_last_lr())
        return np.array(out)
    np.testing.assert_allclose(run(tg), run(torch), rtol=1e-12, atol=0)


def test_closed_forms():
    e = np.arange(31)[:, None]
    base = np.array([[1.0, 0.3]])
    for name, kw, want in [
            ("StepLR", {"step_size": 3, "gamma": 0.5}, base * 0.5 ** (e // 3)),
            ("ExponentialLR", {"gamma": 0.9}, base * 0.9 ** e),
            ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01},
             0.01 + (base - 0.01) * (1 + np.cos(np.pi * e / 10)) / 2)]:
        np.testing.assert_allclose(_lr_sequence(tg, name, kw, 2), want, rtol=1e-12)
    np.testing.assert_allclose(
        _lr_sequence(tg, "MultiStepLR", {"milestones": [3, 7, 7, 20], "gamma": 0.5}, 2),
        base * 0.5 ** ((e >= 3) + 2 * (e >= 7) + (e >= 20)), rtol=1e-12)
    np.testing.assert_allclose(
        _lr_sequence(tg, "LinearLR", {"start_factor": 0.25, "end_factor": 0.75,
                                      "total_iters": 17}, 2),
        base * (0.25 + 0.5 * np.minimum(e, 17) / 17), rtol=1e-12)
    np.testing.assert_allclose(
        _lr_sequence(tg, "MultiplicativeLR", {"lr_lambda": lambda e: 0.97}, 2),
        base * 0.97 ** e, rtol=1e-12)


def test_reachable_as_tg_optim_lr_scheduler():
    for name in ("MultiStepLR", "LambdaLR", "MultiplicativeLR", "LinearLR",
                 "ReduceLROnPlateau"):
        cls = getattr(tg.optim.lr_scheduler, name)
        assert issubclass(cls, lr_scheduler.LRScheduler) and cls.__doc__


# ---- ReduceLROnPlateau -------------------------------------------------------------
# plateaus, near-misses of the 1e-3 / 0.5 thresholds, and improvements
METRICS = [10, 9, 8.995, 8.99, 9, 9, 9, 7, 7.0001, 6.9999, 7, 7, 7, 7, 7, 3, 3, 3, 3,
           3, 3, 3, 3, 3, 3, 3, 3, 2.9, 3, 3, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4, 2.4]
PLATEAU = [
    {},
    {"patience": 2, "threshold": 1e-3},
    {"patience": 1, "threshold": 0.5, "threshold_mode": "abs"},
    {"mode": "max", "patience": 2, "factor": 0.5},
    {"mode": "max", "patience": 1, "threshold": 0.5, "threshold_mode": "abs"},
    {"patience": 1, "cooldown": 3, "factor": 0.5},
    {"patience": 0, "cooldown": 1, "factor": 0.3, "min_lr": 0.05},
    {"patience": 0, "factor": 0.3, "min_lr": [0.2, 0.001]},
    {"patience": 0, "factor": 0.9, "eps": 0.05},  # steps below eps are skipped
]


def _plateau_trace(lib, kw, groups, metric=float):
    opt = _optimizer(lib, groups)
    sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kw)
    sign = -1 if kw.get("mode") == "max" else 1
    trace = []
    for m in METRICS:
        opt.step()
        sched.step(metric(sign * m))
        trace.append((sched.get_last_lr(), [g["lr"] for g in opt.param_groups],
                      sched.num_bad_epochs, sched.cooldown_counter, sched.in_cooldown,
                      sched.best, sched.last_epoch))
    return trace


@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("kw", PLATEAU, ids=[str(i) for i in range(len(PLATEAU))])
def test_plateau_matches_torch(torch, kw, groups):
    if isinstance(kw.get("min_lr"), list) and groups == 1:
        kw = {**kw, "min_lr": kw["min_lr"][:1]}
    ours = _plateau_trace(tg, kw, groups)
    assert ours == _plateau_trace(torch, kw, groups)
    assert ours[-1][0] != ours[0][0] or kw.get("eps")  # the lr was reduced


def test_plateau_takes_tensor_metrics_and_leaves_lr_alone_at_construction(torch):
    kw = {"patience": 1}
    ours = _plateau_trace(tg, kw, 2, metric=lambda m: tg.tensor(m))
    assert ours == _plateau_trace(torch, kw, 2, metric=lambda m: torch.tensor(m))
    opt = _optimizer(tg, 2)
    sched = lr_scheduler.ReduceLROnPlateau(opt)
    assert sched.get_last_lr() == [1.0, 0.3] and sched.last_epoch == 0
    assert all("initial_lr" not in g for g in opt.param_groups)


def test_plateau_min_lr_follows_added_groups():
    opt = _optimizer(tg, 1)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=0.5)
    opt.add_param_group({"params": [tg.zeros(1, requires_grad=True)], "lr": 0.6})
    sched.step(1.0), sched.step(1.0)
    assert sched.get_last_lr() == [0.5, 0.5] and sched.min_lrs == [0.5, 0.5]
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.1, 0.1])
    opt.add_param_group({"params": [tg.zeros(1, requires_grad=True)]})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="differs from when `ReduceLROnPlateau`"):
        sched.step(1.0)


def test_plateau_epoch_argument_is_deprecated():
    sched = lr_scheduler.ReduceLROnPlateau(_optimizer(tg, 1))
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(1.0, epoch=5)
    assert sched.last_epoch == 5


# ---- state_dict ------------------------------------------------------------------
@pytest.mark.parametrize("name,kw1,kw2", SCHEDULERS, ids=IDS)
def test_state_dict_round_trip_continues_like_uninterrupted(name, kw1, kw2):
    kw = kw2 or kw1

    def make():
        opt = _optimizer(tg, 2)
        return opt, getattr(lr_scheduler, name)(opt, **copy.deepcopy(kw))
    opt, sched = make()
    for _ in range(7):
        opt.step()
        sched.step()
    state = copy.deepcopy(sched.state_dict())
    assert "optimizer" not in state
    opt2, sched2 = make()
    sched2.load_state_dict(state)
    for g, g2 in zip(opt.param_groups, opt2.param_groups):
        g2["lr"] = g["lr"]  # (an optimizer's own state_dict carries this)
    assert sched2.last_epoch == 7 and sched2.optimizer is opt2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(15):
            opt.step(), opt2.step()
            sched.step(), sched2.step()
            assert sched2.get_last_lr() == sched.get_last_lr()


@pytest.mark.parametrize("name,kw1,kw2", SCHEDULERS, ids=IDS)
def test_state_dict_keys_match_torch(torch, name, kw1, kw2):
    kw = kw2 or kw1
    ours = getattr(lr_scheduler, name)(_optimizer(tg, 2), **kw).state_dict()
    theirs = getattr(torch.optim.lr_scheduler, name)(_optimizer(torch, 2), **kw).state_dict()
    assert set(ours) == set(theirs)
    if "lr_lambdas" in ours:
        assert ours["lr_lambdas"] == theirs["lr_lambdas"]


def test_lambda_state_dict_keeps_callable_objects_state():
    warm = Warmup(k=2)
    opt = _optimizer(tg, 2)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, warm])
    warm.k = 5
    state = copy.deepcopy(sched.state_dict())
    assert state["lr_lambdas"] == [None, {"k": 5}]
    warm2 = Warmup(k=2)
    sched2 = lr_scheduler.LambdaLR(_optimizer(tg, 2), [lambda e: 1.0, warm2])
    sched2.load_state_dict(state)
    assert warm2.k == 5 and "lr_lambdas" in state  # the caller's dict is left whole
    assert sched2.lr_lambdas[1] is warm2


def test_plateau_state_dict_round_trip(torch):
    kw = {"mode": "max", "patience": 1, "cooldown": 2, "min_lr": [0.01, 0.02]}

    def make(lib=tg):
        return lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib, 2), **kw)
    sched = make()
    for m in METRICS[:12]:
        sched.step(-m)
    sched2 = make()
    sched2.load_state_dict(copy.deepcopy(sched.state_dict()))
    for g, g2 in zip(sched.optimizer.param_groups, sched2.optimizer.param_groups):
        g2["lr"] = g["lr"]
    for m in METRICS[12:]:
        sched.step(-m), sched2.step(-m)
        assert (sched2.get_last_lr(), sched2.num_bad_epochs, sched2.cooldown_counter) == \
            (sched.get_last_lr(), sched.num_bad_epochs, sched.cooldown_counter)
    assert set(sched.state_dict()) == set(make(torch).state_dict())
    with pytest.raises(ValueError, match="mode avg is unknown!"):
        sched2.load_state_dict({"mode": "avg"})


# ---- bad arguments ---------------------------------------------------------------
def _two(lib):
    return _optimizer(lib, 2)


BAD = [  # (constructor on (lib, optimizer), exception): torch raises the same message
    (lambda L, o: L.LinearLR(o, start_factor=0), ValueError),
    (lambda L, o: L.LinearLR(o, start_factor=1.5), ValueError),
    (lambda L, o: L.LinearLR(o, end_factor=-0.1), ValueError),
    (lambda L, o: L.LinearLR(o, end_factor=1.01), ValueError),
    (lambda L, o: L.LambdaLR(o, [lambda e: 1.0]), ValueError),
    (lambda L, o: L.MultiplicativeLR(o, [lambda e: 1.0] * 3), ValueError),
    (lambda L, o: L.MultiplicativeLR(o, 0.9), TypeError),
    (lambda L, o: L.MultiStepLR(object(), [1]), TypeError),
    (lambda L, o: L.ReduceLROnPlateau(o, factor=1.0), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(o, mode="avg"), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(o, threshold_mode="pct"), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError),
    (lambda L, o: L.ReduceLROnPlateau(object()), TypeError),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_bad_arguments_raise_torchs_errors(torch, i):
    make, exc = BAD[i]
    with pytest.raises(exc) as theirs:
        make(torch.optim.lr_scheduler, _two(torch))
    with pytest.raises(exc) as ours:
        make(lr_scheduler, _two(tg))
    assert str(ours.value).split("\n")[0] == str(theirs.value).split("\n")[0]


def test_bad_arguments_without_torch():
    opt = _two(tg)
    with pytest.raises(TypeError, match="lr_lambda should be a function, but got int"):
        lr_scheduler.LambdaLR(opt, 3)  # torch: TypeError when it first calls 3
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ValueError, match="Factor should be < 1.0."):
        lr_scheduler.ReduceLROnPlateau(opt, factor=2)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.MultiStepLR(optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1), [1],
                                 last_epoch=3)


def test_scheduler_state_dict_round_trip_and_order_warning():
    def make():
        opt = optim.SGD([tg.zeros(1, requires_grad=True)], lr=1.0)
        return opt, lr_scheduler.CosineAnnealingLR(opt, T_max=7)
    opt, sched = make()
    with pytest.warns(UserWarning, match="before `optimizer.step"):
        sched.step()
    for _ in range(4):
        opt.step()
        sched.step()
    opt2, sched2 = make()
    sched2.load_state_dict(copy.deepcopy(sched.state_dict()))
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    assert sched2.last_epoch == 5 and sched2.optimizer is opt2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(6):
            opt.step(), opt2.step()
            sched.step(), sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()
    assert sched.get_last_lr() != [1.0]
