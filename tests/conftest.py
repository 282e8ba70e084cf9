"""Shared pytest configuration: Hypothesis profiles and float64 helpers.

Profiles
--------
``dev``  a quick local run (random seeds, no deadline).
``ci``   derandomized, so a red CI run reproduces bit for bit.

``ci`` is loaded when the environment variable ``CI`` is set, ``dev``
otherwise; ``HYPOTHESIS_PROFILE=<name>`` overrides both.
"""
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))  # tests/strategies.py etc.

# ``device`` (below) is function-scoped but the same for every example of a test
_DEVICE_OK = [HealthCheck.function_scoped_fixture]
settings.register_profile("dev", max_examples=25, deadline=None,
                          suppress_health_check=_DEVICE_OK)
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, *_DEVICE_OK],
)
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=_DEVICE_OK)

_profile = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(_profile)


@pytest.fixture
def tg():
    import tinygrad_edu
    return tinygrad_edu


# ---- devices: tests that take the ``device`` fixture run once per device ----------
def _cuda_skip_reason():
    import tinygrad_edu
    return tinygrad_edu.cuda.why_unavailable()


_CUDA_WHY = _cuda_skip_reason()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    _CUDA_WHY is not None, reason=f"no CUDA here: {_CUDA_WHY}"))]


@pytest.fixture(params=DEVICES)
def device(request):
    """'cpu', then 'cuda' (skipped without CuPy or a GPU). Also the default device for
    the test's duration, so tg.tensor / tg.randn in the test body land on it."""
    import tinygrad_edu
    before = tinygrad_edu.get_default_device()
    tinygrad_edu.set_default_device(request.param)
    try:
        yield request.param
    finally:
        tinygrad_edu.set_default_device(before)


# ---- the whole suite on a GPU: TG_TEST_DEVICE=cuda pytest tests ---------------------
# Every test's tg.tensor / tg.randn / layer lands on that device, and .numpy() reads a
# host copy (so the tests' numpy comparisons work); tests of shared CPU memory fail
# there by design. A smoke run for bugs the device-parametrized tests do not reach.
_TEST_DEVICE = os.environ.get("TG_TEST_DEVICE")


@pytest.fixture(autouse=True, scope="session")
def _suite_device():
    if not _TEST_DEVICE:
        yield
        return
    import tinygrad_edu
    tinygrad_edu.set_default_device(_TEST_DEVICE)
    real_numpy = tinygrad_edu.Tensor.numpy

    def host_numpy(self):
        return real_numpy(self.cpu()) if self.is_cuda else real_numpy(self)
    tinygrad_edu.Tensor.numpy = host_numpy
    yield
    tinygrad_edu.Tensor.numpy = real_numpy
    tinygrad_edu.set_default_device(None)
