"""Shared test set-up: a derandomised hypothesis profile, a seeded ``rng`` fixture, and the
groups that `make test` runs side by side.

Hypothesis is derandomised (and keeps no example database) so every run of the suite
draws the same examples: a failure seen once is seen again.
"""
from __future__ import annotations

import re

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


# One work unit per test module, except that the tests of one assignment in a module (an
# assignment-parametrised, module-scoped ``graded`` fixture, whose id starts the test's
# parameters) form a unit of their own: each fixture is built once, and the slow notebook and
# grading tests of different assignments run side by side. (xdist's own ``loadgroup`` relies
# on renaming test ids, which pytest 9 ignores, so the scheduler itself groups.)
ASSIGNMENT_PARAMETER = re.compile(r"\[(\d\d_\w+?)[-\]]")


def work_unit(nodeid: str) -> str:
    """The work unit of a test id: its module, and the assignment it is parametrised with."""
    module = nodeid.split("::", 1)[0]
    assignment = ASSIGNMENT_PARAMETER.search(nodeid)
    return f"{module}[{assignment.group(1)}]" if assignment else module


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ByModuleAndAssignment(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return ByModuleAndAssignment(config, log)


def pytest_collection_modifyitems(items):
    """The slow tests (notebook and browser) first, so that quick ones fill the end of a
    parallel run (``make test`` keeps this order: ``--no-loadscope-reorder``)."""
    items.sort(key=lambda item: not (item.get_closest_marker("notebook") or item.get_closest_marker("browser")))
