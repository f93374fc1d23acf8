"""Tests for helpers.viz.softmax (notebook 03's figures and the small computations
beside them) and its widgets, temperature_explorer and digit_explorer.
"""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from helpers import activations, layers
from helpers.viz import softmax as softmax_figures, figures, widgets
from figure_data import assert_shows_same_data

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGITS = np.array([2.0, 1.0, 0.2, -1.0, 2.6])


# --- temperature -------------------------------------------------------------------------------

def test_temperature_one_is_softmax_and_the_limits_are_argmax_and_uniform():
    np.testing.assert_allclose(softmax_figures.softmax_with_temperature(LOGITS, 1.0), layers.softmax(LOGITS), rtol=1e-15)
    np.testing.assert_allclose(softmax_figures.softmax_with_temperature(LOGITS, 1e-3), np.eye(5)[4], atol=1e-12)
    np.testing.assert_allclose(softmax_figures.softmax_with_temperature(LOGITS, 1e6), np.full(5, 0.2), atol=1e-6)
    rows = softmax_figures.softmax_with_temperature(np.stack([LOGITS, -LOGITS]), 0.5)
    assert rows.shape == (2, 5) and rows[1].argmax() == 3
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="temperature"):
            softmax_figures.softmax_with_temperature(LOGITS, bad)


def test_temperature_uses_the_softmax_it_is_given_on_rows_of_logits():
    seen = []

    def uniform_rows(Z):  # a student's softmax: 2-D logits in, rows out
        seen.append(Z.copy())
        return np.full(Z.shape, 1.0 / Z.shape[1])

    np.testing.assert_array_equal(softmax_figures.softmax_with_temperature(LOGITS, 2.0, uniform_rows), np.full(5, 0.2))
    np.testing.assert_array_equal(seen[0], [LOGITS / 2.0])
    rows = softmax_figures.softmax_with_temperature(np.stack([LOGITS, -LOGITS]), 0.5, softmax=uniform_rows)
    assert rows.shape == (2, 5)
    np.testing.assert_array_equal(seen[1], np.stack([LOGITS, -LOGITS]) / 0.5)


def test_the_temperature_view_and_explorer_draw_with_the_softmax_they_are_given():
    def uniform_rows(Z):
        return np.full(Z.shape, 1.0 / Z.shape[1])

    fig = softmax_figures.TemperatureView(LOGITS, softmax=uniform_rows).draw(temperature=2.0)
    np.testing.assert_array_equal([bar.get_height() for bar in fig.axes[1].patches], np.full(5, 0.2))
    explorer = widgets.temperature_explorer(logits=(1.0, 0.0, -1.0), softmax=uniform_rows)
    assert_shows_same_data(explorer, softmax_figures.TemperatureView((1.0, 0.0, -1.0), softmax=uniform_rows).draw(
        temperature=1.0))
    assert [bar.get_height() for bar in explorer.draw(temperature=1.0).axes[1].patches] == pytest.approx([1 / 3] * 3)


def test_entropy_bits():
    assert softmax_figures.entropy_bits(np.full(4, 0.25)) == pytest.approx(2.0)
    assert softmax_figures.entropy_bits(np.array([0.0, 1.0, 0.0])) == 0.0
    assert softmax_figures.entropy_bits(np.array([0.5, 0.5])) == pytest.approx(1.0)


def test_temperature_view_draws_logits_and_probabilities():
    fig = softmax_figures.TemperatureView(LOGITS).draw(temperature=2.0)
    left, right = fig.axes
    np.testing.assert_allclose([bar.get_height() for bar in left.patches], LOGITS)
    np.testing.assert_allclose([bar.get_height() for bar in right.patches], layers.softmax(LOGITS / 2.0),
                               rtol=1e-14)
    assert "T = 2.00" in right.get_title()
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)


# --- confusion matrix and mistakes ----------------------------------------------------------------

def test_confusion_counts_rows_are_true_classes():
    counts = softmax_figures.confusion_counts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], n_classes=3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert counts.sum() == 6
    with pytest.raises(ValueError, match="equal length"):
        softmax_figures.confusion_counts([0, 1], [0], n_classes=2)


def test_confusion_matrix_figure_shows_the_counts():
    labels, predicted = np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2])
    fig = softmax_figures.confusion_matrix(labels, predicted, n_classes=3)
    (ax,) = fig.axes
    assert sorted(text.get_text() for text in ax.texts) == ["1", "1", "1", "1"]
    assert "75.0" in ax.get_title()
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)


def test_most_confident_mistakes_orders_by_confidence():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95], [0.7, 0.3]])
    labels = np.array([0, 0, 1, 1, 1])  # rows 1, 2 and 4 are wrong, with confidence 0.8, 0.6, 0.7
    np.testing.assert_array_equal(softmax_figures.most_confident_mistakes(labels, probabilities, 5), [1, 4, 2])
    np.testing.assert_array_equal(softmax_figures.most_confident_mistakes(labels, probabilities, 2), [1, 4])
    assert softmax_figures.most_confident_mistakes(np.array([0, 1, 0, 1, 0]), probabilities, 3).size == 0


def test_confident_mistakes_figure_and_the_no_mistake_case():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(6, 64))
    probabilities = layers.softmax(rng.normal(size=(6, 10)) * 3)
    labels = (probabilities.argmax(axis=1) + np.array([1, 0, 1, 0, 1, 0])) % 10  # three mistakes
    fig = softmax_figures.confident_mistakes(images, labels, probabilities, count=8)
    assert len(fig.axes) == 3
    assert all("→" in ax.get_title() for ax in fig.axes)
    assert figures.figure_png(fig).startswith(PNG_SIGNATURE)
    none = softmax_figures.confident_mistakes(images, probabilities.argmax(axis=1), probabilities)
    assert none.axes[0].get_title() == "no mistakes"


def test_digit_view_colours_truth_and_wrong_guess():
    p = np.array([0.05, 0.7, 0.25] + [0.0] * 7)
    fig = softmax_figures.DigitView(np.zeros((1, 64)), [2], p[np.newaxis]).draw(index=0)
    image_ax, bars_ax = fig.axes
    heights = [bar.get_height() for bar in bars_ax.patches]
    np.testing.assert_allclose(heights, p)
    assert "predicted 1" in bars_ax.get_title() and "true class 2" in image_ax.get_title()
    assert bars_ax.patches[2].get_facecolor() != bars_ax.patches[1].get_facecolor()


# --- widgets ----------------------------------------------------------------------------------------

def test_temperature_explorer_follows_its_slider():
    explorer = widgets.temperature_explorer(logits=(1.0, 0.0, -1.0))
    assert explorer.values()["temperature"] == pytest.approx(1.0)
    first = explorer.render()
    assert first.startswith(PNG_SIGNATURE)
    explorer.controls["temperature"].value = 5.0
    assert explorer.render() != first
    assert_shows_same_data(explorer, softmax_figures.TemperatureView((1.0, 0.0, -1.0)).draw(temperature=5.0))


def test_digit_explorer_shows_the_chosen_image():
    rng = np.random.default_rng(1)
    images, labels = rng.uniform(size=(5, 64)), np.array([0, 1, 2, 3, 4])
    probabilities = layers.softmax(rng.normal(size=(5, 10)))
    explorer = widgets.digit_explorer(images, labels, probabilities, index=2)
    assert explorer.controls["index"].max == 4
    assert_shows_same_data(explorer, softmax_figures.DigitView(images, labels, probabilities).draw(index=2))
    explorer.controls["index"].value = 4
    assert isinstance(explorer.draw(index=4), Figure)
    assert_shows_same_data(explorer, softmax_figures.DigitView(images, labels, probabilities).draw(index=4))


def test_temperature_view_keeps_its_logits_and_moves_only_the_probabilities():
    logits = LOGITS.copy()
    view = softmax_figures.TemperatureView(logits)
    logits[:] = 0.0  # the left panel was drawn from the values given: the view must not follow the caller's array
    view.update(temperature=0.5)
    left, right = view.figure.axes
    np.testing.assert_allclose([bar.get_height() for bar in right.patches], layers.softmax(LOGITS / 0.5))
    np.testing.assert_allclose([bar.get_height() for bar in left.patches], LOGITS)
    assert right.get_ylim() == (0, 1.02)


def test_digit_view_recolours_the_bars_for_each_image():
    probabilities = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    view = softmax_figures.DigitView(np.arange(2 * 64).reshape(2, 64), [0, 1], probabilities)
    colours = {}
    for index in (0, 1):
        view.update(index=index)
        image_ax, bars_ax = view.figure.axes
        colours[index] = [bar.get_facecolor() for bar in bars_ax.patches]
        np.testing.assert_allclose([bar.get_height() for bar in bars_ax.patches], probabilities[index])
        np.testing.assert_array_equal(image_ax.images[0].get_array(), np.arange(64).reshape(8, 8) + 64 * index)
    assert colours[0][0] != colours[0][1] == colours[0][2]  # right guess: the true class alone stands out
    assert len(set(colours[1])) == 3                         # wrong guess: true class, guess, the rest
    assert "predicted 2 (60 %)" in view.figure.axes[1].get_title()
