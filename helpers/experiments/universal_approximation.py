r"""Universal approximation, built by hand: steps, bumps, towers; training the bumps; what depth buys.

**Step and bump.** A sigmoid neuron :math:`\sigma(wx + b)` with a large weight is nearly a step at
:math:`s = -b/w` (:math:`w = k`, :math:`b = -ks`), whose rise takes a width of about :math:`10/k`;
two steps weighted :math:`\pm h` by the output neuron make a bump of height :math:`h` on :math:`[s_1, s_2]`.

**A network of bumps.** N bumps on the N equal pieces of :math:`[a, b]`, each of height :math:`f` at
the piece's centre, are one hidden layer of 2N sigmoid neurons. For a function with slope at most
:math:`L` the error falls like :math:`1/N` once the steps are steep enough (:math:`k \gg N/(b-a)`).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers._validate import as_float_array, check_count, check_positive
from helpers.activations import sigmoid
from helpers.datasets import get_target_function
from helpers.network import MLP, parameter_names
from helpers.optim import get_rule, map_rule

(W1, b1), (W2, b2) = parameter_names(1), parameter_names(2)  # the bump network's parameters
GRID = np.linspace(0.0, 1.0, 601)  # where notebook 08's figures and challenge evaluate [0, 1]
CHALLENGE_BUMPS = 10


def step(x, position: float, steepness: float):
    r""":math:`\sigma(k(x - s))`: a sigmoid neuron with weight :math:`k` and bias :math:`-ks`. Shape of x."""
    x = as_float_array(x, "x")
    return sigmoid(float(steepness) * (x - float(position)))


def bump(x, left: float, right: float, height: float, steepness: float):
    r""":math:`h[\sigma(k(x - s_1)) - \sigma(k(x - s_2))]`: about ``height`` on (left, right), 0 elsewhere."""
    return float(height) * (step(x, left, steepness) - step(x, right, steepness))


def bump_edges(n_bumps: int, interval=(0.0, 1.0)):
    """``(edges, centres)``: the N + 1 step positions (outer two pushed half a piece outside
    the interval) and the N centres of the equal pieces of ``interval``."""
    n = check_count(n_bumps, "n_bumps")
    a, b = (float(v) for v in interval)
    if not b > a:
        raise ValueError(f"interval must be (a, b) with b > a, got {interval!r}")
    edges = np.linspace(a, b, n + 1)
    centres = (edges[:-1] + edges[1:]) / 2
    width = (b - a) / n
    edges[0], edges[-1] = a - width / 2, b + width / 2
    return edges, centres


def bump_network(f: Callable, n_bumps: int, steepness: float, interval=(0.0, 1.0)) -> dict:
    """Weights of a [1, 2N, 1] network (sigmoid hidden layer, linear output) made of N bumps.

    Hidden units 2k and 2k + 1 are the rising and falling steps of bump k; the output
    weights are +h_k and −h_k with h_k = f(centre k). Returns ``{"W1": (1, 2N), "b1": (2N,),
    "W2": (2N, 1), "b2": (1,)}``, ready for ``MLP(params, ["sigmoid", "identity"])``.
    """
    k = check_positive(steepness, "steepness")
    edges, centres = bump_edges(n_bumps, interval)
    heights = as_float_array(f(centres), "f(centres)").reshape(-1)
    if heights.shape != centres.shape:
        raise ValueError(f"f must return one value per point, like np.sin: f of the {centres.size} bump "
                         f"centres returned {heights.size} value(s)")
    positions = np.repeat(edges, 2)[1:-1]  # left_0, right_0 = left_1, right_1, ...
    return _params([(np.full((1, positions.size), k), -k * positions),
                    (np.stack([heights, -heights], axis=1).reshape(-1, 1), np.zeros(1))])


def _params(layers) -> dict:
    """The parameter dict of an MLP whose layers have the weights and biases ``layers``, in order."""
    return {name: array for layer, pair in enumerate(layers, start=1)
            for name, array in zip(parameter_names(layer), pair)}


def network_output(params: dict, x) -> np.ndarray:
    """Output of the one-hidden-layer sigmoid network ``params`` at the points x, shape (n,)."""
    x = as_float_array(x, "x").reshape(-1, 1)
    return MLP(params, ["sigmoid", "identity"]).predict(x)[:, 0]


def approximation_errors(f: Callable, params: dict, x) -> tuple[float, float]:
    """``(max |f - net|, mean |f - net|)`` over the points x."""
    x = as_float_array(x, "x").reshape(-1)
    gap = np.abs(as_float_array(f(x), "f(x)").reshape(-1) - network_output(params, x))
    return float(gap.max()), float(gap.mean())


def errors_against_bumps(f: Callable, counts, steepness_per_bump: float = 200.0, n_points: int = 2001):
    """Max and mean error of ``bump_network(f, N, steepness_per_bump · N)`` for each N in counts."""
    x = np.linspace(0.0, 1.0, n_points)
    errors = [approximation_errors(f, bump_network(f, int(n), steepness_per_bump * n), x) for n in counts]
    return np.array([e[0] for e in errors]), np.array([e[1] for e in errors])


def challenge_heights(target: str = "wiggly") -> np.ndarray:
    """Heights that minimise the average deviation for the challenge's bumps: the median
    of the target over each piece (a median minimises a mean absolute deviation)."""
    f = get_target_function(target)
    pieces = np.linspace(0.0, 1.0, CHALLENGE_BUMPS + 1)
    return np.array([np.median(f(np.linspace(a, b, 201))) for a, b in zip(pieces[:-1], pieces[1:])])


def as_network_params(params: dict) -> dict:
    """Float arrays for ``MLP``, which takes no lists: a student's ``bump_network`` may return lists."""
    return {key: as_float_array(value, f"bump_network's {key!r}") for key, value in params.items()}


def average_deviation(heights, target: str = "wiggly", *, bump_network: Callable = bump_network) -> float:
    """Mean |f − bumps| over [0, 1] for the challenge's bumps with these heights, built by ``bump_network``
    (the student's own, in the notebook)."""
    bumps = bump_network(lambda centres: np.asarray(heights, dtype=float), CHALLENGE_BUMPS, 2000.0)
    bumps = MLP(as_network_params(bumps), ["sigmoid", "identity"])
    return float(np.mean(np.abs(get_target_function(target)(GRID) - bumps.predict(GRID[:, None])[:, 0])))


# --- training the bumps: notebook 08's derived gradient, and what Adam makes of it -----------------

def _forward(params: dict, x, y):
    """x, z = w x + b and a = σ(z) (m, n), and ∂C/∂output = (net − y)/m (m,)."""
    x, y = as_float_array(x, "x", ndim=1), as_float_array(y, "y", ndim=1)
    z = np.outer(x, params[W1][0]) + params[b1]
    return x, z, sigmoid(z), (sigmoid(z) @ params[W2][:, 0] + params[b2][0] - y) / x.size


def bump_network_gradients(params: dict, x, y) -> dict:
    r"""Gradients of :math:`C = \frac{1}{2m}\sum_j (\text{net}(x_j) - y_j)^2` for the samples x, y (m,) and a
    [1, n, 1] network (sigmoid hidden layer, linear output, laid out as ``bump_network``), like ``params``."""
    x, _, a, residual = _forward(params, x, y)
    delta = np.outer(residual, params[W2][:, 0]) * a * (1.0 - a)  # ∂C/∂z
    return {W1: (x @ delta)[None, :], b1: delta.sum(axis=0), W2: (a.T @ residual)[:, None], b2: residual.sum(keepdims=True)}


DROPPED_SLOPE = "you left out σ′(z): a hidden output σ(w x + b) changes with w and b through σ′(w x + b)"
SLOPE_OF_OUTPUT = "you evaluated σ′ at the hidden output a = σ(z) instead of at z"
DROPPED_INPUT = "you left out x: z = w x + b changes with w at the rate x (and with b at the rate 1)"
PRE_ACTIVATION = "you used z = w x + b where the output uses the hidden output a = σ(z)"


def wrong_derivations(params: dict, x, y) -> dict:
    """The usual wrong gradients, ``{key: {the sentence a test cell shows: that gradient}}``."""
    x, z, a, residual = _forward(params, x, y)
    upstream = np.outer(residual, params[W2][:, 0])  # ∂C/∂a
    deltas = {DROPPED_SLOPE: upstream, SLOPE_OF_OUTPUT: upstream * sigmoid(a) * (1.0 - sigmoid(a))}
    return {W1: {**{m: (x @ d)[None, :] for m, d in deltas.items()},
                 DROPPED_INPUT: (upstream * a * (1.0 - a)).sum(axis=0)[None, :]},
            b1: {m: d.sum(axis=0) for m, d in deltas.items()}, W2: {PRE_ACTIVATION: (z.T @ residual)[:, None]}}


def fit(gradient: Callable, params: dict, x, y, steps: int, lr: float) -> dict:
    """``params`` after ``steps`` full-batch Adam steps on the samples x, y (m,) along ``gradient(params, x, y)``."""
    rule = get_rule("adam")
    states = {key: rule.init(value) for key, value in params.items()}
    for _ in range(check_count(steps, "steps")):
        params, states = map_rule(rule, params, gradient(params, x, y), states, lr)
    return params


# --- two inputs: towers ----------------------------------------------------------------

def tower_network(f: Callable, n: int, steepness: float, output_steepness: float = 50.0, *,
                  bump_network: Callable = bump_network):
    r"""A [2, 4n, n², 1] sigmoid ``MLP`` of n × n towers approximating f(x, y) on the unit square, built
    of the bumps of ``bump_network`` (the student's own, in the notebook). Layer 1: its 2n steps, in x
    and in y. Layer 2: one unit per cell, :math:`\sigma(K(\text{x-bump} + \text{y-bump} - 1.5))`, near 1
    only where both bumps are (their sum is 2 there, 1 on the arms of the cross, 0 elsewhere). Output:
    each tower times f(centre)."""
    n = check_count(n, "n")
    k, K = check_positive(steepness, "steepness"), check_positive(output_steepness, "output_steepness")
    # bump i alone, of height 1: its output weights say which steps make it
    alone = [as_network_params(bump_network(lambda c, i=i: np.eye(n)[i], n, k)) for i in range(n)]
    step_weights, step_biases = (alone[0][key] for key in parameter_names(1))  # the same for every height
    W1 = np.zeros((2, 4 * n))
    W1[0, :2 * n], W1[1, 2 * n:] = step_weights[0], step_weights[0]
    b1 = np.concatenate([step_biases, step_biases])
    pair = np.column_stack([params[parameter_names(2)[0]][:, 0] for params in alone])  # bump i = steps @ pair[:, i]
    W2 = np.zeros((4 * n, n * n))
    W2[:2 * n] = K * np.repeat(pair, n, axis=1)   # cell (i, j) -> column i * n + j
    W2[2 * n:] = K * np.tile(pair, (1, n))
    centres = (np.arange(n) + 0.5) / n
    cx, cy = np.meshgrid(centres, centres, indexing="ij")
    heights = as_float_array(f(cx.ravel(), cy.ravel()), "f(x, y)").reshape(-1, 1)
    params = _params([(W1, b1), (W2, np.full(n * n, -1.5 * K)), (heights, np.zeros(1))])
    return MLP(params, ["sigmoid", "sigmoid", "identity"])


# --- depth: parity and the sawtooth ---------------------------------------------------------

def parity_lookup_network(n_bits: int, steepness: float = 20.0) -> MLP:
    r"""One hidden layer with a unit per odd pattern p (:math:`2^{n-1}` units), firing only at
    x = p: :math:`\sigma(k(\sum_i (2p_i - 1)x_i - |p| + \tfrac12))`. The output adds them up."""
    n = check_count(n_bits, "n_bits")
    codes = np.arange(2**n)
    bits = ((codes[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(float)
    odd = bits[bits.sum(axis=1) % 2 == 1]
    params = _params([(steepness * (2 * odd - 1).T, -steepness * (odd.sum(axis=1) - 0.5)),
                      (np.ones((len(odd), 1)), np.zeros(1))])
    return MLP(params, ["sigmoid", "identity"])


def parity_counting_network(n_bits: int, steepness: float = 20.0) -> MLP:
    r"""One hidden layer of n units :math:`h_j = [\sum_i x_i \ge j]` (as steep sigmoids),
    output :math:`h_1 - h_2 + h_3 - \dots`: parity with n units, thanks to the threshold."""
    n = check_count(n_bits, "n_bits")
    j = np.arange(1, n + 1)
    params = _params([(np.full((n, n), float(steepness)), -steepness * (j - 0.5)),
                      (((-1.0) ** (j + 1)).reshape(-1, 1), np.zeros(1))])
    return MLP(params, ["sigmoid", "identity"])


def parity_tree_network(n_bits: int, steepness: float = 20.0) -> MLP:
    r"""A balanced tree of XORs, :math:`\lceil\log_2 n\rceil` hidden layers. XOR(u, v) is
    OR − AND = :math:`[u + v \ge \tfrac12] - [u + v \ge \tfrac32]`: two units, and the
    difference is folded into the next layer's weights. An unpaired value is copied by one
    unit. For n a power of 2 that is 2(n − 1) hidden units in all."""
    n = check_count(n_bits, "n_bits")
    k = float(steepness)
    # `carry` maps the current layer's units to the values (XORs so far) they stand for
    carry = np.eye(n)  # inputs: value i = x_i
    layers = []
    while True:  # one hidden layer per level of the tree
        values = carry.shape[1]
        columns, biases, next_carry = [], [], []
        for first in range(0, values - 1, 2):
            both = carry[:, first] + carry[:, first + 1]
            columns += [k * both, k * both]
            biases += [-0.5 * k, -1.5 * k]
            next_carry.append((len(columns) - 2, 1.0, len(columns) - 1, -1.0))
        if values % 2:  # copy the last value up one layer
            columns.append(k * carry[:, -1])
            biases.append(-0.5 * k)
            next_carry.append((len(columns) - 1, 1.0, None, 0.0))
        layers.append((np.stack(columns, axis=1), np.array(biases)))
        carry = np.zeros((len(columns), len(next_carry)))
        for value, (unit, sign, other, other_sign) in enumerate(next_carry):
            carry[unit, value] = sign
            if other is not None:
                carry[other, value] = other_sign
        if carry.shape[1] == 1:
            break
    return MLP(_params(layers + [(carry, np.zeros(1))]), ["sigmoid"] * len(layers) + ["identity"])


def hidden_units(net: MLP) -> int:
    """Number of hidden units (all layers but the output)."""
    return int(sum(net.layer_sizes[1:-1]))


def sawtooth_network(depth: int) -> MLP:
    r"""``depth`` ReLU layers of 2 units each computing the tent map
    :math:`T(x) = 2\,\mathrm{relu}(x) - 4\,\mathrm{relu}(x - \tfrac12)` on [0, 1], composed
    ``depth`` times: :math:`T^{d}` has :math:`2^{d}` linear pieces, from 2d units. A one-hidden-
    layer ReLU network of m units on a line has at most m + 1 pieces, so it needs
    :math:`2^{d} - 1` units to do the same."""
    d = check_count(depth, "depth")
    fold = np.array([[2.0, 2.0], [-4.0, -4.0]])  # T of the previous layer, fed to both next units
    hidden = [(np.ones((1, 2)) if layer == 0 else fold, np.array([0.0, -0.5])) for layer in range(d)]
    return MLP(_params(hidden + [(np.array([[2.0], [-4.0]]), np.zeros(1))]), ["relu"] * d + ["identity"])

