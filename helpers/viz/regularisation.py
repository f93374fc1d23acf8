r"""Figures for notebook 04 (regularisation): decision regions, training and validation
curves, weight histograms under L1 and L2, a λ × dropout sweep, shifted digits, and the
view behind the regularisation explorer. Each function returns a matplotlib ``Figure``
(no pyplot) of the two-class networks trained by ``helpers.experiments.regularisation``.

A two-class softmax network's probability of class 1 is
:math:`\mathrm{softmax}(z)_1 = \sigma(z_1 - z_0)`; the decision boundary is where it is ½.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from helpers.viz.figures import fixed_panels  # importing figures also registers the PNG display in Jupyter
from helpers.experiments import regularisation as regularisation_experiment
from helpers.experiments.regularisation_cures import CureComparison, augment_with_shifts, mean_and_standard_error
from helpers.activations import sigmoid
from helpers.datasets import Split
from helpers.viz.live import LiveView

CLASS_COLOURS = ("#1f77b4", "#d62728")


def _panels(n_columns: int, width: float, height: float, wspace: float = 0.28):
    fig, (axes,) = fixed_panels(1, n_columns, width, height, bottom=0.16, top=0.86, wspace=wspace)
    return fig, axes


def _bounds(split: Split, margin: float = 0.3):
    X = np.concatenate([split.X_train, split.X_val])
    return X[:, 0].min() - margin, X[:, 0].max() + margin, X[:, 1].min() - margin, X[:, 1].max() + margin


def _plane(params, split: Split, activation: str, resolution: int):
    """The plane around the data: grids ``xx``, ``yy`` (r, r), their extent, and every network's
    P(class 1) there, (r, r) or (M, r, r)."""
    x0, x1, y0, y1 = _bounds(split)
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    logits, _ = regularisation_experiment.forward(params, np.column_stack([xx.ravel(), yy.ravel()]), activation)
    probability = sigmoid(logits[..., 1] - logits[..., 0]).reshape(logits.shape[:-2] + xx.shape)
    return xx, yy, (x0, x1, y0, y1), probability


def _shade(ax, probability, extent):
    return ax.imshow(probability, extent=extent, origin="lower", cmap="RdBu_r", vmin=-0.4, vmax=1.4,
                     aspect="auto", interpolation="bilinear")


def _boundary(ax, xx, yy, probability):
    return ax.contour(xx, yy, probability, levels=[0.5], colors="k", linewidths=1.2)


def _points(ax, split: Split) -> list:
    """Training points solid, validation points faint, class by class; returns the four scatters."""
    points = []
    for label, colour in enumerate(CLASS_COLOURS):
        val, train = split.y_val == label, split.y_train == label
        points.append(ax.scatter(split.X_val[val, 0], split.X_val[val, 1], s=6, color=colour, alpha=0.25, lw=0))
        points.append(ax.scatter(split.X_train[train, 0], split.X_train[train, 1], s=22, color=colour,
                                 edgecolor="k", lw=0.6))
    return points


def decision_regions(ax, params, split: Split, activation: str = "relu", resolution: int = 70) -> None:
    """Shade P(class 1) of one network over the plane; training points solid, validation faint."""
    xx, yy, extent, probability = _plane(params, split, activation, resolution)
    _shade(ax, probability, extent)
    _boundary(ax, xx, yy, probability)
    _points(ax, split)
    ax.set(xlim=extent[:2], ylim=extent[2:], xticks=[], yticks=[])


def _curves(ax, curves: regularisation_experiment.Curves, stop: int | None = None, title: str = "") -> None:
    ax.plot(curves.epochs, 100 * curves.train_accuracy, color="C0", lw=2, label="training")
    ax.plot(curves.epochs, 100 * curves.val_accuracy, color="C1", lw=2, label="validation")
    if stop is not None:
        ax.axvline(stop, color="0.3", ls="--", lw=1, label=f"early stop (epoch {stop})")
    ax.set(xlabel="epoch", ylabel="accuracy (%)", ylim=(70, 101), title=title)
    ax.grid(alpha=0.3)


def overfitting(params, curves: regularisation_experiment.Curves, split: Split, title: str = "") -> Figure:
    """Left: one network's decision regions. Right: its training and validation accuracy."""
    fig, (left, right) = _panels(2, 4.6, 3.6)
    decision_regions(left, params, split)
    left.set_title(title or "decision regions (big dots: training set)")
    _curves(right, curves, title="accuracy while training")
    right.legend(loc="lower right", fontsize=8)
    return fig


def curve_panels(runs: Mapping[str, regularisation_experiment.Curves], stops: Mapping[str, int] | None = None) -> Figure:
    """One panel per run: training and validation accuracy against the epoch, with the final
    validation accuracy in the title and, where ``stops`` has the run, its early-stopping epoch."""
    stops = dict(stops or {})
    fig, axes = _panels(len(runs), 3.3, 3.0, wspace=0.12)
    for index, (ax, (name, curves)) in enumerate(zip(axes, runs.items())):
        stop = stops.get(name)
        final = curves.val_accuracy[-1] if stop is None else curves.val_accuracy[curves.epochs == stop][0]
        _curves(ax, curves, stop, title=f"{name}: validation {100 * final:.1f} %")
        if index:
            ax.set(ylabel="", yticklabels=[])
    axes[0].legend(loc="lower right", fontsize=8)
    return fig


def weight_histograms(weights: Mapping[str, np.ndarray], floor: float = 1e-6) -> Figure:
    r"""Left: the weights' histogram (step lines, one per entry). Right: the histogram of
    :math:`\log_{10}|w|` (values below ``floor`` are counted at the floor), where L1's pile of
    near-zero weights shows."""
    fig, (left, right) = _panels(2, 4.4, 3.2)
    every = np.concatenate([np.ravel(w) for w in weights.values()])
    limit = float(np.max(np.abs(every))) if every.size else 1.0
    linear_bins = np.linspace(-limit, limit, 41)
    log_bins = np.linspace(np.log10(floor), np.log10(max(limit, 10 * floor)), 41)
    for colour, (name, w) in enumerate(weights.items()):
        w = np.ravel(w)
        style = dict(histtype="step", lw=2, color=f"C{colour}", label=name)
        left.hist(w, bins=linear_bins, **style)
        right.hist(np.log10(np.maximum(np.abs(w), floor)), bins=log_bins, **style)
    left.set(xlabel="weight w", ylabel="number of weights", yscale="log", title="weights")
    right.set(xlabel=r"$\log_{10}|w|$", ylabel="number of weights", title="their sizes, on a log scale")
    left.legend(fontsize=8)
    return fig


def lambda_sweep(lams: Sequence[float], drop_probabilities: Sequence[float], curves: regularisation_experiment.Curves) -> Figure:
    """Final validation (solid) and training (dashed) accuracy of ``regularisation_experiment.fit_grid``'s networks
    against λ, one colour per dropout probability."""
    lams, drops = list(lams), list(drop_probabilities)
    train = 100 * curves.train_accuracy[-1].reshape(len(lams), len(drops))
    val = 100 * curves.val_accuracy[-1].reshape(len(lams), len(drops))
    fig, (ax,) = _panels(1, 6.0, 3.4)
    positions = np.arange(len(lams))
    for j, p in enumerate(drops):
        ax.plot(positions, val[:, j], "o-", color=f"C{j}", lw=2, label=f"validation, dropout p = {p:g}")
        ax.plot(positions, train[:, j], "--", color=f"C{j}", lw=1, alpha=0.7)
    ax.set(xticks=positions, xticklabels=[f"{lam:g}" for lam in lams], xlabel="L2 strength λ",
           ylabel="accuracy (%)", title="after training (dashed: training accuracy)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return fig


def cure_comparison(result: CureComparison) -> Figure:
    """Left: every cure's validation and test accuracy, mean ± one standard error over the seeds.
    Right: each seed's test-accuracy gain over no regularisation (grey dots) and their mean ±
    one standard error (black): the paired comparison, on the same data and initial weights."""
    fig, (left, right) = _panels(2, 4.6, 3.6, wspace=0.35)
    fig.subplots_adjust(bottom=0.27)
    positions = np.arange(len(result.cures))
    for offset, (label, accuracies, colour) in enumerate((("validation", result.val_accuracy, "C1"),
                                                            ("test", result.test_accuracy, "C2"))):
        mean, error = mean_and_standard_error(100 * accuracies)
        left.errorbar(positions + 0.15 * (2 * offset - 1), mean, yerr=error, fmt="o", color=colour, capsize=4,
                      lw=2, label=f"{label} (mean ± s.e.)")
    left.set(ylabel="accuracy (%)", title=f"every cure, over {len(result.val_accuracy)} seeds")
    left.legend(fontsize=8, loc="lower right")
    gains = 100 * (result.test_accuracy[:, 1:] - result.test_accuracy[:, :1])
    mean, error = mean_and_standard_error(gains)
    jitter = np.linspace(-0.12, 0.12, len(gains))
    for k in range(gains.shape[1]):
        right.plot(k + jitter, gains[:, k], "o", ms=3, color="0.6", zorder=1, label="one seed" if k == 0 else None)
    right.errorbar(positions[:-1], mean, yerr=error, fmt="o", color="k", capsize=5, lw=2, ms=6, zorder=2,
                   label="mean ± s.e.")
    right.axhline(0.0, color="C3", lw=1)
    right.set(ylabel="test accuracy gain (points)", title="test gain over no regularisation")
    right.legend(fontsize=8, loc="upper right")
    for ax, names in ((left, result.cures), (right, result.cures[1:])):
        ax.set_xticks(np.arange(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.grid(alpha=0.3, axis="y")
    return fig


def shifted_copies(image, side: int = 8) -> Figure:
    """An image and its four one-pixel shifts, as ``regularisation_cures.augment_with_shifts`` makes them."""
    copies, _ = augment_with_shifts(np.reshape(image, (1, side * side)), [0], side)
    names = ["original", "down", "up", "right", "left"]
    fig, axes = _panels(len(names), 1.5, 1.8, wspace=0.1)
    for ax, copy, name in zip(axes, copies, names):
        ax.imshow(copy.reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
        ax.set(xticks=[], yticks=[], title=name)
    return fig


class ExplorerView(LiveView):
    """The regularisation explorer (notebook 04): the decision regions of the network trained with
    (λ, p) by ``regularisation_experiment.fit_grid`` (left) and the final accuracies of every λ at that p (right, the
    current λ circled). Every network's P(class 1) over the plane is computed up front; a slider
    swaps the picture, redraws the points over it and the boundary (a new contour each time), and
    moves the two curves, the circle and the titles. The axes keep their limits: no background
    redraw."""

    def __init__(self, params, curves: regularisation_experiment.Curves, lams: Sequence[float], drop_probabilities: Sequence[float],
                 split: Split, activation: str = "relu", resolution: int = 70):
        self.lams, self.drops = list(lams), list(drop_probabilities)
        shape = (len(self.lams), len(self.drops))
        self.train = 100 * curves.train_accuracy[-1].reshape(shape)
        self.val = 100 * curves.val_accuracy[-1].reshape(shape)
        self.xx, self.yy, extent, self.probability = _plane(params, split, activation, resolution)
        # Margins set by hand to fit every label: the layout stays fixed whatever the values.
        self.figure, (self.left, self.right) = _panels(2, 4.4, 3.4)
        self.figure.subplots_adjust(left=0.015, right=0.985, bottom=0.15, top=0.9, wspace=0.2)
        self.image = _shade(self.left, self.probability[0], extent)
        self.points = _points(self.left, split)
        self.left.set(xlim=extent[:2], ylim=extent[2:], xticks=[], yticks=[])
        self.left.set_title(" ", fontsize=9)
        self.boundary = None
        positions = np.arange(len(self.lams))
        self.train_line, = self.right.plot(positions, self.train[:, 0], "o--", color="C0", lw=1.5, label="training")
        self.val_line, = self.right.plot(positions, self.val[:, 0], "o-", color="C1", lw=2, label="validation")
        self.marker, = self.right.plot([0], [self.val[0, 0]], "o", ms=13, mfc="none", mec="k", mew=2)
        lowest = min(self.train.min(), self.val.min())
        bottom = min(70.0, 5 * np.floor(lowest / 5) - 5)  # one scale for every p, so switching p compares
        self.right.set(xticks=positions, xticklabels=[f"{x:g}" for x in self.lams], xlabel="L2 strength λ",
                       ylabel="accuracy (%)", ylim=(bottom, 101), title=" ")
        self.right.grid(alpha=0.3)
        self.overlays = [self.right.legend(fontsize=8, loc="lower left", framealpha=1.0)]  # opaque: curves pass under it

    def update(self, lam: float, drop_probability: float):
        """Show the network trained with λ = ``lam`` and p = ``drop_probability`` (values of the grid)."""
        for name, value, grid in (("lam", lam, self.lams), ("drop_probability", drop_probability, self.drops)):
            if value not in grid:
                raise ValueError(f"{name} must be one of the trained values {grid}, got {value!r}")
        i, j = self.lams.index(lam), self.drops.index(drop_probability)
        probability = self.probability[i * len(self.drops) + j]
        self.image.set_data(probability)
        if self.boundary is not None:
            self.boundary.remove()
        self.boundary = _boundary(self.left, self.xx, self.yy, probability)
        self.left.title.set_text(f"λ = {lam:g}, p = {drop_probability:g}: training {self.train[i, j]:.0f} %, "
                                 f"validation {self.val[i, j]:.1f} %")
        self.train_line.set_ydata(self.train[:, j])
        self.val_line.set_ydata(self.val[:, j])
        self.marker.set_data([i], [self.val[i, j]])
        self.right.title.set_text(f"every λ with dropout p = {drop_probability:g}")
        # In a full draw's order: the picture covers the points and the frame, so they follow it;
        # the circle may cross the top of the frame.
        return [self.image, *self.points, self.boundary, *self.left.spines.values(), self.left.title,
                self.train_line, self.val_line, self.marker, *self.right.spines.values(),
                self.right.title]
