r"""Figures for softmax classifiers (notebook 03): temperature, confusion matrix, and the
digits a network gets wrong with the most confidence. Each figure function returns a
matplotlib ``Figure`` (no pyplot); the small computations they need sit beside them.

Temperature :math:`T > 0` divides the logits before the softmax,
:math:`p_k = e^{z_k/T}/\sum_j e^{z_j/T}`: :math:`T \to 0` gives the one-hot arg-max,
:math:`T \to \infty` the uniform distribution, and :math:`T = 1` the softmax itself.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.figure import Figure

from . import plots  # noqa: F401  (registers the PNG display of figures in Jupyter)
from ._validate import as_float_array, check_positive
from .activations import softmax


def _panels(n_columns: int, width: float, height: float, wspace: float = 0.3):
    # A fixed layout (no constrained layout) keeps a slider's redraw fast;
    # figure_png's tight bounding box still keeps every label in the picture.
    fig = Figure(figsize=(width * n_columns, height))
    fig.subplots_adjust(left=0.1 / n_columns, right=0.98, bottom=0.16, top=0.86, wspace=wspace)
    return fig, fig.subplots(1, n_columns, squeeze=False)[0]


# --- temperature ---------------------------------------------------------------------------

def softmax_with_temperature(logits, temperature: float) -> np.ndarray:
    """Row-wise ``softmax(logits / temperature)``; ``logits`` (k,) or (n, k), same shape out."""
    temperature = check_positive(temperature, "temperature")
    return softmax(as_float_array(logits, "logits", ndim=(1, 2)) / temperature)


def entropy_bits(probabilities) -> float:
    r"""Entropy :math:`-\sum_k p_k\log_2 p_k` of one distribution (k,), in bits (0 log 0 = 0)."""
    p = as_float_array(probabilities, "probabilities", ndim=1)
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log2(nonzero)))


def temperature_bars(logits, temperature: float = 1.0, class_names: Sequence[str] | None = None) -> Figure:
    """Left: fixed logits. Right: ``softmax(logits / T)``, the arg-max in red, with its entropy."""
    z = as_float_array(logits, "logits", ndim=1)
    p = softmax_with_temperature(z, temperature)
    names = list(class_names) if class_names is not None else [str(k) for k in range(z.size)]
    positions = np.arange(z.size)
    colours = ["C3" if k == np.argmax(z) else "C0" for k in positions]
    fig, (left, right) = _panels(2, 3.6, 2.6)
    left.bar(positions, z, color=colours)
    left.axhline(0, color="0.6", lw=0.8)
    left.set(xticks=positions, xticklabels=names, xlabel="class", ylabel="logit z", title="logits (fixed)")
    right.bar(positions, p, color=colours)
    right.axhline(1 / z.size, color="0.5", lw=0.8, ls=":", label="uniform")
    right.set(xticks=positions, xticklabels=names, xlabel="class", ylabel="probability", ylim=(0, 1.02),
              title=f"softmax(z / T), T = {temperature:.2f}: entropy {entropy_bits(p):.2f} bits")
    right.legend(fontsize=8, loc="upper left")
    return fig


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


def digit_probabilities(image, probabilities, label: int, image_shape=(8, 8)) -> Figure:
    """One image beside the network's class probabilities (true class green, a wrong guess red)."""
    p = as_float_array(probabilities, "probabilities", ndim=1)
    guess = int(np.argmax(p))
    fig, (left, right) = _panels(2, 2.8, 2.5, wspace=0.35)
    left.imshow(np.reshape(image, image_shape), cmap="gray_r")
    left.set(xticks=[], yticks=[], title=f"true class {label}")
    colours = ["C2" if k == label else ("C3" if k == guess else "C0") for k in range(p.size)]
    right.bar(np.arange(p.size), p, color=colours)
    right.set(xticks=np.arange(p.size), ylim=(0, 1.02), xlabel="class", ylabel="probability",
              title=f"predicted {guess} ({100 * p[guess]:.0f} %)")
    return fig
