"""Seconds per epoch of the seed's configuration: nndl vs the seed's per-example loop.

Trains ``[784, 30, 10]`` with mini-batch 10 and η = 3.0 on MNIST-shaped
random inputs (50,000 rows by default) and times whole epochs of

* nndl's vectorised :meth:`nndl.Network.SGD` (float64 and float32), and
* :class:`nndl.book.reference.BookNetwork`, a faithful NumPy transcription of the
  seed's ``update_mini_batch`` / ``backprop``, which loops over the examples
  of each mini-batch with column vectors,

in the same run, then prints the medians and the ratio.  The seed's loop is
slow, so by default it is timed on a fraction of an epoch and scaled up.

Usage::

    python benchmarks/bench_core.py            # 50,000 inputs, 3 repeats
    python benchmarks/bench_core.py --n 10000 --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from nndl import Network
from nndl.book.reference import BookNetwork, columns


def time_nndl(x, y, dtype, repeats):
    """Median seconds per epoch, as recorded by SGD's history.

    Inputs are validated once per call of SGD (not per epoch), so the
    epochs of one call are timed, as in a real training run.
    """
    net = Network([784, 30, 10], seed=0, dtype=dtype)
    history = net.SGD((x, y), repeats, 10, 3.0, verbose=False)
    return statistics.median(history["seconds"])


def time_seed(x, y, fraction, repeats):
    net = Network([784, 30, 10], seed=0)
    book = BookNetwork(net.weights, net.biases)
    n = max(10, int(len(x) * fraction)) // 10 * 10
    cols = columns(x[:n], np.eye(10)[y[:n]])
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for k in range(0, n, 10):
            book.update_mini_batch(cols[k : k + 10], 3.0)
        times.append((time.perf_counter() - start) * len(x) / n)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="training inputs (default 50000)")
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per variant")
    parser.add_argument(
        "--seed-fraction", type=float, default=0.2,
        help="fraction of an epoch the slow per-example loop runs (scaled up; default 0.2)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.random((args.n, 784))
    y = rng.integers(0, 10, args.n)

    seed_s = time_seed(x, y, args.seed_fraction, args.repeats)
    f64_s = time_nndl(x, y, "float64", args.repeats)
    f32_s = time_nndl(x.astype(np.float32), y, "float32", args.repeats)
    print(f"[784, 30, 10], mini-batch 10, eta 3.0, {args.n} inputs, median of {args.repeats}")
    print(f"  seed per-example loop (float64): {seed_s:8.3f} s/epoch")
    for name, secs in (("float64", f64_s), ("float32", f32_s)):
        ratio = seed_s / secs
        print(f"  nndl vectorised ({name}):       {secs:8.3f} s/epoch   {ratio:5.1f}x faster")


if __name__ == "__main__":
    main()
