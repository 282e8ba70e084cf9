"""tg.save / tg.load: .npz without pickle, atomic writes, refusal of unsafe or broken
files, and load_state_dict's strict validation."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.utils import serialization


def _mlp():
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


class _Touch:
    """Unpickling this creates a file: proof that code ran."""
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_round_trip_keeps_names_order_values_and_dtypes(tmp_path):
    tg.manual_seed(0)
    state = {"w": tg.randn(3, 4), "b": tg.zeros(3, dtype=tg.float64),
             "steps": tg.tensor([7]), "mask": tg.tensor([True, False]),
             "file": tg.ones(1), "allow_pickle": tg.ones(2)}  # np.savez argument names
    path = tmp_path / "ckpt.npz"
    tg.save(state, path)
    back = tg.load(path)
    assert list(back) == list(state)
    for k, v in state.items():
        assert back[k].dtype == v.dtype and isinstance(back[k], tg.Tensor)
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())
    with np.load(path, allow_pickle=False) as z:  # a plain npz for any numpy reader
        assert sorted(z.files) == sorted(state)


def test_model_round_trip_through_load_state_dict(tmp_path):
    tg.manual_seed(1)
    m, m2 = _mlp(), _mlp()
    m[0].weight.requires_grad_(True)
    tg.save(m.state_dict(), str(tmp_path / "m.npz"))
    m2.load_state_dict(tg.load(str(tmp_path / "m.npz")))
    x = tg.randn(5, 4)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())


def test_empty_state_dict_round_trips(tmp_path):
    tg.save({}, tmp_path / "e.npz")
    assert tg.load(tmp_path / "e.npz") == {}


def test_interrupted_save_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    tg.save({"a": tg.ones(3)}, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # as if Ctrl-C arrived halfway through the write
    monkeypatch.setattr(np.lib.format, "write_array", boom)
    with pytest.raises(KeyboardInterrupt):
        tg.save({"a": tg.zeros(3), "b": tg.zeros(2)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"], "the temporary file is removed"
    monkeypatch.undo()
    np.testing.assert_array_equal(tg.load(path)["a"].numpy(), np.ones(3, np.float32))


def test_saved_file_is_readable_like_any_user_file(tmp_path):
    tg.save({"a": tg.ones(1)}, tmp_path / "m.npz")
    assert os.stat(tmp_path / "m.npz").st_mode & 0o044


def test_pickle_file_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"w": _Touch(str(marker))}))
    with pytest.raises(ValueError, match="pickle file.*never unpickles"):
        tg.load(path)
    assert not marker.exists()


def test_object_array_inside_npz_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.array([_Touch(str(marker))], dtype=object))
    with pytest.raises(ValueError, match="cannot be read without unpickling"):
        tg.load(path)
    assert not marker.exists()


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    tg.save({"w": tg.ones(100, 100)}, path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 10):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="truncated or corrupt|not a zip"):
            tg.load(path)


def test_non_npz_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a zip/.npz archive"):
        tg.load(text)
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(ValueError, match="not a zip/.npz archive"):
        tg.load(npy)
    other_zip = tmp_path / "other.zip"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("readme.txt", "not an array")
    with pytest.raises(ValueError, match="is not a .npy array"):
        tg.load(other_zip)
    strings = tmp_path / "s.npz"
    np.savez(strings, names=np.array(["a", "b"]))
    with pytest.raises(ValueError, match="not a tg dtype"):
        tg.load(strings)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("obj, err, phrase", [
    ([tg.ones(1)], TypeError, "expected a dict"),
    ({"a": "text"}, TypeError, "value of 'a' is a str"),
    ({"a": {"nested": tg.ones(1)}}, TypeError, "value of 'a' is a dict"),
    ({1: tg.ones(1)}, TypeError, "keys must be strings"),
])
def test_save_refuses_what_it_cannot_store(tmp_path, obj, err, phrase):
    with pytest.raises(err, match=phrase):
        tg.save(obj, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_save_and_load_want_a_path(tmp_path):
    with open(tmp_path / "f", "wb") as fh, pytest.raises(TypeError, match="file path"):
        tg.save({}, fh)
    if not tg.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            tg.load(tmp_path / "f", map_location="cuda")
    assert serialization.load is tg.load and serialization.save is tg.save


def test_load_state_dict_lists_every_problem_in_one_message():
    m = _mlp()
    state = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    del state["2.bias"]
    state["extra.weight"] = np.ones(2, np.float32)
    state["0.weight"] = np.ones((5, 4), np.float32)
    state["0.bias"] = state["0.bias"].astype(np.int64)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(state)
    msg = str(info.value)
    for phrase in ('Missing key(s) in state_dict: "2.bias"',
                   'Unexpected key(s) in state_dict: "extra.weight"',
                   "size mismatch for 0.weight: copying a param with shape [5, 4]",
                   "dtype mismatch for 0.bias: copying a param with dtype tg.int64"):
        assert phrase in msg
    before = m[2].weight.detach().numpy().copy()
    with pytest.raises(RuntimeError):
        m.load_state_dict(state)
    np.testing.assert_array_equal(m[2].weight.detach().numpy(), before), "nothing copied"


def test_load_state_dict_converts_float64_into_float32_like_pytorch():
    m = _mlp()
    state = {k: v.numpy().astype(np.float64) + 1 for k, v in m.state_dict().items()}
    m.load_state_dict(state)
    assert {p.dtype for p in m.parameters()} == {tg.float32}
    np.testing.assert_allclose(m[0].bias.detach().numpy(), state["0.bias"], rtol=1e-6)


def test_load_state_dict_non_strict_casts_and_reports_keys():
    m = _mlp()
    state = {k: v.numpy().astype(np.int64) + 1 for k, v in m.state_dict().items()}
    del state["2.bias"]
    result = m.load_state_dict(state, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == []
    assert m[0].weight.dtype == tg.float32
    np.testing.assert_allclose(m[0].weight.detach().numpy(), state["0.weight"], rtol=1e-6)


def test_zero_dim_entries_keep_their_shape(tmp_path):
    """A BatchNorm's num_batches_tracked is 0-d: it must load back 0-d, not [1]."""
    m = tg.nn.BatchNorm1d(3)
    tg.save(m.state_dict(), tmp_path / "bn.npz")
    loaded = tg.load(tmp_path / "bn.npz")
    assert loaded["num_batches_tracked"].shape == () and loaded["weight"].shape == (3,)
    tg.nn.BatchNorm1d(3).load_state_dict(loaded)
