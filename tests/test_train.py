"""The main job (tinygrad_edu.train): options, recipes, the saved model, and one short
epoch on the real Fashion-MNIST when it is on the machine."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn, train

FASHION = "/usr/share/datasets/fashion-mnist"
have_fashion = os.path.exists(os.path.join(FASHION, "train-images-idx3-ubyte.gz")) or \
    bool(os.environ.get("TG_DATA"))
needs_data = pytest.mark.skipif(not have_fashion, reason="Fashion-MNIST is not installed "
                                "(apt-get install dataset-fashion-mnist, or set TG_DATA)")


def test_default_recipe_options():
    a = train.parse_args([])
    assert (a.hidden, a.optimizer, a.lr, a.epochs, a.batch_size) == \
        ("512,256", "adam", 1e-3, 10, 128)


def test_d2l_recipe_is_the_curriculum_d2():
    a = train.parse_args(["--recipe", "d2l"])
    assert (a.hidden, a.optimizer, a.lr, a.epochs, a.batch_size, a.momentum) == \
        ("256", "sgd", 0.5, 5, 256, 0.0)
    assert a.init == "normal0.01" and not a.normalize


def test_flags_override_the_recipe():
    a = train.parse_args(["--recipe", "d2l", "--lr", "0.1", "--epochs", "2"])
    assert (a.lr, a.epochs, a.hidden) == (0.1, 2, "256")
    assert train.parse_args(["--recipe", "d2l", "--momentum=0.9"]).momentum == 0.9
    assert train.parse_args(["--optimizer", "sgd"]).momentum == 0.9


@pytest.mark.parametrize("flag", [["--epochs", "0"], ["--batch-size", "0"], ["--lr", "-1"],
                                  ["--limit", "0"]])
def test_bad_numbers_are_usage_errors(flag, capsys):
    with pytest.raises(SystemExit) as e:
        train.parse_args(flag)
    assert e.value.code == 2 and flag[0] in capsys.readouterr().err


def test_build_mlp_layers_and_d2l_init():
    tg.manual_seed(0)
    m = train.build_mlp([784, 256, 10], init="normal0.01")
    assert [type(x).__name__ for x in m] == ["Flatten", "Linear", "ReLU", "Linear"]
    for p in m.parameters():
        assert abs(float(p.std().item()) - 0.01) < 0.003, "every parameter ~ N(0, 0.01^2)"
    assert m(tg.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_model_recipes_and_shapes():
    a = train.parse_args(["--model", "lenet"])
    assert (a.optimizer, a.lr, a.batch_size, a.momentum, a.normalize) == ("sgd", 0.9, 256, 0.0,
                                                                          False)
    assert train.parse_args(["--model", "lenet", "--lr", "0.1"]).lr == 0.1
    assert train.parse_args(["--model", "cnn"]).optimizer == "adam"
    lenet = train.build_lenet()
    names = [type(m).__name__ for m in lenet]
    assert names[:4] == ["Unflatten", "Conv2d", "Sigmoid", "AvgPool2d"]
    assert lenet(tg.zeros(2, 784)).shape == (2, 10)
    cnn = train.build_cnn()
    assert cnn(tg.zeros(2, 784)).shape == (2, 10)
    assert any(isinstance(m, nn.BatchNorm2d) for m in cnn.modules())


def test_device_batches_cover_the_set_once_per_epoch_in_a_new_order():
    """The GPU main job's loader, tried on the CPU: every sample once per epoch, pairs
    kept together, a new order each epoch, the last batch short."""
    x = tg.arange(10.0).reshape(10, 1) * 10
    y = tg.arange(10)
    loader = train.DeviceBatches(x, y, 4, shuffle=True, seed=0)
    assert len(loader) == 3
    orders = []
    for _ in range(2):
        batches = list(loader)
        assert [len(b[1]) for b in batches] == [4, 4, 2]
        xs = np.concatenate([b[0].numpy().ravel() for b in batches])
        ys = np.concatenate([b[1].numpy() for b in batches])
        assert sorted(ys.tolist()) == list(range(10)) and (xs == ys * 10).all()
        orders.append(ys.tolist())
    assert orders[0] != orders[1]
    plain = [b[1].tolist() for b in train.DeviceBatches(x, y, 4)]
    assert plain == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_unknown_optimizer_is_a_clear_exit():
    with pytest.raises(SystemExit, match="unknown optimizer"):
        train.make_optimizer("lbfgs", [nn.Parameter(tg.zeros(1))], 0.1)


def test_saved_state_dict_round_trips(tmp_path):
    tg.manual_seed(1)
    m = train.build_mlp([6, 5, 3])
    path = train.save_state_dict(m, str(tmp_path / "sub" / "m.npz"))
    assert sorted(os.listdir(tmp_path / "sub")) == ["m.npz"]  # no temp file left behind
    assert os.stat(path).st_mode & 0o044, "readable like any file the user writes"
    with np.load(path, allow_pickle=False) as z:
        state = {k: z[k] for k in z.files}
    assert sorted(state) == sorted(m.state_dict())
    m2 = train.build_mlp([6, 5, 3])
    m2.load_state_dict(state)
    x = tg.randn(4, 6)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_missing_data_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TG_DATA", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    code = train.main(["--dataset", "mnist", "--data", str(tmp_path), "--quiet",
                       "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "error:" in err and str(tmp_path) in err


def test_help_runs_as_a_module():
    r = subprocess.run([sys.executable, "-m", "tinygrad_edu.train", "--help"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "--recipe" in r.stdout and "--optimizer" in r.stdout


@needs_data
def test_one_short_epoch_on_fashion_mnist(tmp_path, capsys):
    out = tmp_path / "run"
    code = train.main(["--epochs", "1", "--limit", "12000", "--quiet", "--out", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    acc = float(re.search(r"test acc (\d\.\d+)", text).group(1))
    assert acc > 0.75, f"one epoch on 12k samples should be far above chance (0.1): {acc}"
    assert "samples/s" in text and "backend" in text
    with np.load(out / "model.npz", allow_pickle=False) as z:
        assert z["1.weight"].shape == (512, 784)  # Sequential(Flatten, Linear, ...)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "no plot" in text
    else:
        assert (out / "curves.png").stat().st_size > 1000
