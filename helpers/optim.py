r"""Optimisers as pure functions (learning-rate schedules are in ``helpers.schedules``).

Every step takes ``(params, grads, state, lr, **hyper)`` and returns *new* ``(params, state)``;
nothing passed in is modified. ``params`` and ``grads`` are dicts name → array with the same
keys and shapes; the state is a small ``NamedTuple`` of such dicts, made by ``init_*_state``,
and hyper-parameters (η, μ, β, ε) are plain arguments, never stored in the state.
With :math:`g = \nabla_\theta C`, elementwise:

* SGD: :math:`\theta \leftarrow \theta - \eta g`.
* Momentum, two conventions of one method. Velocity: :math:`v \leftarrow \mu v - \eta g,\;
  \theta \leftarrow \theta + v`. Accumulated gradient: :math:`m \leftarrow \gamma m + g,\;
  \theta \leftarrow \theta - \eta m`. With :math:`\mu = \gamma` and a constant :math:`\eta`,
  :math:`v = -\eta m` at every step, so the trajectories are identical; they differ only when
  :math:`\eta` changes over time (the velocity keeps steps taken at the old rate, while
  :math:`m` is rescaled as a whole by the new rate). The EMA form
  :math:`m \leftarrow \beta m + (1-\beta) g` holds :math:`(1-\beta)` times the accumulated
  :math:`m`, so it follows the same path as the accumulated form when its :math:`\eta` is
  :math:`1/(1-\beta)` times larger.
* Nesterov: the gradient is taken at the look-ahead point. Stored as
  :math:`v \leftarrow \mu v - \eta g,\; \theta \leftarrow \theta + \mu v - \eta g`, where the
  stored :math:`\theta` *is* the look-ahead point :math:`\theta_{\mathrm{classic}} + \mu v`,
  so the gradient at the current parameters is the one it needs.
* Adagrad: :math:`G \leftarrow G + g^2,\; \theta \leftarrow \theta - \eta g/(\sqrt{G} + \epsilon)`;
  :math:`G` only grows, so each coordinate's rate decays toward zero.
* RMSProp: :math:`s \leftarrow \rho s + (1-\rho) g^2`, then Adagrad's step with :math:`s`.
* Adam: :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\; s \leftarrow \beta_2 s + (1-\beta_2) g^2`,
  :math:`\hat m = m/(1-\beta_1^t),\; \hat s = s/(1-\beta_2^t)`,
  :math:`\theta \leftarrow \theta - \eta\,\hat m/(\sqrt{\hat s} + \epsilon)`
  (:math:`s` for the second moment, as in notebook 06: :math:`v` is momentum's velocity).

Where the conventions differ from PyTorch's ``torch.optim``:

* ``torch.optim.SGD(momentum=μ)`` uses the accumulated form, :math:`\eta` outside the
  buffer; its ``dampening`` :math:`d` gives :math:`m \leftarrow \mu m + (1-d) g` but
  leaves the first step undamped (:math:`m_1 = g`), while ``ema_momentum_step`` damps
  every step from :math:`m_0 = 0` (:math:`m_1 = (1-\beta) g`).
* ``nesterov_step`` stores the look-ahead point and folds :math:`\eta` into :math:`v`, so
  with a learning rate that changes over time its path differs from torch's
  ``nesterov=True``, which keeps :math:`\eta` outside the buffer (as in the accumulated form).
* RMSProp and Adam add :math:`\epsilon` outside the square root, as torch does.

Every step checks its arguments (dicts with matching keys and shapes, finite values, a
finite rate and hyper-parameters in range); ``helpers.train`` runs it without the
finiteness checks, so that a diverging run can be watched.

``OPTIMISERS`` maps a name to ``(init_state, step)`` so a widget can switch by name.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import (
    as_float_array,
    check_finite,
    check_positive,
    checking_finiteness,
    check_probability,
    check_same_shape,
    lookup,
)


class SGDState(NamedTuple):
    """Plain SGD remembers nothing; this empty record keeps the step signature uniform."""


class VelocityState(NamedTuple):
    """Velocity ``v`` (momentum's velocity convention, and Nesterov), keyed like params."""

    velocity: dict


class MomentumState(NamedTuple):
    """Accumulated (or averaged) gradient ``m``, keyed like params."""

    momentum: dict


class AdagradState(NamedTuple):
    """Running sum of squared gradients ``G``, keyed like params."""

    sum_squares: dict


class RMSPropState(NamedTuple):
    """Running average of squared gradients ``s``, keyed like params."""

    mean_squares: dict


class AdamState(NamedTuple):
    """First and second moment averages ``m``, ``s`` and the number of steps taken ``t``."""

    m: dict
    s: dict
    t: int


def init_sgd_state(params) -> SGDState:
    """The (empty) state of plain SGD."""
    return SGDState()


def init_momentum_state(params) -> VelocityState:
    """Zero velocity, for ``momentum_step`` and ``nesterov_step``."""
    return VelocityState(_zeros(params))


def init_accumulated_momentum_state(params) -> MomentumState:
    """Zero accumulated gradient, for ``accumulated_momentum_step`` and ``ema_momentum_step``."""
    return MomentumState(_zeros(params))


def init_adagrad_state(params) -> AdagradState:
    """Zero sum of squared gradients, for ``adagrad_step``."""
    return AdagradState(_zeros(params))


def init_rmsprop_state(params) -> RMSPropState:
    """Zero average of squared gradients, for ``rmsprop_step``."""
    return RMSPropState(_zeros(params))


def init_adam_state(params) -> AdamState:
    """Zero moments and step count 0, for ``adam_step``."""
    return AdamState(_zeros(params), _zeros(params), 0)


# --- steps: each returns (new params, new state); shapes of every dict entry = params' ---

def sgd_step(params, grads, lr):
    r""":math:`\theta \leftarrow \theta - \eta g` for every key. Returns new params only."""
    params, grads, lr = _inputs(params, grads, lr)
    new = {key: _minus_scaled(params[key], lr, grads[key]) for key in params}
    return _checked(new, params, grads)


def momentum_step(params, grads, state, lr, momentum=0.9):
    r"""Velocity convention, :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v`.

    ``momentum`` is :math:`\mu \in [0, 1)`. Returns ``(params, VelocityState)``.
    """
    params, grads, lr = _inputs(params, grads, lr)
    mu = check_probability(momentum, "momentum")
    v = _state_dict(params, state, VelocityState, "velocity")
    v = {key: mu * v[key] - lr * grads[key] for key in params}
    new = {key: params[key] + v[key] for key in params}
    return _checked(new, params, grads, state), VelocityState(v)


def accumulated_momentum_step(params, grads, state, lr, momentum=0.9):
    r"""Accumulated gradient, :math:`m \leftarrow \gamma m + g,\ \theta \leftarrow \theta - \eta m`.

    ``momentum`` is :math:`\gamma \in [0, 1)`. Returns ``(params, MomentumState)``.
    """
    params, grads, lr = _inputs(params, grads, lr)
    gamma = check_probability(momentum, "momentum")
    m = _state_dict(params, state, MomentumState, "momentum")
    m = {key: gamma * m[key] + grads[key] for key in params}
    new = {key: params[key] - lr * m[key] for key in params}
    return _checked(new, params, grads, state), MomentumState(m)


def ema_momentum_step(params, grads, state, lr, momentum=0.9):
    r"""EMA form, :math:`m \leftarrow \beta m + (1-\beta) g,\ \theta \leftarrow \theta - \eta m`.

    ``momentum`` is :math:`\beta \in [0, 1)`; same path as ``accumulated_momentum_step``
    run with rate :math:`(1-\beta)\eta`. Not torch's ``dampening=β``, which skips the damping
    on the first step (:math:`m_1 = g`, here :math:`(1-\beta) g`). Returns ``(params, MomentumState)``.
    """
    params, grads, lr = _inputs(params, grads, lr)
    beta = check_probability(momentum, "momentum")
    m = _state_dict(params, state, MomentumState, "momentum")
    m = {key: beta * m[key] + (1.0 - beta) * grads[key] for key in params}
    new = {key: params[key] - lr * m[key] for key in params}
    return _checked(new, params, grads, state), MomentumState(m)


def nesterov_step(params, grads, state, lr, momentum=0.9):
    r"""Nesterov, :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + \mu v - \eta g`.

    ``grads`` are taken at the stored (look-ahead) parameters; ``momentum`` is
    :math:`\mu \in [0, 1)`. Returns ``(params, VelocityState)``.
    """
    params, grads, lr = _inputs(params, grads, lr)
    mu = check_probability(momentum, "momentum")
    v = _state_dict(params, state, VelocityState, "velocity")
    v = {key: mu * v[key] - lr * grads[key] for key in params}
    new = {key: params[key] + mu * v[key] - lr * grads[key] for key in params}
    return _checked(new, params, grads, state), VelocityState(v)


def adagrad_step(params, grads, state, lr, eps=1e-8):
    r"""Adagrad: :math:`G \leftarrow G + g^2`,
    :math:`\theta \leftarrow \theta - \eta g/(\sqrt G + \epsilon)`.

    Returns ``(params, AdagradState)``.
    """
    params, grads, lr = _inputs(params, grads, lr)
    eps = check_positive(eps, "eps")
    _check_finite_grads(grads)
    G = _state_dict(params, state, AdagradState, "sum_squares")
    G = {key: G[key] + grads[key] ** 2 for key in params}
    new = {key: params[key] - lr * grads[key] / (np.sqrt(G[key]) + eps) for key in params}
    return _checked(new, params, grads, state), AdagradState(G)


def rmsprop_step(params, grads, state, lr, rho=0.9, eps=1e-8):
    r"""RMSProp: :math:`s \leftarrow \rho s + (1-\rho) g^2`,
    :math:`\theta \leftarrow \theta - \eta g/(\sqrt s + \epsilon)`.

    ``rho`` in [0, 1). Returns ``(params, RMSPropState)``.
    """
    params, grads, lr = _inputs(params, grads, lr)
    rho, eps = check_probability(rho, "rho"), check_positive(eps, "eps")
    _check_finite_grads(grads)
    s = _state_dict(params, state, RMSPropState, "mean_squares")
    s = {key: rho * s[key] + (1.0 - rho) * grads[key] ** 2 for key in params}
    new = {key: params[key] - lr * grads[key] / (np.sqrt(s[key]) + eps) for key in params}
    return _checked(new, params, grads, state), RMSPropState(s)


def adam_step(params, grads, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    r"""Adam, :math:`\theta \leftarrow \theta - \eta\,\hat m/(\sqrt{\hat s} + \epsilon)`.

    Both averages start at 0, so early on they are biased toward 0; dividing by
    :math:`1-\beta^t` removes that, and the first step moves every coordinate by about
    :math:`\eta` (:math:`\hat m/\sqrt{\hat s} = g/|g|`). Returns ``(params, AdamState)``.
    """
    params, grads, lr = _inputs(params, grads, lr)
    beta1, beta2 = check_probability(beta1, "beta1"), check_probability(beta2, "beta2")
    eps = check_positive(eps, "eps")
    _check_finite_grads(grads)
    m = _state_dict(params, state, AdamState, "m")
    s = _state_dict(params, state, AdamState, "s")
    t = state.t + 1
    m = {key: beta1 * m[key] + (1.0 - beta1) * grads[key] for key in params}
    s = {key: beta2 * s[key] + (1.0 - beta2) * grads[key] ** 2 for key in params}
    new = {}
    for key in params:
        m_hat, s_hat = m[key] / (1.0 - beta1**t), s[key] / (1.0 - beta2**t)
        new[key] = params[key] - lr * m_hat / (np.sqrt(s_hat) + eps)
    return _checked(new, params, grads, state), AdamState(m, s, t)


# --- registry ----------------------------------------------------------------------------

class Optimiser(NamedTuple):
    """An optimiser by name: ``init_state(params) -> state`` and
    ``step(params, grads, state, lr, **hyper) -> (params, state)``."""

    init_state: Callable
    step: Callable


def _sgd_with_state(params, grads, state, lr):
    """``sgd_step`` in the registry's ``(params, grads, state, lr) -> (params, state)`` form."""
    return sgd_step(params, grads, lr), state


OPTIMISERS: dict[str, Optimiser] = {
    "sgd": Optimiser(init_sgd_state, _sgd_with_state),
    "momentum": Optimiser(init_momentum_state, momentum_step),
    "momentum_accumulated": Optimiser(init_accumulated_momentum_state, accumulated_momentum_step),
    "momentum_ema": Optimiser(init_accumulated_momentum_state, ema_momentum_step),
    "nesterov": Optimiser(init_momentum_state, nesterov_step),
    "adagrad": Optimiser(init_adagrad_state, adagrad_step),
    "rmsprop": Optimiser(init_rmsprop_state, rmsprop_step),
    "adam": Optimiser(init_adam_state, adam_step),
}


def get_optimiser(name: str) -> Optimiser:
    """Return the ``Optimiser`` registered under ``name``, or say which names exist."""
    return lookup(OPTIMISERS, name, "optimiser")


# --- input checks ------------------------------------------------------------------------

def _as_dict(value, name: str) -> dict:
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict name -> array, got {type(value).__name__}")
    return value


def _zeros(params) -> dict:
    params = _as_dict(params, "params")
    return {key: np.zeros_like(as_float_array(v, f"params[{key!r}]")) for key, v in params.items()}


def _like(params: dict, other, name: str) -> dict:
    """``other`` as float arrays, after checking that it has params' keys and shapes."""
    other = _as_dict(other, name)
    if other.keys() != params.keys():
        missing, extra = sorted(set(params) - set(other)), sorted(set(other) - set(params))
        raise ValueError(f"{name} needs the keys of params: missing {missing}, unexpected {extra}")
    return {key: _float_array_shaped_like(other[key], params[key], name, key) for key in params}


def _float_array_shaped_like(value, param: np.ndarray, name: str, key: str) -> np.ndarray:
    if type(value) is np.ndarray and value.dtype == param.dtype and value.shape == param.shape:
        return value  # the common case, every step of a training loop: no names to format
    value = as_float_array(value, f"{name}[{key!r}]")
    check_same_shape(param, value, f"params[{key!r}]", f"{name}[{key!r}]")
    return value


def _inputs(params, grads, lr):
    params = _as_dict(params, "params")
    params = {key: as_float_array(value, f"params[{key!r}]") for key, value in params.items()}
    return params, _like(params, grads, "grads"), check_positive(lr, "lr")


def _minus_scaled(param: np.ndarray, lr: float, grad: np.ndarray) -> np.ndarray:
    """A new array ``param - lr * grad``, written into the buffer of ``lr * grad``: one new array
    instead of two (for a 784 × 100 weight matrix, the second would cost a third of the update).
    A 0-d parameter gives a NumPy scalar, not an array, so it is made an array for ``out``."""
    step = np.asarray(np.multiply(grad, lr))
    return np.subtract(param, step, out=step)


def _checked(new: dict, params: dict, grads: dict, state=None) -> dict:
    """``new``, after making sure that no input of the update held NaN or inf. They always reach
    the new parameters, so one look at each result replaces a look at every input; a result
    that overflowed from finite inputs is a diverging run, not bad input, and passes."""
    if checking_finiteness():
        for key, value in new.items():
            if not np.isfinite(value).all():
                for name, array in _inputs_of(key, params, grads, state).items():
                    check_finite(array, name)
    return new


def _check_finite_grads(grads: dict) -> None:
    """Up front for the adaptive methods: an inf gradient would make them divide inf by inf."""
    for key, value in grads.items():
        check_finite(value, f"grads[{key!r}]")


def _inputs_of(key: str, params: dict, grads: dict, state) -> dict:
    inputs = {f"params[{key!r}]": params[key], f"grads[{key!r}]": grads[key]}
    for field, value in (state._asdict().items() if state is not None else ()):
        if isinstance(value, dict):
            inputs[f"state.{field}[{key!r}]"] = as_float_array(value[key], f"state.{field}[{key!r}]")
    return inputs


def _state_dict(params: dict, state, kind: type, field: str) -> dict:
    if not isinstance(state, kind):
        got = type(state).__name__
        raise TypeError(f"this step needs a {kind.__name__} from its init_*_state(params), got {got}")
    return _like(params, getattr(state, field), f"state.{field}")
