"""Tests for helpers.viz.vanishing_gradients and notebook 07's widget."""
from __future__ import annotations

import numpy as np

import pytest

from helpers import datasets
from helpers.activations import ACTIVATIONS, hidden_activations
from helpers.viz import vanishing_gradients as vanishing_gradients_figures, figures, widgets
from helpers.experiments import vanishing_gradients
from toy_activation import with_silu  # noqa: F401  (a fixture)


def small_batch():
    X, labels = datasets.load_digits()
    return X[:60], labels[:60]


def test_chain_and_profile_figures_draw():
    chains = {"w = 1": vanishing_gradients.chain_gradients(1.0, 0.0, np.ones(4), np.zeros(4))}
    fig = vanishing_gradients_figures.chain_gradients(chains)
    assert fig.axes[0].get_yscale() == "log"
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), np.abs(chains["w = 1"]))
    X, labels = small_batch()
    profiles = {"sigmoid": {3: vanishing_gradients.norm_profile(X, labels, 3, "sigmoid", seeds=(0,))},
                "relu": {3: vanishing_gradients.norm_profile(X, labels, 3, "relu", seeds=(0,))}}
    fig = vanishing_gradients_figures.norm_profiles(profiles)
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) == 1
    assert figures.figure_png(fig).startswith(b"\x89PNG")


def test_training_speed_and_clipping_figures_draw():
    norms, moved = np.abs(np.random.default_rng(0).normal(size=(2, 4, 3))) + 0.01
    fig = vanishing_gradients_figures.training_speed({"a": (norms, moved), "b": (norms, moved)})
    assert len(fig.axes) == 4 and len(fig.axes[0].get_lines()) == 2  # hidden layers only
    losses = np.array([2.0, 1e70, np.inf])
    fig = vanishing_gradients_figures.clipping_runs({"diverged": (losses, np.array([1.0, 1e80, np.inf])),
                                     "clipped": (np.array([70.0, 9.0, 2.2]), np.array([400.0, 30.0, 20.0]))},
                                    chance_loss=np.log(10))
    norms_ax, loss_ax = fig.axes
    assert [line.get_label() for line in norms_ax.get_lines()][::2] == ["diverged (overflowed)", "clipped"]
    # the loss panel holds only the run that stayed finite (and the chance line): its axis is its own
    (clipped, chance) = loss_ax.get_lines()
    assert clipped.get_label() == "clipped" and np.allclose(chance.get_ydata(), np.log(10))
    assert loss_ax.get_ylim()[1] < 1e3
    assert figures.figure_png(fig).startswith(b"\x89PNG")


def test_gradient_norm_explorer_follows_its_controls():
    X, labels = small_batch()
    live = widgets.gradient_norm_explorer(X, labels, depth=3)
    assert set(live.controls) == {"depth", "activation", "weight_scale"}
    fig = vanishing_gradients_figures.GradientNormView(X, labels).draw(depth=3, activation="relu", weight_scale=2.0)
    assert "relu, 3 hidden layers" in fig.axes[0].get_title()
    assert len(fig.axes[0].get_lines()[0].get_ydata()) == 4
    first = live.render()
    live.controls["activation"].value = "tanh"
    assert live.render() != first


def test_gradient_norm_explorer_draws_the_norms_of_the_function_it_is_given():
    X, labels = small_batch()

    def student_norms(net, X_seen, labels_seen):  # a student's function: 10^-l for layer l
        return 10.0 ** -np.arange(1, net.n_layers + 1)

    live = widgets.gradient_norm_explorer(X, labels, depth=3, gradient_norms=student_norms)
    line = live.view.draw(depth=3, activation="tanh", weight_scale=1.0).axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), 10.0 ** -np.arange(1, 5))


def test_gradient_norm_view_axes_hold_the_profile_in_coarse_steps():
    X, labels = small_batch()
    view = vanishing_gradients_figures.GradientNormView(X, labels)
    for depth, activation, scale in [(1, "tanh", 0.25), (6, "sigmoid", 1.0), (12, "relu", 4.0), (30, "sigmoid", 0.25)]:
        ax = view.draw(depth=depth, activation=activation, weight_scale=scale).axes[0]
        profile = vanishing_gradients.norm_profile(X, labels, depth, activation, scale)
        np.testing.assert_allclose(ax.get_lines()[0].get_xydata(), np.column_stack([np.arange(1, depth + 2), profile]))
        low, high = ax.get_ylim()
        assert low <= min(profile.min() / 3, 1e-3) and high >= max(profile.max() * 3, 10.0)
        assert round(-np.log10(low)) in (3, 5, 10, 20, 30, 50) and round(np.log10(high)) in (1, 2, 3, 5, 10, 20)
        assert ax.get_xlim() == (0.5, 2 ** int(np.ceil(np.log2(depth + 1))) + 0.5)
        assert f"{activation}, {depth} hidden layers" in ax.get_title()
    # a small slider move keeps the axes, so only the line and the title are redrawn
    assert view.background_key(6, "sigmoid", 1.0) == view.background_key(6, "sigmoid", 1.12)
    assert view.background_key(6, "sigmoid", 1.0) != view.background_key(30, "sigmoid", 1.0)
    assert [vanishing_gradients_figures._nice_decades(d) for d in (0.5, 1, 2.5, 4, 6, 11, 37, 120)] == [1, 1, 3, 5, 10, 20, 50, 200]


@pytest.mark.parametrize("activation", hidden_activations())
def test_gradient_norm_view_draws_each_activation_in_its_colour(activation):
    X, labels = small_batch()
    ax = vanishing_gradients_figures.GradientNormView(X, labels).draw(depth=2, activation=activation).axes[0]
    assert ax.get_lines()[0].get_color() == ACTIVATIONS[activation].colour


def test_a_new_activation_needs_only_its_record(with_silu):
    """SiLU added by one record (its f' is not a function of its output): the deep network takes its
    gain, the view its colour."""
    X, labels = small_batch()
    ax = vanishing_gradients_figures.GradientNormView(X, labels).draw(depth=2, activation="silu").axes[0]
    assert ax.get_lines()[0].get_color() == with_silu.colour and np.all(np.isfinite(ax.get_lines()[0].get_ydata()))
