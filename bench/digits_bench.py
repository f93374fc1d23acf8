"""Digits: helpers' MLP against scikit-learn's MLPClassifier, same architecture and epochs.

Both train a 64-64-10 network (sigmoid hidden layer, softmax cross-entropy) with plain
mini-batch SGD (no momentum, no L2) at the same learning rate, batch size and number of
epochs, on the same stratified split of scikit-learn's 8×8 digits (pixels scaled to [0, 1]).
Each keeps its own default initialisation (helpers: Xavier normal; scikit-learn: its
Glorot-uniform variant). One round per seed: the seed drives the split, the initialisation
and the shuffling of both, and the two fits of a round run back to back, in alternating order.
Accuracy is on the held-out test part; time is the whole ``fit``/``train`` call.
"""
from __future__ import annotations

import warnings

import numpy as np

from common import median, now, section, target

from helpers.datasets import load_digits, train_val_test_split
from helpers.network import MLP
from helpers.train import train

NAME = "digits"
TITLE = "2. Digits: helpers' MLP vs scikit-learn's MLPClassifier (64-64-10, sigmoid, SGD)"
HIDDEN, LR, BATCH = 64, 0.5, 32


def fit_helpers(split, epochs: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    net = MLP.create([64, HIDDEN, 10], ["sigmoid", "identity"], rng)
    train(net, split.X_train, split.y_train, rng=rng, lr=LR, epochs=epochs, batch_size=BATCH,
          progress=False)
    return float(np.mean(net.predict(split.X_test).argmax(axis=1) == split.y_test))


def fit_sklearn(split, epochs: int, seed: int) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,), activation="logistic", solver="sgd", alpha=0.0,
        batch_size=BATCH, learning_rate="constant", learning_rate_init=LR, momentum=0.0,
        nesterovs_momentum=False, max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0,
        shuffle=True, random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # we stop after `epochs` on purpose
        model.fit(split.X_train, split.y_train)
    return float(model.score(split.X_test, split.y_test))


def run(quick: bool = False) -> dict:
    seeds, epochs = (range(2), 3) if quick else (range(7), 30)
    X, y = load_digits()
    fits = {"helpers MLP + train()": fit_helpers, "scikit-learn MLPClassifier": fit_sklearn}
    times = {name: [] for name in fits}
    accuracies = {name: [] for name in fits}
    for seed in seeds:
        split = train_val_test_split(X, y, np.random.default_rng(seed), val_fraction=0.0,
                                     test_fraction=0.25)
        order = list(fits) if seed % 2 == 0 else list(reversed(fits))
        for name in order:
            start = now()
            accuracies[name].append(fits[name](split, epochs, seed))
            times[name].append(now() - start)
    helper, sk = "helpers MLP + train()", "scikit-learn MLPClassifier"
    time_ratio = median([s / h for s, h in zip(times[sk], times[helper])])
    rows = [{
        "model": name, "test accuracy (mean)": float(np.mean(accuracies[name])),
        "min": min(accuracies[name]), "max": max(accuracies[name]),
        "seconds (median)": median(times[name]),
        "helpers speed-up": median([t / h for t, h in zip(times[name], times[helper])]),
    } for name in fits]
    accuracy_gap = float(np.mean(accuracies[helper]) - np.mean(accuracies[sk]))
    targets = [
        target("digits: helpers accuracy − MLPClassifier accuracy (mean over seeds)", accuracy_gap,
               "≥ 0", accuracy_gap >= 0),
        target("digits: MLPClassifier time / helpers time", time_ratio, "≥ 1", time_ratio >= 1),
    ]
    notes = [f"{len(seeds)} seeds × {epochs} epochs; hidden layer {HIDDEN}, lr {LR}, batch {BATCH}; "
             f"{len(split.y_train)} training and {len(split.y_test)} test images.",
             "'helpers speed-up' = that fit's time / helpers' time for the same seed (median)."]
    columns = ["model", "test accuracy (mean)", "min", "max", "seconds (median)", "helpers speed-up"]
    return section(NAME, TITLE, columns, rows, targets=targets, notes=notes)
