"""Tests for helpers.activations: every registry record (and a toy one, SiLU) against finite
differences and its own stated range; the public functions' known values, invariants
(hypothesis), stability at extreme inputs, and clear errors for bad input.

Expected values come from hand calculation, the ``math`` module or a naive formula used
only where it cannot overflow, never from the function under test.
"""
from __future__ import annotations

import inspect
import math
import re
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import activations as act, layers
from numgrad import elementwise_derivative, numerical_gradient, rel_error
from toy_activation import SILU, with_silu  # noqa: F401  (a fixture)

TOL = 1e-6  # relative error allowed between an analytic and a numerical derivative

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


def float_arrays(low, high, away_from_zero=False):
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if away_from_zero:  # keep every stencil point (±2h = ±2e-4) on one side of a kink
        elements = elements.filter(lambda v: abs(v) > 1e-3)
    return hnp.arrays(np.float64, shapes, elements=elements)


def naive_sigmoid(z):
    """Reference: the textbook formula, safe here because |z| stays below 700."""
    z = np.asarray(z, dtype=np.float64)
    assert np.all(np.abs(z) < 700)
    return 1.0 / (1.0 + np.exp(-z))


def naive_softmax(z):
    """Reference: exp / sum without the max shift, safe for |z| < 300."""
    z = np.asarray(z, dtype=np.float64)
    assert np.all(np.abs(z) < 300)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


# --- known values --------------------------------------------------------------------

def test_sigmoid_known_values():
    z = np.array([0.0, math.log(3.0), -math.log(3.0), 2.0])
    expected = [0.5, 0.75, 0.25, 1.0 / (1.0 + math.exp(-2.0))]
    np.testing.assert_allclose(act.sigmoid(z), expected, rtol=1e-15, atol=0)


@given(float_arrays(-30, 30))
@settings(max_examples=30)
def test_sigmoid_matches_naive_formula_in_safe_range(z):
    np.testing.assert_allclose(act.sigmoid(z), naive_sigmoid(z), rtol=1e-13, atol=0)


@given(float_arrays(-20, 20))
@settings(max_examples=30)
def test_tanh_matches_math_tanh(z):
    expected = np.vectorize(math.tanh)(z)
    np.testing.assert_allclose(act.tanh(z), expected, rtol=1e-14, atol=1e-300)


def test_relu_and_leaky_relu_known_values():
    z = np.array([[-2.0, 0.0, 3.0], [1e-9, -1e-9, -7.5]])
    np.testing.assert_array_equal(act.relu(z), [[0.0, 0.0, 3.0], [1e-9, 0.0, 0.0]])
    np.testing.assert_allclose(
        act.leaky_relu(z, alpha=0.1), [[-0.2, 0.0, 3.0], [1e-9, -1e-10, -0.75]], rtol=1e-15
    )
    np.testing.assert_allclose(act.leaky_relu([-100.0]), [-1.0], rtol=1e-15)  # default alpha 0.01


def test_identity_is_the_identity():
    z = np.array([[-3.5, 0.0], [2.0, 1e300]])
    np.testing.assert_array_equal(act.identity(z), z)
    np.testing.assert_array_equal(act.identity_derivative(z), np.ones((2, 2)))
    np.testing.assert_array_equal(act.identity_derivative_from_output(z), np.ones((2, 2)))


def test_derivative_known_values():
    assert act.sigmoid_derivative(0.0) == 0.25
    assert act.sigmoid_derivative_from_output(0.5) == 0.25
    assert act.tanh_derivative(0.0) == 1.0
    assert act.tanh_derivative_from_output(0.5) == 0.75
    np.testing.assert_array_equal(act.relu_derivative([-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(act.relu_derivative_from_output([0.0, 2.0]), [0.0, 1.0])
    np.testing.assert_array_equal(
        act.leaky_relu_derivative([-1.0, 0.0, 2.0], alpha=0.2), [0.2, 0.2, 1.0]
    )
    np.testing.assert_array_equal(
        act.leaky_relu_derivative_from_output([-0.2, 2.0], alpha=0.2), [0.2, 1.0]
    )


def test_softmax_known_values():
    z = np.array([[0.0, 0.0, 0.0], [0.0, math.log(2.0), math.log(5.0)]])
    np.testing.assert_allclose(
        layers.softmax(z), [[1 / 3, 1 / 3, 1 / 3], [1 / 8, 2 / 8, 5 / 8]], rtol=1e-14
    )
    np.testing.assert_allclose(
        layers.log_softmax(z), np.log([[1 / 3, 1 / 3, 1 / 3], [1 / 8, 2 / 8, 5 / 8]]), rtol=1e-14
    )
    # a single row (1-D) is accepted too
    np.testing.assert_allclose(layers.softmax([0.0, math.log(3.0)]), [0.25, 0.75], rtol=1e-14)


@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6), st.floats(0.1, 30))
@settings(max_examples=30)
def test_softmax_and_log_softmax_match_naive_formula(seed, n, k, scale):
    z = np.random.default_rng(seed).normal(scale=scale, size=(n, k))
    np.testing.assert_allclose(layers.softmax(z), naive_softmax(z), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(
        layers.log_softmax(z), np.log(naive_softmax(z)), rtol=1e-12, atol=1e-12
    )


def test_integer_and_bool_input_become_float64_and_float32_stays():
    out = act.sigmoid(np.array([0, 0]))
    assert out.dtype == np.float64 and np.all(out == 0.5)
    assert act.relu(np.array([True, False])).dtype == np.float64
    assert act.sigmoid(np.zeros(3, dtype=np.float32)).dtype == np.float32
    assert layers.softmax([[1, 1]]).dtype == np.float64


# --- every record of the registry, and a toy one added by one record -----------------------

RECORDS = list(act.ACTIVATIONS.values()) + [SILU]
by_name = pytest.mark.parametrize("record", RECORDS, ids=lambda record: record.name)


@by_name
@given(z=float_arrays(-8, 8, away_from_zero=True))  # every stencil point on one side of a kink
@settings(max_examples=25)
def test_derivative_matches_finite_differences(record, z):
    assert rel_error(record.derivative(z), elementwise_derivative(record.function, z)) < TOL


@by_name
@given(z=float_arrays(-40, 40))
@settings(max_examples=25)
def test_derivative_from_output_agrees_with_derivative(record, z):
    if record.derivative_from_output is None:
        return  # f' is not a function of f (SiLU): networks use derivative(Z)
    np.testing.assert_allclose(record.derivative_from_output(record.function(z)), record.derivative(z),
                               rtol=1e-12, atol=1e-15)


@by_name
def test_output_stays_in_the_stated_range_and_fills_it(record):
    z = np.concatenate([[-1e300, -1e4, -800.0], np.linspace(-50, 50, 100_001), [800.0, 1e4, 1e300]])
    a = record.function(z)
    low, high = record.output_range
    assert low < high and np.all((low <= a) & (a <= high))
    for bound, extreme in ((low, a.min()), (high, a.max())):  # the range is tight
        if np.isfinite(bound):
            assert abs(extreme - bound) < 1e-3
        else:
            assert abs(extreme) > 1e6 and np.sign(extreme) == np.sign(bound)


@by_name
def test_kernels_keep_shape_dtype_and_input(record, rng):
    for shape in [(), (4,), (3, 2), (2, 3, 4)]:
        z = rng.normal(size=shape)
        before = z.copy()
        outputs = [record.function(z), record.derivative(z)]
        if record.derivative_from_output is not None:
            outputs.append(record.derivative_from_output(record.function(z)))
        for out in outputs:
            assert np.shape(out) == shape and np.asarray(out).dtype == np.float64
        np.testing.assert_array_equal(z, before)


@by_name
def test_gain_and_colour_are_usable(record):
    assert record.gain > 0 and re.fullmatch(r"C\d", record.colour)


def test_records_state_the_course_values():
    table = {name: (record.name, record.output_range, record.gain, record.colour)
             for name, record in act.ACTIVATIONS.items()}
    inf = math.inf
    assert table == {
        "sigmoid": ("sigmoid", (0.0, 1.0), 1.0, "C0"),
        "tanh": ("tanh", (-1.0, 1.0), 1.0, "C1"),
        "relu": ("relu", (0.0, inf), 2.0, "C2"),
        "leaky_relu": ("leaky_relu", (-inf, inf), 2.0, "C4"),
        "identity": ("identity", (-inf, inf), 1.0, "C7"),
    }
    colours = [record.colour for record in act.ACTIVATIONS.values()]
    assert len(set(colours)) == len(colours)


@pytest.mark.parametrize("name", sorted(act.ACTIVATIONS))
def test_public_functions_check_and_call_the_records_kernels(name, rng):
    record = act.get_activation(name)
    suffixes = {"function": "", "derivative": "_derivative", "derivative_from_output": "_derivative_from_output"}
    z = rng.normal(size=(3, 4)) * 3
    for field, suffix in suffixes.items():
        public = getattr(act, name + suffix)
        assert public.kernel is getattr(record, field)  # what the delegation guard blocks too
        np.testing.assert_array_equal(public(z.tolist()), getattr(record, field)(z))


def test_hidden_activations_are_the_registry_without_identity(with_silu):
    assert act.hidden_activations() == ["sigmoid", "tanh", "relu", "leaky_relu", "silu"]
    assert act.get_activation("silu") is SILU


@pytest.mark.parametrize("alpha", [0.01, 0.3])
@given(z=float_arrays(-50, 50, away_from_zero=True))
@settings(max_examples=15)
def test_leaky_relu_derivatives_with_any_alpha(alpha, z):
    numeric = elementwise_derivative(partial(act.leaky_relu, alpha=alpha), z)
    assert rel_error(act.leaky_relu_derivative(z, alpha), numeric) < TOL
    assert rel_error(act.leaky_relu_derivative_from_output(act.leaky_relu(z, alpha), alpha), numeric) < TOL


ROW_LAYERS = {"softmax": (layers.softmax, layers.softmax_backward),
              "log_softmax": (layers.log_softmax, layers.log_softmax_backward)}


@pytest.mark.parametrize("name", sorted(ROW_LAYERS))
@given(st.integers(0, 2**32 - 1), st.integers(1, 5), st.integers(1, 6), st.floats(0.1, 5))
@settings(max_examples=25)
def test_row_layer_backward_matches_finite_differences(name, seed, n, k, scale):
    # CS231n style: contract with a random upstream gradient G, check d(sum G*f(z))/dz.
    forward, backward = ROW_LAYERS[name]
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=(n, k))
    upstream = rng.normal(size=(n, k))
    numeric = numerical_gradient(lambda: np.sum(upstream * forward(z)), z)
    analytic = backward(forward(z), upstream)
    assert analytic.shape == z.shape
    assert rel_error(analytic, numeric) < TOL


def test_softmax_backward_accepts_a_single_row():
    z = np.array([0.3, -1.2, 2.0])
    upstream = np.array([1.0, -2.0, 0.5])
    numeric = numerical_gradient(lambda: np.sum(upstream * layers.softmax(z)), z)
    assert rel_error(layers.softmax_backward(layers.softmax(z), upstream), numeric) < TOL
    numeric = numerical_gradient(lambda: np.sum(upstream * layers.log_softmax(z)), z)
    assert rel_error(layers.log_softmax_backward(layers.log_softmax(z), upstream), numeric) < TOL


# --- invariants ------------------------------------------------------------------------

@given(float_arrays(-50, 50))
@settings(max_examples=40)
def test_sigmoid_is_point_symmetric(z):
    np.testing.assert_allclose(act.sigmoid(-z), 1.0 - act.sigmoid(z), rtol=0, atol=1e-15)
    assert np.all((act.sigmoid(z) >= 0) & (act.sigmoid(z) <= 1))


@given(float_arrays(-20, 20))
@settings(max_examples=40)
def test_tanh_is_a_rescaled_sigmoid(z):
    np.testing.assert_allclose(act.tanh(z), 2.0 * act.sigmoid(2.0 * z) - 1.0, rtol=0, atol=1e-15)


@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 8), st.floats(0.1, 50))
@settings(max_examples=40)
def test_softmax_rows_are_distributions_and_ignore_a_row_shift(seed, n, k, scale):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=scale, size=(n, k))
    shift = rng.uniform(-100, 100, size=(n, 1))
    p = layers.softmax(z)
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=1), np.ones(n), rtol=0, atol=1e-12)
    np.testing.assert_allclose(layers.softmax(z + shift), p, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(layers.log_softmax(z + shift), layers.log_softmax(z), rtol=1e-9, atol=1e-9)


@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.just(2)),
                  elements=st.floats(-30, 30, allow_nan=False)))
@settings(max_examples=40)
def test_two_class_softmax_is_the_sigmoid_of_the_logit_difference(z):
    p = layers.softmax(z)
    expected = naive_sigmoid(z[:, 0] - z[:, 1])
    np.testing.assert_allclose(p[:, 0], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(p[:, 1], 1.0 - expected, rtol=1e-12, atol=1e-15)


@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 8), st.floats(0.1, 100))
@settings(max_examples=40)
def test_log_softmax_is_log_of_softmax_where_finite(seed, n, k, scale):
    z = np.clip(np.random.default_rng(seed).normal(scale=scale, size=(n, k)), -300, 300)
    p = layers.softmax(z)
    finite = p > np.finfo(np.float64).tiny  # log of a subnormal has lost its precision
    with np.errstate(divide="ignore"):
        logged = np.log(p)
    np.testing.assert_allclose(layers.log_softmax(z)[finite], logged[finite], rtol=1e-9, atol=1e-12)
    assert np.all(np.isfinite(layers.log_softmax(z)))


# --- stability at extreme inputs ----------------------------------------------------------

def test_sigmoid_saturates_exactly_without_warnings():
    with np.errstate(all="raise"):
        out = act.sigmoid(np.array([-1e4, 1e4, -1e300, 1e300, -800.0, 800.0]))
        assert out.tolist() == [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
        assert act.sigmoid(-1e4) == 0.0 and act.sigmoid(1e4) == 1.0
        np.testing.assert_array_equal(act.sigmoid_derivative([-1e4, 1e4]), [0.0, 0.0])
        np.testing.assert_array_equal(act.tanh([-1e4, 1e4]), [-1.0, 1.0])
        np.testing.assert_array_equal(act.tanh_derivative([-1e4, 1e4]), [0.0, 0.0])
        # still positive, not rounded to 0, just before the float limit
        assert 0.0 < act.sigmoid(-700.0) < 1e-300


def test_softmax_and_log_softmax_of_huge_logits_without_warnings():
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0], [1000.0, 1000.0], [-1000.0, -1000.0]])
    with np.errstate(all="raise"):
        p = layers.softmax(z)
        log_p = layers.log_softmax(z)
        grad_z = layers.softmax_backward(p, np.ones_like(p))
        grad_log_z = layers.log_softmax_backward(log_p, np.ones_like(p))
    np.testing.assert_allclose(p, [[1, 0], [0, 1], [0.5, 0.5], [0.5, 0.5]], rtol=0, atol=1e-300)
    ln2 = math.log(2.0)
    np.testing.assert_allclose(
        log_p, [[0, -2000], [-2000, 0], [-ln2, -ln2], [-ln2, -ln2]], rtol=1e-15, atol=0
    )
    assert np.all(np.isfinite(grad_z)) and np.all(np.isfinite(grad_log_z))
    # a constant upstream gradient on probabilities that sum to 1 has no effect
    np.testing.assert_allclose(grad_z, np.zeros_like(p), atol=1e-15)


# --- bad input -----------------------------------------------------------------------------

ELEMENTWISE = [
    act.sigmoid, act.sigmoid_derivative, act.sigmoid_derivative_from_output,
    act.tanh, act.tanh_derivative, act.tanh_derivative_from_output,
    act.relu, act.relu_derivative, act.relu_derivative_from_output,
    act.leaky_relu, act.leaky_relu_derivative, act.leaky_relu_derivative_from_output,
    act.identity, act.identity_derivative,
]
ROWWISE = [layers.softmax, layers.log_softmax]


@pytest.mark.parametrize("function", ELEMENTWISE + ROWWISE, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("abc", "numbers"),
        (["1.0", "2.0"], "numbers"),
        (np.array([1.0, None], dtype=object), "numbers"),
        (np.array([1.0, 2.0], dtype=object), "numbers"),
        (np.array([1 + 2j, 0j]), "real"),
        ([[1.0, 2.0], [3.0]], "array-like"),
        (None, "numbers"),
    ],
    ids=["str", "str-list", "object-None", "object-floats", "complex", "ragged", "None"],
)
def test_non_numeric_input_raises_type_error_naming_the_argument(function, bad, fragment):
    argument = next(iter(inspect.signature(function).parameters))  # z, a or logits
    with pytest.raises(TypeError, match=rf"^{argument} must .*{fragment}"):
        function(bad)


@pytest.mark.parametrize("function", ELEMENTWISE + ROWWISE, ids=lambda f: f.__name__)
def test_float32_in_is_float32_out_and_other_numbers_become_float64(function):
    """A caller may ask for single precision on purpose (as_float_array keeps it); ints become float64."""
    z = np.array([[-1.5, 0.0, 2.0]])
    assert function(z.astype(np.float32)).dtype == np.float32
    assert function(np.array([[-1, 0, 2]])).dtype == np.float64


@pytest.mark.parametrize("function", ROWWISE, ids=lambda f: f.__name__)
def test_softmax_needs_one_or_two_dimensions_and_a_class(function):
    with pytest.raises(ValueError, match=r"^logits must have 1 or 2 dimension.*\(2, 2, 2\)"):
        function(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"dimension.*\(\)"):
        function(1.0)
    with pytest.raises(ValueError, match=r"^logits needs at least one class.*\(3, 0\)"):
        function(np.zeros((3, 0)))


@pytest.mark.parametrize("backward, first, second", [
    (layers.softmax_backward, "probs", "grad_probs"),
    (layers.log_softmax_backward, "log_probs", "grad_log_probs"),
])
def test_softmax_backward_rejects_bad_input_naming_the_argument(backward, first, second):
    with pytest.raises(ValueError, match=rf"^{first} and {second} must have the same shape.*\(2, 3\).*\(3, 2\)"):
        backward(np.full((2, 3), 1 / 3), np.zeros((3, 2)))
    with pytest.raises(TypeError, match=rf"^{second} must hold numbers"):
        backward(np.full((2, 3), 1 / 3), "grad")
    with pytest.raises(TypeError, match=rf"^{first} must hold numbers"):
        backward("probs", np.zeros((2, 3)))
    with pytest.raises(ValueError, match=rf"^{first} needs at least one class"):
        backward(np.zeros((2, 0)), np.zeros((2, 0)))
    with pytest.raises(ValueError, match=rf"^{second} needs at least one class"):
        backward(np.zeros((2, 3)), np.zeros((2, 0)))


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.0, 1.5, float("nan"), float("inf")])
@pytest.mark.parametrize(
    "function", [act.leaky_relu, act.leaky_relu_derivative, act.leaky_relu_derivative_from_output]
)
def test_leaky_relu_rejects_alpha_outside_the_unit_interval(function, alpha):
    with pytest.raises(ValueError, match=r"^alpha must (lie in \(0, 1\)|be)"):
        function(np.array([1.0, -1.0]), alpha=alpha)


@pytest.mark.parametrize("name", ["swish", "Sigmoid", "", None, ["relu"]])
def test_unknown_activation_lists_the_known_names(name):
    with pytest.raises(ValueError, match="unknown activation") as info:
        act.get_activation(name)
    for known in ("identity", "leaky_relu", "relu", "sigmoid", "tanh"):
        assert known in str(info.value)


@pytest.mark.parametrize("alpha, error", [(np.array([0.1, 0.2]), TypeError), ("0.1", TypeError),
                                          (float("nan"), ValueError), (1.5, ValueError)])
def test_leaky_relu_names_a_bad_alpha(alpha, error):
    for function in (act.leaky_relu, act.leaky_relu_derivative):
        with pytest.raises(error, match="^alpha must"):
            function(np.ones(2), alpha=alpha)
