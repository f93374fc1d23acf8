r"""Figures for softmax classifiers (notebook 03): temperature, confusion matrix, and the
digits a network gets wrong with the most confidence. Each figure function returns a
matplotlib ``Figure`` (no pyplot); the small computations they need sit beside them.

Temperature :math:`T > 0` divides the logits before the softmax,
:math:`p_k = e^{z_k/T}/\sum_j e^{z_j/T}`: :math:`T \to 0` gives the one-hot arg-max,
:math:`T \to \infty` the uniform distribution, and :math:`T = 1` the softmax itself.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure

from helpers.viz.figures import fixed_panels  # importing figures also registers the PNG display in Jupyter
from helpers._validate import as_float_array, check_positive
from helpers import layers
from helpers.viz.live import LiveView


def _panels(n_columns: int, width: float, height: float, wspace: float = 0.3):
    fig, (axes,) = fixed_panels(1, n_columns, width, height, left=0.1 / n_columns, bottom=0.16, top=0.86,
                                wspace=wspace)
    return fig, axes


# --- temperature ---------------------------------------------------------------------------

def softmax_with_temperature(logits, temperature: float, softmax: Callable = layers.softmax) -> np.ndarray:
    """Row-wise ``softmax(logits / temperature)``; ``logits`` (k,) or (n, k), same shape out.

    ``softmax`` maps 2-D logits (n, k) to their rows' softmax: the notebook passes the student's.
    """
    temperature = check_positive(temperature, "temperature")
    logits = as_float_array(logits, "logits", ndim=(1, 2))
    return np.reshape(softmax(np.atleast_2d(logits) / temperature), logits.shape)


def entropy_bits(probabilities) -> float:
    r"""Entropy :math:`-\sum_k p_k\log_2 p_k` of one distribution (k,), in bits (0 log 0 = 0)."""
    p = as_float_array(probabilities, "probabilities", ndim=1)
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log2(nonzero)))


class TemperatureView(LiveView):
    r"""Left: the fixed logits :math:`z` (the arg-max in red). Right: :math:`p = \mathrm{softmax}(z/T)`
    for the slider's :math:`T`, the uniform :math:`1/k` for reference, and the entropy
    :math:`-\sum_k p_k\log_2 p_k` in the title. Both panels keep their limits ([0, 1] on the
    right), so a redraw moves only the right panel's bars, its title, and what they may cross.
    ``softmax`` is as in ``softmax_with_temperature``.
    """

    def __init__(self, logits, class_names: Sequence[str] | None = None,
                 softmax: Callable = layers.softmax):
        self.logits = as_float_array(logits, "logits", ndim=1).copy()  # the left panel shows these for good
        self.softmax = softmax
        names = list(class_names) if class_names is not None else [str(k) for k in range(self.logits.size)]
        positions = np.arange(self.logits.size)
        colours = ["C3" if k == np.argmax(self.logits) else "C0" for k in positions]
        self.figure, (left, right) = _panels(2, 3.6, 2.6)
        # Margins that keep every label inside the figure: a widget shows it uncropped.
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.18, top=0.88, wspace=0.28)
        left.bar(positions, self.logits, color=colours)
        left.axhline(0, color="0.6", lw=0.8)
        left.set(xticks=positions, xticklabels=names, xlabel="class", ylabel="logit z", title="logits (fixed)")
        self.bars = right.bar(positions, np.zeros(self.logits.size), color=colours).patches
        self.uniform = right.axhline(1 / self.logits.size, color="0.5", lw=0.8, ls=":", label="uniform")
        right.set(xticks=positions, xticklabels=names, xlabel="class", ylabel="probability", ylim=(0, 1.02))
        self.overlays = [right.legend(fontsize=8, loc="upper left", framealpha=1.0)]  # opaque: bars pass under it
        self.title = right.set_title(" ", fontsize=10)

    def update(self, temperature: float = 1.0) -> list[Artist]:
        p = softmax_with_temperature(self.logits, temperature, self.softmax)
        for bar, height in zip(self.bars, p):
            bar.set_height(height)
        self.title.set_text(f"softmax(z / T), T = {temperature:.2f}: entropy {entropy_bits(p):.2f} bits")
        return [*self.bars, self.uniform, self.title]  # the dotted line over the bars


# --- confusion matrix --------------------------------------------------------------------

def confusion_counts(labels, predicted, n_classes: int) -> np.ndarray:
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    labels, predicted = np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise ValueError(f"labels and predicted must be 1-D of equal length, got {labels.shape} and {predicted.shape}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def confusion_matrix(labels, predicted, n_classes: int = 10, title: str = "") -> Figure:
    """The confusion matrix as an image: correct answers on the diagonal, mistakes off it, counts written in."""
    counts = confusion_counts(labels, predicted, n_classes)
    fig = Figure(figsize=(4.4, 3.9))
    ax = fig.subplots()
    off_diagonal = np.where(np.eye(n_classes, dtype=bool), 0, counts)
    darkest = max(1, off_diagonal.max())
    ax.imshow(off_diagonal, cmap="Reds", vmin=0, vmax=darkest)
    for (row, column), count in np.ndenumerate(counts):
        if count:
            colour = "C0" if row == column else ("white" if count > 0.6 * darkest else "black")
            ax.text(column, row, str(count), ha="center", va="center", fontsize=7, color=colour,
                    weight="bold" if row == column else "normal")
    ticks = np.arange(n_classes)
    accuracy = np.trace(counts) / max(1, counts.sum())
    ax.set(xticks=ticks, yticks=ticks, xlabel="predicted class", ylabel="true class",
           title=title or f"confusion matrix (accuracy {100 * accuracy:.1f} %)")
    return fig


# --- the most confident mistakes -----------------------------------------------------------

def most_confident_mistakes(labels, probabilities, count: int) -> np.ndarray:
    """Indices of up to ``count`` wrongly classified rows, most confident (highest max p) first."""
    p = as_float_array(probabilities, "probabilities", ndim=2)
    labels = np.asarray(labels)
    predicted = p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    order = np.argsort(-p[wrong, predicted[wrong]], kind="stable")
    return wrong[order[:count]]


def confident_mistakes(images, labels, probabilities, count: int = 8, image_shape=(8, 8)) -> Figure:
    """The ``count`` most confidently wrong images, each titled 'true → predicted (confidence)'."""
    indices = most_confident_mistakes(labels, probabilities, count)
    fig = Figure(figsize=(1.3 * max(1, len(indices)), 1.7))
    axes = fig.subplots(1, max(1, len(indices)), squeeze=False)[0]
    for ax, index in zip(axes, indices):
        guess = int(np.argmax(probabilities[index]))
        ax.imshow(np.reshape(images[index], image_shape), cmap="gray_r")
        ax.set_title(f"{labels[index]} → {guess}\n({100 * probabilities[index][guess]:.0f} %)", fontsize=9)
    for ax in axes:
        ax.set(xticks=[], yticks=[])
    if not len(indices):
        axes[0].set_title("no mistakes")
    return fig


class DigitView(LiveView):
    """One of ``images`` (n, pixels) beside the class probabilities (n, k) a network gave it: the
    true class (``labels``, (n,)) in green, a wrong guess in red. The slider picks the row; a redraw
    swaps the image, the bars' heights and colours, and the two titles. The bar panel is fixed to
    [0, 1]."""

    def __init__(self, images, labels, probabilities, image_shape=(8, 8)):
        self.images, self.labels, self.image_shape = np.asarray(images), np.asarray(labels), image_shape
        self.probabilities = as_float_array(probabilities, "probabilities", ndim=2)
        n_classes = self.probabilities.shape[1]
        self.figure, (left, right) = _panels(2, 2.8, 2.5, wspace=0.35)
        self.figure.subplots_adjust(left=0.03, right=0.98, bottom=0.17, top=0.88)  # labels inside: shown uncropped
        self.image = left.imshow(np.zeros(image_shape), cmap="gray_r")
        left.set(xticks=[], yticks=[])
        self.frame = list(left.spines.values())  # the image covers its edges: redrawn over it
        self.bars = right.bar(np.arange(n_classes), np.zeros(n_classes)).patches
        right.set(xticks=np.arange(n_classes), ylim=(0, 1.02), xlabel="class", ylabel="probability")
        self.image_title, self.bars_title = left.set_title(" "), right.set_title(" ")

    def update(self, index: int = 0) -> list[Artist]:
        image = np.reshape(self.images[index], self.image_shape)
        p, label = self.probabilities[index], int(self.labels[index])
        guess = int(np.argmax(p))
        self.image.set_data(image)
        self.image.set_clim(image.min(), image.max())  # each image on its own scale, as imshow draws a new one
        for k, bar in enumerate(self.bars):
            bar.set_height(p[k])
            bar.set_facecolor("C2" if k == label else ("C3" if k == guess else "C0"))
        self.image_title.set_text(f"true class {label}")
        self.bars_title.set_text(f"predicted {guess} ({100 * p[guess]:.0f} %)")
        return [self.image, *self.frame, self.image_title, *self.bars, self.bars_title]
