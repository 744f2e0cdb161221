"""Shared pytest configuration: hypothesis profiles and a deterministic NumPy seed per test.

Profiles: ``ci`` (deterministic, 15 examples) is loaded by default and whenever ``CI`` is set;
``HYPOTHESIS_PROFILE=dev`` loads ``dev`` (more examples, random) outside CI.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_profile = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile("ci" if os.environ.get("CI") else _profile)


def seed_of(nodeid: str) -> int:
    """A stable seed for one test (Python's hash() is salted per process; crc32 is not)."""
    return zlib.crc32(nodeid.encode())


@pytest.fixture(autouse=True)
def _seed_numpy(request):
    np.random.seed(seed_of(request.node.nodeid))


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A NumPy generator seeded from the test's id: reruns draw the same arguments."""
    return np.random.default_rng(seed_of(request.node.nodeid))
