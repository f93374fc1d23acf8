"""Live explorers: ipywidgets controls wired to a function in ``helpers.plots``.

A ``LiveFigure`` shows its figure as an ordinary display output (so the notebook keeps a
static picture of it, e.g. in exported HTML or nbgrader feedback) and *updates that same
output* whenever a control moves. The maths lives in ``helpers``; this module only wires.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import ipywidgets as w
from IPython.display import Image, display
from matplotlib.figure import Figure

from . import plots


class LiveFigure:
    """Controls + a figure redrawn by ``draw(**values)`` whenever a control changes.

    ``controls`` maps ``draw``'s keyword names to ipywidgets value widgets.
    Call ``show()`` in a notebook cell; ``render()`` returns the PNG bytes for the
    current values (what a redraw sends, and what tests and benchmarks time).
    """

    def __init__(self, draw: Callable[..., Figure], controls: Mapping[str, w.ValueWidget]):
        self.draw = draw
        self.controls = dict(controls)
        self.box = w.VBox(list(self.controls.values()))
        self._handle = None
        self._frame: _Frame | None = None
        for control in self.controls.values():
            control.observe(self._redraw, names="value")

    def values(self) -> dict:
        return {name: control.value for name, control in self.controls.items()}

    def render(self) -> bytes:
        """PNG of ``draw(**values())``.

        The first render lays the figure out and crops it (three draws); later ones reuse
        that frame, the axes' positions and the crop, when the figure has the same axes, so
        a redraw costs one draw and the picture keeps its size while a slider moves.
        """
        fig = self.draw(**self.values())
        if self._frame is not None and len(fig.axes) == len(self._frame.positions):
            fig.set_layout_engine("none")
            for ax, position in zip(fig.axes, self._frame.positions):
                ax.set_position(position)
            return plots.figure_png(fig, crop=self._frame.crop)
        png = plots.figure_png(fig)
        self._frame = _Frame([ax.get_position() for ax in fig.axes], fig.get_tightbbox().padded(0.1))
        return png

    def show(self) -> "LiveFigure":
        display(self.box)
        self._handle = display(Image(self.render()), display_id=True)
        return self

    def _redraw(self, _change) -> None:
        if self._handle is not None:
            self._handle.update(Image(self.render()))


class _Frame(NamedTuple):
    """Layout of a LiveFigure's first render, reused by the next ones."""

    positions: list  # each axes' position (Bbox, figure fraction)
    crop: object     # Bbox in inches around everything drawn


def _slider(description: str, value: float, low: float, high: float, step: float, **kwargs) -> w.FloatSlider:
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=True, style={"description_width": "initial"},
                         layout=w.Layout(width="420px"), **kwargs)


def sigmoid_explorer(w_value: float = 1.0, b_value: float = 0.0, steepness: float = 1.0) -> LiveFigure:
    """Sliders for w, b and the steepness c of σ(c(wx + b)), beside the perceptron's step."""
    return LiveFigure(plots.sigmoid_vs_step, {
        "w": _slider("weight w", w_value, -3.0, 3.0, 0.05),
        "b": _slider("bias b", b_value, -3.0, 3.0, 0.05),
        "steepness": _slider("steepness c", steepness, 0.5, 50.0, 0.5),
    })


def slowdown_explorer(w_value: float = 2.0, b_value: float = 2.0, learning_rate: float = 0.15) -> LiveFigure:
    """Sliders for one neuron's starting w and b (input 1, target 0) and the learning rate;
    its learning curves under the quadratic and the cross-entropy cost redraw (notebook 02)."""
    from . import cost_plots

    return LiveFigure(cost_plots.learning_slowdown_from, {
        "w": _slider("starting weight w", w_value, -4.0, 4.0, 0.1),
        "b": _slider("starting bias b", b_value, -4.0, 4.0, 0.1),
        "learning_rate": _slider("learning rate η", learning_rate, 0.01, 1.0, 0.01),
    })


def temperature_explorer(logits=(2.0, 1.0, 0.2, -1.0, 2.6), temperature: float = 1.0) -> LiveFigure:
    """A logarithmic temperature slider (0.05 to 20) over fixed logits: softmax(z / T) (notebook 03)."""
    from . import classification_plots

    fixed = tuple(float(z) for z in logits)
    return LiveFigure(lambda temperature: classification_plots.temperature_bars(fixed, temperature), {
        "temperature": w.FloatLogSlider(value=temperature, base=10, min=-1.3, max=1.3, step=0.02,
                                        description="temperature T", continuous_update=True,
                                        style={"description_width": "initial"}, layout=w.Layout(width="420px")),
    })


def digit_explorer(images, labels, probabilities, index: int = 0, image_shape=(8, 8)) -> LiveFigure:
    """A slider over test images: each image beside the class probabilities a network gave it
    (``probabilities``: (n, k), computed once, so a redraw only draws)."""
    from . import classification_plots

    def draw(index):
        return classification_plots.digit_probabilities(images[index], probabilities[index],
                                                        int(labels[index]), image_shape)

    return LiveFigure(draw, {
        "index": w.IntSlider(value=index, min=0, max=len(labels) - 1, description="test image",
                             continuous_update=True, layout=w.Layout(width="420px")),
    })


def _log_slider(description: str, value: float, low: float, high: float) -> w.FloatLogSlider:
    """A slider over [low, high] on a log scale (low and high are the values, not exponents)."""
    import math

    return w.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high), step=0.05,
                            description=description, continuous_update=True,
                            style={"description_width": "initial"}, layout=w.Layout(width="420px"))


def optimiser_race(surface: str = "valley", lr_scale: float = 1.0, beta: float = 0.9) -> LiveFigure:
    """Every optimiser on one 2-D surface (notebook 06): a surface menu, a learning-rate
    multiplier (log scale) and β (momentum, Nesterov, Adam's β1); the paths redraw."""
    from . import descent, optim_plots

    return LiveFigure(optim_plots.optimiser_race, {
        "surface": w.Dropdown(options=list(descent.RACE_RATES), value=surface, description="surface"),
        "lr_scale": _log_slider("learning rates ×", lr_scale, 0.1, 10.0),
        "beta": _slider("β (momentum, Adam β1)", beta, 0.0, 0.99, 0.01),
    })


def gradient_norm_explorer(X, labels, depth: int = 6, activation: str = "sigmoid",
                           weight_scale: float = 1.0) -> LiveFigure:
    """Depth, activation and weight-scale controls over the per-layer gradient norms of a
    fresh deep network on the batch (X, labels) (notebook 07)."""
    from . import depth_plots

    def draw(depth, activation, weight_scale):
        return depth_plots.gradient_norm_profile(X, labels, depth, activation, weight_scale)

    return LiveFigure(draw, {
        "depth": w.IntSlider(value=depth, min=1, max=30, description="hidden layers",
                             continuous_update=True, layout=w.Layout(width="420px")),
        "activation": w.Dropdown(options=["sigmoid", "tanh", "relu", "leaky_relu"], value=activation,
                                 description="activation"),
        "weight_scale": _log_slider("weight scale (× standard init)", weight_scale, 0.25, 4.0),
    })


def bump_explorer(target: str = "sine", n_bumps: int = 10, steepness: float = 1000.0) -> LiveFigure:
    """Target menu, number of bumps and steepness k: the bump network, its error (notebook 08)."""
    from . import approx_plots
    from .datasets import TARGET_FUNCTIONS

    return LiveFigure(approx_plots.bump_approximation, {
        "target": w.Dropdown(options=sorted(TARGET_FUNCTIONS), value=target, description="target"),
        "n_bumps": w.IntSlider(value=n_bumps, min=1, max=60, description="bumps N",
                               continuous_update=True, layout=w.Layout(width="420px")),
        "steepness": _log_slider("steepness k", steepness, 10.0, 10000.0),
    })


def bump_challenge(target: str = "wiggly") -> LiveFigure:
    """Nielsen's challenge (notebook 08): one vertical slider per bump height, like a mixing
    desk; the figure scores the average deviation from the target live."""
    from . import approx_plots

    controls = {f"h{i}": w.FloatSlider(value=0.0, min=-0.2, max=1.2, step=0.01, description=f"h{i}",
                                       orientation="vertical", continuous_update=True, readout_format=".2f",
                                       layout=w.Layout(width="52px", height="170px"))
                for i in range(approx_plots.CHALLENGE_BUMPS)}
    live = LiveFigure(lambda **heights: approx_plots.bump_challenge(target, **heights), controls)
    live.box = w.HBox(list(controls.values()))
    return live


def regularisation_explorer(params, curves, lams, drop_probabilities, split, lam: float = 0.0,
                            drop_probability: float = 0.0) -> LiveFigure:
    """Sliders over the λ values and dropout probabilities of networks trained beforehand by
    ``regularised_training.fit_grid``: a redraw only looks one up and draws it (notebook 04)."""
    from . import regularization_plots

    view = regularization_plots.ExplorerView(params, curves, lams, drop_probabilities, split)

    def choices(description: str, values, value: float) -> w.SelectionSlider:
        return w.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=value, description=description,
                                 continuous_update=True, style={"description_width": "initial"},
                                 layout=w.Layout(width="420px"))

    return FixedLayoutLiveFigure(view.draw, {"lam": choices("L2 strength λ", lams, lam),
                             "drop_probability": choices("dropout p", drop_probabilities, drop_probability)})


# --- examples: a widget built as its notebook builds it, for `make bench` -------------------

EXAMPLES: dict[str, Callable[[], LiveFigure]] = {}


def example(build: Callable[[], LiveFigure]) -> Callable[[], LiveFigure]:
    """Decorator: register ``build()``, which makes a ``LiveFigure`` from the (small, seeded)
    data its notebook uses, so ``make bench`` can time a widget whose factory needs arguments.

    Factories annotated ``-> LiveFigure`` whose arguments all have defaults are found without
    this. Name the example after its factory, e.g. in any helpers module::

        @widgets.example
        def _digit_explorer_example() -> LiveFigure:
            ...
            return digit_explorer(images, labels, probabilities)
    """
    EXAMPLES[f"{build.__module__}.{build.__qualname__}"] = build
    return build


@example
def _gradient_norm_explorer_example() -> LiveFigure:
    """Notebook 07's gradient-norm explorer on the 200 digits it uses."""
    import numpy as np

    from .datasets import load_digits

    X, labels = load_digits()
    batch = np.random.default_rng(1).choice(len(X), 1000, replace=False)[:200]
    return gradient_norm_explorer(X[batch], labels[batch])


def init_variance_explorer(scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
                           scheme: str = "Glorot 2/(n_in+n_out)") -> LiveFigure:
    """Sliders for the weights' scale (logarithmic, × the scheme's std), depth and width, and menus for
    the activation and the scheme; per-layer activation histograms and gradient sizes redraw (notebook 05)."""
    from . import init_explorer

    layout, style = w.Layout(width="420px"), {"description_width": "initial"}
    return FixedLayoutLiveFigure(init_explorer.ExplorerView().draw, {
        "scale": w.FloatLogSlider(value=scale, base=10, min=-1, max=1, step=0.05, description="weight scale",
                                  readout_format=".2f", continuous_update=True, style=style, layout=layout),
        "depth": w.IntSlider(value=depth, min=2, max=20, description="depth (layers)", continuous_update=True,
                             style=style, layout=layout),
        "width": w.SelectionSlider(options=[25, 50, 100, 200, 400], value=width, description="width (units)",
                                   continuous_update=True, style=style, layout=layout),
        "activation": w.Dropdown(options=["tanh", "sigmoid", "relu"], value=activation, description="activation",
                                 style=style),
        "scheme": w.Dropdown(options=list(init_explorer.SCHEMES), value=scheme, description="init scheme",
                             style=style),
    })


class FixedLayoutLiveFigure(LiveFigure):
    """A ``LiveFigure`` whose figure has hand-set margins that fit its labels: ``render`` saves it
    as it is, skipping the tight bounding box, a second layout pass that doubles a redraw's time."""

    def render(self) -> bytes:
        from io import BytesIO

        buffer = BytesIO()
        self.draw(**self.values()).savefig(buffer, format="png", dpi=plots.DPI)
        return buffer.getvalue()
