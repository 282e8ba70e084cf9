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

settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)
settings.register_profile("thorough", max_examples=300, deadline=None)

_profile = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(_profile)


@pytest.fixture
def tg():
    import tinygrad_edu
    return tinygrad_edu
