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
    with pytest.raises(ValueError, match=r"t \(epoch or step\) must be finite and >= 0, got -1"):
        schedules.step_decay(1.0, 0.5, 10)(-1)
    with pytest.raises(ValueError, match="drop"):
        schedules.step_decay(1.0, 1.5, 10)
    with pytest.raises(ValueError, match="lr0"):
        schedules.exponential_decay(0.0, 0.9)
    with pytest.raises(ValueError, match="k must be a finite number >= 0"):
        schedules.inverse_time_decay(1.0, -1.0)


# --- the boundaries the docstrings promise, and errors that name their argument --------------

def test_the_closed_ends_of_each_range_are_accepted():
    """drop and rate lie in [0, 1] (1: no decay at all), k >= 0 (0: constant), t >= 0."""
    assert [schedules.step_decay(0.3, 1.0, 2)(t) for t in (0, 5)] == [0.3, 0.3]
    assert [schedules.step_decay(0.3, 0.0, 2)(t) for t in (1, 2)] == [0.3, 0.0]
    assert [schedules.exponential_decay(0.3, 1.0)(t) for t in (0, 7)] == [0.3, 0.3]
    assert [schedules.inverse_time_decay(0.3, 0.0)(t) for t in (0, 7)] == [0.3, 0.3]


def test_step_decay_drops_only_once_a_whole_period_has_passed():
    rate = schedules.step_decay(1.0, 0.5, 3)
    assert [rate(t) for t in (2.999, 3.0, 5.5, 6.0)] == [1.0, 0.5, 0.5, 0.25]


@pytest.mark.parametrize("make, message", [
    (lambda: schedules.step_decay(0.0, 0.5, 10), "lr0 must be a finite number > 0, got 0.0"),
    (lambda: schedules.step_decay(1.0, 0.5, 0), "every must be a finite number > 0, got 0"),
    (lambda: schedules.step_decay(1.0, 1.5, 10), r"drop must lie in \[0, 1\], got 1.5"),
    (lambda: schedules.exponential_decay(-1.0, 0.9), "lr0 must be a finite number > 0, got -1.0"),
    (lambda: schedules.exponential_decay(1.0, -0.1), r"rate must lie in \[0, 1\], got -0.1"),
    (lambda: schedules.inverse_time_decay(float("inf"), 0.1), "lr0 must be a finite number, got inf"),
])
def test_each_bad_setting_is_named(make, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        make()


@pytest.mark.parametrize("t", [float("nan"), float("inf"), [1.0, -0.5]])
def test_a_time_that_is_not_finite_and_non_negative_is_refused(t):
    with pytest.raises(ValueError, match=r"^t \(epoch or step\) must be finite and >= 0"):
        schedules.exponential_decay(0.1, 0.9)(t)


@pytest.mark.parametrize("t", [4, 4.0, np.float64(4.0), np.array(4.0)])
def test_a_scalar_time_gives_a_python_float(t):
    value = schedules.inverse_time_decay(1.0, 0.25)(t)
    assert type(value) is float and value == 0.5


def test_a_time_of_the_wrong_type_is_named():
    with pytest.raises(TypeError, match="^t "):
        schedules.exponential_decay(0.1, 0.9)("three")
