"""Live explorers: ipywidgets controls wired to a figure in ``helpers``.

Each factory here builds a ``LiveFigure`` (see ``helpers.viz.live``): controls, and a ``LiveView``
from the notebook's own viz module whose moving artists follow them. The maths and the drawing
live in those modules; this one only wires. Menus list what the registries hold (activations,
initialisation schemes, surfaces, target functions), so a new entry shows up without an edit here.
Only notebooks import this module.
"""
from __future__ import annotations

import math
from typing import Callable

import ipywidgets as w

from helpers import activations, init
from helpers import layers
from helpers.activations import hidden_activations
from helpers.datasets import TARGET_FUNCTIONS
from helpers.experiments.optimisers import RACE_RATES
from helpers.experiments.universal_approximation import CHALLENGE_BUMPS, bump_network as course_bump_network
from helpers.experiments.vanishing_gradients import layer_gradient_norms
from helpers.viz import (batch_norm, cross_entropy_vs_mse, init_variance, optimisers, regularisation, softmax,
                         universal_approximation, vanishing_gradients, why_sigmoid)
from helpers.viz import tuning
from helpers.viz.live import LiveFigure
from helpers.viz.softmax import TemperatureView

_WIDE = w.Layout(width="420px")
_LABELS = {"description_width": "initial"}  # a description as wide as its text, not cut off


def _slider(description: str, value: float, low: float, high: float, step: float, **kwargs) -> w.FloatSlider:
    return w.FloatSlider(value=value, min=low, max=high, step=step, description=description,
                         continuous_update=True, style=_LABELS, layout=_WIDE, **kwargs)


def _int_slider(description: str, value: int, low: int, high: int) -> w.IntSlider:
    return w.IntSlider(value=value, min=low, max=high, description=description, continuous_update=True,
                       style=_LABELS, layout=_WIDE)


def _log_slider(description: str, value: float, low: float, high: float, step: float = 0.05,
                **kwargs) -> w.FloatLogSlider:
    """A slider over [low, high] on a log scale (low and high are the values, not exponents)."""
    return w.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high), step=step,
                            description=description, continuous_update=True, style=_LABELS, layout=_WIDE,
                            **kwargs)


def _choices(description: str, values, value) -> w.SelectionSlider:
    return w.SelectionSlider(options=[(f"{v:g}", v) for v in values], value=value, description=description,
                             continuous_update=True, style=_LABELS, layout=_WIDE)


def _menu(description: str, options, value) -> w.Dropdown:
    return w.Dropdown(options=options, value=value, description=description, style=_LABELS)


def sigmoid_explorer(w_value: float = 1.0, b_value: float = 0.0, steepness: float = 1.0, *,
                     sigmoid: Callable = activations.sigmoid,
                     sigmoid_prime: Callable = activations.sigmoid_derivative) -> LiveFigure:
    """Sliders for w, b and the steepness c of σ(c(wx + b)), beside the perceptron's step (notebook 01),
    drawn with ``sigmoid`` and ``sigmoid_prime`` (the student's own, in the notebook)."""
    return LiveFigure(why_sigmoid.SigmoidView(sigmoid=sigmoid, sigmoid_prime=sigmoid_prime), {
        "w": _slider("weight w", w_value, -3.0, 3.0, 0.05),
        "b": _slider("bias b", b_value, -3.0, 3.0, 0.05),
        "steepness": _slider("steepness c", steepness, 0.5, 50.0, 0.5),
    })


def slowdown_explorer(w_value: float = 2.0, b_value: float = 2.0, learning_rate: float = 0.15, *,
                      delta_functions=None) -> LiveFigure:
    """Sliders for one neuron's starting w and b (input 1, target 0) and the learning rate;
    its learning curves under the quadratic and the cross-entropy cost redraw (notebook 02),
    stepping with ``delta_functions`` (cost → the student's output error; default: the course's)."""
    return LiveFigure(cross_entropy_vs_mse.SlowdownView(delta_functions=delta_functions), {
        "w": _slider("starting weight w", w_value, -4.0, 4.0, 0.1),
        "b": _slider("starting bias b", b_value, -4.0, 4.0, 0.1),
        "learning_rate": _slider("learning rate η", learning_rate, 0.01, 1.0, 0.01),
    })


def temperature_explorer(logits=(2.0, 1.0, 0.2, -1.0, 2.6), temperature: float = 1.0, *,
                         softmax: Callable = layers.softmax) -> LiveFigure:
    """A logarithmic temperature slider (0.05 to 20) over fixed logits: softmax(z / T) (notebook 03),
    drawn with ``softmax`` (the student's own, in the notebook)."""
    return LiveFigure(TemperatureView(logits, softmax=softmax), {
        "temperature": _log_slider("temperature T", temperature, 10 ** -1.3, 10 ** 1.3, step=0.02),
    })


def digit_explorer(images, labels, probabilities, index: int = 0, image_shape=(8, 8)) -> LiveFigure:
    """A slider over test images: each image beside the class probabilities a network gave it
    (``probabilities``: (n, k), computed once, so a redraw only draws) (notebook 03)."""
    return LiveFigure(softmax.DigitView(images, labels, probabilities, image_shape), {
        "index": w.IntSlider(value=index, min=0, max=len(labels) - 1, description="test image",
                             continuous_update=True, layout=_WIDE),
    })


def regularisation_explorer(params, curves, lams, drop_probabilities, split, lam: float = 0.0,
                            drop_probability: float = 0.0) -> LiveFigure:
    """Sliders over the λ values and dropout probabilities of networks trained beforehand by
    ``helpers.experiments.regularisation.fit_grid``: a redraw only looks one up and draws it (notebook 04)."""
    return LiveFigure(regularisation.ExplorerView(params, curves, lams, drop_probabilities, split), {
        "lam": _choices("L2 strength λ", lams, lam),
        "drop_probability": _choices("dropout p", drop_probabilities, drop_probability),
    })


def init_variance_explorer(scale: float = 1.0, depth: int = 10, width: int = 100, activation: str = "tanh",
                           scheme: str = "xavier", statistics=None) -> LiveFigure:
    """Sliders for the weights' scale (logarithmic, × the scheme's std), depth and width, and menus for
    the activation and the scheme (a name of ``helpers.init.SCHEMES``); per-layer activation histograms
    and gradient sizes redraw (notebook 05). ``statistics``: the student's ``layer_statistics``, which
    gives the sizes (None: the course's)."""
    return LiveFigure(init_variance.ExplorerView(statistics), {
        "scale": _log_slider("weight scale", scale, 0.1, 10.0, readout_format=".2f"),
        "depth": _int_slider("depth (layers)", depth, 2, 20),
        "width": w.SelectionSlider(options=[25, 50, 100, 200, 400], value=width, description="width (units)",
                                   continuous_update=True, style=_LABELS, layout=_WIDE),
        "activation": _menu("activation", hidden_activations(), activation),
        "scheme": _menu("init scheme", [(s.label, name) for name, s in init.SCHEMES.items()], scheme),
    })


def optimiser_race(surface: str = "valley", lr_scale: float = 1.0, beta: float = 0.9,
                   steps: dict | None = None) -> LiveFigure:
    """Every optimiser on one 2-D surface (notebook 06): a surface menu, a learning-rate
    multiplier (log scale) and β (momentum, Nesterov, Adam's β1); the paths redraw. ``steps``:
    the student's steps by optimiser, in place of the course's rules."""
    return LiveFigure(optimisers.RaceView(steps), {
        "surface": w.Dropdown(options=list(RACE_RATES), value=surface, description="surface"),
        "lr_scale": _log_slider("learning rates ×", lr_scale, 0.1, 10.0),
        "beta": _slider("β (momentum, Adam β1)", beta, 0.0, 0.99, 0.01),
    })


def gradient_norm_explorer(X, labels, depth: int = 6, activation: str = "sigmoid", weight_scale: float = 1.0, *,
                           gradient_norms: Callable = layer_gradient_norms) -> LiveFigure:
    """Depth, activation and weight-scale controls over the per-layer gradient norms of a
    fresh deep network on the batch (X, labels) (notebook 07), computed by ``gradient_norms``
    (the student's own, in the notebook)."""
    return LiveFigure(vanishing_gradients.GradientNormView(X, labels, gradient_norms=gradient_norms), {
        "depth": w.IntSlider(value=depth, min=1, max=30, description="hidden layers",
                             continuous_update=True, layout=_WIDE),
        "activation": w.Dropdown(options=hidden_activations(), value=activation, description="activation"),
        "weight_scale": _log_slider("weight scale (× standard init)", weight_scale, 0.25, 4.0),
    })


def bump_explorer(target: str = "sine", n_bumps: int = 10, steepness: float = 1000.0, *,
                  bump_network: Callable = course_bump_network) -> LiveFigure:
    """Target menu, number of bumps and steepness k: the network ``bump_network`` builds (the
    student's own, in notebook 08) and its error."""
    return LiveFigure(universal_approximation.BumpView(bump_network=bump_network), {
        "target": w.Dropdown(options=sorted(TARGET_FUNCTIONS), value=target, description="target"),
        "n_bumps": w.IntSlider(value=n_bumps, min=1, max=60, description="bumps N",
                               continuous_update=True, layout=_WIDE),
        "steepness": _log_slider("steepness k", steepness, 10.0, 10000.0),
    })


def bump_challenge(target: str = "wiggly", *, bump_network: Callable = course_bump_network) -> LiveFigure:
    """Nielsen's challenge (notebook 08): one vertical slider per bump height, like a mixing
    desk; the figure scores the average deviation from the target live. The bumps are built
    by ``bump_network`` (the student's own, in the notebook)."""
    controls = {f"h{i}": w.FloatSlider(value=0.0, min=-0.2, max=1.2, step=0.01, description=f"h{i}",
                                       orientation="vertical", continuous_update=True, readout_format=".2f",
                                       layout=w.Layout(width="52px", height="170px"))
                for i in range(CHALLENGE_BUMPS)}
    live = LiveFigure(universal_approximation.ChallengeView(target, bump_network=bump_network), controls)
    live.box = w.HBox(list(controls.values()))
    return live


def batch_norm_explorer(runs, depth: int = 4, learning_rate: float = 1.0) -> LiveFigure:
    """Depth and learning-rate sliders over the deep sigmoid networks that
    ``helpers.experiments.batch_norm.sweep`` trained with and without batch normalisation:
    per-layer gradient norms and loss curves (notebook 09)."""
    depths, rates = sorted({d for d, _ in runs}), sorted({r for _, r in runs})
    return LiveFigure(batch_norm.ExplorerView(runs), {
        "depth": _choices("hidden layers", depths, depth),
        "learning_rate": _choices("learning rate η", rates, learning_rate),
    })


def tuning_explorer(landscape, n_trials: int = 9, seed: int = 0, sampler=None) -> LiveFigure:
    """A budget of trials and a seed over a landscape that ``helpers.experiments.tuning.measure_landscape``
    measured: where a grid and a random search put their trials, which learning rates each tried and
    the best loss each found (notebook 10). ``sampler``: the random search's ``log_uniform`` (the student's)."""
    return LiveFigure(tuning.LandscapeView(landscape, sampler), {
        "n_trials": w.SelectionSlider(options=[4, 9, 16, 25, 36], value=n_trials, description="trials",
                                      continuous_update=True, style=_LABELS, layout=_WIDE),
        "seed": _int_slider("random seed", seed, 0, 19),
    })
