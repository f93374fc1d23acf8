r"""Weight initialisers, and the one table of variance rules they draw with.

Each initialiser returns a (fan_in, fan_out) array for a layer that maps ``fan_in`` inputs to
``fan_out`` outputs (rows = samples, so ``z = x @ W + b``), and each random one takes a
``numpy.random.Generator`` so the caller owns the seed.

Why the scales: with independent zero-mean inputs of variance :math:`v`, one unit's
pre-activation :math:`z = \sum_{i=1}^{n_{in}} w_i x_i` has :math:`\mathrm{Var}\,z = n_{in}\,
\mathrm{Var}\,w\; v`. Keeping it equal to :math:`v` asks for :math:`\mathrm{Var}\,w = 1/n_{in}`
(LeCun); the same argument run backwards asks for :math:`1/n_{out}`; Glorot & Bengio
compromise on :math:`2/(n_{in} + n_{out})`; He doubles LeCun's to :math:`2/n_{in}` because
ReLU zeroes half of its inputs. (Each activation's record states its factor as ``gain``:
:math:`\mathrm{Var}\,w = \mathrm{gain}/n_{in}`.)
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import check_count, check_positive, check_rng, lookup


class Scheme(NamedTuple):
    """A variance rule: its label in tables and menus, and Var(w) for a layer's fans."""

    label: str
    variance: Callable[[int, int], float]  # (fan_in, fan_out) -> Var(w)


SCHEMES: dict[str, Scheme] = {
    "normal": Scheme("N(0, 1)", lambda fan_in, fan_out: 1.0),
    "lecun": Scheme("LeCun 1/n_in", lambda fan_in, fan_out: 1.0 / fan_in),
    "xavier": Scheme("Glorot 2/(n_in+n_out)", lambda fan_in, fan_out: 2.0 / (fan_in + fan_out)),
    "he": Scheme("He 2/n_in", lambda fan_in, fan_out: 2.0 / fan_in),
}


def variance(scheme: str, fan_in: int, fan_out: int) -> float:
    """Var(w) of ``scheme`` (a name in ``SCHEMES``) for a layer with these fans."""
    rule = lookup(SCHEMES, scheme, "variance scheme")
    return rule.variance(*_shape(fan_in, fan_out))


def zeros(fan_in: int, fan_out: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """All zeros: every unit of a layer computes the same thing, forever (no symmetry breaking)."""
    return np.zeros(_shape(fan_in, fan_out))


def constant(fan_in: int, fan_out: int, rng: np.random.Generator | None = None, value: float = 0.1):
    """Every weight equal to ``value``: as symmetric as zeros, just not zero."""
    return np.full(_shape(fan_in, fan_out), float(value))


def normal(fan_in: int, fan_out: int, rng: np.random.Generator, std: float = 1.0) -> np.ndarray:
    r""":math:`w \sim \mathcal N(0, \mathrm{std}^2)`: a fixed scale that ignores the layer's size."""
    std = check_positive(std, "std", allow_zero=True)
    return check_rng(rng).normal(0.0, std, size=_shape(fan_in, fan_out))


def lecun_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    r""":math:`w \sim \mathcal N(0, 1/n_{in})`: variance :math:`1/n_{in}`, std :math:`1/\sqrt{n_{in}}`."""
    # Each initialiser states its own rule (not SCHEMES'): a student's copy of helpers lacks some of them.
    fan_in, fan_out = _shape(fan_in, fan_out)
    return normal(fan_in, fan_out, rng, std=np.sqrt(1.0 / fan_in))


def xavier_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    r"""Glorot/Xavier normal: :math:`\mathrm{Var}\,w = 2/(n_{in} + n_{out})`."""
    fan_in, fan_out = _shape(fan_in, fan_out)
    return normal(fan_in, fan_out, rng, std=np.sqrt(2.0 / (fan_in + fan_out)))


def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    r"""Glorot/Xavier uniform on :math:`[-a, a]`, :math:`a = \sqrt{6/(n_{in} + n_{out})}`.

    :math:`\mathrm{Var}\,U[-a, a] = a^2/3 = 2/(n_{in} + n_{out})`, the same variance as the normal form.
    """
    fan_in, fan_out = _shape(fan_in, fan_out)
    limit = np.sqrt(6.0 / (fan_in + fan_out))  # the textbook form: sqrt(3 * 2/(...)) can differ by an ulp
    return check_rng(rng).uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    r"""He/Kaiming normal for ReLU layers: :math:`\mathrm{Var}\,w = 2/n_{in}`."""
    fan_in, fan_out = _shape(fan_in, fan_out)
    return normal(fan_in, fan_out, rng, std=np.sqrt(2.0 / fan_in))


INITIALISERS: dict[str, Callable] = {
    "zeros": zeros,
    "constant": constant,
    "normal": normal,
    "lecun": lecun_normal,
    "xavier_normal": xavier_normal,
    "xavier_uniform": xavier_uniform,
    "he": he_normal,
}


def get_initialiser(name: str) -> Callable:
    """Return the initialiser registered under ``name``, or say which names exist."""
    return lookup(INITIALISERS, name, "initialiser")


def _shape(fan_in, fan_out) -> tuple[int, int]:
    return check_count(fan_in, "fan_in"), check_count(fan_out, "fan_out")
