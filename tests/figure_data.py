"""Compare what two matplotlib figures show (lines, bars, images), not their PNG bytes.

A LiveFigure's redraw reuses its first layout, so its bytes differ from a fresh render
of the same figure; the data drawn must not.
"""
import numpy as np


def drawn_data(fig) -> list:
    data = []
    for ax in fig.axes:
        data += [np.asarray(line.get_xydata(), dtype=float) for line in ax.lines]
        data += [np.array([p.get_x(), p.get_y(), p.get_width(), p.get_height()]) for p in ax.patches]
        data += [np.asarray(image.get_array(), dtype=float) for image in ax.images]
        data += [np.asarray(c.get_offsets(), dtype=float) for c in ax.collections if hasattr(c, "get_offsets")]
    return data


def assert_shows_same_data(live_figure, expected_fig) -> None:
    """The live figure's current drawing shows the same data as ``expected_fig``."""
    got, want = drawn_data(live_figure.draw(**live_figure.values())), drawn_data(expected_fig)
    assert len(got) == len(want), f"{len(got)} drawn elements, expected {len(want)}"
    for one, two in zip(got, want):
        np.testing.assert_allclose(one, two, equal_nan=True)
