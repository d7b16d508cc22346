"""Milliseconds to augment one mini-batch, beside one training step of the ``best`` preset's MLP.

Times, in the same run, on a mini-batch of MNIST-sample images (float32):

* the book's one-pixel shifts of ``--expand`` (:func:`nndl.data.expand.shift_images`),
* random affine maps (``shift=2,rotate=10,scale=0.1``),
* affine maps with elastic distortions (``...,elastic=34:4``), and
* one SGD step of the ``best`` preset's network (784-800-10 ReLU, dropout 0.5,
  momentum, L2, float32),

and prints the medians and each augmentation's cost relative to the step.

Usage::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python3 benchmarks/bench_augment.py
    ... --batch 128 --repeats 50
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from nndl import Network
from nndl.data import load_sample
from nndl.data.augment import parse_spec
from nndl.data.expand import shift_images
from nndl.train.optimizers import get_optimizer
from nndl.train.regularizers import get_regularizer

AFFINE = "shift=2,rotate=10,scale=0.1"
ELASTIC = AFFINE + ",elastic=34:4"


def median_ms(work: Callable[[], object], repeats: int) -> float:
    """Median milliseconds of ``work()`` over ``repeats`` calls (after one warm-up call)."""
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def best_step(x: np.ndarray, labels: np.ndarray) -> Callable[[], None]:
    """One training step of ``--preset best``'s network on ``(x, labels)``."""
    net = Network([784, 800, 10], cost="log_likelihood", activation="relu", init="he",
                  dropout=0.5, seed=0, dtype="float32")
    step = net.make_step(get_optimizer({"name": "momentum", "mu": 0.9}),
                         get_regularizer("l2", 5.0), 50_000)
    y = np.eye(10, dtype=np.float32)[labels]
    return lambda: step(x, y, 0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=128, help="mini-batch size (128)")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per variant (50)")
    args = parser.parse_args()
    x, labels = (a[: args.batch] for a in load_sample(dtype="float32").training)
    rng = np.random.default_rng(0)
    shifts = rng.integers(0, 5, len(x))
    affine, elastic = parse_spec(AFFINE), parse_spec(ELASTIC)
    assert affine is not None and elastic is not None
    rows = {
        "one-pixel shifts (--expand)": median_ms(lambda: shift_images(x, shifts, (28, 28)),
                                                 args.repeats),
        f"affine ({AFFINE})": median_ms(lambda: affine(x, rng), args.repeats),
        f"affine + elastic ({ELASTIC})": median_ms(lambda: elastic(x, rng), args.repeats),
    }
    step_ms = median_ms(best_step(x, labels), args.repeats)
    print(f"mini-batch of {len(x)} images (float32), median of {args.repeats} calls")
    for name, ms in rows.items():
        print(f"  {name:<58} {ms:7.2f} ms  ({ms / step_ms:.2f}x one training step)")
    print(f"  {'one SGD step of --preset best (784-800-10)':<58} {step_ms:7.2f} ms")


if __name__ == "__main__":
    main()
