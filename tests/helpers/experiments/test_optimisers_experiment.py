"""Tests for helpers.experiments.optimisers: paths take exactly helpers.optim's steps (the course's or a
student's in the exercises' form), paths
behave (start, length, divergence), the race uses its rates, and SGD on least squares shows
the noise ball with a constant rate and converges with a Robbins–Monro schedule."""
from __future__ import annotations

import numpy as np
import pytest

from helpers.experiments import optimisers, loss_surfaces
from helpers import optim, schedules
from public_steps import STEPS

HYPER = {"sgd": {}, "momentum": {"momentum": 0.8}, "nesterov": {"momentum": 0.7},
         "adagrad": {"eps": 1e-8}, "rmsprop": {"rho": 0.85, "eps": 1e-8},
         "adam": {"beta1": 0.8, "beta2": 0.99, "eps": 1e-8}}
OPTIM_NAMES = {"sgd": "sgd", "momentum": "momentum", "nesterov": "nesterov",
               "adagrad": "adagrad", "rmsprop": "rmsprop", "adam": "adam"}


@pytest.mark.parametrize("name", list(optimisers.LABELS))
def test_paths_equal_helpers_optim(name):
    surface = loss_surfaces.get_surface("rosenbrock")
    lr = optimisers.RACE_RATES["rosenbrock"][name]
    ours = optimisers.path(surface, name, lr, 60, **HYPER[name])
    init_state, step = STEPS[OPTIM_NAMES[name]]
    params = {"p": np.array(surface.start)}
    state = init_state(params)
    reference = [params["p"]]
    for _ in range(60):
        params, state = step(params, {"p": surface.gradient(params["p"])}, state, lr, **HYPER[name])
        reference.append(params["p"])
    np.testing.assert_allclose(ours, np.array(reference), rtol=1e-12, atol=1e-12)


# Notebook 06's exercises, written as a student would: the state spread out among the arguments.
def sgd_step(theta, grad, lr):
    return theta - lr * grad


def momentum_step(theta, grad, velocity, lr, momentum=0.9):
    velocity = momentum * velocity - lr * grad
    return theta + velocity, velocity


def nesterov_step(theta, grad, velocity, lr, momentum=0.9):
    velocity = momentum * velocity - lr * grad
    return theta + momentum * velocity - lr * grad, velocity


def adagrad_step(theta, grad, sum_squares, lr, eps=1e-8):
    sum_squares = sum_squares + grad**2
    return theta - lr * grad / (np.sqrt(sum_squares) + eps), sum_squares


def rmsprop_step(theta, grad, mean_square, lr, rho=0.9, eps=1e-8):
    mean_square = rho * mean_square + (1 - rho) * grad**2
    return theta - lr * grad / (np.sqrt(mean_square) + eps), mean_square


def adam_step(theta, grad, m, s, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    t = t + 1
    m = beta1 * m + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad**2
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(s / (1 - beta2**t)) + eps), m, s, t


EXERCISE_STEPS = {"sgd": sgd_step, "momentum": momentum_step, "nesterov": nesterov_step,
                  "adagrad": adagrad_step, "rmsprop": rmsprop_step, "adam": adam_step}


@pytest.mark.parametrize("name", list(optimisers.LABELS))
def test_a_step_in_the_exercises_form_takes_the_courses_path(name):
    lr = optimisers.RACE_RATES["rosenbrock"][name]
    ours = optimisers.path("rosenbrock", name, lr, 60, step=EXERCISE_STEPS[name], **HYPER[name])
    np.testing.assert_allclose(ours, optimisers.path("rosenbrock", name, lr, 60, **HYPER[name]), rtol=1e-12, atol=1e-12)


def test_an_exercise_rule_keeps_the_state_as_a_tuple_and_the_courses_hyper_parameters():
    update = optimisers.exercise_rule("adam", adam_step).update
    theta, state = update(np.ones(2), np.full(2, 2.0), (np.zeros(2), np.zeros(2), 0), 0.1)
    assert state[2] == 1 and np.allclose(theta, 0.9, atol=1e-8)  # first step: lr · sign(g)
    theta, state = optimisers.exercise_rule("sgd", sgd_step).update(np.ones(2), np.full(2, 2.0), (), 0.1)
    assert state == () and np.allclose(theta, 0.8)
    assert optim.check_options(optimisers.exercise_rule("momentum", momentum_step), {"momentum": 0.5}) == {
        "momentum": 0.5}
    with pytest.raises(TypeError, match="rho"):
        optim.check_options(optimisers.exercise_rule("momentum", momentum_step), {"rho": 0.5})


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam"])
def test_a_student_rule_trains_a_network_as_the_courses_does(name):
    """Notebook 06 trains on digits with the student's steps: the same history, to rounding."""
    from helpers import network, train

    rng = np.random.default_rng(3)
    X, labels = rng.normal(size=(40, 4)), rng.integers(0, 3, size=40)
    histories = []
    for optimiser in (name, optimisers.exercise_rule(name, EXERCISE_STEPS[name])):
        net = network.MLP.create([4, 5, 3], ["tanh", "identity"], np.random.default_rng(1))
        histories.append(train.train(net, X, labels, rng=np.random.default_rng(2), optimiser=optimiser, lr=0.05,
                                     epochs=3, batch_size=8, optimiser_options=HYPER[name]).train_loss)
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-12)


@pytest.mark.parametrize("name", list(optimisers.LABELS))
def test_the_courses_step_in_the_exercises_form_is_the_student_answer(name):
    """course_step is what an unwritten exercise falls back on: it must act as a right answer would."""
    rng = np.random.default_rng(4)
    theta, grad = rng.normal(size=3), rng.normal(size=3)
    state = optim.RULES[name].init(theta)
    state = tuple(abs(rng.normal(size=3)) if isinstance(v, np.ndarray) else 5 for v in state)
    hyper = list(HYPER[name].values())
    ours, theirs = (step(theta, grad, *state, 0.01, *hyper) for step in (optimisers.course_step(name),
                                                                         EXERCISE_STEPS[name]))
    for mine, expected in zip(ours if state else [ours], theirs if state else [theirs]):
        np.testing.assert_allclose(mine, expected, rtol=1e-12)


def test_nesterov_from_a_momentum_step_is_nesterov():
    theta, velocity = np.array([0.5, -1.0]), np.array([0.1, 0.2])
    for grad in (np.array([1.0, -2.0]), np.array([0.3, 0.0])):
        ours = optimisers.nesterov_from(momentum_step)(theta, grad, velocity, 0.1, 0.7)
        expected = nesterov_step(theta, grad, velocity, 0.1, 0.7)
        np.testing.assert_allclose(ours, expected, rtol=1e-12)
        theta, velocity = expected


def test_the_race_runs_the_steps_it_is_given():
    calls = []

    def my_adam(*args, **hyper):
        calls.append(1)
        return adam_step(*args, **hyper)

    runs = optimisers.race("saddle", n_steps=20, steps={"adam": my_adam})
    assert len(calls) == 20
    np.testing.assert_allclose(runs["adam"][1], optimisers.race("saddle", n_steps=20)["adam"][1], rtol=1e-12)


def test_path_accepts_a_replacement_step():
    calls = []

    def my_sgd(theta, grad, lr):
        calls.append(1)
        return theta - lr * grad

    ours = optimisers.path("valley", "sgd", 0.05, 10, step=my_sgd)
    assert len(calls) == 10
    np.testing.assert_allclose(ours, optimisers.path("valley", "sgd", 0.05, 10))


def test_path_shape_start_and_divergence():
    valley = loss_surfaces.get_surface("valley")
    points = optimisers.path(valley, "sgd", 0.05, 20, start=(1.0, 1.0))
    assert points.shape == (21, 2) and np.array_equal(points[0], [1.0, 1.0])
    diverged = optimisers.path(valley, "sgd", 0.2, 200)  # 0.2 > 2/25: unstable across the valley
    assert np.isnan(diverged[-1]).all() and not np.isnan(diverged[:5]).any()
    with pytest.raises(ValueError, match="unknown optimiser"):
        optimisers.path(valley, "lbfgs", 0.1, 5)
    with pytest.raises(ValueError, match="^lr must be a finite number > 0, got -0.1$"):
        optimisers.path(valley, "sgd", -0.1, 5)


@pytest.mark.parametrize("surface", list(optimisers.RACE_RATES))
def test_race_runs_every_optimiser_without_diverging(surface):
    runs = optimisers.race(surface)
    assert set(runs) == set(optimisers.LABELS)
    minimum = min(loss_surfaces.get_surface(surface).value(np.array(m)) for m in loss_surfaces.get_surface(surface).minima)
    for name, (lr, points) in runs.items():
        assert lr == optimisers.RACE_RATES[surface][name]
        assert points.shape == (optimisers.RACE_STEPS[surface] + 1, 2)
        assert not np.isnan(points).any(), f"{name} diverged on {surface} at its default rate"
        start_gap = loss_surfaces.get_surface(surface).value(points[0]) - minimum
        assert loss_surfaces.get_surface(surface).value(points[-1]) - minimum < 0.1 * start_gap


def test_race_scales_rates_and_passes_beta():
    runs = optimisers.race("valley", lr_scale=0.5, beta=0.0)
    assert runs["adam"][0] == pytest.approx(0.5 * optimisers.RACE_RATES["valley"]["adam"])
    # momentum with beta = 0 is gradient descent at the same rate
    same_rate = optimisers.path("valley", "sgd", runs["momentum"][0], optimisers.RACE_STEPS["valley"])
    np.testing.assert_allclose(runs["momentum"][1], same_rate)


def _alone(surface, optimiser, lr, n_steps, **hyper):
    """One optimiser's path by the plainest loop: its step, the gradient at one point, stop on leaving
    the box 100 times the plot window (the oracle for ``paths``, which runs several at once)."""
    theta = np.array(surface.start, dtype=float)
    init_state, step = STEPS[optimiser]
    state = init_state({"p": theta})
    bound = 100.0 * max(abs(v) for v in surface.x_range + surface.y_range)
    points = np.full((n_steps + 1, 2), np.nan)
    points[0] = theta
    for k in range(1, n_steps + 1):
        params, state = step({"p": theta}, {"p": surface.gradient(theta)}, state, lr, **hyper)
        theta = params["p"]
        if not np.all(np.abs(theta) < bound):
            break
        points[k] = theta
    return points


@pytest.mark.parametrize("surface", list(optimisers.RACE_RATES))
@pytest.mark.parametrize("lr_scale, beta", [(1.0, 0.9), (10.0, 0.5)])  # at × 10 some runs diverge
def test_race_runs_side_by_side_as_each_would_alone(surface, lr_scale, beta):
    runs = optimisers.race(surface, lr_scale, beta)
    assert list(runs) == list(optimisers.RACE_RATES[surface])
    for name, (lr, points) in runs.items():
        hyper = {optimisers.BETA_PARAMETER[name]: beta} if name in optimisers.BETA_PARAMETER else {}
        alone = _alone(loss_surfaces.get_surface(surface), name, lr, optimisers.RACE_STEPS[surface], **hyper)
        np.testing.assert_array_equal(points, alone, err_msg=f"{name} on {surface}")
    if lr_scale == 10.0 and surface == "valley":
        assert np.isnan(runs["sgd"][1][-1]).all() and not np.isnan(runs["adam"][1]).any()
    some = optimisers.race(surface, lr_scale, beta, optimisers=["adam", "sgd"])
    assert list(some) == ["sgd", "adam"]
    for name, (lr, points) in some.items():
        np.testing.assert_array_equal(points, runs[name][1])


def test_least_squares_problem_and_cost(rng):
    problem = optimisers.least_squares_problem(100, rng)
    assert problem.X.shape == (100, 2) and problem.y.shape == (100,)
    gradient = problem.X.T @ (problem.X @ problem.w_best - problem.y) / 100
    assert np.allclose(gradient, 0.0, atol=1e-10)
    costs = optimisers.least_squares_cost(problem, np.stack([problem.w_best, problem.w_best + 0.1]))
    assert costs.shape == (2,) and costs[0] < costs[1]


def test_constant_rate_hovers_and_decaying_rate_converges():
    problem = optimisers.least_squares_problem(200, np.random.default_rng(0))
    start = np.array([-2.0, 2.0])

    def late_distance(lr, batch_size=1):
        weights = optimisers.least_squares_sgd(problem, start, batch_size, lr, 30, np.random.default_rng(1))
        return np.median(np.linalg.norm(weights[-1000:] - problem.w_best, axis=1))

    constant = late_distance(0.02)
    decaying = late_distance(schedules.inverse_time_decay(0.02, 1 / 200))
    bigger_batch = late_distance(0.02, batch_size=10)
    assert decaying < constant / 4
    assert bigger_batch < constant / 2
    full = optimisers.least_squares_sgd(problem, start, 200, 0.1, 300, np.random.default_rng(1))
    assert np.linalg.norm(full[-1] - problem.w_best) < 1e-6  # exact gradients: no noise ball


def test_least_squares_sgd_uses_the_given_batches():
    problem = optimisers.least_squares_problem(10, np.random.default_rng(0))
    seen = []

    def in_order(n, size, rng):
        batches = [np.arange(start, min(start + size, n)) for start in range(0, n, size)]
        seen.extend(batches)
        return batches

    weights = optimisers.least_squares_sgd(problem, np.zeros(2), 4, 0.01, 2, np.random.default_rng(0), batches=in_order)
    assert weights.shape == (7, 2) and len(seen) == 6  # 3 batches (4, 4, 2) per epoch


def _worst_factor(step_matrix, curvatures):
    """Largest spectral radius over the curvatures: the long-run shrink factor per step."""
    return max(np.max(np.abs(np.linalg.eigvals(step_matrix(lam)))) for lam in curvatures)


def _heavy_ball(lr, mu):
    """The heavy ball on one eigen-direction, (x_t, x_{t-1}) -> (x_{t+1}, x_t)."""
    return lambda lam: np.array([[1.0 + mu - lr * lam, -mu], [1.0, 0.0]])


@pytest.mark.parametrize("low, high", [(1.0, 25.0), (0.5, 50.0), (2.0, 2000.0)])
def test_tuned_rates_are_the_best_constant_settings(low, high):
    tuned = optimisers.tuned_rates(low, high)
    curvatures = np.linspace(low, high, 401)
    gd = _worst_factor(lambda lam: np.array([[1.0 - tuned.gd_lr * lam]]), curvatures)
    assert gd == pytest.approx(tuned.gd_factor, rel=1e-9)
    # the tuned heavy ball's roots are complex on [m, L] except a double root at each end
    heavy = _worst_factor(_heavy_ball(tuned.heavy_ball_lr, tuned.heavy_ball_momentum), curvatures)
    assert heavy == pytest.approx(tuned.heavy_ball_factor, rel=1e-6)
    kappa = high / low
    assert tuned.heavy_ball_factor == pytest.approx((np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1))
    # no nearby setting does better (a coarse search around the optimum)
    for lr_scale in (0.9, 0.97, 1.03, 1.1):
        assert _worst_factor(lambda lam: np.array([[1.0 - lr_scale * tuned.gd_lr * lam]]), curvatures) > gd
        for mu_shift in (-0.05, 0.0, 0.05):
            mu = tuned.heavy_ball_momentum + mu_shift
            assert _worst_factor(_heavy_ball(lr_scale * tuned.heavy_ball_lr, mu), curvatures) > heavy - 1e-9


def test_tuned_heavy_ball_beats_tuned_descent_on_the_valley():
    valley = loss_surfaces.valley(condition=25.0)
    tuned = optimisers.tuned_rates(1.0, 25.0)
    gd = optimisers.excess_cost(valley, optimisers.path(valley, "sgd", tuned.gd_lr, 60))
    heavy = optimisers.excess_cost(valley, optimisers.path(valley, "momentum", tuned.heavy_ball_lr, 60,
                                                     momentum=tuned.heavy_ball_momentum))
    # f shrinks like the squared distance: factor**2 per step, up to a polynomial term
    assert gd[60] / gd[40] == pytest.approx(tuned.gd_factor**40, rel=0.05)
    assert heavy[60] < 1e-6 * gd[60]


@pytest.mark.parametrize("lr, momentum", [(0.07, 0.0), (0.02, 0.9), (0.11, 0.44), (0.3, 0.5), (0.09, 0.0)])
def test_shrink_factor_matches_the_step_matrix_and_a_run(lr, momentum):
    curvatures = (1.0, 25.0)  # the valley's Hessian
    expected = _worst_factor(_heavy_ball(lr, momentum), curvatures)
    assert optimisers.shrink_factor(lr, curvatures, momentum) == pytest.approx(expected, rel=1e-9)
    valley = loss_surfaces.get_surface("valley")
    points = optimisers.path(valley, "momentum", lr, 400, momentum=momentum)
    distance = np.linalg.norm(points, axis=1)
    if expected > 1:
        assert np.isnan(distance[-1]) or distance[-1] > distance[0]  # diverged
    else:  # the distance's decay over the last 200 steps (a few oscillations averaged out)
        observed = (np.max(distance[-20:]) / np.max(distance[180:200])) ** (1 / 200)
        assert observed == pytest.approx(expected, abs=0.01)


def test_tuned_rates_reject_bad_curvatures():
    with pytest.raises(ValueError, match="smallest_curvature"):
        optimisers.tuned_rates(0.0, 1.0)
    with pytest.raises(ValueError, match="largest_curvature"):
        optimisers.tuned_rates(2.0, 1.0)


def test_excess_cost_is_zero_at_the_minima_and_positive_elsewhere():
    for name in ("valley", "rosenbrock", "saddle"):
        surface = loss_surfaces.get_surface(name)
        assert np.allclose(optimisers.excess_cost(name, np.array(surface.minima)), 0.0)
        assert optimisers.excess_cost(surface, np.array(surface.start)) > 0


def test_shrink_factor_rejects_bad_arguments():
    with pytest.raises(ValueError, match="^lr must be a finite number > 0, got -0.1$"):
        optimisers.shrink_factor(-0.1, (1.0, 25.0))
    with pytest.raises(ValueError, match=r"^momentum must lie in \[0, 1\), got 1.5$"):
        optimisers.shrink_factor(0.1, (1.0, 25.0), momentum=1.5)
    with pytest.raises(ValueError, match="curvatures"):
        optimisers.shrink_factor(0.1, [])


def test_observed_factor_matches_the_predicted_rate_on_a_quadratic():
    valley = loss_surfaces.valley(condition=25.0)
    points = optimisers.path(valley, "sgd", 0.05, 200)
    predicted = optimisers.shrink_factor(0.05, (1.0, 25.0))
    assert optimisers.observed_factor(points, (0.0, 0.0), 100, 200) == pytest.approx(predicted, rel=1e-9)
    halving = np.array([[8.0, 0.0], [4.0, 0.0], [2.0, 0.0], [1.0, 0.0]])
    assert optimisers.observed_factor(halving, (0.0, 0.0), 0, 3) == pytest.approx(0.5)
