"""tg.nn containers: Sequential.insert/extend, ModuleList.insert/+=, and ModuleDict,
compared with torch.nn (child names and order, repr, state_dict keys) after the same
operations, plus their errors."""
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _layers(lib):
    """Fresh modules whose reprs are the same in both libraries."""
    n = lib.nn
    return [n.Linear(2, 3), n.ReLU(), n.Linear(3, 4, bias=False), n.Tanh(), n.Identity(),
            n.Dropout(0.25), n.Flatten(), n.Sigmoid()]


def _summary(module):
    return ([name for name, _ in module.named_children()], repr(module),
            list(module.state_dict()), [name for name, _ in module.named_parameters()])


def _same_as_torch(torch, build):
    """Apply ``build(nn, layers)`` in both libraries; return ours after comparing."""
    ours, theirs = build(tg.nn, _layers(tg)), build(torch.nn, _layers(torch))
    assert _summary(ours) == _summary(theirs)
    return ours


# ---- Sequential ------------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 1, 2, 3, -1, -2, -3])
def test_sequential_insert_matches_torch(torch, index):
    def build(nn, m):
        s = nn.Sequential(m[0], m[1], m[2])
        assert s.insert(index, m[3]) is s
        return s
    s = _same_as_torch(torch, build)
    expected = ["Linear", "ReLU", "Linear"]
    expected.insert(index, "Tanh")  # list.insert's positions
    assert [type(m).__name__ for m in s] == expected


def test_sequential_insert_repeatedly_and_into_empty(torch):
    def build(nn, m):
        s = nn.Sequential()
        s.insert(0, m[0])
        s.insert(1, m[1]).insert(0, m[2]).insert(-1, m[3]).insert(len(s), m[4])
        s.insert(-len(s), m[5])
        return s
    s = _same_as_torch(torch, build)
    assert [k for k, _ in s.named_children()] == [str(i) for i in range(6)]
    assert [type(m).__name__ for m in s] == ["Dropout", "Linear", "Linear", "Tanh", "ReLU",
                                             "Identity"]
    assert [m.in_features for m in s[1:3]] == [3, 2]


def test_sequential_extend_matches_torch(torch):
    def build(nn, m):
        s = nn.Sequential(m[0])
        assert s.extend([m[1], m[2]]) is s
        s.extend(nn.Sequential(m[3], m[4]))
        s.extend(x for x in (m[5], m[6]))
        s.extend([])
        return s
    s = _same_as_torch(torch, build)
    assert len(s) == 7


def test_sequential_insert_keeps_custom_names():
    a, b, c = nn.Linear(1, 2), nn.ReLU(), nn.Tanh()
    s = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    s.insert(1, c)  # (torch raises KeyError here: its insert assumes keys "0".."n-1")
    assert list(s._modules.items()) == [("fc", a), ("1", c), ("act", b)]
    assert list(s.state_dict()) == ["fc.weight", "fc.bias"]
    s.append(nn.Identity()).insert(3, nn.Sigmoid())
    assert [k for k, _ in s.named_children()] == ["fc", "1", "act", "3", "4"]


@pytest.mark.parametrize("container", ["Sequential", "ModuleList"])
def test_insert_errors(container):
    m = getattr(nn, container)([nn.ReLU(), nn.Tanh()]) if container == "ModuleList" \
        else nn.Sequential(nn.ReLU(), nn.Tanh())
    for bad in (3, -3, 100):
        with pytest.raises(IndexError, match=f"Index out of range: {bad}"):
            m.insert(bad, nn.Identity())
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.insert(0, 3)
    with pytest.raises(TypeError):
        m.insert(0, lambda x: x)
    with pytest.raises(TypeError):
        m.insert("1", nn.Identity())
    with pytest.raises(TypeError, match="should be called with an iterable, but got int"):
        m.extend(3)
    assert len(m) == 2  # nothing was half-done


def test_sequential_insert_bad_index_like_torch(torch):
    for lib in (tg, torch):
        s = lib.nn.Sequential(lib.nn.ReLU())
        with pytest.raises(IndexError, match="Index out of range: 2"):
            s.insert(2, lib.nn.Tanh())


# ---- ModuleList --------------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_modulelist_insert_matches_torch(torch, index):
    def build(nn, m):
        ml = nn.ModuleList(m[:3])
        ml.insert(index, m[3])
        return ml
    _same_as_torch(torch, build)


@pytest.mark.parametrize("index", [-1, -2, -3])
def test_modulelist_insert_negative_is_list_insert(index):
    # (torch's ModuleList.insert looks up the key "-1" and fails; we follow list.insert)
    mods = [nn.Linear(1, 1), nn.ReLU(), nn.Tanh()]
    new = nn.Sigmoid()
    ml = nn.ModuleList(mods)
    ml.insert(index, new)
    mods.insert(index, new)
    assert list(ml) == mods
    assert [k for k, _ in ml.named_children()] == ["0", "1", "2", "3"]


def test_modulelist_iadd_matches_torch(torch):
    def build(nn, m):
        ml = nn.ModuleList([m[0]])
        before = ml
        ml += [m[1], m[2]]
        ml += nn.ModuleList([m[3], m[4]])
        ml += (x for x in [m[5]])
        ml.extend([m[6]])
        assert ml is before
        return ml
    ml = _same_as_torch(torch, build)
    assert len(ml) == 7


def test_modulelist_iadd_errors_and_self():
    ml = nn.ModuleList([nn.ReLU()])
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable"):
        ml += 3
    with pytest.raises(TypeError, match="is not a Module subclass"):
        ml += [3]
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml += ml  # doubles (torch: "mutated during iteration")
    assert [type(m).__name__ for m in ml] == ["ReLU", "Tanh"] * 2


def test_repeated_modules_repr_after_insert(torch):
    def build(nn, m):
        ml = nn.ModuleList([nn.ReLU(), nn.ReLU()])
        ml.insert(1, nn.ReLU())
        ml.insert(0, nn.Tanh())
        return ml
    assert "(1-3): 3 x ReLU()" in repr(_same_as_torch(torch, build))


# ---- ModuleDict --------------------------------------------------------------------
def test_moduledict_construction_matches_torch(torch):
    def from_dict(nn, m):
        return nn.ModuleDict({"fc": m[0], "act": m[1], "out": m[2]})

    def from_pairs(nn, m):
        return nn.ModuleDict([("fc", m[0]), ["act", m[1]], ("out", m[2])])

    def from_ordered(nn, m):
        return nn.ModuleDict(OrderedDict([("fc", m[0]), ("act", m[1]), ("out", m[2])]))

    def from_moduledict(nn, m):
        return nn.ModuleDict(nn.ModuleDict({"fc": m[0], "act": m[1], "out": m[2]}))
    for build in (from_dict, from_pairs, from_ordered, from_moduledict):
        d = _same_as_torch(torch, build)
        assert list(d.state_dict()) == ["fc.weight", "fc.bias", "out.weight"]
    assert repr(nn.ModuleDict()) == repr(torch.nn.ModuleDict()) == "ModuleDict()"


def test_moduledict_operations_match_torch(torch):
    def build(nn, m):
        d = nn.ModuleDict({"a": m[0], "b": m[1]})
        d["c"] = m[2]
        d["a"] = m[3]  # replacing keeps the position
        d.update({"d": m[4], "b": m[5]})
        d.update([("e", nn.Sequential(m[6], nn.Linear(4, 2)))])
        del d["d"]
        assert d.pop("b") is m[5]
        return d
    d = _same_as_torch(torch, build)
    assert list(d) == list(d.keys()) == ["a", "c", "e"]
    assert "c" in d and "b" not in d and 3 not in d and len(d) == 3
    assert list(d.values()) == [d["a"], d["c"], d["e"]]
    assert list(d.items()) == list(zip(d.keys(), d.values()))
    assert d.c is d["c"]  # attribute access like any child module
    assert list(d.state_dict()) == ["c.weight", "e.1.weight", "e.1.bias"]
    assert len(list(d.parameters())) == 3
    d.clear()
    assert len(d) == 0 and list(d.state_dict()) == [] and repr(d) == "ModuleDict()"


def test_moduledict_in_a_model_loads_torch_weights(torch):
    def build(nn, m):
        model = nn.Module()
        model.heads = nn.ModuleDict({"cls": m[0], "reg": nn.Linear(2, 1)})
        model.trunk = nn.ModuleList([m[2]])
        return model
    ours = build(tg.nn, _layers(tg))
    theirs = build(torch.nn, _layers(torch))
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(sd)
    ours.load_state_dict(sd)
    np.testing.assert_array_equal(ours.heads["reg"].weight.detach().numpy(),
                                  sd["heads.reg.weight"])


def test_moduledict_train_eval_reach_children():
    d = nn.ModuleDict({"drop": nn.Dropout(), "seq": nn.Sequential(nn.Dropout())})
    d.eval()
    assert not d["drop"].training and not d["seq"][0].training


def test_moduledict_errors(torch):
    for lib in (tg, torch):
        d = lib.nn.ModuleDict({"a": lib.nn.ReLU()})
        with pytest.raises(TypeError, match="int is not a Module subclass"):
            d["b"] = 3
        with pytest.raises(TypeError):
            d[1] = lib.nn.ReLU()
        with pytest.raises(KeyError):
            d["x.y"] = lib.nn.ReLU()
        with pytest.raises(KeyError, match="attribute 'keys' already exists"):
            d["keys"] = lib.nn.ReLU()
        with pytest.raises(KeyError):
            d["missing"]
        with pytest.raises(KeyError):
            d.pop("missing")
        with pytest.raises(KeyError):
            del d["missing"]
        with pytest.raises(TypeError, match="ModuleDict.update should be called with an "
                                            "iterable of key/value pairs, but got int"):
            d.update(3)
        with pytest.raises(ValueError, match="element #0 has length 1; 2 is required"):
            d.update([("c",)])
        with pytest.raises(TypeError, match="element #1 should be Iterable"):
            d.update([("c", lib.nn.ReLU()), 5])
        with pytest.raises(NotImplementedError):
            d(lib.ones(1))
        assert list(d) == (["a"] if lib is tg else ["a", "c"])  # ours checks all first
