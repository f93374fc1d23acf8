"""Tests for helpers.experiments.loss_surfaces: every gradient against central differences, the minima and the
saddle where the docstring puts them, vectorised evaluation, and input checks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers.experiments import loss_surfaces

NAMES = sorted(loss_surfaces.SURFACES)


def numeric_gradient(surface, point, eps=1e-6):
    grad = np.zeros(2)
    for i in range(2):
        step = np.zeros(2)
        step[i] = eps
        grad[i] = (surface.value(point + step) - surface.value(point - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", NAMES)
@given(x=st.floats(-2.0, 2.0), y=st.floats(-2.0, 2.0))
def test_gradient_matches_central_differences(name, x, y):
    surface = loss_surfaces.get_surface(name)
    point = np.array([x, y])
    analytic = surface.gradient(point)
    numeric = numeric_gradient(surface, point)
    assert np.allclose(analytic, numeric, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_and_lowest(name, rng):
    surface = loss_surfaces.get_surface(name)
    for minimum in surface.minima:
        point = np.array(minimum)
        assert np.allclose(surface.gradient(point), 0.0, atol=1e-12)
        nearby = point + 0.05 * rng.normal(size=(50, 2))
        assert np.all(surface.value(nearby) >= surface.value(point))


def test_saddle_is_a_saddle():
    saddle = loss_surfaces.get_surface("saddle")
    origin = np.zeros(2)
    assert np.allclose(saddle.gradient(origin), 0.0)
    assert saddle.value(np.array([0.1, 0.0])) > 0 > saddle.value(np.array([0.0, 0.1]))
    assert saddle.value(np.array([0.0, 1.0])) == pytest.approx(-0.25)


def test_valley_condition_number_and_rotation():
    flat = loss_surfaces.valley(condition=25.0)
    # f = (u^2 + 25 v^2)/2: the Hessian's diagonal, recovered from the gradient of unit vectors
    assert np.allclose(flat.gradient(np.array([1.0, 0.0])), [1.0, 0.0])
    assert np.allclose(flat.gradient(np.array([0.0, 1.0])), [0.0, 25.0])
    tilted = loss_surfaces.valley(condition=25.0, angle_degrees=30.0)
    along = np.array([np.cos(np.pi / 6), np.sin(np.pi / 6)])  # the flat direction
    assert tilted.value(along) == pytest.approx(0.5)
    assert tilted.value(np.array([-along[1], along[0]])) == pytest.approx(12.5)
    with pytest.raises(ValueError, match="condition"):
        loss_surfaces.valley(condition=0.5)


@pytest.mark.parametrize("name", NAMES)
def test_grid_evaluation_matches_pointwise(name):
    surface = loss_surfaces.get_surface(name)
    xs, ys, values = loss_surfaces.grid(surface, 7)
    assert values.shape == (7, 7)
    assert values[2, 5] == pytest.approx(surface.value(np.array([xs[5], ys[2]])))
    grads = surface.gradient(np.stack(np.meshgrid(xs, ys), axis=-1))
    assert grads.shape == (7, 7, 2)
    assert np.allclose(grads[4, 1], surface.gradient(np.array([xs[1], ys[4]])))


def test_start_inside_the_plot_window():
    for surface in loss_surfaces.SURFACES.values():
        assert surface.x_range[0] < surface.start[0] < surface.x_range[1]
        assert surface.y_range[0] < surface.start[1] < surface.y_range[1]


def test_unknown_surface_lists_the_names():
    with pytest.raises(ValueError, match="unknown surface 'bowl'"):
        loss_surfaces.get_surface("bowl")


@given(x=st.floats(-2.0, 2.0), y=st.floats(-1.0, 3.0), steepness=st.floats(1.0, 200.0))
def test_rosenbrock_derivatives_match_central_differences(x, y, steepness):
    def value(p):
        return (1.0 - p[0]) ** 2 + steepness * (p[1] - p[0] ** 2) ** 2

    def numeric(function, point, eps=1e-5):
        return np.array([(function(point + eps * unit) - function(point - eps * unit)) / (2 * eps) for unit in np.eye(2)])

    point = np.array([x, y])
    gradient, hessian = loss_surfaces.rosenbrock_derivatives(x, y, steepness)
    assert np.allclose(gradient, numeric(value, point), rtol=1e-6, atol=1e-4)
    for i in range(2):  # row i of the Hessian: the derivative of ∂f/∂p_i, from f itself
        row = numeric(lambda q: numeric(value, q, 1e-4)[i], point, 1e-4)
        assert np.allclose(hessian[i], row, rtol=1e-4, atol=1e-2 * steepness)


def test_rosenbrock_derivatives_are_the_surface_at_steepness_100():
    gradient, hessian = loss_surfaces.rosenbrock_derivatives(-1.2, 1.0)
    assert np.allclose(gradient, loss_surfaces.ROSENBROCK.gradient(np.array([-1.2, 1.0])))
    # at the minimum: [[2 + 8b, -4b], [-4b, 2b]], condition number about 2508
    _, at_minimum = loss_surfaces.rosenbrock_derivatives(1.0, 1.0)
    assert np.allclose(at_minimum, [[802.0, -400.0], [-400.0, 200.0]])
    low, high = np.linalg.eigvalsh(at_minimum)
    assert high / low == pytest.approx(2508.0, rel=1e-3)


@given(x=st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 0.1), y=st.floats(-1.0, 3.0))
def test_wrong_rosenbrock_derivatives_are_wrong(x, y):
    assume(abs(y - x * x) > 0.1)  # on the valley's floor y = x² some mistakes give the right numbers
    gradient, hessian = loss_surfaces.rosenbrock_derivatives(x, y, 100.0)
    wrong_gradients, wrong_hessians = loss_surfaces.wrong_rosenbrock_derivatives(x, y, 100.0, gradient, hessian)
    assert len(wrong_gradients) == 3 and len(wrong_hessians) == 2
    for wrong in wrong_hessians.values():  # each differs where a mistaken derivation would
        assert wrong.shape == (2, 2) and not np.allclose(wrong, hessian, rtol=1e-6, atol=1e-9)
    for wrong in wrong_gradients.values():
        assert wrong.shape == (2,)
        assert wrong[1] == gradient[1]


def test_wrong_rosenbrock_derivatives_need_only_the_expected_values(monkeypatch):
    """A student's copy of helpers lacks rosenbrock_derivatives before 06's deadline: the test cell's
    messages are built on its expected values instead (here the worked case of the notebook)."""
    monkeypatch.setattr(loss_surfaces, "rosenbrock_derivatives", _absent)
    wrong_gradients, wrong_hessians = loss_surfaces.wrong_rosenbrock_derivatives(
        0.0, 1.0, 100.0, [-2.0, 200.0], [[-398.0, 0.0], [0.0, 200.0]])
    assert all(wrong[1] == 200.0 for wrong in wrong_gradients.values())
    by_hand = {(-2.0 + 200.0, 200.0), (-2.0, 200.0), (2.0, 200.0)}  # no inner factor, +2x (= 0 here), sign
    assert {tuple(wrong) for wrong in wrong_gradients.values()} == by_hand
    assert sorted(wrong[0, 0] for wrong in wrong_hessians.values()) == [-398.0, 2.0]  # -4bu only; 8bx² = 0
    assert all(wrong[1, 1] == 200.0 and wrong[0, 1] == 0.0 for wrong in wrong_hessians.values())


def _absent(*args, **kwargs):
    raise NotImplementedError("the course's answer is not in this copy")


def test_surface_with_a_pointwise_gradient_runs_like_the_original():
    calls = []

    def gradient_at(x, y):
        calls.append((x, y))
        return loss_surfaces.rosenbrock_derivatives(x, y)[0]

    surface = loss_surfaces.with_pointwise_gradient(loss_surfaces.ROSENBROCK, gradient_at)
    points = np.array([[[-1.2, 1.0], [0.5, 0.3]], [[1.0, 1.0], [2.0, -1.0]]])
    assert np.allclose(surface.gradient(points), loss_surfaces.ROSENBROCK.gradient(points))
    assert len(calls) == 4 and surface.value is loss_surfaces.ROSENBROCK.value
