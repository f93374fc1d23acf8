r"""Training-step throughput: helpers' MLP against anchors timed in the same run.

One step = forward, categorical cross-entropy from logits, backward and a plain SGD update,
in float64, on a batch of 64, for a sigmoid hidden layer and a linear (logit) output layer.
Two helpers rows: the **helpers step** a notebook writes by hand (``MLP.loss_and_gradients`` and
``optim.sgd_step``, which check their inputs every call) and **train()'s inner step**, what
``train`` repeats after checking its data once (the same calls on unchecked kernels; the
targeted row). Anchors, interleaved with helpers round by round (see ``common.interleaved``):

* **hand-fused NumPy**: the same maths written out in one function with in-place updates and
  no checks: what a careful NumPy programmer reaches, the practical ceiling;
* **per-sample loop**: column vectors, one backpropagation per sample, gradients summed over
  the mini-batch, as in Nielsen's ``network.py`` (what many courses teach);
* **matmuls only**: just the step's five matrix products, a floor no NumPy step can beat;
* **PyTorch CPU** (float64), when ``torch`` is installed;
* **scikit-learn MLPClassifier.fit** against ``helpers.train.train``: both whole training
  loops (shuffling, batching, per-epoch bookkeeping) on the same data, batch size and epochs.

FLOPs per step count the matrix products only:
:math:`2B\sum_l n_{l-1}n_l` forward, as much for the weight gradients, and
:math:`2B\sum_{l\ge2} n_{l-1}n_l` for the gradients passed back. The machine's float64
matmul rate is measured on a square product, in the same rounds.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from common import clock_name, interleaved, median, ratio, section, target, use_clock

from helpers import optim
from helpers.losses import UNCHECKED_LOSSES, categorical_cross_entropy_from_logits
from helpers.network import MLP
from helpers.train import train

NAME = "training"
TITLE = "1. Training step throughput (float64, batch 64, sigmoid hidden layer, softmax cross-entropy, SGD)"
ARCHITECTURES = ([784, 100, 10], [64, 64, 10])
BIG_ARCHITECTURE = [784, 100, 10]  # its arrays outgrow malloc's thresholds: also timed in a fresh process
BATCH, LR, N_BATCHES = 64, 0.1, 8
PEAK_N = 1024  # side of the square matmul that measures the machine's float64 rate


def step_flops(sizes, batch: int = BATCH) -> int:
    pairs = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * batch * (2 * sum(pairs) + sum(pairs[1:]))


def make_batches(sizes, rng, n_batches: int = N_BATCHES):
    """``(X, labels, one_hot)`` triples; inputs in [0, 1) like pixel intensities."""
    batches = []
    for _ in range(n_batches):
        X = rng.random((BATCH, sizes[0]))
        labels = rng.integers(0, sizes[-1], BATCH)
        batches.append((X, labels, np.eye(sizes[-1])[labels]))
    return batches


def initial_params(sizes) -> dict:
    return MLP.create(sizes, ["sigmoid", "identity"], np.random.default_rng(1)).params


# --- the variants ------------------------------------------------------------------------

def helpers_step(sizes, batches):
    """What a notebook writes: helpers' MLP, its loss and its optimiser, as documented."""
    net = MLP({k: v.copy() for k, v in initial_params(sizes).items()}, ["sigmoid", "identity"])
    cycle = itertools.cycle(batches)

    def step():
        X, labels, _ = next(cycle)
        _, grads = net.loss_and_gradients(X, labels, categorical_cross_entropy_from_logits)
        net.params = optim.sgd_step(net.params, grads, LR)

    return step


def train_inner_step(sizes, batches):
    """The step ``train()`` repeats after checking its data once: the same calls, on unchecked kernels.
    Like the hand-fused step it takes a ready-cut batch (``train``'s gather ``X[batch]`` is data
    loading, which any loop pays)."""
    net = MLP({k: v.copy() for k, v in initial_params(sizes).items()}, ["sigmoid", "identity"])
    loss, rule = UNCHECKED_LOSSES["categorical_cross_entropy"], optim.RULES["sgd"]
    states = {key: rule.init(value) for key, value in net.params.items()}
    cycle = itertools.cycle(batches)

    def step():
        nonlocal states
        X, labels, _ = next(cycle)
        _, grads = net.loss_and_gradients(X, labels, loss, checked=False)
        net.params, states = optim.map_rule(rule, net.params, grads, states, LR)

    return step


def fused_step(sizes, batches):
    """The same step by hand: one function, in-place arithmetic, no validation."""
    p = initial_params(sizes)
    W1, b1, W2, b2 = (p[k].copy() for k in ("W1", "b1", "W2", "b2"))
    cycle = itertools.cycle(batches)
    rows = np.arange(BATCH)

    def step():
        X, labels, _ = next(cycle)
        Z1 = X @ W1
        Z1 += b1
        with np.errstate(over="ignore"):  # exp(-z) = inf for z < -709 gives sigmoid 0: fine
            np.negative(Z1, out=Z1)
            np.exp(Z1, out=Z1)
        Z1 += 1.0
        A1 = np.reciprocal(Z1, out=Z1)
        Z2 = A1 @ W2
        Z2 += b2
        Z2 -= Z2.max(axis=1, keepdims=True)
        E = np.exp(Z2)
        total = E.sum(axis=1)
        loss = float(np.mean(np.log(total) - Z2[rows, labels]))  # a training loop logs it
        E /= total[:, None]
        E[rows, labels] -= 1.0
        E /= BATCH  # E is now dC/dZ2
        grad_W2 = A1.T @ E
        grad_b2 = E.sum(axis=0)
        D1 = E @ W2.T
        D1 *= A1
        A1 -= 1.0
        D1 *= A1
        np.negative(D1, out=D1)  # σ' = a(1 - a) = -a(a - 1)
        grad_W1 = X.T @ D1
        grad_b1 = D1.sum(axis=0)
        for param, grad in ((W1, grad_W1), (b1, grad_b1), (W2, grad_W2), (b2, grad_b2)):
            grad *= LR
            param -= grad
        return loss

    return step


def per_sample_step(sizes, batches):
    """Nielsen-style: weights (n_out, n_in), column vectors, one backprop per sample."""
    p = initial_params(sizes)
    state = {
        "weights": [p["W1"].T.copy(), p["W2"].T.copy()],
        "biases": [p["b1"][:, None].copy(), p["b2"][:, None].copy()],
    }
    # Nielsen's data format: a list of (x, y) column-vector pairs per mini-batch
    column_batches = itertools.cycle(
        [[(x[:, None], y[:, None]) for x, y in zip(X, one_hot)] for X, _, one_hot in batches]
    )

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    def backprop(x, y, weights, biases):
        activation, activations, zs = x, [x], []
        for layer, (w, b) in enumerate(zip(weights, biases)):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z) if layer < len(weights) - 1 else z
            activations.append(activation)
        exp = np.exp(activation - activation.max())
        delta = exp / exp.sum() - y  # softmax cross-entropy: dC/dz = p - y
        nabla_b, nabla_w = [None, None], [None, None]
        nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].T)
        a = activations[-2]
        delta = np.dot(weights[-1].T, delta) * a * (1 - a)
        nabla_b[-2], nabla_w[-2] = delta, np.dot(delta, activations[-3].T)
        return nabla_b, nabla_w

    def step():
        mini_batch = next(column_batches)
        weights, biases = state["weights"], state["biases"]
        nabla_b = [np.zeros(b.shape) for b in biases]
        nabla_w = [np.zeros(w.shape) for w in weights]
        for x, y in mini_batch:
            delta_b, delta_w = backprop(x, y, weights, biases)
            nabla_b = [nb + db for nb, db in zip(nabla_b, delta_b)]
            nabla_w = [nw + dw for nw, dw in zip(nabla_w, delta_w)]
        scale = LR / len(mini_batch)
        state["weights"] = [w - scale * nw for w, nw in zip(weights, nabla_w)]
        state["biases"] = [b - scale * nb for b, nb in zip(biases, nabla_b)]

    return step


def matmuls_only(sizes, batches):
    """The five matrix products of a step and nothing else."""
    p = initial_params(sizes)
    W1, W2 = p["W1"], p["W2"]
    X = batches[0][0]
    A1 = np.zeros((BATCH, sizes[1]))
    D2 = np.zeros((BATCH, sizes[2]))

    def step():
        X @ W1, A1 @ W2, A1.T @ D2, D2 @ W2.T, X.T @ A1

    return step


def torch_step(sizes, batches):
    """PyTorch CPU in float64, or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(_blas_threads() or os.cpu_count() or 1)  # as many threads as NumPy's BLAS
    p = initial_params(sizes)
    model = torch.nn.Sequential(torch.nn.Linear(sizes[0], sizes[1]), torch.nn.Sigmoid(),
                                torch.nn.Linear(sizes[1], sizes[2])).double()
    with torch.no_grad():
        model[0].weight.copy_(torch.from_numpy(p["W1"].T))
        model[2].weight.copy_(torch.from_numpy(p["W2"].T))
    optimiser = torch.optim.SGD(model.parameters(), lr=LR)
    cycle = itertools.cycle([(torch.from_numpy(X), torch.from_numpy(labels)) for X, labels, _ in batches])
    loss_fn = torch.nn.functional.cross_entropy

    def step():
        X, labels = next(cycle)
        optimiser.zero_grad()
        loss = loss_fn(model(X), labels)
        loss.backward()
        optimiser.step()

    return step


def fresh_process_ratio(sizes, rounds: int, block: float) -> dict:
    """helpers step vs hand-fused in a new Python process that has never freed a big array.

    glibc's malloc raises its mmap and trim thresholds to the largest block freed so far.
    Until then, every freed temporary of more than about 1 MB is handed back to the system
    and faulted in again on the next step (with transparent huge pages, a fault zeroes 2 MB).
    The main bench has freed 8 MB blocks (the peak matmul) by the time it times the steps;
    this measures the state a fresh notebook kernel starts in.
    """
    script = (
        "import json, sys; sys.path[:0] = sys.argv[1:3]\n"
        "from threadpoolctl import threadpool_limits\n"
        "import numpy as np, training_bench as T\n"
        "from common import interleaved, ratio, median, use_clock\n"
        "sizes, threads = json.loads(sys.argv[3]), json.loads(sys.argv[6])\n"
        "use_clock(sys.argv[7])\n"
        "with threadpool_limits(threads):\n"
        "    b = T.make_batches(sizes, np.random.default_rng(0))\n"
        "    t = interleaved({'helpers': T.helpers_step(sizes, b), 'fused': T.fused_step(sizes, b)},\n"
        "                    rounds=int(sys.argv[4]), min_block_s=float(sys.argv[5]))\n"
        "print(json.dumps({'helpers': median(t['helpers']), 'fused': median(t['fused']),\n"
        "                  'ratio': ratio(t['fused'], t['helpers'])}))\n"
    )
    bench = Path(__file__).resolve().parent
    threads = _blas_threads()
    result = subprocess.run(
        [sys.executable, "-c", script, str(bench), str(bench.parent), json.dumps(list(sizes)),
         str(rounds), str(block), json.dumps(threads), clock_name()],
        capture_output=True, text=True, timeout=600, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _blas_threads():
    """The BLAS thread limit in force here (None: the library's default)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return min(counts) if counts else None


def _threads(n: int):
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def peak_matmul(n: int = PEAK_N):
    rng = np.random.default_rng(2)
    A, B = rng.random((n, n)), rng.random((n, n))

    def product():
        A @ B

    return product


def helpers_train_loop(sizes, X, y, epochs):
    def fit():
        net = MLP({k: v.copy() for k, v in initial_params(sizes).items()}, ["sigmoid", "identity"])
        train(net, X, y, rng=np.random.default_rng(0), lr=LR, epochs=epochs, batch_size=BATCH,
              progress=False)

    return fit


def sklearn_loop(sizes, X, y, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def fit():
        model = MLPClassifier(
            hidden_layer_sizes=(sizes[1],), activation="logistic", solver="sgd", alpha=0.0,
            batch_size=BATCH, learning_rate="constant", learning_rate_init=LR, momentum=0.0,
            nesterovs_momentum=False, max_iter=epochs, n_iter_no_change=epochs + 1, tol=0.0,
            shuffle=True, random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # we stop after `epochs` on purpose
            model.fit(X, y)

    return fit


# --- the section -------------------------------------------------------------------------

def run(quick: bool = False) -> dict:
    rounds, block, peak_n = (3, 0.004, 256) if quick else (15, 0.06, PEAK_N)
    loop_batches, epochs = (4, 1) if quick else (16, 3)
    rng = np.random.default_rng(0)
    rows, targets, notes = [], [], []
    peaks = []
    for sizes in ARCHITECTURES:
        arch = "-".join(map(str, sizes))
        batches = make_batches(sizes, rng)
        variants = {
            "helpers step": helpers_step(sizes, batches),
            "train()'s inner step": train_inner_step(sizes, batches),
            "hand-fused NumPy": fused_step(sizes, batches),
            "per-sample loop (Nielsen style)": per_sample_step(sizes, batches),
            "matmuls only": matmuls_only(sizes, batches),
            "machine peak": peak_matmul(peak_n),
        }
        torch = torch_step(sizes, batches)
        if torch is not None:
            variants["PyTorch CPU"] = torch
        times = interleaved(variants, rounds=rounds, min_block_s=block)
        peak_rates = [2 * peak_n**3 / t / 1e9 for t in times.pop("machine peak")]
        peaks.extend(peak_rates)
        flops = step_flops(sizes)
        helper = times["helpers step"]
        fraction = median([flops / h / 1e9 / p for h, p in zip(helper, peak_rates)])
        for name, samples in times.items():
            rows.append({
                "network": arch, "variant": name, "µs/step": median(samples) * 1e6,
                "steps/s": 1.0 / median(samples), "GFLOP/s": flops / median(samples) / 1e9,
                "helpers speed-up": ratio(samples, helper),
                "of peak": median([flops / t / 1e9 / p for t, p in zip(samples, peak_rates)]),
            })
        if torch is None:
            rows.append({"network": arch, "variant": "PyTorch CPU (not installed: skipped)"})
        fresh = fresh_process_ratio(sizes, rounds, block) if sizes == BIG_ARCHITECTURE else None
        if fresh:
            rows.append({"network": arch, "variant": "helpers step, fresh process (see notes)",
                         "µs/step": fresh["helpers"] * 1e6, "steps/s": 1.0 / fresh["helpers"],
                         "GFLOP/s": flops / fresh["helpers"] / 1e9})
            rows.append({"network": arch, "variant": "hand-fused NumPy, same fresh process",
                         "µs/step": fresh["fused"] * 1e6, "steps/s": 1.0 / fresh["fused"],
                         "GFLOP/s": flops / fresh["fused"] / 1e9, "helpers speed-up": fresh["ratio"]})
        fused_ratio = ratio(times["hand-fused NumPy"], helper)
        per_sample_ratio = ratio(times["per-sample loop (Nielsen style)"], helper)
        inner_ratio = ratio(times["hand-fused NumPy"], times["train()'s inner step"])
        targets.append(target(f"{arch}: train()'s inner step throughput / hand-fused", inner_ratio, "≥ 0.9",
                              inner_ratio >= 0.9))
        targets.append(target(f"{arch}: helpers step throughput / hand-fused", fused_ratio,
                              "(reported: it checks its inputs every call)", None))
        targets.append(target(f"{arch}: helpers step throughput / per-sample loop", per_sample_ratio,
                              "≥ 10", per_sample_ratio >= 10))
        floor_ratio = ratio(times["per-sample loop (Nielsen style)"], times["matmuls only"])
        targets.append(target(f"{arch}: (bound) matmuls alone / per-sample loop", floor_ratio,
                              "(reported: no NumPy step beats it)", None))
        targets.append(target(f"{arch}: helpers step, fraction of machine peak GFLOP/s", fraction,
                              "(reported)", None))
        if torch is not None and sizes == BIG_ARCHITECTURE:
            torch_ratio = ratio(times["PyTorch CPU"], helper)
            targets.append(target(f"{arch}: helpers step throughput / PyTorch CPU (as many threads)", torch_ratio,
                                  "≥ 1.5", torch_ratio >= 1.5))
            targets.append(target(f"{arch}: (bound) hand-fused NumPy throughput / PyTorch CPU",
                                  ratio(times["PyTorch CPU"], times["hand-fused NumPy"]),
                                  "(reported: no NumPy step of this kind beats it)", None))

        # whole training loops on the same data, batch size and epochs
        n = BATCH * loop_batches
        X = rng.random((n, sizes[0]))
        y = rng.integers(0, sizes[-1], n)
        loops = interleaved({"helpers train()": helpers_train_loop(sizes, X, y, epochs),
                             "scikit-learn MLPClassifier.fit": sklearn_loop(sizes, X, y, epochs)},
                            rounds=max(3, rounds // 3), min_block_s=block)
        steps = epochs * loop_batches
        for name, samples in loops.items():
            per_step = median(samples) / steps
            rows.append({
                "network": arch, "variant": f"{name} ({n} samples × {epochs} epochs)",
                "µs/step": per_step * 1e6, "steps/s": 1.0 / per_step, "GFLOP/s": flops / per_step / 1e9,
                "helpers speed-up": ratio(samples, loops["helpers train()"]),
            })
        sk_ratio = ratio(loops["scikit-learn MLPClassifier.fit"], loops["helpers train()"])
        targets.append(target(f"{arch}: helpers train() speed / MLPClassifier.fit", sk_ratio, "(reported)",
                              None))
    threads = _blas_threads()
    rows.append({"network": "–", "variant": f"machine float64 matmul {peak_n}², {threads} BLAS thread(s), "
                 "in the rounds above", "GFLOP/s": median(peaks)})
    all_threads = os.cpu_count() or 1
    if threads != all_threads:
        chosen_clock = clock_name()
        use_clock("wall")  # CPU time would count both threads' work
        try:
            with _threads(all_threads):
                product = peak_matmul(peak_n)
                rates = [2 * peak_n**3 / t / 1e9 for t in interleaved({"peak": product}, rounds=rounds,
                                                                       min_block_s=block)["peak"]]
        finally:
            use_clock(chosen_clock)
        rows.append({"network": "–", "variant": f"machine float64 matmul {peak_n}², {all_threads} BLAS threads",
                     "GFLOP/s": median(rates)})
    notes.append(f"{rounds} interleaved rounds; blocks of ≥ {block * 1000:.0f} ms; times are medians; "
                 "'helpers speed-up' = that variant's time / helpers' time in the same round (median "
                 "over rounds): > 1 means helpers is faster.")
    notes.append("'of peak' = achieved GFLOP/s (matrix products only) / the square-matmul rate "
                 "measured in the same round.")
    notes.append("BLAS threads: see the machine line (make bench limits BLAS to 1 thread by default: "
                 "on a shared 2-core machine, OpenBLAS's spinning threads make batch-64 products "
                 "10-30× slower whenever another process holds a core).")
    notes.append("glibc's malloc raises its mmap/trim thresholds to the largest block freed so far; "
                 "the peak matmul frees 8 MB blocks, so the rounds above run with warm thresholds. "
                 "The 'fresh process' rows time helpers and the fused loop in a new interpreter "
                 "that has not, as a fresh notebook kernel starts.")
    notes.append("train() rows include what each library does every epoch (helpers: loss and "
                 "accuracy on the whole training set; scikit-learn: its loss bookkeeping).")
    columns = ["network", "variant", "µs/step", "steps/s", "GFLOP/s", "of peak", "helpers speed-up"]
    return section(NAME, TITLE, columns, rows, targets=targets, notes=notes)
