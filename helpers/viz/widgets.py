"""Live explorers: ipywidgets controls wired to a figure in ``helpers``.

Each factory here builds a ``LiveFigure`` (see ``helpers.viz.live``): controls, and a ``LiveView``
from a topic module whose moving artists follow them. The maths lives in those modules; this
one only wires.
"""
from __future__ import annotations

from typing import Callable

import ipywidgets as w

from helpers.viz import figures as plots
from helpers.viz.live import LiveFigure, LiveView  # noqa: F401  (LiveView: what a widget's figure subclasses)


def _slider(description: str, value: float, low: float, high: float, step: float, **kwargs) -> w.FloatSlider:
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=True, style={"description_width": "initial"},
                         layout=w.Layout(width="420px"), **kwargs)


def sigmoid_explorer(w_value: float = 1.0, b_value: float = 0.0, steepness: float = 1.0) -> LiveFigure:
    """Sliders for w, b and the steepness c of σ(c(wx + b)), beside the perceptron's step."""
    return LiveFigure(plots.SigmoidView(), {
        "w": _slider("weight w", w_value, -3.0, 3.0, 0.05),
        "b": _slider("bias b", b_value, -3.0, 3.0, 0.05),
        "steepness": _slider("steepness c", steepness, 0.5, 50.0, 0.5),
    })


def slowdown_explorer(w_value: float = 2.0, b_value: float = 2.0, learning_rate: float = 0.15) -> LiveFigure:
    """Sliders for one neuron's starting w and b (input 1, target 0) and the learning rate;
    its learning curves under the quadratic and the cross-entropy cost redraw (notebook 02)."""
    from helpers.viz import cross_entropy_vs_mse as cost_plots

    return LiveFigure(cost_plots.SlowdownView(), {
        "w": _slider("starting weight w", w_value, -4.0, 4.0, 0.1),
        "b": _slider("starting bias b", b_value, -4.0, 4.0, 0.1),
        "learning_rate": _slider("learning rate η", learning_rate, 0.01, 1.0, 0.01),
    })


def temperature_explorer(logits=(2.0, 1.0, 0.2, -1.0, 2.6), temperature: float = 1.0) -> LiveFigure:
    """A logarithmic temperature slider (0.05 to 20) over fixed logits: softmax(z / T) (notebook 03)."""
    from helpers.viz import softmax as classification_plots

    return LiveFigure(classification_plots.TemperatureView(logits), {
        "temperature": w.FloatLogSlider(value=temperature, base=10, min=-1.3, max=1.3, step=0.02,
                                        description="temperature T", continuous_update=True,
                                        style={"description_width": "initial"}, layout=w.Layout(width="420px")),
    })


def digit_explorer(images, labels, probabilities, index: int = 0, image_shape=(8, 8)) -> LiveFigure:
    """A slider over test images: each image beside the class probabilities a network gave it
    (``probabilities``: (n, k), computed once, so a redraw only draws)."""
    from helpers.viz import softmax as classification_plots

    return LiveFigure(classification_plots.DigitView(images, labels, probabilities, image_shape), {
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
    from helpers.experiments import optimisers as descent
    from helpers.viz import optimisers as optim_plots

    return LiveFigure(optim_plots.RaceView(), {
        "surface": w.Dropdown(options=list(descent.RACE_RATES), value=surface, description="surface"),
        "lr_scale": _log_slider("learning rates ×", lr_scale, 0.1, 10.0),
        "beta": _slider("β (momentum, Adam β1)", beta, 0.0, 0.99, 0.01),
    })


def gradient_norm_explorer(X, labels, depth: int = 6, activation: str = "sigmoid",
                           weight_scale: float = 1.0) -> LiveFigure:
    """Depth, activation and weight-scale controls over the per-layer gradient norms of a
    fresh deep network on the batch (X, labels) (notebook 07)."""
    from helpers.viz import vanishing_gradients as depth_plots

    return LiveFigure(depth_plots.GradientNormView(X, labels), {
        "depth": w.IntSlider(value=depth, min=1, max=30, description="hidden layers",
                             continuous_update=True, layout=w.Layout(width="420px")),
        "activation": w.Dropdown(options=["sigmoid", "tanh", "relu", "leaky_relu"], value=activation,
                                 description="activation"),
        "weight_scale": _log_slider("weight scale (× standard init)", weight_scale, 0.25, 4.0),
    })


def bump_explorer(target: str = "sine", n_bumps: int = 10, steepness: float = 1000.0) -> LiveFigure:
    """Target menu, number of bumps and steepness k: the bump network, its error (notebook 08)."""
    from helpers.viz.universal_approximation_views import BumpView
    from helpers.datasets import TARGET_FUNCTIONS

    return LiveFigure(BumpView(), {
        "target": w.Dropdown(options=sorted(TARGET_FUNCTIONS), value=target, description="target"),
        "n_bumps": w.IntSlider(value=n_bumps, min=1, max=60, description="bumps N",
                               continuous_update=True, layout=w.Layout(width="420px")),
        "steepness": _log_slider("steepness k", steepness, 10.0, 10000.0),
    })


def bump_challenge(target: str = "wiggly") -> LiveFigure:
    """Nielsen's challenge (notebook 08): one vertical slider per bump height, like a mixing
    desk; the figure scores the average deviation from the target live."""
    from helpers.viz import universal_approximation as approx_plots
    from helpers.viz.universal_approximation_views import ChallengeView

    controls = {f"h{i}": w.FloatSlider(value=0.0, min=-0.2, max=1.2, step=0.01, description=f"h{i}",
                                       orientation="vertical", continuous_update=True, readout_format=".2f",
                                       layout=w.Layout(width="52px", height="170px"))
                for i in range(approx_plots.CHALLENGE_BUMPS)}
    live = LiveFigure(ChallengeView(target), controls)
    live.box = w.HBox(list(controls.values()))
    return live


def regularisation_explorer(params, curves, lams, drop_probabilities, split, lam: float = 0.0,
                            drop_probability: float = 0.0) -> LiveFigure:
    """Sliders over the λ values and dropout probabilities of networks trained beforehand by
    ``regularised_training.fit_grid``: a redraw only looks one up and draws it (notebook 04)."""
    from helpers.viz import regularisation as regularization_plots

    view = regularization_plots.ExplorerView(params, curves, lams, drop_probabilities, split)

    def choices(description: str, values, value: float) -> w.SelectionSlider:
        return w.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=value, description=description,
                                 continuous_update=True, style={"description_width": "initial"},
                                 layout=w.Layout(width="420px"))

    return LiveFigure(view, {"lam": choices("L2 strength λ", lams, lam),
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

    from helpers.datasets import load_digits

    X, labels = load_digits()
    batch = np.random.default_rng(1).choice(len(X), 1000, replace=False)[:200]
    return gradient_norm_explorer(X[batch], labels[batch])


def init_variance_explorer(scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
                           scheme: str = "Glorot 2/(n_in+n_out)") -> LiveFigure:
    """Sliders for the weights' scale (logarithmic, × the scheme's std), depth and width, and menus for
    the activation and the scheme; per-layer activation histograms and gradient sizes redraw (notebook 05)."""
    from helpers.experiments import init_variance as init_explorer

    layout, style = w.Layout(width="420px"), {"description_width": "initial"}
    return LiveFigure(init_explorer.ExplorerView(), {
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
