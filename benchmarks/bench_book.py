"""Seconds per epoch of the book's chapter-1 session: ``nndl.book.network`` vs the book's loop.

The session is ``Network([784, 30, 10])`` and ``SGD(training_data, epochs, 10, 3.0)`` on
the book's list of 50,000 ``(x, y)`` column-vector pairs (``mnist_loader.load_data_wrapper()``:
nndl's MNIST cache, fetched if needed).  Timed in the same run, alternately:

* ``nndl.book.network.Network.SGD``: one call of ``--epochs`` epochs (default 10), each
  epoch timed from the line it prints.  Its first epoch also pays for stacking the list
  into arrays, once per call; every epoch pays for the book's ``random.shuffle`` of the
  list and all its mini-batches;
* the book's epoch, transcribed: ``random.shuffle(training_data)``, the list of
  mini-batches, and ``update_mini_batch`` looping over the examples of each mini-batch
  (:class:`nndl.book.reference.BookNetwork`).  It is slow, so it runs ``--book-fraction`` of the
  mini-batches, timed in chunks of 25, and is scaled up to an epoch.

Both start from the same weights.  On a machine shared with other jobs the times
wander, so both the medians (typical) and the minimums (the least disturbed) are
printed, in wall-clock and CPU seconds (run with ``OPENBLAS_NUM_THREADS=1`` so that CPU
time counts one thread).

With ``--floor`` it also times an epoch of a bare vectorised step written with the
fewest NumPy calls and no nndl code (:func:`time_floor`): the most any library can
gain over the book's loop with NumPy on this machine's BLAS.

Usage::

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_book.py [--floor]
    python benchmarks/bench_book.py --repeats 5 --epochs 30 --book-fraction 0.1
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
from nndl.book.reference import BookNetwork

#: Mini-batches per timed chunk of the book's loop.
CHUNK = 25


def now() -> np.ndarray:
    """(wall, CPU) seconds."""
    return np.array([time.perf_counter(), time.process_time()])


class EpochStamps(io.TextIOBase):
    """A stdout that notes the time each printed line ends: one per epoch of ``SGD``."""

    def __init__(self) -> None:
        self.stamps = [now()]

    def write(self, text: str) -> int:
        self.stamps.extend(now() for _ in range(text.count("\n")))
        return len(text)


def time_nndl_book(training_data: list, epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """Return ``((wall, CPU) of each epoch, (wall, CPU) per epoch of the whole call)``."""
    np.random.seed(0)
    net = network.Network([784, 30, 10])
    out = EpochStamps()
    with contextlib.redirect_stdout(out):  # "Epoch 0 complete", ...
        net.SGD(training_data, epochs, 10, 3.0)
    stamps = np.array(out.stamps)
    return np.diff(stamps, axis=0), (stamps[-1] - stamps[0]) / epochs


def time_book_loop(training_data: list, fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Return ``((wall, CPU) of the shuffle, (wall, CPU) of each chunk of mini-batches)``."""
    np.random.seed(0)
    biases = [np.random.randn(y, 1) for y in (30, 10)]
    weights = [np.random.randn(y, x) for x, y in ((784, 30), (30, 10))]
    book = BookNetwork(weights, biases)
    n = len(training_data)
    start = now()
    random.shuffle(training_data)
    mini_batches = [training_data[k : k + 10] for k in range(0, n, 10)]
    shuffle = now() - start
    chunks = []
    for c in range(0, max(CHUNK, int(len(mini_batches) * fraction)), CHUNK):
        start = now()
        for mini_batch in mini_batches[c : c + CHUNK]:
            book.update_mini_batch(mini_batch, 3.0)
        chunks.append(now() - start)
    return shuffle, np.array(chunks)


def time_floor(training_data: list) -> np.ndarray:
    """(wall, CPU) of one epoch of a bare vectorised step: no nndl code, no shuffle, no gather.

    The same [784, 30, 10] arithmetic as a step of nndl's engine, written as the
    fewest NumPy calls (two products forward, two back, σ as ½(1 + tanh(z/2))),
    on mini-batches that are contiguous slices of arrays stacked once: what a
    mini-batch step costs on this machine's BLAS with nothing around it.
    """
    x = np.stack([np.asarray(p[0], np.float64).ravel() for p in training_data])
    y = np.stack([np.asarray(p[1], np.float64).ravel() for p in training_data])
    np.random.seed(0)
    b1, b2 = (np.random.randn(n) for n in (30, 10))
    w1, w2 = np.random.randn(30, 784), np.random.randn(10, 30)
    c = 3.0 / 10

    def sigmoid(z: np.ndarray) -> np.ndarray:
        z *= 0.5
        np.tanh(z, out=z)
        z += 1.0
        z *= 0.5
        return z

    start = now()
    for k in range(0, len(x), 10):
        xb, yb = x[k : k + 10], y[k : k + 10]
        a1 = xb @ w1.T
        a1 += b1
        a1 = sigmoid(a1)
        a2 = a1 @ w2.T
        a2 += b2
        a2 = sigmoid(a2)
        d2 = (a2 - yb) * a2 * (1.0 - a2) * c  # δ², times η/m
        d1 = (d2 @ w2) * a1 * (1.0 - a1)  # δ¹, times η/m
        w2 -= d2.T @ a1
        b2 -= d2.sum(axis=0)
        w1 -= d1.T @ xb
        b1 -= d1.sum(axis=0)
    return now() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="pairs of runs (default 3)")
    parser.add_argument(
        "--epochs", type=int, default=10,
        help="epochs per nndl.book SGD call (the book's session: 30; default 10)",
    )
    parser.add_argument(
        "--book-fraction", type=float, default=0.2,
        help="fraction of the book's epoch that runs (scaled up; default 0.2)",
    )
    parser.add_argument(
        "--floor", action="store_true",
        help="also time a bare NumPy step (no nndl code) on the same data, in the same run",
    )
    args = parser.parse_args()
    training_data, _, _ = mnist_loader.load_data_wrapper()
    random.seed(0)
    chunks_per_epoch = len(training_data) / 10 / CHUNK
    epochs, calls, shuffles, chunks, floors = [], [], [], [], []
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"[784, 30, 10], mini-batch 10, eta 3.0, {len(training_data)} training pairs, "
          f"OPENBLAS_NUM_THREADS={threads}, nndl.book: {args.epochs}-epoch SGD calls")
    for i in range(args.repeats):
        shuffle, book_chunks = time_book_loop(training_data, args.book_fraction)
        ours, per_call = time_nndl_book(training_data, args.epochs)
        if args.floor:
            floors.append(time_floor(training_data))
        shuffles.append(shuffle)
        chunks.extend(book_chunks)
        epochs.extend(ours[1:])  # epochs after the first: without the stacking
        calls.append(per_call)
        book = shuffle + np.median(book_chunks, axis=0) * chunks_per_epoch
        print(f"  pair {i}: book's loop {book[0]:7.3f} s/epoch ({book[1]:7.3f} s CPU), "
              f"nndl.book {per_call[0]:6.3f} s/epoch of the call ({per_call[1]:6.3f} s CPU)")
    shuffle = np.median(shuffles, axis=0)
    for name, pick in (("median", np.median), ("minimum", np.min)):
        book = shuffle + pick(chunks, axis=0) * chunks_per_epoch
        ours = pick(epochs, axis=0)
        print(f"  {name:7}: book's loop {book[0]:.3f} s/epoch ({book[1]:.3f} s CPU), "
              f"nndl.book.network {ours[0]:.3f} s/epoch ({ours[1]:.3f} s CPU): "
              f"{book[0] / ours[0]:.1f}x faster ({book[1] / ours[1]:.1f}x in CPU time)")
    if floors:
        floor = np.median(floors, axis=0)
        book = shuffle + np.median(chunks, axis=0) * chunks_per_epoch
        print(f"  floor  : a bare NumPy step (no nndl code, no shuffle) {floor[0]:.3f} s/epoch "
              f"({floor[1]:.3f} s CPU): {book[0] / floor[0]:.1f}x the book's loop (median)")
    whole = np.median(calls, axis=0)
    print(f"  whole calls, stacking included (median): nndl.book.network {whole[0]:.3f} "
          f"s/epoch ({whole[1]:.3f} s CPU)")


if __name__ == "__main__":
    main()
