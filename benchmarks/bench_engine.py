"""This checkout's engine against another nndl checkout, interleaved in one run.

Times epochs of the seed's configuration (``[784, 30, 10]``, mini-batch 10,
η = 3.0, MNIST-shaped random inputs) in float64 and float32 for two source
trees — this one and ``--against DIR`` (e.g. a ``git worktree`` of an earlier
commit) — each in its own Python process, alternating A, B, A, B, … so that
both see the same machine load.  Prints the median seconds per epoch and the
ratio.  At this size a step is bound by per-call overhead, so this is the
benchmark that shows whether layer objects cost time.

On a shared machine wall-clock times swing by ±50%; ``--instructions``
counts the CPU instructions of one training step instead (valgrind's
callgrind: the same count every run, whatever else the machine does), as the
difference between runs of 200 and 1,200 steps divided by 1,000.

Usage::

    git worktree add /tmp/nndl-before <commit>
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_engine.py --against /tmp/nndl-before
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_engine.py --against /tmp/nndl-before \
        --instructions
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

#: Run in a fresh interpreter with one source tree first on the path.
CHILD = """
import json, sys
import numpy as np
from nndl import Network
n, dtype, epochs = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(0)
x = rng.random((n, 784)).astype(dtype)
y = rng.integers(0, 10, n)
net = Network([784, 30, 10], seed=0, dtype=dtype)
history = net.SGD((x, y), epochs, 10, 3.0, verbose=False)
print(json.dumps(history["seconds"]))
"""


#: Runs a number of training steps of one mini-batch (for instruction counts).
STEPS = """
import sys
import numpy as np
from nndl import Network
dtype, steps = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
x = rng.random((10, 784)).astype(dtype)
y = np.eye(10, dtype=dtype)[rng.integers(0, 10, 10)]
net = Network([784, 30, 10], seed=0, dtype=dtype)
step = getattr(net, "train_step", None) or net._train_step  # before the one engine
for _ in range(steps):
    step(x, y, 3.0)
"""


def instructions(src: Path, dtype: str, steps: int) -> int:
    """CPU instructions (callgrind) of a child process running ``steps`` steps on ``src``."""
    env = dict(os.environ, PYTHONPATH=str(src / "src"))
    err = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", STEPS, dtype, str(steps)],
        env=env, capture_output=True, text=True, check=True,
    ).stderr
    return int(re.search(r"Collected : (\d+)", err).group(1))  # type: ignore[union-attr]


def per_step_instructions(src: Path, dtype: str) -> float:
    return (instructions(src, dtype, 1200) - instructions(src, dtype, 200)) / 1000


def epoch_seconds(src: Path, n: int, dtype: str, epochs: int) -> list[float]:
    """Seconds of each epoch of one SGD call, in a child process importing ``src``."""
    env = dict(os.environ, PYTHONPATH=str(src / "src"))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), dtype, str(epochs)],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", type=Path, required=True,
                        help="another nndl checkout (its src/ is imported)")
    parser.add_argument("--n", type=int, default=50_000, help="training inputs (default 50000)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per child (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="A/B alternations (default 5)")
    parser.add_argument("--instructions", action="store_true",
                        help="count instructions per step with valgrind instead of timing")
    args = parser.parse_args()
    trees = {"this": HERE, "against": args.against.resolve()}
    if args.instructions:
        if shutil.which("valgrind") is None:
            parser.error("--instructions needs valgrind (apt-get install valgrind)")
        print("[784, 30, 10], one step of mini-batch 10: CPU instructions (callgrind)")
        for dtype in ("float64", "float32"):
            this, other = (per_step_instructions(trees[k], dtype) for k in ("this", "against"))
            print(f"  {dtype}: this {this:,.0f}, against {other:,.0f} "
                  f"(this/against = {this / other:.3f})")
        return
    print(f"[784, 30, 10], mini-batch 10, eta 3.0, {args.n} inputs; "
          f"{args.rounds} rounds x {args.epochs} epochs, alternating; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    for dtype in ("float64", "float32"):
        times: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, src in trees.items():
                times[name] += epoch_seconds(src, args.n, dtype, args.epochs)
        this, other = (statistics.median(times[k]) for k in ("this", "against"))
        print(f"  {dtype}: this {this:.3f} s/epoch, against {other:.3f} s/epoch "
              f"(this/against = {this / other:.3f}; median of {len(times['this'])} epochs)")


if __name__ == "__main__":
    main()
