"""tg.autograd.detect_anomaly(): the first op turning finite values into NaN/Inf raises,
naming the op and the line that created it; off by default; thread-local."""
import threading

import numpy as np
import pytest

import tinygrad_edu as tg


def test_backward_nan_names_the_op_and_where_it_was_created():
    x = tg.tensor([0.0, 4.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        y = x.sqrt()  # CREATED-HERE
        with pytest.raises(RuntimeError) as info:
            (y * 0).sum().backward()  # d sqrt at 0 is inf; inf * 0 = nan
    msg = str(info.value)
    assert "Function 'SqrtBackward' returned" in msg and "0th output" in msg
    assert "CREATED-HERE" in msg and "test_anomaly.py" in msg


def test_forward_nan_and_inf_name_the_op():
    with tg.autograd.detect_anomaly():
        with pytest.raises(RuntimeError, match=r"Function 'Log' produced nan values .*shape \[2\]"):
            tg.tensor([-1.0, 1.0]).log()
        with pytest.raises(RuntimeError, match="Function 'Exp' produced inf values"):
            tg.tensor([1000.0]).exp()
        with pytest.raises(RuntimeError, match="Function 'Div' produced inf"):
            tg.tensor([1.0]) / tg.tensor([0.0])


def test_values_already_non_finite_propagate_without_blame():
    with tg.autograd.detect_anomaly():
        y = tg.tensor([float("inf"), 1.0]) * 2  # the input was not finite: not Mul's fault
    assert np.isinf(y.numpy()[0])


def test_off_by_default_nan_propagates_like_ieee():
    assert not tg.autograd.is_anomaly_enabled()
    x = tg.tensor([0.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])
    assert np.isnan(tg.tensor([-1.0]).log().numpy()[0])


def test_backward_of_a_graph_made_outside_anomaly_mode_says_so():
    x = tg.tensor([0.0], requires_grad=True)
    y = (x.sqrt() * 0).sum()
    with tg.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="outside detect_anom"):
        y.backward()


def test_clean_training_step_is_unchanged_under_anomaly_mode():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.ReLU(), tg.nn.Linear(3, 2))
    x, t = tg.randn(5, 4), tg.tensor([0, 1, 1, 0, 1])
    tg.nn.functional.cross_entropy(model(x), t).backward()
    ref = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    with tg.autograd.detect_anomaly():
        tg.nn.functional.cross_entropy(model(x), t).backward()
    for p, r in zip(model.parameters(), ref):
        np.testing.assert_array_equal(p.grad.numpy(), r)


def test_decorator_setter_and_check_nan_false():
    @tg.autograd.detect_anomaly()
    def f():
        return tg.tensor([-1.0]).log()
    with pytest.raises(RuntimeError, match="'Log' produced nan"):
        f()
    with tg.autograd.detect_anomaly(check_nan=False):
        assert np.isnan(tg.tensor([-1.0]).log().item())
    tg.autograd.set_detect_anomaly(True)
    try:
        assert tg.autograd.is_anomaly_enabled()
    finally:
        tg.autograd.set_detect_anomaly(False)
    with tg.autograd.set_detect_anomaly(True):
        assert tg.autograd.is_anomaly_enabled()
    assert not tg.autograd.is_anomaly_enabled()


def test_anomaly_mode_is_thread_local():
    seen = {}

    def other():
        seen["enabled"] = tg.autograd.is_anomaly_enabled()
        seen["value"] = tg.tensor([-1.0]).log().item()  # must not raise here
    with tg.autograd.detect_anomaly():
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["enabled"] is False and np.isnan(seen["value"])
