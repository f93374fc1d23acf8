"""The comparisons test cells call (helpers.checks), at the edges their docstrings promise:
default tolerances, near misses, the float32 hint, tiny and huge magnitudes, and what
``call_checked`` counts as the same result. (tests/helpers/test_checks.py has the rest.)
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import checks
from helpers.gradcheck import DEFAULT_TOLERANCE

# --- check_array: rtol = 1e-7 and atol = 1e-12 by default ----------------------------------


@pytest.mark.parametrize("actual, expected", [
    ([5e-13], [0.0]),                 # within atol of zero
    ([1.0 + 5e-8], [1.0]),            # within rtol
    ([1e300 * (1 + 5e-8)], [1e300]),  # rtol scales with the expected value
    ([-2.0, 3e-13], [-2.0, 0.0]),
])
def test_check_array_accepts_what_its_default_tolerances_allow(actual, expected):
    np.testing.assert_array_equal(checks.check_array("out", actual, expected), actual)


@pytest.mark.parametrize("actual, expected, got", [
    ([5e-7], [0.0], "got 5e-07, expected 0"),            # far beyond atol = 1e-12
    ([2e-12], [0.0], "got 2e-12, expected 0"),
    ([1.0 + 5e-7], [1.0], "got 1.0000005, expected 1"),  # beyond rtol = 1e-7
    ([1e300 * (1 + 5e-7)], [1e300], r"got 1.0000005e\+300, expected 1e\+300"),
])
def test_check_array_refuses_what_its_default_tolerances_do_not_allow(actual, expected, got):
    with pytest.raises(AssertionError, match=rf"^out is wrong at index \(0,\): {got}"):
        checks.check_array("out", actual, expected)


def test_check_array_tolerances_can_be_widened_by_name():
    checks.check_array("out", [5e-7], [0.0], atol=1e-6)
    checks.check_array("out", [1.0 + 5e-7], [1.0], rtol=1e-6)
    with pytest.raises(AssertionError, match="out is wrong"):
        checks.check_array("out", [5e-7], [0.0], rtol=1.0)  # rtol scales 0: only atol helps at zero


def test_check_array_blames_the_largest_difference():
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[0, 1], actual[1, 2] = 0.5, -2.0
    with pytest.raises(AssertionError, match=r"index \(1, 2\): got -2, expected 0\.$"):
        checks.check_array("A", actual, expected)


def test_check_array_a_number_where_nan_is_expected_is_wrong():
    with pytest.raises(AssertionError, match=r"v is wrong at index \(1,\): got 3, expected nan"):
        checks.check_array("v", [1.0, 3.0], [1.0, np.nan])
    with pytest.raises(AssertionError, match=r"v is wrong at index \(0,\): got 3, expected nan"):
        checks.check_array("v", [3.0, 1.5], [np.nan, 1.0])  # blamed before a finite gap of 0.5


@pytest.mark.parametrize("actual, expected, blamed", [
    ([1.0, 1.0, 1.001], [1.0, 1.0, 1.0], r"index \(2,\): got 1.001, expected 1\."),  # every gap below 1
    ([1.1, -1.0], [1.0, 1.0], r"index \(1,\): got -1, expected 1\."),            # a gap, not a sum
])
def test_check_array_blames_the_entry_that_is_furthest_off(actual, expected, blamed):
    with pytest.raises(AssertionError, match=blamed):
        checks.check_array("A", actual, expected)


@pytest.mark.filterwarnings("ignore:overflow encountered in subtract:RuntimeWarning:numpy")  # np.isclose's own
def test_check_array_of_numbers_at_the_ends_of_float64():
    """1e308 − (−1e308) overflows to inf: still the entry to blame, and no warning from helpers."""
    with pytest.raises(AssertionError, match=r"^v is wrong at index \(0,\): got 1e\+308, expected -1e\+308\.$"):
        checks.check_array("v", [1e308], [-1e308])


@pytest.mark.parametrize("actual, message", [
    (None, r"^out is None: did you forget to return it\?$"),
    ("abc", r"^out should be a NumPy array of numbers, got str\.$"),
])
def test_check_array_names_a_missing_or_unreadable_answer(actual, message):
    with pytest.raises(AssertionError, match=message):
        checks.check_array("out", actual, [1.0])


def test_check_array_nan_where_a_number_is_expected_names_the_likely_cause():
    with pytest.raises(AssertionError, match=r"^a contains NaN where a number is expected: look for 0/0 or inf − inf\.$"):
        checks.check_array("a", [np.nan, 1.0], [0.5, 1.0])


def float32_of(x):
    """What a student's float32 computation returns once cast back: float32 numbers near x."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def test_check_array_says_when_the_answer_looks_like_single_precision():
    """float32 rounding (a relative 3e-8 at most) passes rtol = 1e-7; a tighter check names it."""
    expected = np.array([0.1, 1 / 3, 2.0 / 7])
    checks.check_array("out", float32_of(expected), expected)
    with pytest.raises(AssertionError, match=r"^out is wrong at index \(2,\): got 0.2857142985, expected 0.2857142857; it agrees "
                                             r"to about 6 significant digits, which is what single-precision \(float32\)"):
        checks.check_array("out", float32_of(expected), expected, rtol=1e-10)


@pytest.mark.parametrize("actual", [
    float32_of([0.1, 1 / 3, 0.3]),                       # float32 numbers, but one entry far off
    np.array([0.1, 1 / 3, 2.0 / 7]) * (1 + 1e-6),       # close, but not float32 numbers
])
def test_check_array_does_not_blame_single_precision_for_other_mistakes(actual):
    with pytest.raises(AssertionError, match="out is wrong") as error:
        checks.check_array("out", actual, [0.1, 1 / 3, 2.0 / 7], rtol=1e-10)
    assert "float32" not in str(error.value)


def test_check_array_does_not_blame_single_precision_for_a_small_number_that_should_be_zero():
    with pytest.raises(AssertionError, match=r"^out is wrong at index \(1,\): got 4.99999997e-09, expected 0\.$"):
        checks.check_array("out", float32_of([0.1, 5e-9]), [0.1, 0.0], rtol=1e-10)  # 5e-9 is far beyond atol


# --- check_gradient: the gradient check's own tolerance and the diagnosis ------------------

@pytest.fixture
def grad(rng):
    return rng.normal(size=(4, 3))


def test_check_gradient_default_tolerance_is_the_gradient_checks(grad):
    assert DEFAULT_TOLERANCE == 1e-6
    checks.check_gradient("dW", grad * (1 + 1.5e-6), grad)  # relative error 7.5e-7
    with pytest.raises(AssertionError, match=r"^dW is wrong: relative error 1\.50e-06 \(we accept 1e-06\)"):
        checks.check_gradient("dW", grad * (1 + 3e-6) + 1e-9 * grad[::-1], grad)


def test_check_gradient_passes_the_batch_size_and_name_to_the_diagnosis(grad):
    with pytest.raises(AssertionError, match=r"^db is off by a factor 8 = batch size"):
        checks.check_gradient("db", 8 * grad, grad, batch_size=8)
    with pytest.raises(AssertionError, match=r"^db is 8 times the true gradient"):
        checks.check_gradient("db", 8 * grad, grad)


@pytest.mark.parametrize("scale", [1e-8, 1e150])
def test_check_gradient_at_tiny_and_huge_magnitudes(grad, scale):
    np.testing.assert_array_equal(checks.check_gradient("dW", scale * grad, scale * grad), scale * grad)
    with pytest.raises(AssertionError, match="dW has the wrong sign"):
        checks.check_gradient("dW", -scale * grad, scale * grad)


def test_check_gradient_returns_floats(grad):
    got = checks.check_gradient("dW", grad.tolist(), grad)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    whole = checks.check_gradient("db", [[1, 2, 3]], np.array([[1.0, 2.0, 3.0]]))  # integers in, floats out
    assert whole.dtype == np.float64


# --- cases and call_checked -------------------------------------------------------------------

def test_cases_seed_each_case_by_seed_and_number():
    (rng0, shape0), (rng1, shape1) = checks.cases(5, [(2,), [3, 1]])
    assert (shape0, shape1) == ((2,), (3, 1))
    np.testing.assert_array_equal(rng0.random(3), np.random.default_rng([5, 0]).random(3))
    np.testing.assert_array_equal(rng1.random(3), np.random.default_rng([5, 1]).random(3))


@pytest.mark.parametrize("first, second", [
    ({"W": np.ones(2)}, {"W": np.ones(2), "b": np.zeros(1)}),  # a key more
    ({"W": np.ones(2)}, {"V": np.ones(2)}),                     # another key
    ([1.0, 2.0], [1.0, 2.0, 3.0]),                              # a list that grew
    ((np.zeros(2), 1.0), (np.zeros(2), 1.5)),                   # one entry of a tuple
    (np.array([1.0, np.nan]), np.array([1.0, 2.0])),            # NaN is not a number
    (1e-300, 2e-300),                                           # tiny, but different
])
def test_call_checked_notices_a_second_result_that_differs(first, second):
    results = iter([first, second])
    with pytest.raises(AssertionError, match=r"^f returned a different result when called twice with the same input: "
                                             r"does it keep state between calls\?$"):
        checks.call_checked("f", lambda: next(results))


@pytest.mark.parametrize("result", [
    {"W": np.array([1.0, np.nan]), "b": [0.0, (1.0, 2.0)]},  # NaN equals NaN; nested containers
    "text",                                                  # not numbers: not compared
    np.random.default_rng(0),
])
def test_call_checked_accepts_the_same_result_twice(result):
    assert checks.call_checked("f", lambda: result) is result


def test_call_checked_names_the_argument_it_changed():
    def scale_second(a, b):
        b *= 2.0
        return a

    with pytest.raises(AssertionError, match=r"^g changed its argument number 2 in place: work on a copy\.$"):
        checks.call_checked("g", scale_second, np.ones(2), np.ones(3))


def test_call_checked_notices_a_result_of_another_kind():
    results = iter([{"W": np.ones(2)}, [np.ones(2)]])
    with pytest.raises(AssertionError, match="f returned a different result when called twice"):
        checks.call_checked("f", lambda: next(results))
