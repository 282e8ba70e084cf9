"""tg.Generator and generator= as PyTorch's: a seeded generator gives the same draws
every time and leaves the global stream alone; seeds, states and bad arguments as
torch.Generator treats them; makemore's lecture code runs on both libraries."""
import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import nn
from tinygrad_edu.data import DataLoader, TensorDataset, random_split


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")

# every function that takes generator=, called with one
DRAWS = {
    "rand": lambda g: tg.rand(2, 3, generator=g),
    "randn": lambda g: tg.randn((4,), generator=g, dtype=tg.float64),
    "normal": lambda g: tg.normal(2.0, 3.0, (5,), generator=g),
    "normal with tensor mean": lambda g: tg.normal(tg.zeros(3), tg.ones(3), generator=g),
    "randint": lambda g: tg.randint(0, 10, (6,), generator=g),
    "randperm": lambda g: tg.randperm(7, generator=g),
    "multinomial": lambda g: tg.tensor([0.2, 0.3, 0.5]).multinomial(4, True, generator=g),
    "multinomial without replacement":
        lambda g: tg.tensor([[0.2, 0.3, 0.5]]).multinomial(3, generator=g),
    "Tensor.normal_": lambda g: tg.zeros(3).normal_(generator=g),
    "Tensor.uniform_": lambda g: tg.zeros(3).uniform_(-1, 1, generator=g),
    "init.uniform_": lambda g: nn.init.uniform_(tg.empty(2, 2), generator=g),
    "init.normal_": lambda g: nn.init.normal_(tg.empty(2, 2), generator=g),
    "init.xavier_uniform_": lambda g: nn.init.xavier_uniform_(tg.empty(2, 2), generator=g),
    "init.xavier_normal_": lambda g: nn.init.xavier_normal_(tg.empty(2, 2), generator=g),
    "init.kaiming_uniform_": lambda g: nn.init.kaiming_uniform_(tg.empty(2, 2), generator=g),
    "init.kaiming_normal_": lambda g: nn.init.kaiming_normal_(tg.empty(2, 2), generator=g),
    "random_split": lambda g: tg.tensor(random_split(range(10), [7, 3], generator=g)[1].indices),
    "DataLoader": lambda g: next(iter(DataLoader(TensorDataset(tg.arange(10)), batch_size=10,
                                                 shuffle=True, generator=g)))[0],
}


@pytest.mark.parametrize("name", DRAWS)
def test_a_seeded_generator_repeats_and_leaves_the_global_stream_alone(name):
    draw = DRAWS[name]
    tg.manual_seed(0)
    untouched = tg.rand(4).numpy()
    g = tg.Generator().manual_seed(2147483647)
    first = draw(g).numpy()
    tg.manual_seed(0)
    again = draw(g.manual_seed(2147483647)).numpy()
    np.testing.assert_array_equal(first, again)
    tg.manual_seed(0)
    draw(tg.Generator().manual_seed(5))
    np.testing.assert_array_equal(tg.rand(4).numpy(), untouched)  # g drew, the global did not
    other = draw(tg.Generator().manual_seed(1)).numpy()
    assert other.size < 3 or not np.array_equal(other, first)


@pytest.mark.parametrize("name", DRAWS)
def test_generator_must_be_a_generator(name):
    with pytest.raises(TypeError, match="generator"):
        DRAWS[name](3)


def test_seeds_as_torch(torch):
    for seed in (0, 2147483647, -1, -5, 2 ** 64 - 1, np.int64(7)):
        ours, theirs = tg.Generator().manual_seed(seed), torch.Generator().manual_seed(int(seed))
        assert ours.initial_seed() == theirs.initial_seed()
    for bad in (1.5, "1", None):
        with pytest.raises(RuntimeError, match="manual_seed expected a long"):
            tg.Generator().manual_seed(bad)
        with pytest.raises(RuntimeError):
            torch.Generator().manual_seed(bad)
    g = tg.Generator()
    assert g.manual_seed(3) is g and g.device == "cpu"
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2 ** 64


def test_the_global_generator():
    assert tg.manual_seed(11) is tg.default_generator
    assert tg.initial_seed() == 11 == tg.default_generator.initial_seed()
    a = tg.randn(3).numpy()
    tg.default_generator.manual_seed(11)
    np.testing.assert_array_equal(tg.randn(3).numpy(), a)
    s = tg.seed()
    assert tg.initial_seed() == s
    np.testing.assert_array_equal(tg.randn(3, generator=tg.default_generator).numpy(),
                                  (tg.manual_seed(s), tg.randn(3))[1].numpy())


def test_states_round_trip():
    g = tg.Generator().manual_seed(4)
    state = g.get_state()
    assert state.dtype == tg.uint8 and state.ndim == 1
    a = tg.rand(5, generator=g).numpy()
    np.testing.assert_array_equal(tg.rand(5, generator=g.set_state(state)).numpy(), a)
    state = tg.get_rng_state()
    b = tg.rand(5).numpy()
    tg.set_rng_state(state)
    np.testing.assert_array_equal(tg.rand(5).numpy(), b)
    with pytest.raises(TypeError, match="RNG state must be a tg.uint8 tensor"):
        g.set_state(tg.zeros(3))
    with pytest.raises(RuntimeError, match="not a state that get_state"):
        g.set_state(tg.zeros(3, dtype=tg.uint8))


def test_only_cpu_generators():
    with pytest.raises(RuntimeError, match="only CPU generators"):
        tg.Generator("cuda")


MAKEMORE = """
g = lib.Generator().manual_seed(2147483647)
W = lib.randn((27, 27), generator=g, requires_grad=True)
xs = lib.tensor([0, 5, 13, 13, 1])
logits = F.one_hot(xs, num_classes=27).float() @ W
p = logits.exp() / logits.exp().sum(1, keepdims=True)
ix = lib.multinomial(p[0], num_samples=1, replacement=True, generator=g).item()
loss = -p[lib.arange(5), lib.tensor([5, 13, 13, 1, 0])].log().mean()
loss.backward()
"""


def test_makemore_lecture_code_runs_on_both(torch):
    for lib, F in ((tg, tg.nn.functional), (torch, torch.nn.functional)):
        env = {"lib": lib, "F": F}
        exec(MAKEMORE, env)  # noqa: S102 - the test's own code
        assert 0 <= env["ix"] < 27 and env["W"].grad.shape == (27, 27)
