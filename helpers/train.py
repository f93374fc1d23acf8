r"""The one mini-batch training loop, with hooks, a history and early stopping.

One epoch shuffles the training set, cuts it into mini-batches, and for each batch
computes the gradient of the batch's average loss, passes it through the gradient
transforms (the L2 term :math:`\frac{\lambda}{n} W` first, Nielsen's convention; then e.g.
clipping) and lets the optimiser take one step. After each epoch the loss and accuracy on
the whole training set (and on the validation set, if given) are recorded, and so is
whatever the ``recorders`` compute. Inputs are checked once, at entry (the gradient of a loss
of your own at the first step); the loop runs unchecked.
"""
from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

import numpy as np

from helpers._validate import (
    as_float_array, check_count, check_finite, check_positive, check_real, check_rng, check_shape,
)
from helpers.losses import LOSSES, UNCHECKED_LOSSES, class_indices
from helpers.optim import Rule, check_options, get_rule, map_rule
from helpers.regularisation import EarlyStopping, l2_transform

PROGRESS_BAR_STEPS = 2000  # with progress=None, show a bar only for runs longer than this


class History(NamedTuple):
    """Per-epoch records of one ``train`` call; list index = epoch, counting from 0.

    Losses are the data loss :math:`C_0` (without the L2 term), so training and validation
    values compare directly. The accuracy lists stay empty when the targets are not class
    labels (regression), the validation lists when there is no validation set.
    ``best_epoch`` is early stopping's best epoch (``None`` without early stopping).
    ``recorded[name]``: one value per epoch from ``train``'s ``recorders[name](net)``.
    """

    train_loss: list
    train_accuracy: list
    val_loss: list
    val_accuracy: list
    best_epoch: int | None
    stopped_early: bool
    recorded: dict


def iterate_minibatches(n_samples: int, batch_size: int, rng):
    """Yield index arrays that cover ``range(n_samples)`` exactly once, in a shuffled order.

    Every batch has ``batch_size`` indices except possibly the last, which gets the rest.
    """
    n_samples, batch_size = check_count(n_samples, "n_samples"), check_count(batch_size, "batch_size")
    order = check_rng(rng).permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start:start + batch_size]


def accuracy(outputs, labels, threshold: float = 0.0) -> float:
    """Fraction of samples classified correctly.

    ``outputs`` with several columns (n, k): the predicted class is the row's argmax, and
    ``labels`` are integer classes (n,) or one-hot rows (n, k). A single output, (n,) or
    (n, 1), is read as a logit: class 1 where it exceeds ``threshold`` (0, i.e. probability
    ½; use 0.5 for a sigmoid output), compared with 0/1 ``labels`` of n entries.
    """
    outputs = check_finite(as_float_array(outputs, "outputs", ndim=(1, 2)), "outputs")
    labels = np.asarray(labels)
    if labels.ndim == 0 or labels.shape[0] != outputs.shape[0]:
        raise ValueError(
            f"outputs and labels need one row per sample, got shapes {outputs.shape} and {labels.shape}"
        )
    if outputs.shape[0] == 0:
        raise ValueError("outputs and labels are empty: accuracy needs at least one sample")
    threshold = check_real(threshold, "threshold")
    predicted, truth = _classes(outputs, labels, threshold)
    if truth.shape != predicted.shape:
        raise ValueError(f"labels of shape {labels.shape} do not fit outputs of shape {outputs.shape}")
    return float(np.mean(predicted == truth))


def _classes(outputs, labels, threshold):
    """Predicted and true classes, unchecked (``accuracy`` states the conventions)."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1), (labels.argmax(axis=1) if labels.ndim == 2 else labels)
    return outputs.reshape(-1) > threshold, labels.reshape(-1)


def train(
    net, X, y, *, rng: np.random.Generator, loss: str | Callable = "categorical_cross_entropy",
    optimiser: str | Rule = "sgd", lr: float | Callable = 0.1, epochs: int = 10, batch_size: int = 32,
    X_val=None, y_val=None, early_stopping: EarlyStopping | None = None, l2: float = 0.0,
    optimiser_options: dict | None = None, progress: bool | None = None,
    decision_threshold: float | None = None, gradient_transforms: Sequence[Callable] = (),
    recorders: Mapping[str, Callable] | None = None,
) -> History:
    """Train ``net`` (an ``MLP``, changed in place: its ``params`` are replaced) and return a ``History``.

    ``X`` (n, n_inputs) with targets ``y`` in the form ``loss`` wants; 1-D ``y`` for a
    single-output network is used as a column. ``loss``: a name in ``helpers.losses.LOSSES``
    or ``f(outputs, targets) -> (value, grad)``. ``optimiser``: a name in
    ``helpers.optim.RULES`` or a ``Rule`` record of your own, with hyper-parameters in ``optimiser_options`` (e.g.
    ``{"momentum": 0.9}``). ``lr``: a number or a schedule ``epoch -> rate``. ``l2`` is λ.
    ``rng`` shuffles the mini-batches, so the same seed gives the same run.

    Hooks: ``gradient_transforms``, functions ``f(grads, params) -> grads`` applied in order
    to every batch's gradients before the optimiser's step (after the L2 term, if ``l2`` > 0);
    e.g. clipping. ``recorders``: ``{name: f(net) -> value}``, called after every epoch's
    steps; the values go to ``history.recorded[name]``, one per epoch.

    ``early_stopping`` (needs ``X_val``, ``y_val``; it is reset first) watches the validation
    accuracy if its mode is ``"max"``, the validation loss if ``"min"``. When it is given,
    training ends after ``patience`` epochs without improvement, and **the net's params are
    restored to those of the best epoch** before returning.

    Accuracy of a single output against 0/1 labels counts class 1 where the output exceeds
    ``decision_threshold``. By default it is 0.5 when the output is a probability or a fit
    to the 0/1 targets (a sigmoid output layer, or ``loss="mse"``) and 0 when it is a logit
    (``loss="binary_cross_entropy"``); with a loss function of your own, state it.

    The data (X's width against the net's inputs too), the initial parameters and the options
    are checked once here, and the first step checks the gradient shape of a loss of your own;
    the steps then run unchecked, so a diverging run records its inf or NaN loss.
    A tqdm progress bar shows if ``progress`` is True, or if it is None and the run has more
    than ``PROGRESS_BAR_STEPS`` mini-batch steps.
    """
    rng = check_rng(rng)
    net.params = {key: check_finite(as_float_array(value, f"net.params[{key!r}]"), f"net.params[{key!r}]")
                  for key, value in net.params.items()}
    X, y = _data(net, X, y, "X", "y", loss)
    validating = X_val is not None
    if validating != (y_val is not None):
        raise ValueError("pass both X_val and y_val for validation, or neither")
    if validating:
        X_val, y_val = _data(net, X_val, y_val, "X_val", "y_val", loss)
    loss_fn = _loss_function(loss)
    rule, options = get_rule(optimiser), check_options(optimiser, optimiser_options)
    epochs, batch_size = check_count(epochs, "epochs"), check_count(batch_size, "batch_size")
    l2 = check_positive(l2, "l2 (λ)", allow_zero=True)
    if not callable(lr):
        lr = check_positive(lr, "lr")
    transforms = ([l2_transform(l2, X.shape[0])] if l2 > 0 else []) + _callables(gradient_transforms)
    recorders = dict(recorders or {})
    _callables(recorders.values(), "recorders' values")
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"early_stopping must be an EarlyStopping, got {type(early_stopping).__name__}")
        if not validating:
            raise ValueError("early stopping needs a validation set: pass X_val and y_val")
        early_stopping.reset()
    classify = _are_labels(y)
    single_output = net.layer_sizes[-1] == 1
    threshold = _decision_threshold(net, loss, decision_threshold) if classify and single_output else 0.0
    if early_stopping is not None and early_stopping.mode == "max" and not classify:
        raise ValueError("mode 'max' watches accuracy, which needs class labels; use mode='min' (loss)")

    n = X.shape[0]
    states = {key: rule.init(value) for key, value in net.params.items()}
    history = History([], [], [], [], None, False, {name: [] for name in recorders})
    bar = _progress_bar(progress, epochs, epochs * int(np.ceil(n / batch_size)))
    for epoch in range(epochs):
        rate = check_positive(lr(epoch), f"lr (the schedule at epoch {epoch})") if callable(lr) else lr
        for step, batch in enumerate(iterate_minibatches(n, batch_size, rng)):
            # only the first step checks, so that the gradient of a loss of your own has the right shape
            _, grads = net.loss_and_gradients(X[batch], y[batch], loss_fn, checked=epoch == step == 0)
            for transform in transforms:
                grads = transform(grads, net.params)
            net.params, states = map_rule(rule, net.params, grads, states, rate, **options)
        for name, recorder in recorders.items():
            history.recorded[name].append(recorder(net))
        _record(net, X, y, loss_fn, classify, threshold, history.train_loss, history.train_accuracy)
        if validating:
            _record(net, X_val, y_val, loss_fn, classify, threshold, history.val_loss, history.val_accuracy)
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}")
        if early_stopping is not None:
            watched = history.val_accuracy if early_stopping.mode == "max" else history.val_loss
            if early_stopping.update(epoch, watched[-1], net.params):
                history = history._replace(stopped_early=True)
                break
    if bar is not None:
        bar.close()
    if early_stopping is not None and early_stopping.best_params is not None:
        net.params = {key: value.copy() for key, value in early_stopping.best_params.items()}
        history = history._replace(best_epoch=early_stopping.best_epoch)
    return history


def _record(net, X, y, loss_fn, classify, threshold, losses: list, accuracies: list) -> None:
    outputs = net.predict(X)
    losses.append(float(loss_fn(outputs, y)[0]))
    if classify:
        predicted, truth = _classes(outputs, y, threshold)
        accuracies.append(float(np.mean(predicted == truth)))


def _callables(functions, name: str = "gradient_transforms") -> list:
    functions = list(functions)
    for f in functions:
        if not callable(f):
            raise TypeError(f"{name} must be functions, got {type(f).__name__}")
    return functions


def _decision_threshold(net, loss, threshold) -> float:
    """Where a single output splits class 0 from class 1 (see ``train``)."""
    if threshold is not None:
        return check_real(threshold, "decision_threshold")
    if net.activations[-1] == "sigmoid" or loss == "mse":
        return 0.5  # a probability, or a fit to the 0/1 targets: halfway between them
    if loss == "binary_cross_entropy":
        return 0.0  # a logit: probability ½
    raise ValueError(
        "accuracy of a single output needs decision_threshold= with your own loss function: "
        "0 if the output is a logit, 0.5 if it is a probability"
    )


def _data(net, X, y, name_X: str, name_y: str, loss):
    X = check_finite(as_float_array(X, name_X, ndim=2), name_X)
    check_shape(X, (None, net.layer_sizes[0]), f"{name_X} (samples × input features)")
    y = np.asarray(y)
    if y.dtype.kind == "f":
        check_finite(y, name_y)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"{name_X} and {name_y} need the same number of rows (samples), "
            f"got shapes {X.shape} and {y.shape}"
        )
    if X.shape[0] == 0:
        raise ValueError(f"{name_X} is empty: training needs at least one sample")
    if y.ndim == 1 and net.layer_sizes[-1] == 1:  # a single output wants a column of targets
        y = y[:, None]
    if isinstance(loss, str) and loss in LOSSES:  # the loss's own checks, once, on a stand-in output
        if loss == "categorical_cross_entropy" and y.ndim == 1:  # class indices, as the kernel wants
            y = class_indices(y, net.layer_sizes[-1], name_y)
        LOSSES[loss](np.zeros((X.shape[0], net.layer_sizes[-1])), y)
    return X, y


def _are_labels(y: np.ndarray) -> bool:
    """Integer classes, or 0/1 targets (binary or one-hot): then accuracy means something."""
    return y.dtype.kind in "biu" or bool(np.all((y == 0) | (y == 1)))


def _loss_function(loss) -> Callable:
    if callable(loss):
        return loss
    try:
        return UNCHECKED_LOSSES[loss]  # the data were checked in _data
    except (KeyError, TypeError):
        known = ", ".join(sorted(LOSSES))
        raise ValueError(f"unknown loss {loss!r}; choose one of: {known}, or pass a function") from None


def _progress_bar(progress, epochs: int, total_steps: int):
    if not (progress or (progress is None and total_steps > PROGRESS_BAR_STEPS)):
        return None
    from tqdm.auto import tqdm  # optional nicety: imported only when a bar is shown

    return tqdm(total=epochs, unit="epoch")
