r"""Regularisation: weight penalties, inverted dropout and early stopping.

Weight penalties follow Nielsen's convention, with :math:`n` the number of *training
samples* (not of weights) and the sum over weights only (biases are not penalised: only
keys starting with ``"W"``):

.. math::
    C = C_0 + \frac{\lambda}{2n}\sum_w w^2,\qquad
    \frac{\partial C}{\partial w} = \frac{\partial C_0}{\partial w} + \frac{\lambda}{n} w,\qquad
    w \leftarrow \Bigl(1 - \frac{\eta\lambda}{n}\Bigr) w - \eta \frac{\partial C_0}{\partial w}.

The ½ is there so the 2 from differentiating :math:`w^2` cancels: the weights shrink by
the factor :math:`1 - \eta\lambda/n` every step ("weight decay"). L1 uses
:math:`C = C_0 + \frac{\lambda}{n}\sum_w |w|`, with gradient :math:`\frac{\lambda}{n}\,\mathrm{sgn}(w)`
and :math:`\mathrm{sgn}(0) = 0` (a valid subgradient): a constant pull toward 0 that
drives small weights all the way there.

Inverted dropout zeroes each activation with probability :math:`p` in training and divides
the survivors by :math:`1 - p`, so :math:`E[\text{output}] = A` and the network is used
unchanged at test time.
"""
from __future__ import annotations

import numpy as np

from helpers._validate import (
    arrays_like,
    as_float_array,
    check_count,
    check_dict,
    check_finite,
    check_positive,
    check_probability,
    check_rng,
    check_same_shape,
)


def is_weight(key: str) -> bool:
    """Whether the parameter ``key`` is penalised: weights ``"W1"``, ``"W2"``…, not biases."""
    return str(key).startswith("W")


# --- L2 and L1 penalties ---------------------------------------------------------------------

def l2_penalty(params, lam, n) -> float:
    r""":math:`\frac{\lambda}{2n}\sum_w w^2` over every weight matrix in ``params``."""
    params, lam, n = _inputs(params, lam, n)
    return lam / (2.0 * n) * sum(float(np.sum(w * w)) for key, w in params.items() if is_weight(key))


def l2_gradient(params, lam, n) -> dict:
    r""":math:`\frac{\lambda}{n} w` for weights and zeros for biases; keys and shapes of ``params``."""
    params, lam, n = _inputs(params, lam, n)
    return {key: lam / n * w if is_weight(key) else np.zeros_like(w) for key, w in params.items()}


def l1_penalty(params, lam, n) -> float:
    r""":math:`\frac{\lambda}{n}\sum_w |w|` over every weight matrix in ``params``."""
    params, lam, n = _inputs(params, lam, n)
    return lam / n * sum(float(np.sum(np.abs(w))) for key, w in params.items() if is_weight(key))


def l1_gradient(params, lam, n) -> dict:
    r""":math:`\frac{\lambda}{n}\,\mathrm{sgn}(w)` (with sgn(0) = 0) for weights, zeros for biases."""
    params, lam, n = _inputs(params, lam, n)
    # np.sign gives sgn(0) = 0, the subgradient we want at the kink
    return {key: lam / n * np.sign(w) if is_weight(key) else np.zeros_like(w) for key, w in params.items()}


def l2_transform(lam, n):
    r"""The L2 term as a gradient transform for ``train``: ``f(grads, params)`` adds
    :math:`\frac{\lambda}{n} w` to every weight's gradient. Checked here, unchecked per step."""
    lam, n = check_positive(lam, "lam (λ)", allow_zero=True), check_count(n, "n (the number of training samples)")

    def add_l2(grads: dict, params: dict) -> dict:
        return {key: g + lam / n * params[key] if is_weight(key) else g for key, g in grads.items()}

    return add_l2


def add_gradients(grads, extra) -> dict:
    """``grads[key] + extra[key]`` for every key, as a new dict (e.g. data + penalty gradients).

    Both dicts must have the same keys and shapes.
    """
    grads = check_dict(grads, "grads")
    grads = arrays_like(grads, grads, "grads", "grads")
    extra = arrays_like(grads, extra, "extra", "grads")
    return {key: g + extra[key] for key, g in grads.items()}


def _inputs(params, lam, n):
    params = check_dict(params, "params")
    params = {key: check_finite(as_float_array(value, f"params[{key!r}]"), f"params[{key!r}]")
              for key, value in params.items()}
    n = check_count(n, "n (the number of training samples)")
    return params, check_positive(lam, "lam (λ)", allow_zero=True), n


# --- inverted dropout ------------------------------------------------------------------------

def dropout_forward(A, drop_probability, rng, training: bool = True):
    r"""Inverted dropout on activations ``A`` (any shape, e.g. (n, units)).

    Training: ``mask`` is :math:`1/(1-p)` where a unit is kept (probability :math:`1-p`)
    and 0 where it is dropped, and ``output = A * mask``, so :math:`E[\text{output}] = A`.
    Test time (``training=False``): ``mask`` is ones and ``output`` equals ``A``; ``rng``
    is not used. ``drop_probability`` :math:`p` must lie in [0, 1).
    Returns ``(output, mask)``, both shaped like ``A``; keep ``mask`` for the backward pass.
    """
    A = check_finite(as_float_array(A, "A"), "A")
    p = check_probability(drop_probability, "drop_probability")
    if not training:
        return A.copy(), np.ones_like(A)
    keep = check_rng(rng).random(A.shape) >= p
    mask = keep / (1.0 - p)
    return A * mask, mask


def dropout_backward(grad_output, mask):
    r"""Backward of dropout: ``grad_output * mask``, i.e.
    :math:`\partial C/\partial A = \partial C/\partial\,\mathrm{output} \odot \mathrm{mask}`,
    with the very mask the forward pass returned (all shapes equal).

    A dropped unit passes no gradient; a kept one passes it scaled by :math:`1/(1-p)`.
    """
    grad = as_float_array(grad_output, "grad_output")
    mask = as_float_array(mask, "mask")
    check_same_shape(grad, mask, "grad_output", "mask")
    return grad * mask


# --- early stopping --------------------------------------------------------------------------

class EarlyStopping:
    """Remember the best validation metric and stop after ``patience`` epochs without improvement.

    ``mode="max"`` for a metric to maximise (accuracy), ``"min"`` for one to minimise (loss).
    After each epoch call ``update(epoch, metric, params)``; it returns ``True`` once the
    metric has not improved (strictly) for ``patience`` consecutive epochs. Its whole state
    is the four public attributes ``best_epoch``, ``best_metric``, ``best_params`` (a copy
    of the arrays, so later training cannot change it) and ``epochs_without_improvement``.
    """

    def __init__(self, patience: int = 10, mode: str = "max"):
        self.patience = check_count(patience, "patience (epochs to wait)")
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' (e.g. accuracy) or 'min' (e.g. loss), got {mode!r}")
        self.mode = mode
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far, to track a new training run."""
        self.best_epoch: int | None = None
        self.best_metric: float | None = None
        self.best_params: dict | None = None
        self.epochs_without_improvement = 0

    def improves(self, metric: float) -> bool:
        """Whether ``metric`` is strictly better than the best so far (NaN never is)."""
        if self.best_metric is None:
            return not np.isnan(metric)
        return metric > self.best_metric if self.mode == "max" else metric < self.best_metric

    def update(self, epoch: int, metric, params) -> bool:
        """Record this epoch's ``metric`` (and a copy of ``params`` if best); return whether to stop."""
        metric = float(metric)
        if self.improves(metric):
            self.best_epoch, self.best_metric = epoch, metric
            params = check_dict(params, "params")
            self.best_params = {key: np.array(value, copy=True) for key, value in params.items()}
            self.epochs_without_improvement = 0
        else:
            self.epochs_without_improvement += 1
        return self.epochs_without_improvement >= self.patience

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, mode={self.mode!r}, "
            f"best_epoch={self.best_epoch}, best_metric={self.best_metric}, "
            f"epochs_without_improvement={self.epochs_without_improvement})"
        )
