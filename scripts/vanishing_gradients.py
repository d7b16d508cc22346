"""The book's chapter-5 experiment: how fast each hidden layer learns (vanishing gradients).

Networks 784-30-30-10, 784-30-30-30-10 and 784-30-30-30-30-10 with
cross-entropy cost are trained as the book's ``fig/generate_gradient.py``
trains them: on the first 1,000 MNIST training images, mini-batch 1,000
(so one step per epoch: batch gradient descent), η = 0.1, L2 λ = 5.0,
500 epochs.  Before the first epoch and after every epoch the learning speed
of each hidden layer, ‖δˡ‖ = ‖mean ∂C/∂bˡ‖ over those 1,000 images, is
recorded (:mod:`nndl.inspect.learning_speed`).  Done twice: with the book's sigmoid
neurons and N(0, 1/n_in) weights ("scaled_normal"), then with ReLU hidden
neurons and He initialisation.

Writes a table (stdout and ``--log``), ``--figure`` (all six networks) and
``--figure-book`` (the 4-hidden-layer sigmoid net, as the book draws it).

Usage::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python3 scripts/vanishing_gradients.py
    ... --epochs 50 --seeds 1      # a quick look
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from nndl import Network
from nndl.data import load_data, load_sample
from nndl.data._atomic import atomic_write_bytes
from nndl.inspect.learning_speed import gradient_norms

#: The book's networks, by number of hidden layers.
NETS = {h: [784] + [30] * h + [10] for h in (2, 3, 4)}
#: Hidden neurons and weight initialisation of each run.
SETUPS = {"sigmoid": ("sigmoid", "scaled_normal"), "relu": ("relu", "he")}
#: ‖δˡ‖ of the hidden layers right after initialisation, as the book's chapter 5 prints them.
BOOK_AT_INIT = {2: [0.07, 0.31], 3: [0.012, 0.060, 0.283], 4: [0.003, 0.017, 0.070, 0.285]}
#: Epochs at which the table shows the speeds.
SHOWN = (0, 1, 10, 100, 500)


def train_one(sizes: list[int], setup: str, seed: int, train: tuple[Any, Any],
              test: tuple[Any, Any], epochs: int) -> dict[str, Any]:
    """One network: ‖δˡ‖ of every layer at initialisation and after each epoch."""
    activation, init = SETUPS[setup]
    net = Network(sizes, cost="cross_entropy", activation=activation, init=init, seed=seed)
    x, y = train
    start = time.perf_counter()
    first = gradient_norms(net, x, y)
    history = net.SGD(train, epochs, 1000, 0.1, lmbda=5.0, monitor_gradients=True,
                      verbose=False)
    seconds = time.perf_counter() - start
    return {
        "norms": np.array([first, *history["gradient_norms"]]),  # row k: after k epochs
        "test_accuracy": net.score(*test),
        "seconds": seconds,
    }


def initial_speeds(sizes: list[int], setup: str, seeds: range, x: Any, y: Any) -> np.ndarray:
    """‖δˡ‖ of the hidden layers right after initialisation, one row per seed."""
    activation, init = SETUPS[setup]
    return np.array([
        gradient_norms(Network(sizes, cost="cross_entropy", activation=activation, init=init,
                               seed=seed), x, y)[:-1]
        for seed in seeds
    ])


def _row(values: Any) -> str:
    return "  ".join(f"{v:8.4g}" for v in values)


def report(runs: dict[tuple[str, int], list[dict[str, Any]]],
           inits: dict[tuple[str, int], np.ndarray], epochs: int) -> list[str]:
    """The tables of docs/vanishing-gradients.md, as text lines."""
    lines = ["At initialisation: median ||delta^l|| of the hidden layers over "
             f"{len(next(iter(inits.values())))} seeds (first hidden layer first)"]
    for (setup, h), speeds in inits.items():
        med = np.median(speeds, axis=0)
        lines.append(f"  {setup:7s} {h} hidden: {_row(med)}   last/first {med[-1] / med[0]:6.1f}"
                     f"   (min..max over seeds {np.min(speeds[:, -1] / speeds[:, 0]):.1f}.."
                     f"{np.max(speeds[:, -1] / speeds[:, 0]):.1f})")
        if setup == "sigmoid":
            book = BOOK_AT_INIT[h]
            lines.append(f"  {'book':7s} {h} hidden: {_row(book)}   last/first "
                         f"{book[-1] / book[0]:6.1f}")
    shown = [e for e in SHOWN if e <= epochs]
    lines.append("")
    lines.append(f"During training (mini-batch 1,000, eta 0.1, lambda 5.0): last/first hidden "
                 f"layer speed ratio after {', '.join(map(str, shown))} epochs (median over "
                 f"{len(next(iter(runs.values())))} seeds), then the test accuracy on 10,000 "
                 "images and seconds per run (training and measuring)")
    for (setup, h), results in runs.items():
        ratios = np.median([r["norms"][shown, -2] / r["norms"][shown, 0] for r in results],
                           axis=0)
        acc = np.median([r["test_accuracy"] for r in results])
        secs = np.median([r["seconds"] for r in results])
        lines.append(f"  {setup:7s} {h} hidden: {_row(ratios)}   test {100 * acc:5.2f}%   "
                     f"{secs:5.1f} s")
    return lines


def figures(runs: dict[tuple[str, int], list[dict[str, Any]]], out: Path,
            book_out: Path) -> None:
    """All six networks (seed 0) in one figure, and the book's 4-hidden-layer figure."""
    from matplotlib.figure import Figure

    from nndl.inspect.plots import draw_speed, save_png

    fig = Figure(figsize=(13.5, 7.5), dpi=100)
    axes = fig.subplots(2, 3, sharey=True)
    for (setup, h), results in runs.items():
        row = list(SETUPS).index(setup)
        norms = results[0]["norms"]
        activation, init = SETUPS[setup]
        draw_speed(axes[row, h - 2], list(range(len(norms))), norms,
                   title=f"{activation}, {init} init: {h} hidden layers")
    fig.suptitle("Speed of learning of each hidden layer, ||mean dC/db||, on the first 1,000 "
                 "MNIST images (batch gradient descent, eta 0.1, lambda 5)")
    fig.tight_layout()
    save_png(fig, out)
    fig = Figure(figsize=(7.0, 4.5), dpi=100)
    norms = runs[("sigmoid", 4)][0]["norms"]
    draw_speed(fig.subplots(), list(range(len(norms))), norms,
               title="Speed of learning: 4 hidden layers (sigmoid)")
    fig.tight_layout()
    save_png(fig, book_out)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=500)
    p.add_argument("--seeds", type=int, default=3, help="training runs per network (3)")
    p.add_argument("--init-seeds", type=int, default=20,
                   help="networks per architecture measured at initialisation (20)")
    p.add_argument("--figure", default="docs/vanishing-gradients.png")
    p.add_argument("--figure-book", default="docs/vanishing-gradients-4.png")
    p.add_argument("--log", default="docs/results/vanishing-gradients.txt")
    a = p.parse_args()
    data = load_data()
    sample = load_sample().training
    x, y = data.training[0][:1000], data.training[1][:1000]
    if not (np.array_equal(x, sample[0]) and np.array_equal(y, sample[1])):
        raise SystemExit("the first 1,000 training images differ from the bundled sample")
    print(f"data: {data.source}; the first 1,000 training images (= the bundled sample); "
          f"test on {len(data.test[1]):,}")
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    inits: dict[tuple[str, int], np.ndarray] = {}
    for setup in SETUPS:
        for h, sizes in NETS.items():
            inits[(setup, h)] = initial_speeds(sizes, setup, range(a.init_seeds), x, y)
            runs[(setup, h)] = [train_one(sizes, setup, seed, (x, y), data.test, a.epochs)
                                for seed in range(a.seeds)]
            print(f"  {setup} {h} hidden: done ({runs[(setup, h)][0]['seconds']:.1f} s a run)",
                  flush=True)
    lines = report(runs, inits, a.epochs)
    print("\n".join(lines))
    atomic_write_bytes(a.log, ("\n".join(lines) + "\n").encode("utf-8"))
    figures(runs, Path(a.figure), Path(a.figure_book))
    print(f"wrote {a.log}, {a.figure} and {a.figure_book}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
