r"""Learning-rate schedules :math:`\eta_t`, each a function of the epoch (or step) t >= 0.

Robbins–Monro (:math:`\sum_t \eta_t = \infty`, :math:`\sum_t \eta_t^2 < \infty`) holds for
inverse-time decay with k > 0, which is what lets SGD converge on a convex problem instead of
hovering in a noise ball; step and exponential decay shrink so fast that :math:`\sum_t \eta_t`
is finite, so SGD may stop short of a minimum.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers._validate import as_float_array, check_positive, check_probability


def step_decay(lr0, drop, every):
    r""":math:`\eta_t = \eta_0\,\mathrm{drop}^{\lfloor t/\mathrm{every} \rfloor}`: multiply by
    ``drop`` (in [0, 1]) every ``every`` epochs."""
    lr0, every = check_positive(lr0, "lr0"), check_positive(every, "every")
    drop = check_probability(drop, "drop", include_one=True)
    return _schedule(lambda t: lr0 * drop ** np.floor(t / every))


def exponential_decay(lr0, rate):
    r""":math:`\eta_t = \eta_0\,\mathrm{rate}^t` with rate in [0, 1], e.g. 0.95 per epoch."""
    lr0, rate = check_positive(lr0, "lr0"), check_probability(rate, "rate", include_one=True)
    return _schedule(lambda t: lr0 * rate**t)


def inverse_time_decay(lr0, k):
    r""":math:`\eta_t = \eta_0 / (1 + k t)` with :math:`k \ge 0`."""
    lr0, k = check_positive(lr0, "lr0"), check_positive(k, "k", allow_zero=True)
    return _schedule(lambda t: lr0 / (1.0 + k * t))


def _schedule(formula: Callable) -> Callable:
    def rate(t):
        t = as_float_array(t, "t")
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise ValueError(f"t (epoch or step) must be finite and >= 0, got {t}")
        value = formula(t)
        return float(value) if np.ndim(value) == 0 else value

    return rate
