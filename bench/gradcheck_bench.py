"""Gradient checking: ``helpers.gradcheck.numerical_gradient`` on a 784-100-10 network.

The cost is the categorical cross-entropy of the network's logits on a batch of 16 samples,
read through a closure over the network's weights (the form notebooks and tests use).
*Full* estimates every one of the network's coordinates (two forward passes each);
*sampled* estimates 100 random coordinates per parameter array (``n_samples=100``), the
form a test cell uses on a big layer. Anchor: one backpropagation of the same cost, which
gives every coordinate at once. The relative error of the full estimate against
backpropagation is shown as a check that the timed work is the real work.
"""
from __future__ import annotations

import numpy as np

from common import median, now, repeated, section, target

from helpers.gradcheck import numerical_gradient, relative_error
from helpers.losses import categorical_cross_entropy_from_logits
from helpers.network import MLP

NAME = "gradcheck"
TITLE = "5. Gradient checking: numerical gradient of a network, full and sampled"
BATCH, SAMPLES = 16, 100


def run(quick: bool = False) -> dict:
    sizes = [64, 16, 10] if quick else [784, 100, 10]
    rng = np.random.default_rng(0)
    net = MLP.create(sizes, ["sigmoid", "identity"], rng)
    X, labels = rng.random((BATCH, sizes[0])), rng.integers(0, sizes[-1], BATCH)

    def cost() -> float:
        return categorical_cross_entropy_from_logits(net.predict(X), labels)[0]

    def backprop():
        return net.loss_and_gradients(X, labels, categorical_cross_entropy_from_logits)[1]

    analytic = backprop()
    n_coordinates = sum(p.size for p in net.params.values())
    backprop_s = median(repeated(backprop, calls=20 if quick else 200))

    start = now()
    full = {key: numerical_gradient(cost, value) for key, value in net.params.items()}
    full_s = now() - start
    error = max(relative_error(analytic[key], full[key]) for key in full)

    def sampled():
        sample_rng = np.random.default_rng(1)
        return {key: numerical_gradient(cost, value, n_samples=SAMPLES, rng=sample_rng)
                for key, value in net.params.items()}

    n_sampled = sum(min(SAMPLES, p.size) for p in net.params.values())
    sampled_s = median(repeated(sampled, calls=2 if quick else 5))

    arch = "-".join(map(str, sizes))
    rows = [
        {"method": "backpropagation (anchor)", "coordinates": n_coordinates, "seconds": backprop_s,
         "µs/coordinate": backprop_s / n_coordinates * 1e6, "× backprop": 1.0},
        {"method": "numerical, full", "coordinates": n_coordinates, "seconds": full_s,
         "µs/coordinate": full_s / n_coordinates * 1e6, "× backprop": full_s / backprop_s,
         "rel. error vs backprop": error},
        {"method": f"numerical, sampled ({SAMPLES} per array)", "coordinates": n_sampled,
         "seconds": sampled_s, "µs/coordinate": sampled_s / n_sampled * 1e6,
         "× backprop": sampled_s / backprop_s},
    ]
    targets = [target(f"gradcheck {arch}: full numerical gradient (seconds)", full_s, "(reported)", None),
               target(f"gradcheck {arch}: sampled numerical gradient (seconds)", sampled_s, "(reported)", None)]
    notes = [f"network {arch} (sigmoid, logits), batch {BATCH}, eps 1e-6; full: one run; sampled: "
             "median of repeated runs; backprop: median of repeated calls."]
    if quick:
        notes.append("quick mode: a 64-16-10 network instead of 784-100-10.")
    columns = ["method", "coordinates", "seconds", "µs/coordinate", "× backprop", "rel. error vs backprop"]
    return section(NAME, f"{TITLE} ({arch})", columns, rows, targets=targets, notes=notes)
