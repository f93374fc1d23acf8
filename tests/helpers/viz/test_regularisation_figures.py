"""Tests for helpers.viz.regularisation and the regularisation explorer widget."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers.viz import figures, widgets
from helpers.experiments import regularisation as regularisation_experiment
from helpers.viz import regularisation as regularisation_figures
from helpers.datasets import Split


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    split = Split(X[:30], y[:30], X[30:], y[30:], X[:0], y[:0])
    lams, drops = [0.0, 1.0], [0.0, 0.5]
    params, curves = regularisation_experiment.fit_grid(split.X_train, split.y_train, split.X_val, split.y_val, lams, drops,
                                 layer_sizes=[2, 8, 2], epochs=40, rng=rng)
    return split, lams, drops, params, curves


def test_every_figure_builds_and_renders(trained):
    split, lams, drops, params, curves = trained
    one = regularisation_experiment.select(params, 0)
    one_curves = regularisation_experiment.Curves(curves.epochs, curves.train_accuracy[:, 0], curves.val_accuracy[:, 0])
    built = [
        regularisation_figures.overfitting(one, one_curves, split),
        regularisation_figures.curve_panels({"a": one_curves, "b": one_curves}, stops={"b": int(curves.epochs[0])}),
        regularisation_figures.weight_histograms({"a": one["W1"], "b": 0.01 * one["W1"]}),
        regularisation_figures.lambda_sweep(lams, drops, curves),
        regularisation_figures.shifted_copies(np.random.default_rng(1).random(64)),
        regularisation_figures.ExplorerView(params, curves, lams, drops, split).draw(lam=1.0, drop_probability=0.5),
    ]
    for figure in built:
        assert isinstance(figure, Figure) and figures.figure_png(figure)[:4] == b"\x89PNG"


def test_the_explorer_shows_the_chosen_network(trained):
    split, lams, drops, params, curves = trained
    live = widgets.regularisation_explorer(params, curves, lams, drops, split)
    before = live.render()
    live.controls["lam"].value = 1.0
    assert live.render() != before
    assert live.controls["drop_probability"].options == (("0", 0.0), ("0.5", 0.5))
    with pytest.raises(ValueError, match=r"lam must be one of the trained values \[.*\], got 0.3"):
        regularisation_figures.ExplorerView(params, curves, lams, drops, split).draw(lam=0.3, drop_probability=0.0)


def test_the_explorer_view_replaces_its_boundary_and_returns_it(trained):
    split, lams, drops, params, curves = trained
    view = regularisation_figures.ExplorerView(params, curves, lams, drops, split)
    first = view.update(lam=0.0, drop_probability=0.5)
    moving = view.update(lam=1.0, drop_probability=0.5)
    assert view.boundary in moving and view.boundary not in first
    assert view.left.collections.count(view.boundary) == 1 and len(view.left.collections) == 5  # 4 scatters + 1
    assert moving.index(view.image) < moving.index(view.boundary)  # drawn over the picture, as a full draw does
    assert all(artist.figure is view.figure for artist in moving)
    assert view.marker.get_xdata()[0] == 1 and "λ = 1, p = 0.5" in view.left.get_title()


def test_the_cure_comparison_plots_the_mean_paired_gains():
    from helpers.experiments.regularisation_cures import CureComparison

    rng = np.random.default_rng(3)
    val, test = rng.uniform(0.8, 0.9, (4, 3)), rng.uniform(0.8, 0.9, (4, 3))
    figure = regularisation_figures.cure_comparison(CureComparison(("none", "a", "b"), val, test, np.array([20, 40, 20, 60])))
    assert figures.figure_png(figure)[:4] == b"\x89PNG"
    right = figure.axes[1]
    means = right.containers[0].lines[0].get_ydata()  # the errorbar's markers: the mean gains
    np.testing.assert_allclose(means, 100 * (test[:, 1:] - test[:, :1]).mean(axis=0))
