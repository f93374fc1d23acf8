"""A toy activation added by ONE registry record, as README's recipe says: SiLU (swish).

Its derivative is not a function of its output, so ``derivative_from_output`` is None and
``MLP`` must read f' from the cached pre-activation Z. ``with_silu`` (a pytest fixture)
registers it for one test.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import activations


def _silu(z):
    return z * activations._sigmoid(z)


def _silu_derivative(z):
    s = activations._sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


SILU = activations.Activation(
    name="silu",
    function=_silu,
    derivative=_silu_derivative,
    derivative_from_output=None,       # two z give the same output: f' is not a function of a
    output_range=(-0.2785, np.inf),    # min z·σ(z) ≈ -0.278465 at z ≈ -1.2785
    gain=2.0,
    colour="C5",
)


@pytest.fixture
def with_silu(monkeypatch):
    """The registry with SiLU added, for one test."""
    monkeypatch.setitem(activations.ACTIVATIONS, "silu", SILU)
    return SILU
