"""Tests for helpers.optim: hand-computed steps, the momentum conventions, Adam's bias
correction, purity, input checks and convergence; each rule alone, and its defaults.

The expected numbers below were worked out by hand for one scalar parameter
``w0 = 1`` receiving the fixed gradients 2, −1, 0.5 with ``lr = 0.1``; the arithmetic is
written out next to each value so a reader can redo it.
"""
from __future__ import annotations

import copy
import inspect
from math import sqrt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import optim
from public_steps import STEPS

GRADIENTS = [2.0, -1.0, 0.5]
LR = 0.1


def run_scalar(step, init_state, lr=LR, **hyper):
    """Apply ``step`` to w = 1 with GRADIENTS; return the three values of w after each step."""
    params = {"w": np.array([1.0])}
    state = init_state(params)
    path = []
    for g in GRADIENTS:
        params, state = step(params, {"w": np.array([g])}, state, lr, **hyper)
        path.append(float(params["w"][0]))
    return path


def test_sgd_by_hand():
    params, path = {"w": np.array([1.0])}, []
    for g in GRADIENTS:
        params = optim.sgd_step(params, {"w": np.array([g])}, LR)
        path.append(float(params["w"][0]))
    # 1 − 0.1·2 = 0.8;  0.8 + 0.1 = 0.9;  0.9 − 0.05 = 0.85
    assert path == pytest.approx([0.8, 0.9, 0.85], abs=1e-12)


W2_ADAGRAD = 0.9 + 0.1 / sqrt(5)
W1_RMSPROP = 1 - 0.2 / sqrt(2)
W2_RMSPROP = W1_RMSPROP + 0.1 / sqrt(1.5)


@pytest.mark.parametrize("step, init_state, hyper, expected", [
    # v = −0.2 → w = 0.8;  v = 0.5·(−0.2) + 0.1 = 0 → w = 0.8;  v = 0 − 0.05 → w = 0.75
    (optim.momentum_step, optim.init_momentum_state, {"momentum": 0.5}, [0.8, 0.8, 0.75]),
    # m = 2 → w = 0.8;  m = 1 − 1 = 0 → w = 0.8;  m = 0.5 → w = 0.8 − 0.05 = 0.75
    (optim.accumulated_momentum_step, optim.init_accumulated_momentum_state, {"momentum": 0.5}, [0.8, 0.8, 0.75]),
    # m = 0.5·2 = 1 → w = 0.9;  m = 0.5 − 0.5 = 0 → w = 0.9;  m = 0.25 → w = 0.9 − 0.025 = 0.875
    (optim.ema_momentum_step, optim.init_accumulated_momentum_state, {"momentum": 0.5}, [0.9, 0.9, 0.875]),
    # v = −0.2, w = 1 + 0.5·(−0.2) − 0.2 = 0.7;  v = −0.1 + 0.1 = 0, w = 0.7 + 0 + 0.1 = 0.8;
    # v = −0.05, w = 0.8 + 0.5·(−0.05) − 0.05 = 0.725
    (optim.nesterov_step, optim.init_momentum_state, {"momentum": 0.5}, [0.7, 0.8, 0.725]),
    # G = 4 → w = 1 − 0.1·2/2 = 0.9;  G = 5 → w = 0.9 + 0.1/√5;  G = 5.25 → w −= 0.05/√5.25
    (optim.adagrad_step, optim.init_adagrad_state, {"eps": 1e-12},
     [0.9, W2_ADAGRAD, W2_ADAGRAD - 0.05 / sqrt(5.25)]),
    # s = 2 → w = 1 − 0.2/√2;  s = 1 + 0.5 = 1.5 → w += 0.1/√1.5;
    # s = 0.75 + 0.125 = 0.875 → w −= 0.05/√0.875
    (optim.rmsprop_step, optim.init_rmsprop_state, {"rho": 0.5, "eps": 1e-12},
     [W1_RMSPROP, W2_RMSPROP, W2_RMSPROP - 0.05 / sqrt(0.875)]),
    # t=1: m = 1, s = 2, m̂ = 2, ŝ = 4 → w = 1 − 0.1·2/2 = 0.9;  t=2: m = 0.5 − 0.5 = 0 → w stays 0.9
    # t=3: m = 0.25, s = 0.75 + 0.125 = 0.875, m̂ = 0.25/0.875, ŝ = 0.875/0.875 = 1 → w = 0.9 − 0.1·0.25/0.875
    (optim.adam_step, optim.init_adam_state, {"beta1": 0.5, "beta2": 0.5, "eps": 1e-12},
     [0.9, 0.9, 0.9 - 0.1 * 0.25 / 0.875]),
], ids=["momentum", "accumulated", "ema", "nesterov", "adagrad", "rmsprop", "adam"])
def test_public_steps_by_hand(step, init_state, hyper, expected):
    assert run_scalar(step, init_state, **hyper) == pytest.approx(expected, abs=1e-10)


# --- the rules, one array at a time, with hyper-parameters whose mistakes show --------------
# w = 1 receives the gradients 2 then 1 at lr = 0.1; eps is large enough to move the result.

RULE_CASES = {
    # 1 − 0.2 = 0.8;  0.8 − 0.1 = 0.7
    "sgd": ({}, [0.8, 0.7], ()),
    # v = −0.2 → 0.8;  v = 0.5·(−0.2) − 0.1 = −0.2 → 0.6
    "momentum": ({"momentum": 0.5}, [0.8, 0.6], (-0.2,)),
    # m = 2 → 0.8;  m = 0.5·2 + 1 = 2 → 0.6
    "momentum_accumulated": ({"momentum": 0.5}, [0.8, 0.6], (2.0,)),
    # m = 0.5·2 = 1 → 0.9;  m = 0.5 + 0.5 = 1 → 0.8
    "momentum_ema": ({"momentum": 0.5}, [0.9, 0.8], (1.0,)),
    # v = −0.2, w = 1 − 0.1 − 0.2 = 0.7;  v = −0.1 − 0.1 = −0.2, w = 0.7 − 0.1 − 0.1 = 0.5
    "nesterov": ({"momentum": 0.5}, [0.7, 0.5], (-0.2,)),
    # G = 4, w = 1 − 0.2/(2 + 1);  G = 5, w −= 0.1/(√5 + 1)
    "adagrad": ({"eps": 1.0}, [1 - 0.2 / 3, 1 - 0.2 / 3 - 0.1 / (sqrt(5) + 1)], (5.0,)),
    # s = 0.1·4 = 0.4, w = 1 − 0.2/(√0.4 + 0.5);  s = 0.9·0.4 + 0.1 = 0.46, w −= 0.1/(√0.46 + 0.5)
    "rmsprop": ({"rho": 0.9, "eps": 0.5},
                [1 - 0.2 / (sqrt(0.4) + 0.5), 1 - 0.2 / (sqrt(0.4) + 0.5) - 0.1 / (sqrt(0.46) + 0.5)], (0.46,)),
    # t=1: m = 1, s = 0.4, m̂ = 2, ŝ = 4, w = 1 − 0.1·2/(2 + 0.5) = 0.92
    # t=2: m = 0.5 + 0.5 = 1, s = 0.36 + 0.1 = 0.46, m̂ = 1/0.75, ŝ = 0.46/0.19, w −= 0.1·m̂/(√ŝ + 0.5)
    "adam": ({"beta1": 0.5, "beta2": 0.9, "eps": 0.5},
             [0.92, 0.92 - 0.1 * (1 / 0.75) / (sqrt(0.46 / 0.19) + 0.5)], (1.0, 0.46, 2)),
}


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_each_rule_by_hand(name):
    hyper, expected_path, expected_state = RULE_CASES[name]
    rule = optim.RULES[name]
    param = np.array([1.0])
    state = rule.init(param)
    path = []
    for g in (2.0, 1.0):
        param, state = rule.update(param, np.array([g]), state, 0.1, **hyper)
        path.append(float(param[0]))
    assert path == pytest.approx(expected_path, abs=1e-12)
    assert [float(np.squeeze(s)) for s in state] == pytest.approx(list(expected_state), abs=1e-12)


def test_rules_cover_the_optimisers():
    assert set(optim.RULES) == set(STEPS) == set(RULE_CASES)


DEFAULTS = {"sgd": {}, "momentum": {"momentum": 0.9}, "momentum_accumulated": {"momentum": 0.9},
            "momentum_ema": {"momentum": 0.9}, "nesterov": {"momentum": 0.9}, "adagrad": {"eps": 1e-8},
            "rmsprop": {"rho": 0.9, "eps": 1e-8}, "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_defaults_of_rules_and_public_steps(name):
    """Documented defaults, in the rule and in the public step; and a step without them uses them."""
    def defaults(function):
        return {k: p.default for k, p in inspect.signature(function).parameters.items()
                if p.default is not inspect.Parameter.empty}

    assert defaults(optim.RULES[name].update) == DEFAULTS[name]
    init_state, step = STEPS[name]
    if name != "sgd":
        assert defaults(step) == DEFAULTS[name]
    # Two steps, as on the first, from a zero state, momentum and Adam's betas leave no trace;
    # gradients near 1e-8, where eps = 1e-8 is not lost in the square root of their squares.
    params = {"w": np.array([1.0, -2.0])}
    grads = [{"w": np.array([3e-8, 4e-8])}, {"w": np.array([-2e-8, 5e-8])}]
    implicit, explicit, moved = (params, init_state(params)), (params, init_state(params)), (params, init_state(params))
    other = {key: value / 2 for key, value in DEFAULTS[name].items()}  # every default changed
    for g in grads:
        implicit = step(*implicit[:1], g, implicit[1], 0.1)
        explicit = step(*explicit[:1], g, explicit[1], 0.1, **DEFAULTS[name])
        moved = step(*moved[:1], g, moved[1], 0.1, **other)
    np.testing.assert_array_equal(implicit[0]["w"], explicit[0]["w"])
    if name != "sgd":  # and the defaults matter: other values move w elsewhere
        assert not np.allclose(moved[0]["w"] - params["w"], explicit[0]["w"] - params["w"], rtol=1e-3, atol=0)


def test_public_steps_take_hyper_parameters_by_position_too():
    params, grads = {"w": np.array([1.0])}, {"w": np.array([2.0])}
    state = optim.init_adam_state(params)
    by_position = optim.adam_step(params, grads, state, 0.1, 0.5, 0.9, 0.5)[0]["w"]
    assert by_position[0] == pytest.approx(0.92)  # RULE_CASES["adam"]: first step
    with pytest.raises(TypeError, match=r"adam_step takes the hyper-parameters \['beta1', 'beta2', 'eps'\]"):
        optim.adam_step(params, grads, state, 0.1, 0.5, 0.9, 0.5, 1.0)
    assert optim.momentum_step.__name__ == "momentum_step" and "velocity" in optim.momentum_step.__doc__


@pytest.mark.parametrize("name", sorted(RULE_CASES))
def test_public_step_is_the_rule_mapped_over_the_keys(name, rng):
    """Two steps of the public dict step equal the hand-computed rule path on every key."""
    hyper, expected_path, _ = RULE_CASES[name]
    init_state, step = STEPS[name]
    params = {"W1": np.ones((2, 3)), "b1": np.ones(3)}
    state = init_state(params)
    for g in (2.0, 1.0):
        grads = {key: np.full_like(value, g) for key, value in params.items()}
        params, state = step(params, grads, state, 0.1, **hyper)
    for value in params.values():
        np.testing.assert_allclose(value, expected_path[-1], atol=1e-12)


def test_check_options_names_what_is_wrong():
    assert optim.check_options("adam", {"beta1": 0.5}) == {"beta1": 0.5}
    with pytest.raises(TypeError, match=r"'rmsprop' takes \['rho', 'eps'\], got \['momentum'\]"):
        optim.check_options("rmsprop", {"momentum": 0.9})
    with pytest.raises(TypeError, match="no hyper-parameters"):
        optim.check_options("sgd", {"eps": 1e-8})
    with pytest.raises(ValueError, match="beta2"):
        optim.check_options("adam", {"beta2": 1.0})
    with pytest.raises(ValueError, match="unknown optimiser"):
        optim.check_options("adamw", {})


def test_adam_counts_steps():
    params = {"w": np.zeros(3)}
    state = optim.init_adam_state(params)
    for expected_t in (1, 2, 3):
        params, state = optim.adam_step(params, {"w": np.ones(3)}, state, 0.01)
        assert state.t == expected_t


# --- the momentum conventions --------------------------------------------------------------

def quadratic_gradient(params):
    """Gradient of f(x, y) = ½(x² + 10 y²) + x·y/2, a tilted, ill-conditioned bowl."""
    x, y = params["xy"]
    return {"xy": np.array([x + 0.5 * y, 10.0 * y + 0.5 * x])}


def trajectory(step, init_state, lr, n_steps=30, start=(1.0, -1.5), **hyper):
    params = {"xy": np.array(start)}
    state, path = init_state(params), []
    for t in range(n_steps):
        rate = lr(t) if callable(lr) else lr
        params, state = step(params, quadratic_gradient(params), state, rate, **hyper)
        path.append(params["xy"])
    return np.array(path)


@settings(max_examples=25)
@given(mu=st.floats(0.0, 0.99), lr=st.floats(1e-3, 0.15))
def test_momentum_conventions_follow_one_path(mu, lr):
    velocity = trajectory(optim.momentum_step, optim.init_momentum_state, lr, momentum=mu)
    accumulated = trajectory(
        optim.accumulated_momentum_step, optim.init_accumulated_momentum_state, lr, momentum=mu
    )
    np.testing.assert_allclose(velocity, accumulated, rtol=1e-9, atol=1e-12)
    if mu > 0:  # the EMA form with η/(1 − β) follows the same path too
        ema = trajectory(
            optim.ema_momentum_step, optim.init_accumulated_momentum_state, lr / (1 - mu), momentum=mu
        )
        np.testing.assert_allclose(ema, accumulated, rtol=1e-8, atol=1e-11)


def test_momentum_conventions_differ_when_the_rate_changes():
    def schedule(t):
        return 0.1 if t < 5 else 0.01

    velocity = trajectory(optim.momentum_step, optim.init_momentum_state, schedule, momentum=0.9)
    accumulated = trajectory(
        optim.accumulated_momentum_step, optim.init_accumulated_momentum_state, schedule, momentum=0.9
    )
    np.testing.assert_allclose(velocity[:5], accumulated[:5], rtol=1e-12)
    assert not np.allclose(velocity[5:], accumulated[5:])


def test_nesterov_matches_the_lookahead_form():
    """Textbook Nesterov: v ← μv − η∇f(θ + μv), θ ← θ + v; our params are θ + μv."""
    mu, lr = 0.8, 0.05
    theta, v = np.array([1.0, -1.5]), np.zeros(2)
    stored = trajectory(optim.nesterov_step, optim.init_momentum_state, lr, n_steps=20, momentum=mu)
    for t in range(20):
        v = mu * v - lr * quadratic_gradient({"xy": theta + mu * v})["xy"]
        theta = theta + v
        np.testing.assert_allclose(stored[t], theta + mu * v, rtol=1e-10, atol=1e-13)


# --- Adam's bias correction -----------------------------------------------------------------

@settings(max_examples=30)
@given(
    exponents=st.lists(st.floats(-3, 3), min_size=1, max_size=5),
    signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=5, max_size=5),
    lr=st.floats(1e-4, 1e-1),
)
def test_adam_first_step_has_size_lr_per_coordinate(exponents, signs, lr):
    grad = np.array([s * 10.0**e for s, e in zip(signs, exponents)])
    params = {"w": np.zeros_like(grad)}
    new, _ = optim.adam_step(params, {"w": grad}, optim.init_adam_state(params), lr)
    np.testing.assert_allclose(new["w"], -lr * np.sign(grad), rtol=1e-4)


def test_adam_without_bias_correction_would_crawl():
    """The uncorrected first step m/√v = (1−β1)g/√(1−β2)|g| is ≈ 3η: bias correction matters."""
    params = {"w": np.array([0.0])}
    new, state = optim.adam_step(params, {"w": np.array([5.0])}, optim.init_adam_state(params), 0.01)
    uncorrected = state.m["w"] / np.sqrt(state.s["w"])
    assert uncorrected[0] == pytest.approx(0.1 / sqrt(0.001))
    assert -new["w"][0] == pytest.approx(0.01, rel=1e-6)


# --- purity and input checks --------------------------------------------------------------

def assert_identical(a, b):
    """Exact equality of nested tuples / dicts / arrays (a NamedTuple state included)."""
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for key in a:
            assert_identical(a[key], b[key])
    elif isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_identical(x, y)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(STEPS))
def test_steps_do_not_mutate_their_inputs(name, rng):
    init_state, step = STEPS[name]
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2)}
    grads = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=2)}
    state = init_state(params)
    params, state = step(params, grads, state, 0.1)  # a non-trivial state
    saved = copy.deepcopy((params, grads, state))
    new_params, new_state = step(params, grads, state, 0.1)
    assert_identical(saved, (params, grads, state))
    assert all(new_params[k] is not params[k] for k in params)
    assert not np.allclose(new_params["W1"], params["W1"])


def test_mismatched_keys_name_them():
    params = {"W1": np.zeros((2, 2)), "b1": np.zeros(2)}
    with pytest.raises(ValueError, match=r"^grads needs the keys of params: missing \['b1'\], unexpected \['b2'\]$"):
        optim.sgd_step(params, {"W1": np.zeros((2, 2)), "b2": np.zeros(2)}, 0.1)


def test_mismatched_shapes_name_key_and_shapes():
    params = {"W1": np.zeros((2, 3))}
    with pytest.raises(ValueError, match=r"W1.*\(2, 3\).*\(3, 2\)"):
        optim.adam_step(params, {"W1": np.zeros((3, 2))}, optim.init_adam_state(params), 0.1)


def test_state_for_other_params_is_refused():
    params = {"W1": np.zeros((2, 3))}
    state = optim.init_momentum_state({"W1": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="state.velocity"):
        optim.momentum_step(params, {"W1": np.ones((2, 3))}, state, 0.1)


def test_wrong_state_type_is_a_type_error():
    params = {"w": np.zeros(2)}
    with pytest.raises(TypeError, match=r"^this step needs the AdamState from its init_\*_state\(params\), got RMSPropState$"):
        optim.adam_step(params, {"w": np.ones(2)}, optim.init_rmsprop_state(params), 0.1)


@pytest.mark.parametrize("lr", [0.0, -0.1, float("nan")])
def test_learning_rate_must_be_positive(lr):
    with pytest.raises(ValueError, match="^lr must be a finite number"):
        optim.sgd_step({"w": np.zeros(1)}, {"w": np.ones(1)}, lr)


@pytest.mark.parametrize("beta", [1.0, -0.1, 1.5])
def test_betas_must_lie_in_unit_interval(beta):
    params, grads = {"w": np.zeros(1)}, {"w": np.ones(1)}
    with pytest.raises(ValueError, match="momentum"):
        optim.momentum_step(params, grads, optim.init_momentum_state(params), 0.1, momentum=beta)
    with pytest.raises(ValueError, match="beta2"):
        optim.adam_step(params, grads, optim.init_adam_state(params), 0.1, beta2=beta)
    with pytest.raises(ValueError, match=rf"^rho must lie in \[0, 1\), got {beta}$"):
        optim.rmsprop_step(params, grads, optim.init_rmsprop_state(params), 0.1, rho=beta)


def test_params_must_be_a_dict():
    with pytest.raises(TypeError, match=r"^params must be a dict name -> array, got ndarray$"):
        optim.sgd_step(np.zeros(2), {"w": np.ones(2)}, 0.1)


@pytest.mark.parametrize("step, init_state", [(optim.momentum_step, optim.init_momentum_state),
                                              (optim.adam_step, optim.init_adam_state)])
def test_a_parameter_that_is_not_numbers_is_named(step, init_state):
    state = init_state({"w": np.ones(2)})
    with pytest.raises(TypeError, match=r"^params\['w'\] must hold numbers, got dtype <U1$"):
        step({"w": ["a", "b"]}, {"w": np.ones(2)}, state, 0.1)


def test_unknown_optimiser_lists_the_names():
    with pytest.raises(ValueError, match="adam.*sgd"):
        optim.get_rule("adamax")


# --- convergence ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "name, lr, hyper",
    [
        ("sgd", 0.15, {}),
        ("momentum", 0.05, {"momentum": 0.8}),
        ("momentum_accumulated", 0.05, {"momentum": 0.8}),
        ("momentum_ema", 0.25, {"momentum": 0.8}),
        ("nesterov", 0.05, {"momentum": 0.8}),
        ("adagrad", 0.5, {}),
        ("rmsprop", 0.01, {"rho": 0.9}),
        ("adam", 0.05, {}),
    ],
)
def test_every_optimiser_finds_the_minimum_of_a_convex_quadratic(name, lr, hyper):
    init_state, step = STEPS[name]
    path = trajectory(step, init_state, lr, n_steps=600, **hyper)
    assert np.linalg.norm(path[-1]) < 1e-2, f"{name} ended at {path[-1]}"


# --- issue 12: 0-d parameters, hyper-parameter types, non-finite values ---------------------

@pytest.mark.parametrize("name", sorted(STEPS))
@pytest.mark.parametrize("scalar", [np.array(0.5), 0.5], ids=["0-d array", "python float"])
def test_every_optimiser_steps_a_scalar_parameter(name, scalar):
    init_state, step = STEPS[name]
    params = {"b": scalar}
    new, _ = step(params, {"b": 2.0}, init_state(params), 0.1)
    assert np.shape(new["b"]) == () and float(new["b"]) < 0.5  # moved against the gradient


def test_sgd_step_on_a_scalar_parameter_is_the_plain_update():
    assert float(optim.sgd_step({"b": np.array(0.5)}, {"b": np.array(2.0)}, 0.1)["b"]) == pytest.approx(0.3)


@pytest.mark.parametrize("bad, error", [("0.1", TypeError), (True, TypeError), (np.array([0.1, 0.2]), TypeError),
                                        (float("nan"), ValueError), (float("inf"), ValueError), (-0.1, ValueError)])
def test_learning_rate_must_be_a_finite_positive_number(bad, error):
    with pytest.raises(error, match="^lr must be a (real|finite|single real) number"):
        optim.sgd_step({"w": np.ones(2)}, {"w": np.ones(2)}, bad)


@pytest.mark.parametrize("step, init_state, hyper", [
    (optim.momentum_step, optim.init_momentum_state, "momentum"),
    (optim.nesterov_step, optim.init_momentum_state, "momentum"),
    (optim.ema_momentum_step, optim.init_accumulated_momentum_state, "momentum"),
    (optim.rmsprop_step, optim.init_rmsprop_state, "rho"),
    (optim.adam_step, optim.init_adam_state, "beta1"),
    (optim.adam_step, optim.init_adam_state, "beta2"),
    (optim.adam_step, optim.init_adam_state, "eps"),
])
@pytest.mark.parametrize("bad, error", [("0.9", TypeError), (float("nan"), ValueError), (1.5, ValueError)])
def test_hyper_parameters_must_be_real_numbers_in_range(step, init_state, hyper, bad, error):
    params = {"w": np.ones(2)}
    if hyper == "eps" and bad == 1.5:
        bad = -1.0  # eps may exceed 1, but not be negative
    with pytest.raises(error, match=hyper):
        step(params, {"w": np.ones(2)}, init_state(params), 0.1, **{hyper: bad})


@pytest.mark.parametrize("name", sorted(STEPS))
@pytest.mark.parametrize("where", ["params", "grads"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_every_optimiser_rejects_nan_and_inf_naming_the_array_and_index(name, where, bad):
    init_state, step = STEPS[name]
    params, grads = {"W": np.ones((2, 3))}, {"W": np.ones((2, 3))}
    state = init_state(params)
    {"params": params, "grads": grads}[where]["W"][1, 2] = bad
    with pytest.raises(ValueError, match=rf"{where}\['W'\] must be finite.*index \(1, 2\)"):
        step(params, grads, state, 0.1)


def test_a_step_that_overflows_from_finite_input_is_not_an_error():
    with np.errstate(over="ignore"):
        new = optim.sgd_step({"w": np.array([1e308])}, {"w": np.array([-1e308])}, 10.0)
    assert np.isposinf(new["w"][0])  # a diverging run, not bad input: shown, not refused


@pytest.mark.parametrize("step, init_state, field", [
    (optim.rmsprop_step, optim.init_rmsprop_state, "mean_squares"),
    (optim.momentum_step, optim.init_momentum_state, "velocity"),
    (optim.adam_step, optim.init_adam_state, "s"),
])
def test_a_state_holding_nan_is_named(step, init_state, field):
    """A NaN that reached the result from the optimiser's own state is blamed on that state."""
    params, grads = {"w": np.ones(3)}, {"w": np.ones(3)}
    state = init_state(params)
    getattr(state, field)["w"][2] = np.nan
    with pytest.raises(ValueError, match=rf"^state\.{field}\['w'\] must be finite.*index \(2,\)"):
        step(params, grads, state, 0.1)


@pytest.mark.parametrize("params, message", [
    (np.zeros(2), r"^params must be a dict name -> array, got ndarray$"),
    ({"w": "ab"}, r"^params\['w'\] must hold numbers"),
])
def test_init_state_names_params_that_are_not_a_dict_of_numbers(params, message):
    with pytest.raises(TypeError, match=message):
        optim.init_adam_state(params)


def test_public_steps_state_their_signature_and_state():
    assert list(inspect.signature(optim.adam_step).parameters) == ["params", "grads", "state", "lr", "beta1", "beta2", "eps"]
    assert list(inspect.signature(optim.momentum_step).parameters) == ["params", "grads", "state", "lr", "momentum"]
    assert optim.init_adam_state.__doc__ == "The initial (zero) ``AdamState`` for ``adam``, keyed like params."


def test_states_of_no_parameters_are_empty_and_adam_counts_from_zero():
    assert optim.init_momentum_state({}) == optim.VelocityState({})
    assert optim.init_adam_state({}) == optim.AdamState({}, {}, 0)
