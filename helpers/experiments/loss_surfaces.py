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


def _rosenbrock_gradient(p, steepness=100.0):
    x, y = p[..., 0], p[..., 1]
    inner = y - x * x
    return _pair(-2.0 * (1.0 - x) - 4.0 * steepness * x * inner, 2.0 * steepness * inner)


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


def rosenbrock_derivatives(x: float, y: float, steepness: float = 100.0):
    r"""Gradient (2,) and Hessian (2, 2) of :math:`(1 - x)^2 + b\,(y - x^2)^2` with :math:`b` =
    ``steepness`` (notebook 06's exercise F; ``ROSENBROCK`` is :math:`b = 100`)."""
    inner = y - x * x
    hessian = np.array([[2.0 - 4.0 * steepness * inner + 8.0 * steepness * x * x, -4.0 * steepness * x],
                        [-4.0 * steepness * x, 2.0 * steepness]])
    return _rosenbrock_gradient(np.array([x, y], dtype=float), steepness), hessian


def wrong_rosenbrock_derivatives(x: float, y: float, steepness: float, gradient, hessian) -> tuple[dict, dict]:
    """The usual wrong gradients and Hessians at (x, y), each under the sentence a test cell shows for
    it, built on the right ``gradient`` (2,) and ``hessian`` (2, 2) that the test expects (not on
    ``rosenbrock_derivatives``: a student's copy of helpers lacks it before 06's deadline)."""
    b, inner = steepness, y - x * x
    gradient, hessian = np.asarray(gradient, dtype=float), np.asarray(hessian, dtype=float)
    with_xx = lambda value: np.array([[value, hessian[0, 1]], [hessian[1, 0], hessian[1, 1]]])
    return ({
        "∂f/∂x misses the chain rule's inner factor: the derivative of y − x² with respect to x is −2x":
            np.array([-2.0 * (1.0 - x) + 2.0 * b * inner, gradient[1]]),
        "∂f/∂x has the inner factor +2x: the derivative of y − x² with respect to x is −2x":
            np.array([-2.0 * (1.0 - x) + 4.0 * b * x * inner, gradient[1]]),
        "the first term's sign is wrong: the derivative of (1 − x)² is −2(1 − x), its inner factor is −1":
            np.array([2.0 * (1.0 - x) - 4.0 * b * x * inner, gradient[1]]),
    }, {
        "∂²f/∂x² misses a product-rule term: −4bx·(y − x²) has two factors that both depend on x":
            with_xx(2.0 + 8.0 * b * x * x),
        "∂²f/∂x² misses the term from differentiating y − x² inside −4bx·(y − x²)":
            with_xx(2.0 - 4.0 * b * inner),
    })


def with_pointwise_gradient(surface: Surface, gradient_at: Callable) -> Surface:
    """``surface`` with its gradient computed by ``gradient_at(x, y) -> (2,)`` (e.g. a student's),
    one point at a time, so that optimisers can run on it."""
    def gradient(p):
        rows = np.reshape(p, (-1, 2))
        return np.array([np.asarray(gradient_at(x, y), dtype=float) for x, y in rows]).reshape(np.shape(p))
    return surface._replace(gradient=gradient)


def get_surface(name: str) -> Surface:
    """Return the ``Surface`` registered under ``name``, or say which names exist."""
    return lookup(SURFACES, name, "surface")


def grid(surface: Surface, resolution: int = 120):
    """``(xs, ys, values)`` over the surface's plot window: values has shape (resolution, resolution)."""
    xs = np.linspace(*surface.x_range, resolution)
    ys = np.linspace(*surface.y_range, resolution)
    points = np.stack(np.meshgrid(xs, ys), axis=-1)
    return xs, ys, surface.value(points)
