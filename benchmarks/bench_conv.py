"""Time the convolutional layers of the book's network (chapter 6), forward and backward.

Layers: ``conv:20x5x5`` on (m, 1, 28, 28) and ``conv:40x5x5`` on (m, 20, 12, 12),
m = 64, float32.  Prints the median time of each pass and the effective
GFLOP/s, counting 2·m·F·C·kh·kw·Ho·Wo flops for the forward pass and twice
that for the backward pass (∂C/∂w and ∂C/∂x).  When PyTorch is importable,
``torch.nn.functional.conv2d`` is timed on the same arrays for comparison
(its backward computes the same three gradients: weights, bias, input).

Run: ``python benchmarks/bench_conv.py [--batch 64] [--repeat 15] [--threads N]``
(with ``PYTHONPATH=src`` or nndl installed).  On a shared or busy machine,
multi-threaded BLAS can be many times *slower* than one thread; for a
single-core comparison run ``OPENBLAS_NUM_THREADS=1 ... --threads 1``.

The backward pass is timed with ∂C/∂x included for both layers (inside a
network the first layer skips it).  Inputs are plain C-ordered
``(m, C, H, W)`` arrays for both libraries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from nndl.layers import Conv2D
from nndl.layers.base import format_shape

CASES = [("conv:20x5x5", 20, (1, 28, 28)), ("conv:40x5x5", 40, (20, 12, 12))]


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up (allocations, BLAS threads)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def nndl_times(filters: int, shape: tuple[int, ...], x: np.ndarray, repeat: int):
    conv = Conv2D(filters, 5, "relu")
    conv.build(shape, np.random.default_rng(0), np.float32)
    y = conv.forward(x, train=True)
    grad = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    forward = median_seconds(lambda: conv._linear(x, train=True), repeat)
    backward = median_seconds(lambda: conv.backward_delta(grad), repeat)
    return forward, backward, conv


def torch_times(conv: Conv2D, x: np.ndarray, repeat: int):
    try:
        import torch
    except ImportError:
        return None
    tx = torch.from_numpy(x).requires_grad_(True)
    tw = torch.from_numpy(conv.params["w"].copy()).requires_grad_(True)
    tb = torch.from_numpy(conv.params["b"].copy()).requires_grad_(True)
    with torch.no_grad():
        z = torch.nn.functional.conv2d(tx, tw, tb)
    grad = torch.randn_like(z)

    def forward():
        with torch.no_grad():
            return torch.nn.functional.conv2d(tx, tw, tb)

    def backward():
        # autograd's backward of conv2d alone: ∂/∂x, ∂/∂w, ∂/∂b of ⟨z, grad⟩
        return torch.autograd.grad(out, (tx, tw, tb), grad, retain_graph=True)

    out = torch.nn.functional.conv2d(tx, tw, tb)
    return median_seconds(forward, repeat), median_seconds(backward, repeat), torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    args = parser.parse_args()
    m = args.batch
    blas = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"NumPy {np.__version__} (OPENBLAS_NUM_THREADS={blas}), batch m = {m}, float32, "
        f"median of {args.repeat} runs"
    )
    header = f"{'layer':<13}{'input':<15}{'pass':<9}{'nndl s':>10}{'GFLOP/s':>9}"
    torch_note = ""
    for name, filters, shape in CASES:
        x = np.random.default_rng(2).standard_normal((m, *shape)).astype(np.float32)
        fwd, bwd, conv = nndl_times(filters, shape, x, args.repeat)
        _, ho, wo = conv.output_shape
        flops = 2 * m * filters * shape[0] * 25 * ho * wo
        theirs = torch_times(conv, x, args.repeat)
        if theirs is not None and args.threads:
            theirs[2].set_num_threads(args.threads)
            theirs = torch_times(conv, x, args.repeat)
        if header:
            extra = f"{'torch s':>10}{'GFLOP/s':>9}{'nndl/torch':>11}" if theirs else ""
            print(header + extra)
            header = ""
            if theirs:
                torch_note = (
                    f"torch {theirs[2].__version__}, {theirs[2].get_num_threads()} threads"
                )
        passes = (("forward", fwd, flops, 0), ("backward", bwd, 2 * flops, 1))
        for label, ours, count, k in passes:
            line = f"{name:<13}{format_shape((m, *shape)):<15}{label:<9}{ours:>10.5f}"
            line += f"{count / ours / 1e9:>9.1f}"
            if theirs:
                t = theirs[k]
                line += f"{t:>10.5f}{count / t / 1e9:>9.1f}{ours / t:>11.2f}"
            print(line)
    print(torch_note or "torch not importable: comparison skipped")


if __name__ == "__main__":
    main()
