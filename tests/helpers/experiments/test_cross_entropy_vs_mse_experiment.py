"""Tests for helpers.experiments.cross_entropy_vs_mse: the output errors of both costs against finite differences of
costs written here from the textbook formulas, the one-neuron run against helpers.neuron,
the two-layer gradients against finite differences and helpers.network, the common-mistake
gradients, and the training loop. Also helpers.notebook.student_or_reference.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.experiments import cross_entropy_vs_mse
from helpers import losses, network, neuron, notebook
from numgrad import numerical_gradient, rel_error

TOL = 1e-6
COSTS = ["mse", "cross_entropy"]


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def summed_textbook_cost(Z, Y, cost):
    """Σ over samples of C_x, from the definitions (|Z| small enough for the naive formulas)."""
    A = sigma(Z)
    if cost == "mse":
        return 0.5 * np.sum((A - Y) ** 2)
    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))


def network_problem(seed, n=5, d=3, h=4, k=2):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h),
              "W2": rng.normal(size=(h, k)), "b2": rng.normal(size=k)}
    return rng.normal(size=(n, d)), (rng.uniform(size=(n, k)) < 0.5).astype(float), params


# --- output_delta ------------------------------------------------------------------------

@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), k=st.integers(1, 4), cost=st.sampled_from(COSTS))
def test_output_delta_is_the_gradient_of_the_summed_per_sample_cost(seed, n, k, cost):
    rng = np.random.default_rng(seed)
    Z, Y = rng.normal(scale=3.0, size=(n, k)), rng.uniform(size=(n, k))
    numeric = numerical_gradient(lambda: summed_textbook_cost(Z, Y, cost), Z)
    assert rel_error(cross_entropy_vs_mse.output_delta(Z, Y, cost), numeric) < TOL


def test_output_delta_formulas_and_the_missing_sigma_prime():
    Z, Y = np.array([[4.0, -1.0]]), np.array([[0.0, 1.0]])
    A = sigma(Z)
    np.testing.assert_allclose(cross_entropy_vs_mse.output_delta(Z, Y, "cross_entropy"), A - Y, rtol=1e-15)
    np.testing.assert_allclose(cross_entropy_vs_mse.output_delta(Z, Y, "mse"), (A - Y) * A * (1 - A), rtol=1e-14)



@pytest.mark.parametrize("cost, wrong_factor", [
    ("mse", lambda A: np.ones_like(A)),               # σ'(z) left out
    ("cross_entropy", lambda A: A * (1 - A)),         # σ'(z) kept
])
def test_wrong_output_deltas_are_the_usual_slips_and_not_the_gradient(cost, wrong_factor):
    Z, Y = np.array([[4.0, -1.0], [0.5, 2.0]]), np.array([[0.0, 1.0], [1.0, 1.0]])
    A = sigma(Z)
    ((text, wrong),) = cross_entropy_vs_mse.wrong_output_deltas(Z, Y, cost).items()
    assert "σ'(z)" in text
    np.testing.assert_allclose(wrong, (A - Y) * wrong_factor(A), rtol=1e-7)  # finite differences
    numeric = numerical_gradient(lambda: summed_textbook_cost(Z, Y, cost), Z)
    assert rel_error(wrong, numeric) > 0.1


def test_wrong_output_deltas_name_an_unknown_cost():
    with pytest.raises(ValueError, match="cost"):
        cross_entropy_vs_mse.wrong_output_deltas(np.zeros((1, 1)), np.zeros((1, 1)), "hinge")

def test_output_delta_is_finite_at_extreme_logits_and_checks_input():
    Z, Y = np.array([[-1e4, 1e4, -800.0]]), np.array([[1.0, 0.0, 0.0]])
    with np.errstate(all="raise", under="ignore"):
        for cost in COSTS:
            assert np.all(np.isfinite(cross_entropy_vs_mse.output_delta(Z, Y, cost)))
    np.testing.assert_array_equal(cross_entropy_vs_mse.output_delta(Z, Y, "cross_entropy"), [[-1.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match="unknown cost"):
        cross_entropy_vs_mse.output_delta(Z, Y, "hinge")
    with pytest.raises(ValueError, match="same shape"):
        cross_entropy_vs_mse.output_delta(Z, Y[:, :2], "mse")


# --- neuron_run ----------------------------------------------------------------------------

@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("w, b, lr", [(0.6, 0.9, 0.15), (2.0, 2.0, 0.15), (-3.0, 1.0, 0.9)])
def test_neuron_run_matches_helpers_neuron(w, b, lr, cost):
    run = cross_entropy_vs_mse.neuron_run(w, b, lr, 40, cost)
    expected = neuron.gradient_descent(np.array([[1.0]]), np.array([0.0]), np.array([w]), b, lr, 40, cost=cost)
    np.testing.assert_allclose(run.costs, expected.costs, rtol=1e-12, atol=1e-15)
    assert run.w == pytest.approx(expected.w[0], rel=1e-12) and run.b == pytest.approx(expected.b, rel=1e-12)
    assert run.outputs[0] == pytest.approx(sigma(w + b), rel=1e-15)


@pytest.mark.parametrize("cost", COSTS)
def test_neuron_run_with_a_delta_function_takes_the_same_steps(cost):
    own = cross_entropy_vs_mse.neuron_run(2.0, 2.0, 0.15, 30, cost, x=0.7, y=0.2)
    given_delta = cross_entropy_vs_mse.neuron_run(2.0, 2.0, 0.15, 30, cost, x=0.7, y=0.2,
                                   delta_function=lambda Z, Y: cross_entropy_vs_mse.output_delta(Z, Y, cost))
    np.testing.assert_allclose(given_delta.costs, own.costs, rtol=1e-13)
    np.testing.assert_allclose(given_delta.outputs, own.outputs, rtol=1e-13)


def test_nielsens_experiment_slow_start_only_with_the_quadratic_cost_from_the_saturated_start():
    def drop_in_100_epochs(w, b, cost):
        run = cross_entropy_vs_mse.neuron_run(w, b, 0.15, 100, cost)
        return 1 - run.costs[-1] / run.costs[0]

    assert drop_in_100_epochs(2.0, 2.0, "mse") < 0.05        # a plateau
    assert drop_in_100_epochs(0.6, 0.9, "mse") > 0.8
    assert drop_in_100_epochs(2.0, 2.0, "cross_entropy") > 0.95
    assert drop_in_100_epochs(0.6, 0.9, "cross_entropy") > 0.95


def test_neuron_run_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown cost"):
        cross_entropy_vs_mse.neuron_run(1.0, 1.0, 0.1, 5, "mae")
    with pytest.raises(ValueError, match="learning_rate"):
        cross_entropy_vs_mse.neuron_run(1.0, 1.0, 0.0, 5, "mse")


# --- the two-layer network -------------------------------------------------------------------

@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("seed, shape", [(1, (1, 2, 3, 1)), (2, (6, 4, 5, 3)), (3, (12, 3, 2, 4))])
def test_two_layer_gradients_against_finite_differences(seed, shape, cost):
    n, d, h, k = shape
    X, Y, params = network_problem(seed, n, d, h, k)

    def textbook():
        A1 = sigma(X @ params["W1"] + params["b1"])
        return summed_textbook_cost(A1 @ params["W2"] + params["b2"], Y, cost) / n

    assert cross_entropy_vs_mse.two_layer_cost(X, Y, params, cost) == pytest.approx(textbook(), rel=1e-12)
    grads = cross_entropy_vs_mse.two_layer_gradients(X, Y, params, cost)
    assert list(grads) == ["W1", "b1", "W2", "b2"]
    for key, value in params.items():
        assert grads[key].shape == value.shape
        assert rel_error(grads[key], numerical_gradient(textbook, value)) < TOL, key


@pytest.mark.parametrize("cost, output, loss", [
    ("mse", "sigmoid", lambda A, Y: losses.mean_squared_error(A, Y)),
    ("cross_entropy", "identity", lambda Z, Y: losses.binary_cross_entropy_from_logits(Z, Y)),
])
def test_two_layer_gradients_agree_with_helpers_network(cost, output, loss):
    X, Y, params = network_problem(4, n=9, d=5, h=6, k=3)
    net = network.MLP({key: value.copy() for key, value in params.items()}, ["sigmoid", output])
    value, expected = net.loss_and_gradients(X, Y, loss)
    assert cross_entropy_vs_mse.two_layer_cost(X, Y, params, cost) == pytest.approx(value, rel=1e-12)
    grads = cross_entropy_vs_mse.two_layer_gradients(X, Y, params, cost)
    for key in params:
        np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("cost", COSTS)
def test_two_layer_mistakes_are_wrong_and_named(cost):
    X, Y, params = network_problem(5, n=6, d=3, h=4, k=2)
    correct = cross_entropy_vs_mse.two_layer_gradients(X, Y, params, cost)
    mistakes = cross_entropy_vs_mse.two_layer_mistakes(X, Y, params, cost)
    assert len(mistakes) == 2
    for text, grads in mistakes.items():
        assert isinstance(text, str) and text
        assert set(grads) <= set(correct)
        assert any(rel_error(grads[key], correct[key]) > 1e-3 for key in grads), text
    other = "cross_entropy" if cost == "mse" else "mse"
    other_cost = next(grads for text, grads in mistakes.items() if other in text)
    for key in params:  # finite differences, so that no backward pass is needed (staged bundles)
        assert rel_error(other_cost[key], cross_entropy_vs_mse.two_layer_gradients(X, Y, params, other)[key]) < 1e-7


def test_two_layer_mistakes_leave_params_alone():
    X, Y, params = network_problem(8, n=4, d=2, h=3, k=2)
    before = {key: value.copy() for key, value in params.items()}
    cross_entropy_vs_mse.two_layer_mistakes(X, Y, params, "mse")
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])


@pytest.mark.parametrize("cost, delta", [("mse", cross_entropy_vs_mse.mse_output_delta),
                                         ("cross_entropy", cross_entropy_vs_mse.cross_entropy_output_delta)])
def test_output_delta_of_one_cost_takes_the_notebooks_arguments(cost, delta):
    Z, Y = np.array([[3.0, -0.5], [0.2, 1.5]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    numeric = numerical_gradient(lambda: summed_textbook_cost(Z, Y, cost), Z)
    assert rel_error(delta(Z, Y), numeric) < TOL


def test_train_two_layer_learns_without_touching_its_input():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 2))
    labels = (X[:, 0] + X[:, 1] > 0).astype(int)
    Y = np.eye(2)[labels]
    _, _, params = network_problem(7, d=2, h=5, k=2)
    before = {key: value.copy() for key, value in params.items()}
    trained, record = cross_entropy_vs_mse.train_two_layer(params, X, Y, "cross_entropy", learning_rate=1.0, epochs=15,
                                            batch_size=10, rng=np.random.default_rng(0), X_test=X, y_test=labels)
    for key in params:
        np.testing.assert_array_equal(params[key], before[key])
    assert len(record.train_cost) == len(record.test_accuracy) == 16
    assert record.train_cost[-1] < 0.5 * record.train_cost[0]
    assert record.test_accuracy[-1] > 0.9
    again = cross_entropy_vs_mse.train_two_layer(params, X, Y, "cross_entropy", learning_rate=1.0, epochs=15, batch_size=10,
                                  rng=np.random.default_rng(0), X_test=X, y_test=labels)
    assert again[1] == record  # the same seed gives the same run


def test_train_two_layer_uses_the_gradient_function_it_is_given():
    X, Y, params = network_problem(8)
    calls = []

    def no_gradient(X, Y, params, cost):
        calls.append(cost)
        return {key: np.zeros_like(value) for key, value in params.items()}

    trained, record = cross_entropy_vs_mse.train_two_layer(params, X, Y, "mse", learning_rate=0.5, epochs=2, batch_size=2,
                                            rng=np.random.default_rng(0), X_test=X, y_test=np.zeros(len(X)),
                                            gradient_function=no_gradient)
    assert calls == ["mse"] * 6  # 5 samples in batches of 2: 3 steps per epoch
    for key in params:
        np.testing.assert_array_equal(trained[key], params[key])
    with pytest.raises(ValueError, match="unknown cost"):
        cross_entropy_vs_mse.train_two_layer(params, X, Y, "l1", learning_rate=0.5, epochs=1, batch_size=2,
                              rng=np.random.default_rng(0), X_test=X, y_test=np.zeros(len(X)))


@pytest.mark.parametrize("cost", COSTS)
def test_train_two_layer_with_the_course_gradients_given_takes_the_default_steps(cost):
    # the student's gradient function goes through the adapter; the default through the MLP itself
    rng = np.random.default_rng(9)
    X = rng.normal(size=(23, 3))
    labels = rng.integers(0, 2, 23)
    _, _, params = network_problem(10, d=3, h=4, k=2)
    runs = [cross_entropy_vs_mse.train_two_layer(params, X, np.eye(2)[labels], cost, learning_rate=0.5, epochs=3, batch_size=5,
                                  rng=np.random.default_rng(1), X_test=X, y_test=labels, gradient_function=given)
            for given in (None, cross_entropy_vs_mse.two_layer_gradients)]
    assert runs[0][1] == runs[1][1]
    for key in params:
        np.testing.assert_array_equal(runs[0][0][key], runs[1][0][key])
        assert not np.array_equal(runs[0][0][key], params[key])
    np.testing.assert_allclose(runs[0][1].train_cost[0], cross_entropy_vs_mse.two_layer_cost(X, np.eye(2)[labels], params, cost))
    np.testing.assert_allclose(runs[0][1].train_cost[-1], cross_entropy_vs_mse.two_layer_cost(X, np.eye(2)[labels], runs[0][0], cost))


def test_train_two_layer_checks_its_targets_at_the_door():
    X, Y, params = network_problem(11)
    with pytest.raises(ValueError, match=r"Y \(one row of targets per row of X\)"):
        cross_entropy_vs_mse.train_two_layer(params, X, Y[:-1], "mse", learning_rate=0.5, epochs=1, batch_size=2,
                              rng=np.random.default_rng(0), X_test=X, y_test=np.zeros(len(X)))
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        cross_entropy_vs_mse.train_two_layer(params, X, Y, "mse", learning_rate=0.0, epochs=1, batch_size=2,
                              rng=np.random.default_rng(0), X_test=X, y_test=np.zeros(len(X)))


# --- helpers.notebook.student_or_reference ------------------------------------------------------

def test_student_or_reference_falls_back_once_and_says_so(capsys):
    def unfinished(x):
        raise NotImplementedError()

    def reference(x):
        return 2 * x

    chosen = notebook.student_or_reference(unfinished, reference, 1.0)
    assert chosen is reference
    assert "unfinished is not written yet" in capsys.readouterr().out

    def written(x):
        return 3 * x

    assert notebook.student_or_reference(written, reference, 1.0) is written
    assert capsys.readouterr().out == ""


def test_student_or_reference_lets_other_errors_through():
    def broken(x):
        raise ZeroDivisionError("the student's bug")

    with pytest.raises(ZeroDivisionError, match="the student's bug"):
        notebook.student_or_reference(broken, lambda x: x, 1.0)


# --- issue 12: clear errors for a missing parameter and a negative epoch count ----------------------

def test_two_layer_functions_name_a_missing_or_misshaped_parameter(rng):
    X, Y = rng.normal(size=(5, 3)), np.eye(2)[rng.integers(0, 2, 5)]
    params = {"W1": rng.normal(size=(3, 4)), "b1": np.zeros(4), "W2": rng.normal(size=(4, 2))}
    for function in (cross_entropy_vs_mse.two_layer_gradients, cross_entropy_vs_mse.two_layer_cost):
        with pytest.raises(ValueError, match=r"params lacks 'b2'"):
            function(X, Y, params, "mse")
    params["b2"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"b2 should have shape \(2,\)"):
        cross_entropy_vs_mse.two_layer_gradients(X, Y, params, "mse")
    params["b2"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"X \(samples × the inputs of params\['W1'\]\) should have shape \('any', 3\)"):
        cross_entropy_vs_mse.two_layer_gradients(X[:, :2], Y, params, "mse")


@pytest.mark.parametrize("epochs", [-1, 2.5, "3"])
def test_neuron_run_needs_a_whole_number_of_epochs(epochs):
    with pytest.raises(ValueError, match="epochs must be a whole number >= 0"):
        cross_entropy_vs_mse.neuron_run(0.6, 0.9, 0.15, epochs, "mse")
    with pytest.raises(TypeError, match="w must be a real number"):
        cross_entropy_vs_mse.neuron_run("0.6", 0.9, 0.15, 3, "mse")


# --- answer-free routes: what notebook 02 runs before its exercises are written (staged bundles) ---

@pytest.mark.parametrize("cost, loss", [("mse", losses.mean_squared_error),
                                        ("cross_entropy", losses.binary_cross_entropy_from_logits)])
def test_defined_cost_is_the_cost_averaged_over_rows(cost, loss):
    Z = np.array([[3.0, -0.5], [0.2, 30.0], [-40.0, 1.5]])
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.3]])
    expected = loss(sigma(Z), Y)[0] if cost == "mse" else loss(Z, Y)[0]
    assert cross_entropy_vs_mse.defined_cost(Z, Y, cost) == pytest.approx(expected, rel=1e-13)


def test_defined_cost_keeps_the_digits_of_a_saturated_output():
    # 1 - σ(30) loses most of its digits in the literal formula; σ(-30) keeps them
    got = cross_entropy_vs_mse.defined_cost(np.array([30.0]), np.array([0.0]), "cross_entropy")
    assert got == pytest.approx(losses.binary_cross_entropy_from_logits(np.array([30.0]), np.array([0.0]))[0],
                                rel=1e-14)


@pytest.mark.parametrize("cost", COSTS)
@pytest.mark.parametrize("w, b, x, y", [(0.6, 0.9, 1.0, 0.0), (2.0, 2.0, 1.0, 0.0), (-1.0, 0.5, 2.0, 1.0)])
def test_bias_gradient_is_neurons_db(w, b, x, y, cost):
    _, _, db = neuron.gradients(np.array([[x]]), np.array([y]), np.array([w]), b, cost=cost)
    assert cross_entropy_vs_mse.bias_gradient(w, b, cost, x=x, y=y) == pytest.approx(db, rel=1e-8)


def test_bias_gradient_names_bad_input():
    with pytest.raises(ValueError, match="cost"):
        cross_entropy_vs_mse.bias_gradient(1.0, 0.0, "hinge")
    with pytest.raises((TypeError, ValueError), match="w"):
        cross_entropy_vs_mse.bias_gradient(float("nan"), 0.0, "mse")


@pytest.mark.parametrize("cost", COSTS)
def test_two_layer_mistakes_match_the_formulas_they_stand_for(cost):
    X, Y, params = network_problem(9)
    mistakes = cross_entropy_vs_mse.two_layer_mistakes(X, Y, params, cost)
    lacking = next(grads for text, grads in mistakes.items() if "lacks" in text)
    A1 = sigma(X @ params["W1"] + params["b1"])
    hidden_error = cross_entropy_vs_mse.output_delta(A1 @ params["W2"] + params["b2"], Y, cost) / len(X) @ params["W2"].T
    assert rel_error(lacking["W1"], X.T @ hidden_error) < 1e-7  # finite differences of the output error
    assert rel_error(lacking["b1"], hidden_error.sum(axis=0)) < 1e-7


def test_slowdown_view_steps_with_the_delta_functions_it_is_given():
    from helpers.viz import cross_entropy_vs_mse as figures

    calls = []

    def frozen(Z, Y):  # no step at all: the output never moves
        calls.append(Z.shape)
        return np.zeros_like(Z)

    view = figures.SlowdownView(1, 20, delta_functions={"mse": frozen, "cross_entropy": frozen})
    view.update(w=2.0, b=2.0, learning_rate=0.5)
    assert len(calls) == 2 * 20
    outputs = [line.get_ydata() for line in view.output_lines]
    assert all(np.all(output == output[0]) for output in outputs)
    course = figures.SlowdownView(1, 20)
    course.update(w=2.0, b=2.0, learning_rate=0.5)
    assert not np.all(course.output_lines[1].get_ydata() == course.output_lines[1].get_ydata()[0])
