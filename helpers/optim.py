r"""Optimisers: each update rule written once, for one array, and mapped over the parameters.

With :math:`g = \nabla_\theta C` and rate :math:`\eta` (schedules: ``helpers.schedules``), each
rule's docstring gives its update, elementwise. The two momentum forms follow one path while
:math:`\eta` is constant (:math:`v = -\eta m`) and part when it changes (the velocity keeps
steps taken at the old rate); the EMA form is the accumulated path at rate :math:`(1-\beta)\eta`.
Against ``torch.optim``: its ``SGD(momentum=μ)`` is the accumulated form, its ``dampening``
leaves the first step undamped (here :math:`m_1 = (1-\beta) g`), its Nesterov keeps :math:`\eta`
outside the buffer (paths differ when :math:`\eta` changes); :math:`\epsilon` is outside the
square root in both.

``RULES`` holds the rules, unchecked; the public ``*_step`` take dicts name → array, check their
inputs once and return new ``(params, state)``, the state a ``NamedTuple`` of dicts from
``init_*_state``.
"""
from __future__ import annotations

import inspect
import math
from typing import Callable, NamedTuple

import numpy as np

from helpers._validate import (arrays_like, as_float_array, check_dict, check_finite, check_positive,
                               check_probability, check_real, lookup)


class Rule(NamedTuple):
    """One update rule for one array; no checks (callers check once)."""
    init: Callable    # (param array) -> state tuple for that array
    update: Callable  # (param, grad, state, lr, **hyper) -> (new param, new state)


def _zeros(param):
    return (np.zeros_like(param),)  # one running average (or velocity), shaped like the param


def _sgd(param, grad, state, lr):
    r""":math:`\theta \leftarrow \theta - \eta g`."""
    step = np.asarray(lr * grad)  # written in place below: one new array instead of two
    return np.subtract(param, step, out=step), state


def _velocity(param, grad, state, lr, momentum=0.9):
    r"""Momentum, velocity form: :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v`."""
    v = momentum * state[0] - lr * grad
    return param + v, (v,)


def _accumulated(param, grad, state, lr, momentum=0.9):
    r"""Momentum, accumulated form: :math:`m \leftarrow \gamma m + g,\ \theta \leftarrow \theta - \eta m`."""
    m = momentum * state[0] + grad
    return param - lr * m, (m,)


def _ema(param, grad, state, lr, momentum=0.9):
    r"""Momentum, EMA form: :math:`m \leftarrow \beta m + (1-\beta) g,\ \theta \leftarrow \theta - \eta m`."""
    m = momentum * state[0] + (1.0 - momentum) * grad
    return param - lr * m, (m,)


def _nesterov(param, grad, state, lr, momentum=0.9):
    r"""Nesterov: :math:`v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + \mu v - \eta g`, θ the look-ahead."""
    v = momentum * state[0] - lr * grad
    return param + momentum * v - lr * grad, (v,)


def _adagrad(param, grad, state, lr, eps=1e-8):
    r"""Adagrad: :math:`G \leftarrow G + g^2,\ \theta \leftarrow \theta - \eta g/(\sqrt{G} + \epsilon)`."""
    G = state[0] + grad**2
    return param - lr * grad / (np.sqrt(G) + eps), (G,)


def _rmsprop(param, grad, state, lr, rho=0.9, eps=1e-8):
    r"""RMSProp: :math:`s \leftarrow \rho s + (1-\rho) g^2`, then Adagrad's step with :math:`s`."""
    s = rho * state[0] + (1.0 - rho) * grad**2
    return param - lr * grad / (np.sqrt(s) + eps), (s,)


def _adam(param, grad, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    r"""Adam: :math:`m \leftarrow \beta_1 m + (1-\beta_1) g,\ s \leftarrow \beta_2 s + (1-\beta_2) g^2,\
    \theta \leftarrow \theta - \eta\,\hat m/(\sqrt{\hat s} + \epsilon)`, where :math:`\hat m = m/(1-\beta_1^t),\
    \hat s = s/(1-\beta_2^t)` undo the averages' start at 0 (the first step moves each coordinate by ≈ η)."""
    m, s, t = state
    t += 1
    m = beta1 * m + (1.0 - beta1) * grad
    s = beta2 * s + (1.0 - beta2) * grad**2
    m_hat, s_hat = m / (1.0 - beta1**t), s / (1.0 - beta2**t)
    return param - lr * m_hat / (np.sqrt(s_hat) + eps), (m, s, t)


RULES: dict[str, Rule] = {
    "sgd": Rule(lambda param: (), _sgd),
    "momentum": Rule(_zeros, _velocity),
    "momentum_accumulated": Rule(_zeros, _accumulated),
    "momentum_ema": Rule(_zeros, _ema),
    "nesterov": Rule(_zeros, _nesterov),
    "adagrad": Rule(_zeros, _adagrad),
    "rmsprop": Rule(_zeros, _rmsprop),
    "adam": Rule(lambda param: (np.zeros_like(param), np.zeros_like(param), 0), _adam),
}


def map_rule(rule: Rule, params: dict, grads: dict, states: dict, lr: float, **hyper):
    """``rule`` applied to every key, unchecked: ``states`` maps each key to its state tuple.
    Returns new ``(params, states)``; for loops that checked their inputs once."""
    new_params, new_states = {}, {}
    for key, param in params.items():
        new_params[key], new_states[key] = rule.update(param, grads[key], states[key], lr, **hyper)
    return new_params, new_states


_HYPER_CHECKS = {"momentum": check_probability, "rho": check_probability, "beta1": check_probability,
                 "beta2": check_probability, "eps": check_positive}
_HYPER_NAMES = {name: list(inspect.signature(rule.update).parameters)[4:] for name, rule in RULES.items()}


def get_rule(optimiser: str | Rule) -> Rule:
    """``RULES[optimiser]``, or ``optimiser`` itself if it is a ``Rule`` of your own."""
    return optimiser if isinstance(optimiser, Rule) else lookup(RULES, optimiser, "optimiser")


def check_options(optimiser: str | Rule, options: dict | None) -> dict:
    """``options`` for ``optimiser`` (a name or a ``Rule``), checked: the rule takes each of them, μ, ρ,
    β and ε lie in range, any other is a real number."""
    known = list(inspect.signature(get_rule(optimiser).update).parameters)[4:]
    unknown = sorted(set(options or {}) - set(known))
    if unknown:
        name = optimiser if isinstance(optimiser, str) else optimiser.update.__name__
        raise TypeError(f"optimiser {name!r} takes {known or 'no hyper-parameters'}, got {unknown}")
    return {key: _HYPER_CHECKS.get(key, check_real)(value, key) for key, value in (options or {}).items()}


# The state records: one dict keyed like params per running quantity (Adam also counts steps).
SGDState = NamedTuple("SGDState", [])  # plain SGD remembers nothing: keeps the step signature uniform
VelocityState = NamedTuple("VelocityState", [("velocity", dict)])  # momentum's velocity v, and Nesterov's
MomentumState = NamedTuple("MomentumState", [("momentum", dict)])  # accumulated (or averaged) gradient m
AdagradState = NamedTuple("AdagradState", [("sum_squares", dict)])  # running sum of squared gradients G
RMSPropState = NamedTuple("RMSPropState", [("mean_squares", dict)])  # running average of squared gradients s
AdamState = NamedTuple("AdamState", [("m", dict), ("s", dict), ("t", int)])  # moment averages, steps taken
_RECORDS = {"sgd": SGDState, "momentum": VelocityState, "momentum_accumulated": MomentumState,
            "momentum_ema": MomentumState, "nesterov": VelocityState, "adagrad": AdagradState,
            "rmsprop": RMSPropState, "adam": AdamState}


def _record(kind: type, template: tuple, states: dict):
    """Per-key state tuples → a ``kind`` record: where ``template`` holds a dict the field
    becomes a dict keyed like params; elsewhere (Adam's step count) one value is shared."""
    first = next(iter(states.values()), template)
    return kind(*[{key: state[i] for key, state in states.items()} if isinstance(value, dict) else first[i]
                  for i, value in enumerate(template)])


def _init(name: str) -> Callable:
    rule, kind = RULES[name], _RECORDS[name]
    template = tuple({} if isinstance(value, np.ndarray) else value for value in rule.init(np.zeros(())))

    def init_state(params):
        params = check_dict(params, "params")
        return _record(kind, template, {key: rule.init(as_float_array(v, f"params[{key!r}]"))
                                        for key, v in params.items()})

    init_state.__name__ = f"init_{name}_state"
    init_state.__doc__ = f"The initial (zero) ``{kind.__name__}`` for ``{name}``, keyed like params."
    return init_state


init_sgd_state = _init("sgd")
init_momentum_state = _init("momentum")  # also Nesterov's
init_accumulated_momentum_state = _init("momentum_accumulated")  # also the EMA form's
init_adagrad_state = _init("adagrad")
init_rmsprop_state = _init("rmsprop")
init_adam_state = _init("adam")


def _step(name: str, params, grads, state, lr, **hyper):  # check once, then map the rule unchecked
    params, grads, lr = _inputs(params, grads, lr)
    hyper = check_options(name, hyper)
    kind = _RECORDS[name]
    if type(state) is not kind:
        raise TypeError(f"this step needs the {kind.__name__} from its init_*_state(params), got {type(state).__name__}")
    state = kind(*[arrays_like(params, v, f"state.{field}") if isinstance(v, dict) else v
                   for field, v in zip(state._fields, state)])
    if name in ("adagrad", "rmsprop", "adam"):  # an inf gradient would make them divide inf by inf
        for key, g in grads.items():
            check_finite(g, f"grads[{key!r}]")
    states = {key: tuple(v[key] if isinstance(v, dict) else v for v in state) for key in params}
    new, states = map_rule(RULES[name], params, grads, states, lr, **hyper)
    _check_result(new, params, grads, state)
    return new, _record(kind, state, states)


def _inputs(params, grads, lr):
    params = check_dict(params, "params")
    params = {key: value if type(value) is np.ndarray and value.dtype == np.float64
              else as_float_array(value, f"params[{key!r}]") for key, value in params.items()}
    return params, arrays_like(params, grads, "grads"), check_positive(lr, "lr")


def _check_result(new: dict, params: dict, grads: dict, state=()) -> None:
    """NaN or inf in an input always reaches the result: look for it in the inputs only when the
    result has some (one that overflowed from finite inputs is a diverging run, and passes)."""
    for key, value in new.items():
        if not math.isfinite(np.add.reduce(value, axis=None)):  # one pass: NaN or inf makes the sum so
            check_finite(params[key], f"params[{key!r}]")
            check_finite(grads[key], f"grads[{key!r}]")
            for field, v in zip(getattr(state, "_fields", ()), state):
                if isinstance(v, dict):
                    check_finite(v[key], f"state.{field}[{key!r}]")


def sgd_step(params, grads, lr):
    r""":math:`\theta \leftarrow \theta - \eta g` for every key. Returns new params only."""
    params, grads, lr = _inputs(params, grads, lr)
    new = {key: _sgd(param, grads[key], (), lr)[0] for key, param in params.items()}
    _check_result(new, params, grads)
    return new


def _public(function_name: str, name: str, doc: str) -> Callable:
    """The dict step of rule ``name``: its hyper-parameters and their defaults are the rule's own."""
    names = _HYPER_NAMES[name]

    def step(params, grads, state, lr, *args, **hyper):
        if len(args) > len(names):
            raise TypeError(f"{function_name} takes the hyper-parameters {names}, got {len(args)} positional values")
        return _step(name, params, grads, state, lr, **dict(zip(names, args)), **hyper)

    head = [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in ("params", "grads", "state", "lr")]
    step.__signature__ = inspect.Signature(head + list(inspect.signature(RULES[name].update).parameters.values())[4:])
    step.__name__ = step.__qualname__ = function_name
    step.__doc__ = f"{doc} Returns ``(params, {_RECORDS[name].__name__})``.\n\n{RULES[name].update.__doc__}"
    return step


momentum_step = _public("momentum_step", "momentum", r"Velocity form, :math:`\mu \in [0, 1)`.")
accumulated_momentum_step = _public("accumulated_momentum_step", "momentum_accumulated",
                                    r"Accumulated form, :math:`\gamma \in [0, 1)`.")
ema_momentum_step = _public("ema_momentum_step", "momentum_ema", r"EMA form, :math:`\beta \in [0, 1)`.")
nesterov_step = _public("nesterov_step", "nesterov", "Nesterov; ``grads`` are taken at the stored params.")
adagrad_step = _public("adagrad_step", "adagrad", "Adagrad.")
rmsprop_step = _public("rmsprop_step", "rmsprop", "RMSProp, ``rho`` in [0, 1).")
adam_step = _public("adam_step", "adam", "Adam, ``beta1`` and ``beta2`` in [0, 1).")
