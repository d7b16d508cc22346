"""Training speed of nndl against PyTorch, interleaved in one run, with the ratios.

Three networks, float32, the same 10,000 real MNIST images for both libraries
(the bundled 1,000-image sample repeated ten times), one whole training step
per mini-batch — forward, backward, update — timed over a pass of the 10,000:

* ``conv``: the ``conv`` preset's network (conv 20×5×5, pool, conv 40×5×5,
  pool, dense 200 ReLU, dropout 0.5, softmax 10; Adam, L2 λ = 0.1 over
  n = 250,000, mini-batch 128);
* ``best``: the ``best`` preset's MLP (784-800-10 ReLU, dropout 0.5, softmax;
  momentum 0.9, L2 λ = 5.0 over n = 250,000, mini-batch 128);
* ``seed``: the seed's network (784-30-10 sigmoid, quadratic cost, plain SGD,
  η = 3.0, mini-batch 10).

The passes alternate between the libraries (nndl, PyTorch, PyTorch, nndl, …)
so that both see the same load; each figure is the median over ``--repeats``
passes and the ratio is the median of the per-repeat ratios.  Then the two
convolution layers of ``conv`` are timed alone at mini-batch 128 (forward; and
backward: ∂C/∂w, ∂C/∂b and ∂C/∂x), with the effective GFLOP/s counting
2·m·F·C·kh·kw·Ho·Wo flops forward and twice that backward.

Thread settings are explicit and printed: NumPy's BLAS through threadpoolctl
and ``torch.set_num_threads``, both to each value of ``--threads``.  The data
are not expanded (``--expand`` costs the same shifts in both libraries).

Run: ``PYTHONPATH=src python benchmarks/bench_speed.py [--threads 1,2] [--repeats 3]``
(needs ``threadpoolctl``; PyTorch is optional: without it only nndl's column
is printed).  This is a benchmark, not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

try:  # needed: the thread settings must be explicit
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # pragma: no cover - depends on the machine
    raise SystemExit(
        "bench_speed.py sets NumPy's BLAS threads with threadpoolctl: "
        "python3 -m pip install threadpoolctl"
    ) from None
from nndl.data import load_sample
from nndl.model.network import Network
from nndl.model.sequential import Sequential
from nndl.nn.layers import Conv2D
from nndl.train.optimizers import Adam, Momentum, get_optimizer
from nndl.train.presets import BEST_LAYERS
from nndl.train.regularizers import L2

try:  # optional: the comparison
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

#: Images per timed pass (the unit of the table).
N_IMAGES = 10_000
#: n of the regulariser for the expanded presets (5 × 50,000).
N_EXPANDED = 250_000
Pass = Callable[[], None]


@dataclass
class Case:
    """One row of the table: how to build the same training step in both libraries."""

    name: str
    description: str
    mini_batch: int
    nndl_step: Callable[[], Callable[[np.ndarray, np.ndarray, float], None]]
    torch_step: Callable[[], Callable[[Any, Any], None]]
    eta: float


# -- nndl ------------------------------------------------------------------------------
def nndl_conv():
    net = Sequential(BEST_LAYERS, seed=0, dtype="float32")
    return net.make_step(Adam(), L2(0.1), N_EXPANDED)


def nndl_best():
    net = Network([784, 800, 10], cost="log_likelihood", activation="relu", init="he",
                  dropout=0.5, seed=0, dtype="float32")
    return net.make_step(Momentum(0.9), L2(5.0), N_EXPANDED)


def nndl_seed():
    net = Network([784, 30, 10], seed=0, dtype="float32")
    return net.make_step(get_optimizer("sgd"), None, 50_000)


def nndl_pass(step, x: np.ndarray, y: np.ndarray, size: int, eta: float) -> Pass:
    def run() -> None:
        for k in range(0, len(x), size):
            step(x[k : k + size], y[k : k + size], eta)

    return run


# -- PyTorch: the same networks, costs, optimisers and weight decay -----------------------
def _torch_trainer(model, optimizer, loss) -> Callable[[Any, Any], None]:
    def step(x, y) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss(model(x), y).backward()
        optimizer.step()

    return step


def _decayed(model, lmbda: float, n: int) -> list[dict[str, Any]]:
    """Parameter groups: L2 on the weights only (λ/n·w added to the gradient), as nndl."""
    weights = [p for p in model.parameters() if p.dim() > 1]
    biases = [p for p in model.parameters() if p.dim() == 1]
    return [{"params": weights, "weight_decay": lmbda / n}, {"params": biases}]


def torch_conv():
    model = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(20, 40, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(640, 200), nn.ReLU(), nn.Dropout(0.5), nn.Linear(200, 10),
    )
    opt = torch.optim.Adam(_decayed(model, 0.1, N_EXPANDED), lr=0.001)
    return _torch_trainer(model, opt, nn.functional.cross_entropy)


def torch_best():
    model = nn.Sequential(nn.Linear(784, 800), nn.ReLU(), nn.Dropout(0.5), nn.Linear(800, 10))
    opt = torch.optim.SGD(_decayed(model, 5.0, N_EXPANDED), lr=0.1, momentum=0.9)
    return _torch_trainer(model, opt, nn.functional.cross_entropy)


def torch_seed():
    model = nn.Sequential(nn.Linear(784, 30), nn.Sigmoid(), nn.Linear(30, 10), nn.Sigmoid())
    opt = torch.optim.SGD(model.parameters(), lr=3.0)

    def quadratic(a, labels):  # C = (1/2m) Σ ‖a − y‖², the seed's cost
        y = nn.functional.one_hot(labels, 10).to(a.dtype)
        return 0.5 * ((a - y) ** 2).sum() / len(a)

    return _torch_trainer(model, opt, quadratic)


def torch_pass(step, x: np.ndarray, labels: np.ndarray, size: int) -> Pass:
    tx, ty = torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))

    def run() -> None:
        for k in range(0, len(x), size):
            step(tx[k : k + size], ty[k : k + size])

    return run


CASES = [
    Case("conv", "conv preset (2 conv, pool, dense 200, dropout; Adam, mb 128)", 128,
         nndl_conv, torch_conv, 0.001),
    Case("best", "best preset MLP (784-800-10 ReLU, dropout; momentum, mb 128)", 128,
         nndl_best, torch_best, 0.1),
    Case("seed", "seed's net (784-30-10 sigmoid, quadratic; SGD, mb 10)", 10,
         nndl_seed, torch_seed, 3.0),
]


# -- timing -------------------------------------------------------------------------------
#: The clock: wall time (the default), or this process's CPU time (``--clock cpu``),
#: steadier on a busy machine but meaningful only with one thread.
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
clock = CLOCK["wall"]


def seconds(run: Pass) -> float:
    start = clock()
    run()
    return clock() - start


def interleaved(passes: dict[str, Pass], repeats: int) -> dict[str, list[float]]:
    """Time each pass ``repeats`` times, alternating the order each round (one warm-up each)."""
    for run in passes.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in passes}
    names = list(passes)
    for r in range(repeats):
        for name in names if r % 2 == 0 else reversed(names):
            times[name].append(seconds(passes[name]))
    return times


def ratio(ours: list[float], theirs: list[float]) -> float:
    """Median over the repeats of nndl / PyTorch, each pair timed side by side."""
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def training_table(x, y_onehot, labels, repeats: int) -> None:
    print(f"\nseconds per {N_IMAGES:,} training images (median of {repeats}, interleaved)")
    print(f"{'network':<8}{'PyTorch s':>11}{'nndl s':>9}{'nndl/PyTorch':>14}   description")
    for case in CASES:
        passes = {"nndl": nndl_pass(case.nndl_step(), x, y_onehot, case.mini_batch, case.eta)}
        if torch is not None:
            passes["torch"] = torch_pass(case.torch_step(), x, labels, case.mini_batch)
        t = interleaved(passes, repeats)
        ours = statistics.median(t["nndl"]) * N_IMAGES / len(x)
        if torch is None:
            print(f"{case.name:<8}{'-':>11}{ours:>9.3f}{'-':>14}   {case.description}")
            continue
        theirs = statistics.median(t["torch"]) * N_IMAGES / len(x)
        r = ratio(t["nndl"], t["torch"])
        print(f"{case.name:<8}{theirs:>11.3f}{ours:>9.3f}{r:>14.2f}   {case.description}")


# -- the two convolution layers alone -----------------------------------------------------
#: (name, filters, input shape, whether the network needs ∂C/∂x of the layer)
CONV_LAYERS = [("conv:20x5x5", 20, (1, 28, 28), False), ("conv:40x5x5", 40, (20, 12, 12), True)]


def conv_passes(filters: int, shape: tuple[int, ...], x: np.ndarray, input_grad: bool) -> dict:
    """Forward (z = w ⋆ x + b) and backward of one layer, nndl and PyTorch, on the same
    arrays; the backward computes what the network needs: ∂C/∂w, ∂C/∂b, and ∂C/∂x
    except for the first layer, whose input is the data."""
    conv = Conv2D(filters, 5, "relu")
    conv.setup(shape, np.random.default_rng(0), np.float32)
    conv.needs_input_grad = input_grad
    z = conv.linear(x, train=True)
    grad = np.random.default_rng(1).standard_normal(z.shape).astype(np.float32)
    delta = np.empty_like(z)  # δ in z's memory layout, as the network hands it over
    delta[...] = grad
    passes = {
        "nndl forward": lambda: conv.linear(x, train=True),
        "nndl backward": lambda: conv.backward_delta(delta),
    }
    if torch is not None:
        tx = torch.from_numpy(x).requires_grad_(input_grad)
        tw = torch.from_numpy(conv.params["w"].copy()).requires_grad_(True)
        tb = torch.from_numpy(conv.params["b"].copy()).requires_grad_(True)
        tz = torch.nn.functional.conv2d(tx, tw, tb)
        tgrad = torch.from_numpy(grad)
        wrt = (tx, tw, tb) if input_grad else (tw, tb)

        def forward():
            with torch.no_grad():
                torch.nn.functional.conv2d(tx, tw, tb)

        passes["torch forward"] = forward
        passes["torch backward"] = lambda: torch.autograd.grad(tz, wrt, tgrad, retain_graph=True)
    return passes


def conv_table(m: int, repeats: int) -> None:
    print(f"\nconvolution layers alone, mini-batch {m}: median ms and GFLOP/s "
          f"(median of {repeats}, interleaved); backward as in the network "
          "(∂w, ∂b; and ∂x but for the first layer)")
    head = f"{'layer':<13}{'pass':<10}{'nndl ms':>9}{'GFLOP/s':>9}"
    if torch is not None:
        head += f"{'PyTorch ms':>12}{'GFLOP/s':>9}{'nndl/PyTorch':>14}"
    print(head)
    for name, filters, shape, input_grad in CONV_LAYERS:
        x = np.random.default_rng(2).standard_normal((m, *shape)).astype(np.float32)
        t = interleaved(conv_passes(filters, shape, x, input_grad), repeats)
        ho, wo = shape[1] - 4, shape[2] - 4
        flops = 2 * m * filters * shape[0] * 25 * ho * wo  # one product of w and x
        for label, count in (("forward", flops), ("backward", (1 + input_grad) * flops)):
            ours = statistics.median(t[f"nndl {label}"])
            line = f"{name:<13}{label:<10}{ours * 1e3:>9.2f}{count / ours / 1e9:>9.1f}"
            if torch is not None:
                theirs = statistics.median(t[f"torch {label}"])
                r = ratio(t[f"nndl {label}"], t[f"torch {label}"])
                line += f"{theirs * 1e3:>12.2f}{count / theirs / 1e9:>9.1f}{r:>14.2f}"
            print(line)


def thread_note(threads: int) -> str:
    blas = [f"{i['internal_api']} {i.get('version')} {i['num_threads']} thread(s)"
            for i in threadpool_info() if i["user_api"] == "blas"]
    note = f"threads = {threads}: NumPy BLAS ({'; '.join(blas) or 'none found'}) via threadpoolctl"
    if torch is not None:
        note += f"; torch.set_num_threads({threads}) -> {torch.get_num_threads()}"
    return note


def positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return int(text)


def thread_counts(text: str) -> list[int]:
    return [positive(part) for part in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=thread_counts, default=[1, 2],
                        help="comma-separated thread counts, each a table (default 1,2)")
    parser.add_argument("--repeats", type=positive, default=3, help="timed passes per figure")
    parser.add_argument("--conv-repeats", type=positive, default=15,
                        help="timings per conv layer")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: train,conv")
    parser.add_argument("--clock", choices=sorted(CLOCK), default="wall",
                        help="wall time, or CPU time of this process (only with --threads 1)")
    args = parser.parse_args()
    global clock
    clock = CLOCK[args.clock]
    skip = set(filter(None, args.skip.split(",")))
    if skip - {"train", "conv"}:
        parser.error(f"--skip takes train and/or conv, got {args.skip!r}")
    if args.clock == "cpu" and max(args.threads) > 1:
        parser.error("--clock cpu adds up the CPU time of all threads: use it with --threads 1")
    sample = load_sample(dtype="float32")
    x, labels = sample.training
    reps = -(-N_IMAGES // len(x))
    x, labels = np.tile(x, (reps, 1))[:N_IMAGES], np.tile(labels, reps)[:N_IMAGES]
    y_onehot = np.eye(10, dtype=np.float32)[labels]
    versions = f"nndl on NumPy {np.__version__}, Python {platform.python_version()}"
    versions += f", PyTorch {torch.__version__}" if torch else ", PyTorch not installed"
    print(f"{versions}; float32; {platform.machine()}, {len(os.sched_getaffinity(0))} CPUs; "
          f"{args.clock} clock")
    for threads in args.threads:
        with threadpool_limits(threads):
            if torch is not None:
                torch.set_num_threads(threads)
            print(f"\n== {thread_note(threads)}")
            if "train" not in skip:
                training_table(x, y_onehot, labels, args.repeats)
            if "conv" not in skip:
                conv_table(128, args.conv_repeats)


if __name__ == "__main__":
    main()
