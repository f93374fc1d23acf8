"""Tests for helpers.schedules: known values, array input, and errors."""
from __future__ import annotations

import numpy as np
import pytest

from helpers import schedules


def test_step_decay_values():
    rate = schedules.step_decay(1.0, 0.5, 10)
    assert [rate(t) for t in (0, 9, 10, 19, 20, 35)] == pytest.approx([1, 1, 0.5, 0.5, 0.25, 0.125])


def test_exponential_decay_values():
    rate = schedules.exponential_decay(0.1, 0.9)
    assert [rate(t) for t in (0, 1, 2)] == pytest.approx([0.1, 0.09, 0.081])


def test_inverse_time_decay_values():
    rate = schedules.inverse_time_decay(1.0, 0.5)
    assert [rate(t) for t in (0, 2, 6)] == pytest.approx([1.0, 0.5, 0.25])


def test_schedules_accept_arrays_and_return_floats_for_scalars():
    rate = schedules.inverse_time_decay(2.0, 1.0)
    np.testing.assert_allclose(rate(np.arange(4)), [2.0, 1.0, 2 / 3, 0.5])
    assert isinstance(rate(3), float)


def test_schedule_errors():
    with pytest.raises(ValueError, match="t"):
        schedules.step_decay(1.0, 0.5, 10)(-1)
    with pytest.raises(ValueError, match="drop"):
        schedules.step_decay(1.0, 1.5, 10)
    with pytest.raises(ValueError, match="lr0"):
        schedules.exponential_decay(0.0, 0.9)
    with pytest.raises(ValueError, match="k"):
        schedules.inverse_time_decay(1.0, -1.0)
