"""Shared test set-up: a derandomised hypothesis profile, a seeded ``rng`` fixture, and the
groups that `make test` runs side by side.

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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Groups for ``pytest -n N --dist loadgroup`` (``make test``): one per test module, so that a
    module's shared fixtures are built once, except that an assignment-parametrised ``graded``
    fixture (each assignment graded once per module) gets a group per assignment, so that the
    slow notebook and grading tests of different assignments run side by side. The slow groups
    (notebook and browser tests) come first, so that quick ones fill the end of the run."""
    items.sort(key=lambda item: not (item.get_closest_marker("notebook") or item.get_closest_marker("browser")))
    for item in items:
        group = item.module.__name__
        params = getattr(item, "callspec", None)
        if params is not None and "graded" in params.params:
            group += f"-{params.params['graded']}"
        item.add_marker(pytest.mark.xdist_group(group))
