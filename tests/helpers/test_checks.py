"""Tests for helpers.checks: the messages a student reads, independent random cases,
the double-call check, name substitution, and the guard against calling the reference.
"""
from __future__ import annotations

import numpy as np
import pytest

import helpers
import helpers.activations
import helpers.network
import helpers.neuron
import helpers.losses
from helpers import checks
from helpers.activations import ACTIVATIONS, get_activation
from helpers.checks import DelegationError, reference_unavailable, substituted

MODULE_LEVEL_NAME = "original"


# --- check_array -------------------------------------------------------------------------

def test_check_array_passes_and_returns_floats():
    got = checks.check_array("out", [1, 2, 3], np.array([1.0, 2.0, 3.0 + 1e-12]))
    assert isinstance(got, np.ndarray) and got.dtype == np.float64
    assert np.array_equal(got, [1.0, 2.0, 3.0])


def test_check_array_tolerances():
    with pytest.raises(AssertionError, match=r"out is wrong at index \(0,\): got 1.00001, expected 1\."):
        checks.check_array("out", [1.0 + 1e-5], [1.0])
    checks.check_array("out", [1.0 + 1e-5], [1.0], rtol=1e-4)


def test_check_array_shape_message():
    with pytest.raises(AssertionError, match=r"^z has shape \(3,\), expected \(3, 1\)\.$"):
        checks.check_array("z", np.zeros(3), np.zeros((3, 1)))


def test_check_array_nan_message():
    with pytest.raises(AssertionError, match="a contains NaN"):
        checks.check_array("a", [0.5, np.nan], [0.5, 0.25])


def test_check_array_names_the_wrong_entry():
    expected = np.arange(12.0).reshape(3, 4)
    actual = expected.copy()
    actual[1, 2] = -40.0
    actual[2, 3] += 1e-3
    with pytest.raises(AssertionError, match=r"W is wrong at index \(1, 2\): got -40, expected 6\."):
        checks.check_array("W", actual, expected)


def test_check_array_matching_nan_and_inf_are_not_blamed():
    # NaN/inf that match are fine; the message must point at the entry that differs
    expected = np.array([np.nan, np.inf, 1.0, 2.0])
    checks.check_array("v", expected.copy(), expected)
    actual = np.array([np.nan, np.inf, 1.0, 5.0])
    with pytest.raises(AssertionError, match=r"index \(3,\): got 5, expected 2"):
        checks.check_array("v", actual, expected)


def test_check_array_infinite_entry_is_reported():
    with pytest.raises(AssertionError, match=r"index \(1,\): got inf"):
        checks.check_array("v", [1.0, np.inf], [1.0, 2.0])


def test_check_array_none_means_missing_return():
    with pytest.raises(AssertionError, match="forget to return"):
        checks.check_array("sigmoid(z)", None, [0.5])


def test_check_array_not_numbers():
    with pytest.raises(AssertionError, match="array of numbers, got str"):
        checks.check_array("out", "abc", [1.0])


# --- check_gradient ----------------------------------------------------------------------

@pytest.fixture
def grad(rng):
    return rng.normal(size=(5, 2))


def test_check_gradient_passes(grad):
    got = checks.check_gradient("dW", grad.tolist(), grad)
    assert np.array_equal(got, grad)


def test_check_gradient_none(grad):
    with pytest.raises(AssertionError, match="dW is None: did you forget to return it"):
        checks.check_gradient("dW", None, grad)


@pytest.mark.parametrize("actual, kwargs, fragment", [
    (lambda g: -g, {}, "dW has the wrong sign"),
    (lambda g: 2 * g, {}, "factor 2"),
    (lambda g: 32 * g, {"batch_size": 32}, "factor 32 = batch size"),
    (lambda g: g.T, {}, "transposed"),
    (lambda g: np.zeros_like(g), {}, "all zeros"),
])
def test_check_gradient_messages(grad, actual, kwargs, fragment):
    with pytest.raises(AssertionError, match=fragment):
        checks.check_gradient("dW", actual(grad), grad, **kwargs)


def test_check_gradient_known_mistake_and_tolerance(grad):
    mistaken = grad + np.arange(10.0).reshape(5, 2)
    with pytest.raises(AssertionError, match="common mistake: you forgot the bias"):
        checks.check_gradient("dW", mistaken, grad, known_mistakes={"you forgot the bias": mistaken})
    checks.check_gradient("dW", grad * (1 + 1e-3), grad, tolerance=1e-2)


# --- cases -------------------------------------------------------------------------------

SHAPES = [(3, 2), [4], (2, 2, 2)]


def test_cases_yield_tuples_of_shapes():
    got = list(checks.cases(7, SHAPES))
    assert [shape for _, shape in got] == [(3, 2), (4,), (2, 2, 2)]
    assert all(isinstance(r, np.random.Generator) for r, _ in got)


def test_cases_are_independent_of_order_and_consumption():
    fresh = [r.normal(size=s) for r, s in checks.cases(7, SHAPES)]
    # consume a lot from the first case, then read the others in reverse order
    generators = list(checks.cases(7, SHAPES))
    generators[0][0].normal(size=1000)
    reversed_draws = {i: generators[i][0].normal(size=generators[i][1]) for i in (2, 1)}
    for i in (2, 1):
        assert np.array_equal(reversed_draws[i], fresh[i])
    # and lazily: drawing heavily from case 0 before asking for case 1
    lazy = checks.cases(7, SHAPES)
    first, _ = next(lazy)
    first.normal(size=500)
    second, shape = next(lazy)
    assert np.array_equal(second.normal(size=shape), fresh[1])


def test_cases_differ_between_cases_and_seeds():
    a = [r.normal(size=3) for r, _ in checks.cases(1, [(3,), (3,)])]
    b = [r.normal(size=3) for r, _ in checks.cases(2, [(3,), (3,)])]
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], b[0])


# --- call_checked ------------------------------------------------------------------------

def test_call_checked_pure_function():
    calls = []

    def double(x, y):
        calls.append(1)
        return 2 * x + y

    x, y = np.arange(3.0), np.ones(3)
    assert np.array_equal(checks.call_checked("double", double, x, y), [1.0, 3.0, 5.0])
    assert len(calls) == 2
    assert np.array_equal(x, [0.0, 1.0, 2.0])


def test_call_checked_pure_function_with_tuple_scalar_and_none_results():
    assert checks.call_checked("f", lambda x: (x.sum(), x * 2, 1.5), np.ones(2))[0] == 2.0
    assert checks.call_checked("f", lambda x: None, np.ones(2)) is None


@pytest.mark.parametrize("position", [0, 1])
def test_call_checked_detects_in_place_mutation(position):
    def scale(a, b):
        (a, b)[position][...] *= 2
        return a + b

    with pytest.raises(AssertionError, match=f"changed its argument number {position + 1} in place"):
        checks.call_checked("scale", scale, np.ones(3), np.ones(3))


def test_call_checked_detects_hidden_state():
    total = np.zeros(2)

    def accumulate(x):
        total[...] += x  # state kept between calls
        return total.copy()

    with pytest.raises(AssertionError, match="different result when called twice"):
        checks.call_checked("accumulate", accumulate, np.ones(2))


def test_call_checked_detects_hidden_state_in_one_tuple_entry():
    counter = []

    def f(x):
        counter.append(1)
        return x, float(len(counter))

    with pytest.raises(AssertionError, match="keep state"):
        checks.call_checked("f", f, np.ones(2))


def test_call_checked_dict_results_and_arguments():
    # parameters and gradients travel as dicts of arrays in the later notebooks
    params = {"W1": np.ones((2, 2)), "b1": np.zeros(2)}
    step = lambda p: {key: value - 0.1 for key, value in p.items()}  # noqa: E731
    got = checks.call_checked("step", step, params)
    assert np.array_equal(got["W1"], np.full((2, 2), 0.9))

    def step_in_place(p):
        p["W1"] -= 0.1
        return p

    with pytest.raises(AssertionError, match="changed its argument number 1 in place"):
        checks.call_checked("step", step_in_place, {"W1": np.ones((2, 2)), "b1": np.zeros(2)})

    calls = []

    def drifting(p):
        calls.append(1)
        return {"W1": p["W1"] * len(calls)}

    with pytest.raises(AssertionError, match="keep state"):
        checks.call_checked("step", drifting, params)


# --- substituted -------------------------------------------------------------------------

def test_substituted_rebinds_and_restores():
    old, new, extra = (lambda: "old"), (lambda: "new"), (lambda: "extra")
    namespace = {"helper": old, "other": 1}
    with substituted(namespace, helper=new, added=extra) as context:
        assert isinstance(context, substituted)
        assert namespace["helper"] is new and namespace["added"] is extra
        assert namespace["other"] == 1
    assert namespace == {"helper": old, "other": 1}
    assert namespace["helper"] is old


def test_substituted_restores_on_exception_and_lets_it_through():
    namespace = {"helper": len}
    with pytest.raises(KeyError, match="student bug"):
        with substituted(namespace, helper=sum, brand_new=max):
            raise KeyError("student bug")
    assert namespace == {"helper": len}


def test_substituted_defaults_to_the_callers_globals():
    with substituted(MODULE_LEVEL_NAME="replaced"):
        assert MODULE_LEVEL_NAME == "replaced"
    assert MODULE_LEVEL_NAME == "original"
    assert "NEVER_DEFINED" not in globals()


def test_substituted_keeps_the_students_function_where_the_course_has_only_a_stub(monkeypatch, capsys):
    from helpers import activations, notebook

    monkeypatch.setattr(notebook, "ABSENT", frozenset({"helpers.activations:sigmoid"}))
    mine, tanh = (lambda z: "mine"), activations.tanh
    namespace = {"sigmoid": mine, "tanh": None}
    with substituted(namespace, sigmoid=activations.sigmoid, tanh=tanh):
        assert namespace["sigmoid"] is mine and namespace["tanh"] is tanh
    assert namespace == {"sigmoid": mine, "tanh": None}
    note = capsys.readouterr().out
    assert "runs with your own sigmoid" in note and "the grader uses the course's" in note
    with substituted(namespace, tanh=tanh):
        pass
    assert capsys.readouterr().out == ""  # nothing absent, nothing to say


# --- reference_unavailable ---------------------------------------------------------------

Z = np.linspace(-3, 3, 7)
REAL_SIGMOID = helpers.activations.sigmoid


def own_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def codes_of_sigmoid():
    """The code of the reference sigmoid and of its kernel, to check restoration."""
    return REAL_SIGMOID.__code__, REAL_SIGMOID.kernel.__code__, REAL_SIGMOID.__defaults__


def test_blocks_module_attribute_and_restores():
    before = codes_of_sigmoid()
    with pytest.raises(DelegationError, match="helpers.activations.sigmoid"):
        with reference_unavailable(helpers.activations.sigmoid):
            helpers.activations.sigmoid(Z)
    assert codes_of_sigmoid() == before
    np.testing.assert_allclose(helpers.activations.sigmoid(Z), own_sigmoid(Z))


def test_blocks_every_way_a_student_can_hold_the_reference():
    """A name imported into the notebook, an alias in another module, a registry record, a
    default argument and a closure: all lead to the same function, so all trip."""
    namespace = {"sigmoid": REAL_SIGMOID, "np": np}
    exec("def imported(z):\n    return sigmoid(z) * 1.0\n"
         "def default(z, kept=sigmoid):\n    return kept(z)\n"
         "def closure():\n    kept = sigmoid\n    return lambda z: kept(z)\n", namespace)
    routes = {"imported": namespace["imported"], "default": namespace["default"], "closure": namespace["closure"](),
              "alias": helpers.losses.sigmoid, "registry": get_activation("sigmoid").function}
    for route, student in routes.items():
        with pytest.raises(DelegationError, match="reference this exercise asks you to write"):
            with reference_unavailable(REAL_SIGMOID):
                student(Z)
        np.testing.assert_allclose(student(Z), own_sigmoid(Z), err_msg=route)


def test_blocks_a_method_on_a_helpers_class(rng):
    original = helpers.network.MLP.backward
    model = helpers.network.MLP.create([3, 4, 2], ["sigmoid", "identity"], rng)
    X = rng.normal(size=(5, 3))
    output, cache = model.forward(X)
    with pytest.raises(DelegationError, match="MLP.backward"):
        with reference_unavailable(model.backward):  # reached through an instance: a bound method
            model.loss_and_gradients(X, np.zeros((5, 2)), lambda out, t: (0.0, out - t))
    assert vars(helpers.network.MLP)["backward"] is original
    grads = model.backward(cache, np.ones_like(output))
    assert set(grads) == {"W1", "b1", "W2", "b2"}


def test_blocks_a_function_with_a_closure():
    def make():
        scale = 2.0

        def scaled(z):
            return scale * z
        return scaled

    scaled = make()
    with pytest.raises(DelegationError, match=r"your code called .*scaled, the reference this exercise asks"):
        with reference_unavailable(scaled):
            scaled(1.0)
    assert scaled(1.0) == 2.0


def test_raises_at_exit_even_if_the_student_swallowed_it():
    def sneaky(z):
        try:
            return helpers.activations.sigmoid(z)
        except Exception:  # hides the tripwire
            return own_sigmoid(z)

    before = codes_of_sigmoid()
    results = []
    with pytest.raises(DelegationError, match="helpers.activations.sigmoid"):
        with reference_unavailable(REAL_SIGMOID):
            results.append(sneaky(Z))
    np.testing.assert_allclose(results[0], [0.5 * (1 + np.tanh(z / 2)) for z in Z])  # the fallback's value
    assert codes_of_sigmoid() == before


def test_student_exception_propagates_unchanged():
    before = codes_of_sigmoid()
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        with reference_unavailable(REAL_SIGMOID):
            1 / 0
    assert codes_of_sigmoid() == before


def test_does_not_interfere_with_other_functions():
    with reference_unavailable(REAL_SIGMOID):  # no call: exits quietly
        np.testing.assert_allclose(helpers.activations.tanh(Z), np.tanh(Z))
        np.testing.assert_allclose(ACTIVATIONS["tanh"].function(Z), np.tanh(Z))
        np.testing.assert_allclose(own_sigmoid(Z), 1 / (1 + np.exp(-Z)))


def test_several_functions_at_once():
    forward, gradients = helpers.neuron.forward, helpers.neuron.gradients
    X, w = np.ones((2, 3)), np.zeros(3)
    for called, call in (("forward", lambda: helpers.neuron.forward(X, w, 0.0)),
                         ("gradients", lambda: helpers.neuron.gradients(X, np.zeros(2), w, 0.0))):
        with pytest.raises(DelegationError, match=rf"your code called helpers\.neuron\.{called}, the reference"):
            with reference_unavailable(forward, gradients):
                call()
    assert helpers.neuron.forward(X, w, 0.0).shape == (2,)


def test_asks_the_grader_to_confirm_the_reference_is_absent(monkeypatch):
    asked = []

    class Grader:
        def confirm_absent(self, functions):
            asked.append(functions)
            raise RuntimeError("still there")

    monkeypatch.setattr(checks, "remote", Grader())
    with pytest.raises(RuntimeError, match="still there"):
        with reference_unavailable(REAL_SIGMOID):
            pass
    assert asked == [(REAL_SIGMOID,)]


def test_delegation_error_is_an_assertion_error():
    assert issubclass(DelegationError, AssertionError)  # nbgrader marks the cell failed


def test_check_array_says_when_an_answer_looks_like_single_precision():
    z = np.linspace(-3.0, 3.0, 7)
    expected = 1.0 / (1.0 + np.exp(-z))
    in_float32 = (1.0 / (1.0 + np.exp(-z.astype(np.float32)))).astype(np.float64)
    with pytest.raises(AssertionError, match=r"sigma is wrong at index .*single-precision \(float32\)"):
        checks.check_array("sigma", in_float32, expected, rtol=1e-10)


def test_check_array_does_not_blame_float32_for_a_real_mistake():
    with pytest.raises(AssertionError, match="^sigma is wrong at index") as caught:
        checks.check_array("sigma", np.array([0.67]), np.array([0.66]))
    assert str(caught.value) == "sigma is wrong at index (0,): got 0.67, expected 0.66."


def test_check_array_does_not_blame_float32_for_a_float64_answer_slightly_off():
    expected = np.array([0.6645986266, 0.25])
    with pytest.raises(AssertionError, match="^sigma is wrong") as caught:
        checks.check_array("sigma", expected * (1 + 3e-6), expected)
    assert "float32" not in str(caught.value)
