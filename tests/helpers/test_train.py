"""Tests for helpers.train: mini-batches, accuracy, the training loop's history, L2 wiring,
determinism, early stopping, input checks, and a real run on the digits."""
from __future__ import annotations

import re
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import datasets, losses, optim, train
from helpers.network import MLP
from helpers.regularisation import EarlyStopping
from public_steps import STEPS


def blobs(rng, n=200):
    """Two separable Gaussian blobs in 2-D, labels 0/1."""
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 2)) * 0.5 + np.where(y[:, None] == 1, 2.0, -2.0)
    return X, y


@pytest.fixture(scope="module")
def digits_split():
    X, y = datasets.load_digits()
    return datasets.train_val_test_split(X, y, np.random.default_rng(0))


def digits_net(seed=1):
    return MLP.create([64, 32, 10], ["relu", "identity"], np.random.default_rng(seed), init="he")


# --- mini-batches and accuracy --------------------------------------------------------------

@settings(max_examples=40)
@given(n=st.integers(1, 200), batch_size=st.integers(1, 250), seed=st.integers(0, 2**32 - 1))
def test_minibatches_cover_every_index_once(n, batch_size, seed):
    batches = list(train.iterate_minibatches(n, batch_size, np.random.default_rng(seed)))
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    assert all(len(b) == batch_size for b in batches[:-1])
    assert 1 <= len(batches[-1]) <= batch_size
    assert len(batches) == -(-n // batch_size)


def test_minibatches_are_shuffled_and_seeded():
    first = np.concatenate(list(train.iterate_minibatches(100, 10, np.random.default_rng(5))))
    again = np.concatenate(list(train.iterate_minibatches(100, 10, np.random.default_rng(5))))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, np.arange(100))


@pytest.mark.parametrize("batch_size", [0, -3, 2.5])
def test_minibatches_reject_bad_batch_sizes(batch_size, rng):
    with pytest.raises(ValueError, match="^batch_size must be a positive integer"):
        list(train.iterate_minibatches(10, batch_size, rng))
    with pytest.raises(ValueError, match="^n_samples must be a positive integer"):
        list(train.iterate_minibatches(batch_size, 10, rng))


def test_accuracy_by_hand():
    scores = np.array([[0.1, 2.0, 0.0], [3.0, 1.0, 0.0], [0.0, 0.0, 1.0], [5.0, 6.0, 7.0]])
    assert train.accuracy(scores, np.array([1, 0, 0, 2])) == 0.75
    assert train.accuracy(scores, np.eye(3)[[1, 0, 0, 2]]) == 0.75  # one-hot labels
    logits = np.array([[-1.0], [0.5], [2.0], [-0.1]])
    assert train.accuracy(logits, np.array([0, 1, 0, 1])) == 0.5
    assert train.accuracy(logits[:, 0], np.array([[0], [1], [1], [0]])) == 1.0
    assert train.accuracy(np.array([0.2, 0.7]), np.array([0, 1]), threshold=0.5) == 1.0


def test_accuracy_checks_lengths():
    with pytest.raises(ValueError, match=r"^outputs and labels need one row per sample, got shapes \(3, 2\) and \(4,\)$"):
        train.accuracy(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match=r"^outputs must have 1 or 2 dimension"):
        train.accuracy(np.zeros((3, 2, 1)), np.zeros(3))
    with pytest.raises(TypeError, match=r"^threshold must be a real number"):
        train.accuracy(np.zeros(3), np.zeros(3), threshold="0")
    with pytest.raises(ValueError, match=r"^labels of shape \(3, 2\) do not fit outputs of shape \(3, 1\)$"):
        train.accuracy(np.zeros((3, 1)), np.zeros((3, 2)))  # one output, two label columns


@pytest.mark.parametrize("call, error, message", [
    (lambda: train.accuracy(np.ones((2, 2, 2)), [1, 0]), ValueError, r"^outputs must have 1 or 2 dimension\(s\)"),
    (lambda: train.accuracy("ab", [1, 0]), TypeError, r"^outputs must hold numbers"),
    (lambda: train.accuracy([0.5], [1], threshold="x"), TypeError, r"^threshold must be a real number"),
    (lambda: train.accuracy(np.ones((0, 2)), np.ones(0)), ValueError,
     r"^outputs and labels are empty: accuracy needs at least one sample$"),
])
def test_accuracy_names_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_accuracy_at_its_boundaries():
    """Two columns are two classes (argmax); one output is class 1 only where it *exceeds* the threshold."""
    assert train.accuracy([[0.2, 0.8], [0.9, 0.1]], [1, 0]) == 1.0
    assert train.accuracy([0.0, 0.3], [0, 1]) == 1.0  # 0 is not above 0: class 0
    assert train.accuracy([0.5, 0.7], [0, 1], threshold=0.5) == 1.0


def test_float_targets_of_zeros_and_ones_are_labels(rng):
    """Targets 0.0/1.0 in a float array are classes too: train records their accuracy."""
    X, y = blobs(rng, 20)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    history = train.train(net, X, y.astype(float), rng=rng, loss="binary_cross_entropy", epochs=2, batch_size=5)
    assert len(history.train_accuracy) == 2
    assert history.train_accuracy[-1] == train.accuracy(net.predict(X), y, threshold=0.0)  # a logit: split at 0
    with pytest.raises(TypeError, match=r"^decision_threshold must be a real number"):
        train.train(net, X, y, rng=rng, loss="binary_cross_entropy", decision_threshold="half")


def test_a_progress_bar_shows_by_itself_only_above_its_step_count(rng, capsys, monkeypatch):
    X, y = blobs(rng, 20)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    monkeypatch.setattr(train, "PROGRESS_BAR_STEPS", 8)
    train.train(net, X, y, rng=rng, loss="binary_cross_entropy", epochs=2, batch_size=5)  # 8 steps: no bar
    assert capsys.readouterr().err == ""
    train.train(net, X, y, rng=rng, loss="binary_cross_entropy", epochs=3, batch_size=5)  # 12 steps: a bar
    assert "epoch" in capsys.readouterr().err


# --- the training loop -------------------------------------------------------------------

def test_loss_decreases_and_history_has_one_entry_per_epoch(rng):
    X, y = blobs(rng)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    start_loss = losses.binary_cross_entropy_from_logits(net.predict(X), y[:, None])[0]
    history = train.train(
        net, X[:150], y[:150], rng=rng, loss="binary_cross_entropy", lr=0.5, epochs=8,
        batch_size=16, X_val=X[150:], y_val=y[150:],
    )
    for records in (history.train_loss, history.train_accuracy, history.val_loss, history.val_accuracy):
        assert len(records) == 8
    assert history.train_loss[-1] < 0.5 * start_loss
    assert history.train_accuracy[-1] == 1.0 and history.val_accuracy[-1] == 1.0
    assert history.best_epoch is None and history.stopped_early is False


def test_history_losses_are_the_data_loss_of_the_final_params(rng):
    X, y = blobs(rng, 60)
    net = MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0))
    history = train.train(
        net, X, y, rng=rng, loss="binary_cross_entropy", lr=0.3, epochs=3, batch_size=7, l2=5.0
    )
    expected = losses.binary_cross_entropy_from_logits(net.predict(X), y[:, None])[0]
    assert history.train_loss[-1] == pytest.approx(expected, rel=1e-12)
    assert history.val_loss == [] and history.val_accuracy == []


def test_one_full_batch_sgd_step_with_l2_is_weight_decay(rng):
    """One batch of all n samples makes one epoch one step:
    W ← (1 − ηλ/n) W − η ∂C0/∂W and b ← b − η ∂C0/∂b."""
    X, y = blobs(rng, 40)
    net = MLP.create([2, 4, 1], ["sigmoid", "identity"], np.random.default_rng(0))
    before = net.copy()
    eta, lam, n = 0.2, 3.0, 40
    _, data_grads = before.loss_and_gradients(X, y[:, None], losses.binary_cross_entropy_from_logits)
    train.train(net, X, y, rng=rng, loss="binary_cross_entropy", lr=eta, epochs=1, batch_size=n, l2=lam)
    for key, value in before.params.items():
        decay = 1 - eta * lam / n if key.startswith("W") else 1.0
        expected = decay * value - eta * data_grads[key]
        np.testing.assert_allclose(net.params[key], expected, rtol=1e-12, atol=1e-15)


def test_l2_uses_the_training_set_size_not_the_batch_size():
    """Redo two epochs of mini-batch SGD by hand: each step adds (λ/n) W with n = len(X)."""
    X, y = blobs(np.random.default_rng(2), 30)
    eta, lam, n = 0.1, 2.0, 30
    net = MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0))
    manual = net.copy()
    shuffles = np.random.default_rng(9)
    for _ in range(2):
        for batch in train.iterate_minibatches(n, 8, shuffles):
            _, grads = manual.loss_and_gradients(X[batch], y[batch, None], losses.binary_cross_entropy_from_logits)
            for key in manual.params:
                penalty = lam / n * manual.params[key] if key.startswith("W") else 0.0
                manual.params[key] = manual.params[key] - eta * (grads[key] + penalty)
    train.train(
        net, X, y, rng=np.random.default_rng(9), loss="binary_cross_entropy", lr=eta, epochs=2, batch_size=8, l2=lam
    )
    for key in net.params:
        np.testing.assert_allclose(net.params[key], manual.params[key], rtol=1e-12, atol=1e-15)


def test_a_schedule_sets_each_epochs_rate(rng):
    """Full-batch SGD, so epoch t is one step at rate schedule(t): redo the three steps by hand."""
    X, y = blobs(rng, 40)
    rates = [0.5, 0.2, 0.05]
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    manual = net.copy()
    for rate in rates:
        _, grads = manual.loss_and_gradients(X, y[:, None], losses.binary_cross_entropy_from_logits)
        manual.params = {key: value - rate * grads[key] for key, value in manual.params.items()}
    train.train(net, X, y, rng=rng, loss="binary_cross_entropy", lr=rates.__getitem__, epochs=3, batch_size=40)
    for key in net.params:
        np.testing.assert_allclose(net.params[key], manual.params[key], rtol=1e-12)
    with pytest.raises(ValueError, match=r"^lr \(the schedule at epoch 0\) must be a finite number > 0, got -1.0$"):
        train.train(net, X, y, rng=rng, loss="binary_cross_entropy", lr=lambda epoch: -1.0, epochs=1)


def test_training_is_deterministic_given_the_seed(digits_split):
    s = digits_split
    results = []
    for _ in range(2):
        net = digits_net()
        history = train.train(
            net, s.X_train, s.y_train, rng=np.random.default_rng(7), optimiser="momentum", lr=0.05,
            epochs=2, batch_size=64, X_val=s.X_val, y_val=s.y_val,
        )
        results.append((net.params, history))
    for key in results[0][0]:
        np.testing.assert_array_equal(results[0][0][key], results[1][0][key])
    assert results[0][1] == results[1][1]


def test_early_stopping_restores_the_best_params(digits_split):
    s = digits_split
    net = digits_net()
    stopper = EarlyStopping(patience=2, mode="max")
    history = train.train(
        net, s.X_train, s.y_train, rng=np.random.default_rng(0), optimiser="sgd", lr=1.0,
        epochs=60, batch_size=32, X_val=s.X_val, y_val=s.y_val, early_stopping=stopper,
    )
    assert history.stopped_early, "this seed and rate should stop early; pick others if not"
    best = int(np.argmax(history.val_accuracy))  # first epoch reaching the maximum
    assert history.best_epoch == stopper.best_epoch == best
    assert len(history.val_accuracy) == best + 2 + 1
    assert train.accuracy(net.predict(s.X_val), s.y_val) == history.val_accuracy[best]
    for key in net.params:
        np.testing.assert_array_equal(net.params[key], stopper.best_params[key])
        assert net.params[key] is not stopper.best_params[key]


def test_early_stopping_on_validation_loss(rng):
    X, y = blobs(rng, 80)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    stopper = EarlyStopping(patience=3, mode="min")
    history = train.train(
        net, X[:60], y[:60], rng=rng, loss="binary_cross_entropy", lr=0.5, epochs=5, batch_size=10,
        X_val=X[60:], y_val=y[60:], early_stopping=stopper,
    )
    assert history.best_epoch == int(np.argmin(history.val_loss))


def test_regression_records_no_accuracy(rng):
    x, y = datasets.sample_1d("wiggly", 50)
    net = MLP.create([1, 10, 1], ["sigmoid", "identity"], np.random.default_rng(0))
    history = train.train(net, x, y, rng=rng, loss="mse", optimiser="adam", lr=0.01, epochs=3, batch_size=10)
    assert len(history.train_loss) == 3 and history.train_accuracy == []
    with pytest.raises(ValueError, match="use mode='min'"):
        train.train(net, x, y, rng=rng, loss="mse", X_val=x, y_val=y, early_stopping=EarlyStopping(2, "max"))


def test_progress_bar_only_when_asked(rng, capsys):
    X, y = blobs(rng, 20)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    train.train(net, X, y, rng=rng, loss="binary_cross_entropy", epochs=2, batch_size=5)
    assert capsys.readouterr().err == ""
    train.train(net, X, y, rng=rng, loss="binary_cross_entropy", epochs=2, batch_size=5, progress=True)
    bar = capsys.readouterr().err
    assert "epoch" in bar and "2/2" in bar  # counts epochs out of the total


def test_bad_inputs_give_clear_errors(rng):
    X, y = blobs(rng, 20)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    kwargs = dict(rng=rng, loss="binary_cross_entropy")
    with pytest.raises(ValueError, match=r"^X and y need the same number of rows \(samples\), got shapes \(20, 2\) and \(15,\)$"):
        train.train(net, X, y[:15], **kwargs)
    with pytest.raises(ValueError, match="^batch_size must be a positive integer, got 0$"):
        train.train(net, X, y, batch_size=0, **kwargs)
    with pytest.raises(ValueError, match="^epochs must be a positive integer, got -1$"):
        train.train(net, X, y, epochs=-1, **kwargs)
    with pytest.raises(ValueError, match="^unknown loss 'hinge'; choose one of: binary_cross_entropy, .*, or pass a function$"):
        train.train(net, X, y, rng=rng, loss="hinge")
    with pytest.raises(ValueError, match="unknown optimiser"):
        train.train(net, X, y, optimiser="lbfgs", **kwargs)
    with pytest.raises(ValueError, match="^early stopping needs a validation set: pass X_val and y_val$"):
        train.train(net, X, y, early_stopping=EarlyStopping(), **kwargs)
    with pytest.raises(ValueError, match="^pass both X_val and y_val for validation, or neither$"):
        train.train(net, X, y, X_val=X, **kwargs)
    with pytest.raises(ValueError, match=r"^l2 \(λ\) must be a finite number >= 0, got -1.0$"):
        train.train(net, X, y, l2=-1.0, **kwargs)
    with pytest.raises(TypeError, match="^lr must be a real number"):
        train.train(net, X, y, lr="0.1", **kwargs)
    with pytest.raises(TypeError, match=r"^l2 \(λ\) must be a real number"):
        train.train(net, X, y, l2="0.1", **kwargs)
    with pytest.raises(TypeError, match="Generator"):
        train.train(net, X, y, rng=0, loss="binary_cross_entropy")


def test_digits_reach_90_percent_quickly(digits_split):
    s = digits_split
    net = digits_net()
    start = time.perf_counter()
    seed = np.random.default_rng(0)
    train.train(net, s.X_train, s.y_train, rng=seed, optimiser="adam", lr=0.01, epochs=8, batch_size=32)
    assert time.perf_counter() - start < 10.0
    assert train.accuracy(net.predict(s.X_test), s.y_test) >= 0.90


# --- issue 12: the decision threshold of a single output, non-finite data, divergence ---------

@pytest.mark.parametrize("output, loss, threshold", [
    ("identity", "mse", 0.5),                   # a least-squares fit to the 0/1 targets
    ("sigmoid", "mse", 0.5),                    # a probability
    ("identity", "binary_cross_entropy", 0.0),  # a logit
])
def test_single_output_accuracy_uses_the_threshold_its_output_needs(rng, output, loss, threshold):
    X, y = blobs(rng)
    net = MLP.create([2, 8, 1], ["tanh", output], np.random.default_rng(0))
    history = train.train(net, X, y, rng=rng, loss=loss, lr=0.5, epochs=30, batch_size=20)
    true_accuracy = train.accuracy(net.predict(X), y, threshold=threshold)
    assert true_accuracy > 0.95  # the blobs are separable: the fit found it
    assert history.train_accuracy[-1] == true_accuracy


@pytest.mark.parametrize("output, loss, bias, accuracy", [
    ("identity", "binary_cross_entropy", 0.5, 1.0),  # a logit above 0: class 1 (σ(0.5) ≈ 0.62)
    ("identity", "mse", 0.3, 0.0),                   # a fit below ½: class 0
    ("sigmoid", losses.mean_squared_error, -0.2, 0.0),  # a probability σ(−0.2) ≈ 0.45 < ½, whatever the loss
])
def test_single_output_threshold_between_0_and_1_decides_the_class(rng, output, loss, bias, accuracy):
    """Every output is the bias (zero weights, a negligible rate): the threshold alone decides."""
    X, y = rng.normal(size=(8, 2)), np.ones(8)
    net = MLP({"W1": np.zeros((2, 1)), "b1": np.array([bias])}, [output])
    history = train.train(net, X, y, rng=rng, loss=loss, lr=1e-12, epochs=1, batch_size=8)
    assert history.train_accuracy == [accuracy]


def test_own_loss_with_a_single_output_needs_a_stated_threshold(rng):
    X, y = blobs(rng, 40)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    with pytest.raises(ValueError, match="^accuracy of a single output needs decision_threshold= with your own loss function: 0 if the output is a logit, 0.5 if it is a probability$"):
        train.train(net, X, y, rng=rng, loss=losses.mean_squared_error, epochs=1)
    history = train.train(net, X, y, rng=rng, loss=losses.mean_squared_error, epochs=5, lr=0.1,
                          decision_threshold=0.5)
    assert history.train_accuracy[-1] == train.accuracy(net.predict(X), y, threshold=0.5)


@pytest.mark.parametrize("argument", ["X", "y", "X_val", "net.params['W1']"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_train_rejects_non_finite_data_naming_the_array_and_index(rng, argument, bad):
    X, y = blobs(rng, 20)
    X, y = X.copy(), y.astype(float)
    net = MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0))
    data = {"X": X, "y": y, "X_val": X.copy(), "net.params['W1']": net.params["W1"]}
    data[argument][(1, 0)[:data[argument].ndim]] = bad
    with pytest.raises(ValueError, match=rf"^{argument.replace('[', '.').replace(']', '.')} must be finite.*index \(1"):
        train.train(net, X, y, X_val=data["X_val"], y_val=y, rng=rng, loss="binary_cross_entropy", epochs=1)


def test_a_diverging_run_is_recorded_not_refused(rng):
    X, y = blobs(rng, 40)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    with np.errstate(over="ignore", invalid="ignore"):  # least squares at 100× too large a rate
        history = train.train(net, X, y, rng=rng, loss="mse", lr=100.0, epochs=150, batch_size=40)
    assert not np.isfinite(history.train_loss[-1])
    assert not np.all(np.isfinite(net.params["W1"]))


def test_accuracy_of_nothing_is_an_error_not_nan():
    with pytest.raises(ValueError, match="^outputs and labels are empty: accuracy needs at least one sample$"):
        train.accuracy(np.zeros((0, 1)), np.zeros(0))
    with pytest.raises(ValueError, match=r"^outputs must be finite.*index \(1, 0\)"):
        train.accuracy(np.array([[0.1], [np.nan]]), np.array([0, 1]))


# --- issue 13: the loop's hooks --------------------------------------------------------------

def clip_to(max_norm):
    """A gradient transform: rescale the whole gradient to norm ``max_norm`` when it is longer."""
    def clip(grads, params):
        norm = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
        factor = min(1.0, max_norm / norm)
        return {key: g * factor for key, g in grads.items()}

    return clip


def test_a_clipping_transform_runs_on_every_step_after_l2_and_before_the_step():
    """Redo two epochs by hand: gradient, + (λ/n) W, clip, SGD step."""
    X, y = blobs(np.random.default_rng(2), 30)
    eta, lam, n, max_norm = 0.5, 2.0, 30, 0.05
    net = MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0))
    manual, clip = net.copy(), clip_to(max_norm)
    shuffles, clipped = np.random.default_rng(9), 0
    for _ in range(2):
        for batch in train.iterate_minibatches(n, 8, shuffles):
            _, grads = manual.loss_and_gradients(X[batch], y[batch, None], losses.binary_cross_entropy_from_logits)
            grads = {k: g + (lam / n * manual.params[k] if k.startswith("W") else 0.0) for k, g in grads.items()}
            clipped += np.sqrt(sum(np.sum(g * g) for g in grads.values())) > max_norm
            grads = clip(grads, manual.params)
            manual.params = {k: manual.params[k] - eta * grads[k] for k in manual.params}
    assert clipped > 0  # the transform mattered
    seen = []
    train.train(net, X, y, rng=np.random.default_rng(9), loss="binary_cross_entropy", lr=eta, epochs=2,
                batch_size=8, l2=lam, gradient_transforms=[lambda g, p: seen.append(1) or g, clip])
    assert len(seen) == 2 * 4  # every step of both epochs
    for key in net.params:
        np.testing.assert_allclose(net.params[key], manual.params[key], rtol=1e-12, atol=1e-15)


def test_recorders_append_one_value_per_epoch_after_its_steps(rng):
    X, y = blobs(rng, 40)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    history = train.train(net, X, y, rng=rng, loss="binary_cross_entropy", lr=0.5, epochs=4, batch_size=10,
                          recorders={"w": lambda net: net.params["W1"].copy(),
                                     "loss": lambda net: losses.binary_cross_entropy_from_logits(
                                         net.predict(X), y[:, None])[0]})
    assert set(history.recorded) == {"w", "loss"} and len(history.recorded["w"]) == 4
    np.testing.assert_array_equal(history.recorded["w"][-1], net.params["W1"])  # after the epoch's steps
    assert history.recorded["loss"] == pytest.approx(history.train_loss, rel=1e-12)
    assert train.train(net, X, y, rng=rng, loss="binary_cross_entropy", epochs=1).recorded == {}


def test_hooks_are_checked_at_entry(rng):
    X, y = blobs(rng, 20)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    with pytest.raises(TypeError, match="^gradient_transforms must be functions, got float$"):
        train.train(net, X, y, rng=rng, loss="binary_cross_entropy", gradient_transforms=[0.5])
    with pytest.raises(TypeError, match="^recorders' values must be functions, got str$"):
        train.train(net, X, y, rng=rng, loss="binary_cross_entropy", recorders={"w": "W1"})
    with pytest.raises(TypeError, match="'sgd' takes no hyper-parameters"):
        train.train(net, X, y, rng=rng, loss="binary_cross_entropy", optimiser_options={"momentum": 0.9})
    with pytest.raises(ValueError, match=r"^rho must lie in \[0, 1\), got 1.5$"):
        train.train(net, X, y, rng=rng, loss="binary_cross_entropy", optimiser="rmsprop",
                    optimiser_options={"rho": 1.5})


@pytest.mark.parametrize("name", ["momentum", "nesterov", "adam"])
def test_the_loop_steps_like_the_public_optimiser(name, rng):
    """train maps the optimiser's rule over the params: the same path as its public dict step."""
    X, y = blobs(rng, 24)
    net = MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0))
    manual, (init_state, step) = net.copy(), STEPS[name]
    state = init_state(manual.params)
    for batch in train.iterate_minibatches(24, 6, np.random.default_rng(4)):
        _, grads = manual.loss_and_gradients(X[batch], y[batch, None], losses.binary_cross_entropy_from_logits)
        manual.params, state = step(manual.params, grads, state, 0.05)
    train.train(net, X, y, rng=np.random.default_rng(4), loss="binary_cross_entropy", optimiser=name, lr=0.05,
                epochs=1, batch_size=6)
    for key in net.params:
        np.testing.assert_array_equal(net.params[key], manual.params[key])


def test_labels_are_checked_once_at_entry(rng):
    X, y = blobs(rng, 20)
    net = MLP.create([2, 3], ["identity"], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^y must lie in \[0, 2\]"):
        train.train(net, X, np.where(y == 1, 3, 0), rng=rng, epochs=1)
    with pytest.raises(ValueError, match=r"^y_val must lie in \[0, 2\]"):
        train.train(net, X, y, X_val=X, y_val=y + 5, rng=rng, epochs=1)


def test_train_takes_a_rule_of_your_own_and_checks_its_options():
    """A ``Rule`` record trains like a named one: a hand-written SGD with a decay term equals the
    course's SGD on the decayed gradients, and its options are checked by its own signature."""
    def decayed_sgd(param, grad, state, lr, decay=0.0):
        return param - lr * (grad + decay * param), state

    rule = optim.Rule(lambda param: (), decayed_sgd)
    X, y = blobs(np.random.default_rng(3), 24)
    nets = [MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0)) for _ in range(2)]
    options = dict(loss="binary_cross_entropy", lr=0.5, epochs=3, batch_size=6)
    train.train(nets[0], X, y, rng=np.random.default_rng(4), optimiser=rule, optimiser_options={"decay": 0.1},
                **options)
    train.train(nets[1], X, y, rng=np.random.default_rng(4), optimiser="sgd",
                gradient_transforms=[lambda grads, params: {k: g + 0.1 * params[k] for k, g in grads.items()}],
                **options)
    for key, value in nets[0].params.items():
        np.testing.assert_allclose(value, nets[1].params[key], rtol=1e-12)
    with pytest.raises(TypeError, match=r"'decayed_sgd' takes \['decay'\], got \['momentum'\]"):
        train.train(nets[0], X, y, rng=np.random.default_rng(4), optimiser=rule, optimiser_options={"momentum": 0.9},
                    **options)
    with pytest.raises(ValueError, match="decay must be a finite number"):
        train.train(nets[0], X, y, rng=np.random.default_rng(4), optimiser=rule,
                    optimiser_options={"decay": float("nan")}, **options)


# --- issue 17: what the mutation run found untested ------------------------------------------

def test_the_documented_defaults_are_lr_0_1_ten_epochs_and_batches_of_32():
    """70 samples: batches of 32 (32, 32, 6) and of 33 (33, 33, 4) give different runs."""
    X, y = blobs(np.random.default_rng(2), 70)
    nets = [MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0)) for _ in range(2)]
    implicit = train.train(nets[0], X, y, rng=np.random.default_rng(5), loss="binary_cross_entropy")
    explicit = train.train(nets[1], X, y, rng=np.random.default_rng(5), loss="binary_cross_entropy",
                           lr=0.1, epochs=10, batch_size=32)
    assert len(implicit.train_loss) == 10
    assert implicit == explicit
    for key, value in nets[0].params.items():
        np.testing.assert_array_equal(value, nets[1].params[key])


@pytest.mark.parametrize("X, error, message", [
    (np.zeros(6), ValueError, r"^X must have 2 dimension\(s\), got shape \(6,\)$"),
    (np.zeros((0, 2)), ValueError, r"^X is empty: training needs at least one sample$"),
    (np.zeros((6, 0)), ValueError, r"^X \(samples × input features\) should have shape \('any', 2\), got \(6, 0\)$"),
    (np.zeros((6, 3)), ValueError, r"^X \(samples × input features\) should have shape \('any', 2\), got \(6, 3\)$"),
    ([["a", "b"]] * 6, TypeError, r"^X must hold numbers, got dtype <U1$"),
])
def test_train_checks_X_at_entry(rng, X, error, message):
    """The loop runs unchecked, so a wrong X must be refused before it, in the student's words."""
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    with pytest.raises(error, match=message):
        train.train(net, X, np.zeros(len(X)), rng=rng, loss="mse", epochs=1)


def test_a_single_sample_trains(rng):
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    history = train.train(net, np.array([[1.0, -2.0]]), np.array([1]), rng=rng, loss="binary_cross_entropy",
                          lr=0.5, epochs=3)
    assert len(history.train_loss) == 3 and history.train_loss[-1] < history.train_loss[0]


def test_a_non_numeric_parameter_is_named(rng):
    X, y = blobs(rng, 10)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    net.params["W1"] = np.array([["a"], ["b"]])
    with pytest.raises(TypeError, match=r"^net\.params\['W1'\] must hold numbers, got dtype <U1$"):
        train.train(net, X, y, rng=rng, loss="binary_cross_entropy", epochs=1)


def test_only_categorical_cross_entropy_reads_1d_targets_as_class_indices(rng):
    """Real-valued 1-D targets for three outputs are refused by the loss's own shape check,
    not mistaken for class labels (which would complain that 0.3 is no class)."""
    X = rng.normal(size=(5, 2))
    y = np.array([0.3, 1.7, 2.0, 0.1, 0.5])
    net = MLP.create([2, 3], ["identity"], np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"^predictions and targets must have the same shape, got \(5, 3\) and \(5,\)$"):
        train.train(net, X, y, rng=rng, loss="mse", epochs=1)


def test_a_single_output_regression_target_is_used_as_it_is(rng):
    """One full-batch step of least squares on y = 0.3, 1.7, ...: the gradient of the real targets."""
    X, y = rng.normal(size=(5, 2)), np.array([0.3, 1.7, 2.0, 0.1, 0.5])
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    manual = net.copy()
    _, grads = manual.loss_and_gradients(X, y[:, None], losses.mean_squared_error)
    history = train.train(net, X, y, rng=rng, loss="mse", lr=0.1, epochs=1, batch_size=5)
    for key, value in manual.params.items():
        np.testing.assert_allclose(net.params[key], value - 0.1 * grads[key], rtol=1e-12)
    assert history.train_accuracy == []  # real targets are not labels


def l2_by_hand(lam, n):
    """The L2 gradient term (λ/n) W, as a gradient transform of the reader's own."""
    return lambda grads, params: {k: g + lam / n * params[k] if k.startswith("W") else g for k, g in grads.items()}


@pytest.mark.parametrize("lam", [0.0, 0.5, 3.0])
def test_l2_of_any_size_adds_its_term_and_zero_adds_nothing(lam):
    X, y = blobs(np.random.default_rng(2), 30)
    nets = [MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0)) for _ in range(3)]
    options = dict(loss="binary_cross_entropy", lr=0.5, epochs=2, batch_size=8)
    train.train(nets[0], X, y, rng=np.random.default_rng(9), l2=lam, **options)
    train.train(nets[1], X, y, rng=np.random.default_rng(9), gradient_transforms=[l2_by_hand(lam, 30)], **options)
    train.train(nets[2], X, y, rng=np.random.default_rng(9), **options)
    for key, value in nets[0].params.items():
        np.testing.assert_allclose(value, nets[1].params[key], rtol=1e-12, atol=1e-15)
    unchanged = all(np.array_equal(value, nets[2].params[key]) for key, value in nets[0].params.items())
    assert unchanged == (lam == 0)  # the penalty shrinks the weights, and so moves every later step


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(early_stopping="patience"), TypeError, r"^early_stopping must be an EarlyStopping, got str$"),
    (dict(early_stopping=EarlyStopping(2, "max"), loss="mse", y=[0.3, 1.7, 2.0, 0.1]), ValueError,
     r"^mode 'max' watches accuracy, which needs class labels; use mode='min' \(loss\)$"),
])
def test_early_stopping_is_checked_at_entry(rng, kwargs, error, message):
    X = rng.normal(size=(4, 2))
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    arguments = dict(y=[0, 1, 1, 0], loss="binary_cross_entropy") | kwargs
    with pytest.raises(error, match=message):
        train.train(net, X, X_val=X, y_val=arguments["y"], rng=rng, epochs=1, **arguments)


def adagrad_rule():
    """AdaGrad written by a reader: its state is built from each parameter's shape."""
    def step(param, grad, state, lr):
        squares = state[0] + grad * grad
        return param - lr * grad / (np.sqrt(squares) + 1e-8), (squares,)

    return optim.Rule(lambda param: (np.zeros(param.shape),), step)


@pytest.mark.parametrize("rule, options", [
    (optim.get_rule("momentum"), {"momentum": 0.9}),
    (optim.get_rule("adam"), {}),
    (adagrad_rule(), {}),
], ids=["momentum", "adam", "own adagrad"])
def test_a_rule_with_state_starts_from_each_parameter(rule, options):
    """train keeps one state per parameter, started by rule.init(parameter): redo two epochs with map_rule."""
    X, y = blobs(np.random.default_rng(2), 24)
    net = MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0))
    manual = net.copy()
    states = {key: rule.init(value) for key, value in manual.params.items()}
    shuffles = np.random.default_rng(4)
    for _ in range(2):
        for batch in train.iterate_minibatches(24, 6, shuffles):
            _, grads = manual.loss_and_gradients(X[batch], y[batch, None], losses.binary_cross_entropy_from_logits)
            manual.params, states = optim.map_rule(rule, manual.params, grads, states, 0.05, **options)
    train.train(net, X, y, rng=np.random.default_rng(4), loss="binary_cross_entropy", optimiser=rule,
                optimiser_options=options, lr=0.05, epochs=2, batch_size=6)
    for key, value in manual.params.items():
        assert net.params[key].dtype == np.float64
        np.testing.assert_array_equal(net.params[key], value)


def test_the_progress_bar_counts_epochs_up_to_the_total_and_shows_the_loss(rng, capsys):
    X, y = blobs(rng, 20)
    net = MLP.create([2, 1], ["identity"], np.random.default_rng(0))
    history = train.train(net, X, y, rng=rng, loss="binary_cross_entropy", epochs=3, batch_size=5, progress=True)
    bar = capsys.readouterr().err
    counts = [int(count) for count in re.findall(r"(\d+)/3 \[", bar)]
    assert counts[0] == 0 and counts[-1] == 3 and max(counts) == 3
    assert re.search(r"[\d?](epoch/s|s/epoch)", bar)  # the unit is the epoch
    assert re.findall(r"loss=([^\],]*)", bar)[-1] == f"{history.train_loss[-1]:.4f}"


def test_an_own_loss_with_a_wrongly_shaped_gradient_is_refused_before_any_update(rng):
    """The first step checks the gradient's shape, before it changes a parameter: (n,) is not (n, 1)."""
    def flat_mse(outputs, targets):
        value, grad = losses.mean_squared_error(outputs, targets)
        return value, grad.reshape(-1)

    X, y = rng.normal(size=(8, 2)), rng.normal(size=8)
    net = MLP.create([2, 3, 1], ["tanh", "identity"], np.random.default_rng(0))
    before = net.copy()
    with pytest.raises(ValueError, match=r"^grad_output \(must match the network's output\) should have shape \(4, 1\), got \(4,\)$"):
        train.train(net, X, y, rng=rng, loss=flat_mse, epochs=1, batch_size=4)
    for key, value in before.params.items():
        np.testing.assert_array_equal(net.params[key], value)
