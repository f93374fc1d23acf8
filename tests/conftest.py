"""Shared test set-up: a derandomised hypothesis profile and a seeded ``rng`` fixture.

Hypothesis is derandomised (and keeps no example database) so every run of the suite
draws the same examples: a failure seen once is seen again.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "course",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("course")

SEED = 20240611


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh ``Generator`` with a fixed seed, so each test draws the same numbers."""
    return np.random.default_rng(SEED)
