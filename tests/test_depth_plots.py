"""Tests for helpers.depth_plots and notebook 07's widget."""
from __future__ import annotations

import numpy as np

from helpers import datasets, depth_plots, gradient_flow, plots, widgets


def small_batch():
    X, labels = datasets.load_digits()
    return X[:60], labels[:60]


def test_chain_and_profile_figures_draw():
    chains = {"w = 1": gradient_flow.chain_gradients(1.0, 0.0, np.ones(4), np.zeros(4))}
    fig = depth_plots.chain_gradients(chains)
    assert fig.axes[0].get_yscale() == "log"
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), np.abs(chains["w = 1"]))
    X, labels = small_batch()
    profiles = {"sigmoid": {3: gradient_flow.norm_profile(X, labels, 3, "sigmoid", seeds=(0,))},
                "relu": {3: gradient_flow.norm_profile(X, labels, 3, "relu", seeds=(0,))}}
    fig = depth_plots.norm_profiles(profiles)
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) == 1
    assert plots.figure_png(fig).startswith(b"\x89PNG")


def test_training_speed_and_clipping_figures_draw():
    norms, moved = np.abs(np.random.default_rng(0).normal(size=(2, 4, 3))) + 0.01
    fig = depth_plots.training_speed({"a": (norms, moved), "b": (norms, moved)})
    assert len(fig.axes) == 4 and len(fig.axes[0].get_lines()) == 2  # hidden layers only
    losses = np.array([2.0, 1.5, np.inf])
    fig = depth_plots.clipping_runs({"diverged": (losses, np.array([1.0, 10.0, np.inf]))})
    assert plots.figure_png(fig).startswith(b"\x89PNG")


def test_gradient_norm_explorer_follows_its_controls():
    X, labels = small_batch()
    live = widgets.gradient_norm_explorer(X, labels, depth=3)
    assert set(live.controls) == {"depth", "activation", "weight_scale"}
    fig = depth_plots.gradient_norm_profile(X, labels, 3, "relu", 2.0)
    assert "relu, 3 hidden layers" in fig.axes[0].get_title()
    assert len(fig.axes[0].get_lines()[0].get_ydata()) == 4
    first = live.render()
    live.controls["activation"].value = "tanh"
    assert live.render() != first
    assert callable(widgets.EXAMPLES["helpers.widgets._gradient_norm_explorer_example"])
