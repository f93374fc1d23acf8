"""Tests for notebook 01's figures (helpers.viz.why_sigmoid): the sigmoid-versus-step view behind
the sigmoid explorer, the activation gallery, one neuron's fitted curve and XOR's decision regions."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.viz import figures, why_sigmoid as why_sigmoid_figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize("make, n_axes", [
    (lambda: why_sigmoid_figures.SigmoidView().draw(), 2),
    (lambda: why_sigmoid_figures.SigmoidView().draw(w=0.0, b=1.0, steepness=20.0), 2),
    (lambda: why_sigmoid_figures.activation_gallery(), 4),
    (lambda: why_sigmoid_figures.activation_gallery(("relu",)), 1),
    (lambda: why_sigmoid_figures.activation_gallery(["sigmoid", "tanh", "identity"], z_range=(-2, 2)), 3),
    (lambda: why_sigmoid_figures.neuron_fit([-1.0, 0.0, 2.0], [0.0, 1.0, 1.0], 1.5, -0.2, title="fit"), 1),
])
def test_figures_draw(make, n_axes):
    fig = make()
    assert isinstance(fig, Figure) and len(fig.axes) == n_axes
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)


def test_sigmoid_view_draws_the_formula():
    w, b, c = 0.8, -0.4, 3.0
    fig = why_sigmoid_figures.SigmoidView().draw(w=w, b=b, steepness=c)
    left, right = fig.axes
    sigmoid_line = next(line for line in left.get_lines() if "sigmoid" in line.get_label())
    x = sigmoid_line.get_xdata()
    np.testing.assert_allclose(sigmoid_line.get_ydata(), sigma(c * (w * x + b)), rtol=1e-12, atol=1e-15)
    step_line = next(line for line in left.get_lines() if "step" in line.get_label())
    np.testing.assert_array_equal(step_line.get_ydata(), (w * x + b > 0).astype(float))
    derivative = right.get_lines()[0].get_ydata()
    s = sigma(c * (w * x + b))
    np.testing.assert_allclose(derivative, s * (1 - s), rtol=1e-12, atol=1e-15)
    assert derivative.max() <= 0.25


def test_sigmoid_view_draws_the_functions_it_is_given():
    """The notebook passes the student's own sigmoid and sigmoid_prime: the view draws those."""
    view = why_sigmoid_figures.SigmoidView(sigmoid=lambda z: 0.5 + 0.1 * np.tanh(z), sigmoid_prime=np.cos)
    view.update(w=1.0, b=0.5, steepness=2.0)
    x = view.x
    np.testing.assert_allclose(view.neuron.get_ydata(), 0.5 + 0.1 * np.tanh(2.0 * (x + 0.5)), rtol=1e-12)
    np.testing.assert_allclose(view.derivative.get_ydata(), np.cos(2.0 * (x + 0.5)), rtol=1e-12)


def test_activation_gallery_draws_the_functions_it_is_given():
    fig = why_sigmoid_figures.activation_gallery(("sigmoid", "tanh"), functions={"sigmoid": (np.sin, np.cos)})
    sigmoid_ax, tanh_ax = fig.axes
    z = sigmoid_ax.get_lines()[0].get_xdata()
    np.testing.assert_allclose(sigmoid_ax.get_lines()[0].get_ydata(), np.sin(z), rtol=1e-12)
    np.testing.assert_allclose(sigmoid_ax.get_lines()[1].get_ydata(), np.cos(z), rtol=1e-12)
    np.testing.assert_allclose(tanh_ax.get_lines()[0].get_ydata(), np.tanh(z), rtol=1e-12)  # the registry's


def test_neuron_fit_draws_the_sigmoid_it_is_given():
    fig = why_sigmoid_figures.neuron_fit([0.0, 1.0], [0, 1], 2.0, -1.0, sigmoid=np.tanh)
    curve = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(curve.get_ydata(), np.tanh(2.0 * curve.get_xdata() - 1.0), rtol=1e-12)


def test_sigmoid_view_hides_the_threshold_of_a_flat_neuron():
    view = why_sigmoid_figures.SigmoidView()
    view.update(w=2.0, b=1.0)
    assert view.threshold.get_visible() and view.threshold.get_xdata()[0] == pytest.approx(-0.5)
    view.update(w=0.0, b=1.0)
    assert not view.threshold.get_visible()  # w = 0: no threshold x = -b/w


def test_activation_gallery_titles_and_unknown_name():
    fig = why_sigmoid_figures.activation_gallery(("tanh", "relu"))
    assert [ax.get_title() for ax in fig.axes] == ["tanh", "relu"]
    tanh_ax = fig.axes[0]
    z = tanh_ax.get_lines()[0].get_xdata()
    np.testing.assert_allclose(tanh_ax.get_lines()[0].get_ydata(), np.tanh(z), rtol=1e-12)
    np.testing.assert_allclose(tanh_ax.get_lines()[1].get_ydata(), 1 - np.tanh(z) ** 2, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="unknown activation"):
        why_sigmoid_figures.activation_gallery(("swishy",))


@pytest.mark.parametrize("alpha", [None, 0.2])
def test_activation_gallery_draws_a_visible_leaky_slope(alpha):
    options = {} if alpha is None else {"leaky_alpha": alpha}
    fig = why_sigmoid_figures.activation_gallery(("relu", "leaky_relu"), z_range=(-5.0, 5.0), **options)
    leaky_ax = fig.axes[1]
    slope = 0.1 if alpha is None else alpha  # 0.01 would look exactly like ReLU at this scale
    z, f = leaky_ax.get_lines()[0].get_xdata(), leaky_ax.get_lines()[0].get_ydata()
    np.testing.assert_allclose(f[z < 0], slope * z[z < 0], rtol=1e-12)
    np.testing.assert_allclose(leaky_ax.get_lines()[1].get_ydata()[z < 0], slope)
    assert f"α = {slope:g}" in leaky_ax.get_title()
    assert fig.axes[0].get_title() == "relu"


def test_neuron_fit_curve_covers_the_data():
    x = np.array([[-1.0], [0.5], [3.0]])  # a column, as X is in the notebooks
    fig = why_sigmoid_figures.neuron_fit(x, [0, 1, 1], 2.0, -1.0)
    (ax,) = fig.axes
    curve = ax.get_lines()[0]
    grid = curve.get_xdata()
    assert grid.min() < -1.0 and grid.max() > 3.0
    np.testing.assert_allclose(curve.get_ydata(), sigma(2.0 * grid - 1.0), rtol=1e-12)


def test_xor_regions_shade_each_model_and_count_what_it_gets_right():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    calls = []

    def probability(points):  # right on (0,0), (0,1), (1,0); wrong on (1,1)
        calls.append(len(points))
        return sigma(10 * (points[:, 0] + points[:, 1] - 0.5))

    fig = why_sigmoid_figures.xor_regions(X, y, (np.array([1.0, 1.0]), -0.5), probability,
                                          linear_correct=3, hidden_units=2, resolution=21)
    left, right = fig.axes[:2]
    assert "3 of 4" in left.get_title()
    assert right.get_title() == "2-2-1 sigmoid network: 3 of 4 right"
    assert sorted(calls) == [4, 21 * 21]
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)
