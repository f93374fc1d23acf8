r"""Two-dimensional cost surfaces on which optimisers can be watched, each with its gradient.

A point is the last axis of an array, ``p[..., 0] = x`` and ``p[..., 1] = y``, so one call
evaluates a single point (shape (2,)) or a whole grid (shape (ny, nx, 2)) for a contour plot.
``value`` and ``gradient`` skip input checks: they run inside optimiser loops, whose public
entries (``helpers.experiments.optimisers.path``, ``race``) check what comes in.

* **valley**, an ill-conditioned quadratic: :math:`f = \tfrac12(\lambda_1 u^2 + \lambda_2 v^2)`
  with :math:`(u, v)` the point rotated by an angle. The Hessian has eigenvalues
  :math:`\lambda_1 < \lambda_2`; plain gradient descent needs :math:`\eta < 2/\lambda_2` to be
  stable and then creeps along the flat direction at a rate set by
  :math:`1 - \eta\lambda_1`, so the condition number :math:`\kappa = \lambda_2/\lambda_1` sets its speed.
* **tilted valley**: the same quadratic turned by 30°, so that its axes are no longer the
  coordinate axes (per-coordinate learning rates then help less).
* **rosenbrock**: :math:`f = (1 - x)^2 + 100\,(y - x^2)^2`, a curved, narrow valley with its
  minimum at (1, 1).
* **saddle**: :math:`f = \tfrac12 x^2 + \tfrac14 y^4 - \tfrac12 y^2`. The origin is a saddle
  point (Hessian diag(1, −1)); the minima are (0, ±1) with :math:`f = -\tfrac14`. A start on
  the x-axis with a tiny y approaches the saddle before it escapes.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import lookup


class Surface(NamedTuple):
    """A cost surface: ``value(p)``, ``gradient(p)``, where optimisers start, and what to plot."""

    name: str
    title: str
    value: Callable      # (..., 2) -> (...)
    gradient: Callable   # (..., 2) -> (..., 2)
    start: tuple         # (x0, y0)
    minima: tuple        # ((x, y), ...)
    x_range: tuple       # plot window
    y_range: tuple
    log_levels: bool     # contour levels spaced logarithmically (for very deep valleys)


def _pair(first, second) -> np.ndarray:
    """Stack two same-shaped arrays on a new last axis (faster than np.stack for one point)."""
    out = np.empty(np.shape(first) + (2,))
    out[..., 0], out[..., 1] = first, second
    return out


def valley(condition: float = 25.0, angle_degrees: float = 0.0) -> Surface:
    r"""Quadratic :math:`\tfrac12(u^2 + \kappa v^2)`, :math:`(u, v)` = the point rotated by
    ``-angle_degrees``: the flat direction points at ``angle_degrees`` from the x-axis."""
    if not condition >= 1:
        raise ValueError(f"condition (λ2/λ1) must be >= 1, got {condition!r}")
    angle = np.deg2rad(angle_degrees)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    hessian = rotation @ np.diag([1.0, float(condition)]) @ rotation.T

    def value(p):
        return 0.5 * np.einsum("...i,ij,...j->...", p, hessian, p)

    def gradient(p):
        return p @ hessian  # the Hessian is symmetric

    name = "valley" if angle_degrees == 0 else "tilted valley"
    title = f"quadratic valley, κ = {condition:g}" + (f", tilted {angle_degrees:g}°" if angle_degrees else "")
    start = rotation @ np.array([-4.5, 1.5]) if angle_degrees else (-4.5, 1.5)
    return Surface(name, title, value, gradient, tuple(float(c) for c in start), ((0.0, 0.0),),
                   (-5.0, 5.0), (-3.5, 3.5) if angle_degrees else (-2.5, 2.5), False)


def _rosenbrock_value(p):
    x, y = p[..., 0], p[..., 1]
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def _rosenbrock_gradient(p):
    x, y = p[..., 0], p[..., 1]
    inner = y - x * x
    return _pair(-2.0 * (1.0 - x) - 400.0 * x * inner, 200.0 * inner)


def _saddle_value(p):
    x, y = p[..., 0], p[..., 1]
    return 0.5 * x * x + 0.25 * y**4 - 0.5 * y * y


def _saddle_gradient(p):
    x, y = p[..., 0], p[..., 1]
    return _pair(x, y**3 - y)


ROSENBROCK = Surface("rosenbrock", "Rosenbrock's valley", _rosenbrock_value, _rosenbrock_gradient,
                     (-1.2, 1.0), ((1.0, 1.0),), (-2.0, 2.0), (-1.0, 3.0), True)
SADDLE = Surface("saddle", "a saddle point at the origin", _saddle_value, _saddle_gradient,
                 (2.2, 1e-3), ((0.0, 1.0), (0.0, -1.0)), (-2.5, 2.5), (-1.6, 1.6), False)

SURFACES: dict[str, Surface] = {"valley": valley(), "tilted valley": valley(angle_degrees=30.0),
                                "rosenbrock": ROSENBROCK, "saddle": SADDLE}


def get_surface(name: str) -> Surface:
    """Return the ``Surface`` registered under ``name``, or say which names exist."""
    return lookup(SURFACES, name, "surface")


def grid(surface: Surface, resolution: int = 120):
    """``(xs, ys, values)`` over the surface's plot window: values has shape (resolution, resolution)."""
    xs = np.linspace(*surface.x_range, resolution)
    ys = np.linspace(*surface.y_range, resolution)
    points = np.stack(np.meshgrid(xs, ys), axis=-1)
    return xs, ys, surface.value(points)
