"""``nndl gradcheck``: backpropagation against central differences on a small network."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np

from nndl.cli import _common

#: Largest network checked: each parameter costs two forward passes.
MAX_PARAMETERS = 20_000


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "gradcheck",
        help="check backpropagation against finite differences on a small network",
        description=(
            "Build a small float64 network, compute the gradient of the cost by "
            "backpropagation and by central differences (C(w+ε) − C(w−ε)) / 2ε for every "
            "weight and bias, and print the relative error per layer with a PASS/FAIL "
            "verdict. Exit code 0 on PASS, 1 on FAIL."
        ),
    )
    p.add_argument("--sizes", type=_common.sizes, default=[5, 4, 3],
                   help="layer sizes, input first (default 5,4,3)")
    p.add_argument("--cost", default="quadratic",
                   choices=["quadratic", "cross_entropy", "log_likelihood"],
                   help="cost function (default quadratic; log_likelihood uses a softmax output)")
    p.add_argument("--activation", default="sigmoid",
                   choices=["sigmoid", "tanh", "relu", "leaky_relu"],
                   help="activation of the hidden layers (default sigmoid)")
    p.add_argument("--batch", type=_common.positive_int, default=7,
                   help="examples in the random batch (default 7)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def parameter_count(sizes: list[int]) -> int:
    """Weights plus biases of a fully connected network: Σ n_l·(n_{l−1} + 1)."""
    return sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=False))


def check(args: argparse.Namespace,
          backprop: Callable[[Any, Any], Any] | None = None) -> Any:
    """Build the network and batch the options describe and return the report."""
    from nndl import Network
    from nndl.gradcheck import gradcheck

    n_params = parameter_count(args.sizes)
    if n_params > MAX_PARAMETERS:
        raise ValueError(
            f"--sizes {','.join(map(str, args.sizes))} has {n_params:,} parameters; gradcheck "
            f"is limited to {MAX_PARAMETERS:,} because each parameter costs two forward "
            "passes: use a smaller network"
        )
    # The output activation: sigmoid except for the log-likelihood cost.
    if args.cost == "log_likelihood":
        output = "softmax"
    elif args.cost == "cross_entropy":
        output = "sigmoid"
    else:
        output = None
    net = Network(args.sizes, cost=args.cost, activation=args.activation,
                  output_activation=output, seed=args.seed, dtype="float64")
    rng = np.random.default_rng(args.seed)
    x = rng.random((args.batch, net.n_inputs))
    y = rng.integers(0, net.n_outputs, size=args.batch)
    if net.n_outputs == 1:  # a single output: random 0/1 targets
        y = rng.integers(0, 2, size=(args.batch, 1)).astype(np.float64)
    return net, gradcheck(net, x, y, backprop=backprop)


def run(args: argparse.Namespace) -> int:
    net, report = check(args)
    print(f"Gradient check of {net} on a random batch of {args.batch} "
          f"({parameter_count(args.sizes):,} parameters, seed {args.seed})")
    print("layers numbered as in the book: the input layer is 1, weights[0] is w²")
    print(report)
    return 0 if report.passed else 1
