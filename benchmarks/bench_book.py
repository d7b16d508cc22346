"""Seconds per epoch of the book's chapter-1 session: ``nndl.book.network`` vs the book's loop.

The session is ``Network([784, 30, 10])`` and ``SGD(training_data, ..., 10, 3.0)`` on the
book's list of 50,000 ``(x, y)`` column-vector pairs (``mnist_loader.load_data_wrapper()``:
nndl's MNIST cache, fetched if needed).  Timed in the same run, alternately:

* ``nndl.book.network.Network.SGD`` — the whole call of ``--epochs`` epochs (default 10),
  divided by the epochs: stacking the list into arrays (once per call), the
  ``random.shuffle`` of the list and every mini-batch are counted;
* the book's epoch, transcribed: ``random.shuffle(training_data)``, the list of
  mini-batches, and ``update_mini_batch`` looping over the examples of each mini-batch
  (:class:`nndl.seed.SeedNetwork`).  It is slow, so by default it runs a fraction of the
  mini-batches and is scaled up.

Both start from the same weights.  Prints each pair's ratio and the medians, of wall-clock
time and of the CPU time the process used (``time.process_time``: on a machine shared with
other jobs it is less disturbed by them; run with ``OPENBLAS_NUM_THREADS=1`` so that it
counts one thread).

Usage::

    python benchmarks/bench_book.py                 # 3 pairs
    python benchmarks/bench_book.py --repeats 5 --epochs 1 --book-fraction 0.1
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import time

import numpy as np

from nndl.book import mnist_loader, network
from nndl.seed import SeedNetwork


class Clock:
    """Wall-clock and CPU seconds since it was made (or last ``lap``)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> np.ndarray:
        wall, cpu = time.perf_counter(), time.process_time()
        spent = np.array([wall - self.wall, cpu - self.cpu])
        self.wall, self.cpu = wall, cpu
        return spent


def time_nndl_book(training_data: list, epochs: int) -> np.ndarray:
    """(wall, CPU) seconds per epoch of the book's session on nndl.book (one SGD call)."""
    np.random.seed(0)
    net = network.Network([784, 30, 10])
    clock = Clock()
    with contextlib.redirect_stdout(io.StringIO()):  # "Epoch 0 complete", ...
        net.SGD(training_data, epochs, 10, 3.0)
    return clock.lap() / epochs


def time_book_loop(training_data: list, fraction: float) -> np.ndarray:
    """(wall, CPU) seconds for one epoch of the book's per-example SGD (a fraction, scaled)."""
    np.random.seed(0)
    biases = [np.random.randn(y, 1) for y in (30, 10)]
    weights = [np.random.randn(y, x) for x, y in ((784, 30), (30, 10))]
    book = SeedNetwork(weights, biases)
    n = len(training_data)
    clock = Clock()
    random.shuffle(training_data)
    mini_batches = [training_data[k : k + 10] for k in range(0, n, 10)]
    shuffled = clock.lap()
    k = max(1, int(len(mini_batches) * fraction))
    for mini_batch in mini_batches[:k]:
        book.update_mini_batch(mini_batch, 3.0)
    return shuffled + clock.lap() * len(mini_batches) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="pairs of runs timed")
    parser.add_argument(
        "--epochs", type=int, default=10,
        help="epochs per nndl.book SGD call (the book's session: 30; default 10)",
    )
    parser.add_argument(
        "--book-fraction", type=float, default=0.2,
        help="fraction of the book's epoch that runs (scaled up; default 0.2)",
    )
    args = parser.parse_args()
    training_data, _, _ = mnist_loader.load_data_wrapper()
    random.seed(0)
    ours, books = [], []
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"[784, 30, 10], mini-batch 10, eta 3.0, {len(training_data)} training pairs, "
          f"OPENBLAS_NUM_THREADS={threads}, nndl.book: {args.epochs}-epoch SGD calls")
    for i in range(args.repeats):
        books.append(time_book_loop(training_data, args.book_fraction))
        ours.append(time_nndl_book(training_data, args.epochs))
        (bw, bc), (ow, oc) = books[-1], ours[-1]
        print(f"  pair {i}: book's loop {bw:7.3f} s ({bc:7.3f} s CPU), nndl.book {ow:6.3f} s "
              f"({oc:6.3f} s CPU): {bw / ow:5.1f}x ({bc / oc:5.1f}x CPU)")
    (bw, bc), (ow, oc) = np.median(books, axis=0), np.median(ours, axis=0)
    print(f"  median: book's loop {bw:.3f} s/epoch ({bc:.3f} s CPU), nndl.book.network "
          f"{ow:.3f} s/epoch ({oc:.3f} s CPU): {bw / ow:.1f}x faster ({bc / oc:.1f}x in CPU time)")


if __name__ == "__main__":
    main()
