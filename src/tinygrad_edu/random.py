"""Random generators as PyTorch's: ``tg.Generator`` objects to pass as ``generator=``
(makemore's ``g = torch.Generator().manual_seed(2147483647)``), the global one
behind everything else (``tg.default_generator``, seeded by ``tg.manual_seed``), and
``tg.seed``/``tg.initial_seed``/``tg.get_rng_state``/``tg.set_rng_state``.

Each generator is a numpy ``Generator`` (PCG64): the same seed gives the same draws
in tg on every run, but not the numbers PyTorch's Mersenne Twister gives."""
from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from . import _rng
from .device import CPU, device as _device
from .tensor import Tensor


def _fresh_seed() -> int:
    """A non-deterministic 64-bit seed from the OS, as Generator.seed() draws one."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])


def _state_tensor(rng: np.random.Generator) -> Tensor:
    # the bit generator's state (a small dict) as bytes: PyTorch's uint8 state tensor
    return Tensor._make(np.frombuffer(pickle.dumps(rng.bit_generator.state), np.uint8).copy())


def _state_from(new_state: Any) -> dict:
    if not isinstance(new_state, Tensor) or new_state.dtype.np != np.uint8 or new_state.ndim != 1:
        raise TypeError("RNG state must be a tg.uint8 tensor from get_state()")
    try:
        state = pickle.loads(new_state.numpy().tobytes())  # noqa: S301 - our own bytes
        np.random.default_rng().bit_generator.state = state  # validates the layout
    except Exception as e:
        raise RuntimeError("set_state: the tensor is not a state that get_state() "
                           "returned") from e
    return state


class Generator:
    """A random number generator for ``generator=`` arguments (rand, randn, randint,
    randperm, normal, multinomial, Tensor.normal_/uniform_, nn.init, random_split,
    DataLoader). Seeded from the OS until ``manual_seed``."""

    def __init__(self, device: Any = "cpu") -> None:
        dev = _device(device)
        if dev.type != "cpu":  # draws are made on the CPU, then moved (factories._new)
            raise RuntimeError(f"tg.Generator: only CPU generators exist, got device {dev}; "
                               f"tensors drawn from it move to {dev} with device=")
        self.device = CPU
        self.seed()

    @property
    def numpy_generator(self) -> np.random.Generator:
        """The numpy Generator it draws from."""
        return self._np

    def manual_seed(self, seed: int) -> Generator:
        """Seed it (negative seeds wrap modulo 2**64, as PyTorch's); returns itself."""
        self._seed = _rng.check_seed(seed)
        self._np = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Seed it from the OS; returns the seed."""
        return self.manual_seed(_fresh_seed())._seed

    def initial_seed(self) -> int:
        """The seed it was last seeded with."""
        return self._seed

    def get_state(self) -> Tensor:
        """Its state as a uint8 tensor, for ``set_state``."""
        return _state_tensor(self._np)

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state from ``get_state``; returns itself."""
        self._np.bit_generator.state = _state_from(new_state)
        return self

    def __repr__(self) -> str:
        return f"<tg.Generator device='cpu' initial_seed={self._seed}>"


class _Default(Generator):
    """The global generator (_rng's): seeding it seeds every draw of the library."""

    def __init__(self) -> None:
        self.device = CPU

    @property
    def _np(self) -> np.random.Generator:  # type: ignore[override]
        return _rng.generator()

    def manual_seed(self, seed: int) -> Generator:
        _rng.manual_seed(seed)
        return self

    @property
    def _seed(self) -> int:
        return _rng._seed[0]

    def __repr__(self) -> str:
        return "<tg.default_generator>"


default_generator: Generator = _Default()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator behind every random draw; returns it, as PyTorch's."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the global generator from the OS; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The global generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the global generator's state from ``get_rng_state``."""
    default_generator.set_state(new_state)
