"""``nndl gradcheck``: backpropagation against central differences on a small network."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from nndl.cli import _common
from nndl.nn.activations import ELEMENTWISE
from nndl.nn.costs import COSTS

#: Largest network checked: each parameter costs two forward passes.
MAX_PARAMETERS = 20_000
#: The fully connected network checked when neither --sizes nor --layers is given.
DEFAULT_SIZES = [5, 4, 3]
#: Shape of one input of a --layers network unless --input-shape says otherwise.
DEFAULT_INPUT_SHAPE = (1, 8, 8)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "gradcheck",
        help="check backpropagation against finite differences on a small network",
        description=(
            "Build a small float64 network, compute the gradient of the cost by "
            "backpropagation and by central differences (C(w+ε) − C(w−ε)) / 2ε for every "
            "weight and bias, and print the relative error per parameter array with a "
            "PASS/FAIL verdict (dropout off). The network is fully connected (--sizes) or "
            "any stack of layers (--layers, e.g. conv:2x3x3,pool:2,softmax:3). "
            "Exit code 0 on PASS, 1 on FAIL."
        ),
    )
    p.add_argument("--sizes", type=_common.sizes, default=None,
                   help="layer sizes of a fully connected network, input first "
                   f"(default {','.join(map(str, DEFAULT_SIZES))})")
    p.add_argument("--layers", metavar="SPEC", default=None,
                   help="check this stack of layers instead, e.g. "
                   "conv:2x3x3:tanh,pool:2,dense:5,softmax:3 (as 'nndl train --layers')")
    p.add_argument("--input-shape", type=_input_shape, default=None, metavar="C,H,W",
                   help="shape of one input of the --layers network: C,H,W for images or "
                   f"N for vectors (default {','.join(map(str, DEFAULT_INPUT_SHAPE))})")
    p.add_argument("--cost", default=None, choices=list(COSTS),
                   help="cost function (default quadratic, or log_likelihood for --layers "
                   "ending in softmax; with --sizes, log_likelihood uses a softmax output)")
    p.add_argument("--activation", default=None, choices=ELEMENTWISE,
                   help="activation of the hidden layers of --sizes (default sigmoid)")
    p.add_argument("--batch", type=_common.positive_int, default=7,
                   help="examples in the random batch (default 7)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def _input_shape(text: str) -> tuple[int, ...]:
    """argparse type: ``C,H,W`` or ``N``, positive integers."""
    try:
        shape = tuple(int(part) for part in text.split(","))
    except ValueError:
        shape = ()
    if len(shape) not in (1, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"expected C,H,W (e.g. 1,8,8) or N, positive integers, got {text!r}")
    return shape


def build(args: argparse.Namespace) -> tuple[Any, str]:
    """The float64 network the options describe, and how to name it in messages."""
    from nndl import Network
    from nndl.model.sequential import Sequential

    if args.layers is None:
        if args.input_shape is not None:
            raise ValueError("--input-shape is for --layers networks; --sizes gives the "
                             "input size as its first number")
        sizes = args.sizes or DEFAULT_SIZES
        # The output layer follows the cost (see Network): softmax for the
        # log-likelihood, sigmoid for cross-entropy, else the hidden activation.
        dense = Network(sizes, cost=args.cost or "quadratic",
                        activation=args.activation or "sigmoid", seed=args.seed, dtype="float64")
        return dense, f"--sizes {','.join(map(str, sizes))}"
    _common.refuse_beside_layers(
        "--layers", [name for name in ("sizes", "activation") if getattr(args, name)])
    from nndl.nn.layers import ActivatedLayer, parse_layers

    layers = parse_layers(args.layers)
    softmax = isinstance(layers[-1], ActivatedLayer) and layers[-1].activation.name == "softmax"
    cost = args.cost or ("log_likelihood" if softmax else "quadratic")
    net = Sequential(layers, input_shape=args.input_shape or DEFAULT_INPUT_SHAPE, cost=cost,
                     seed=args.seed, dtype="float64")
    return net, f"--layers {args.layers}"


def check(args: argparse.Namespace, gradients: Any = None) -> tuple[Any, Any]:
    """Build the network and batch the options describe and return ``(net, report)``."""
    from nndl.inspect.gradcheck import gradcheck

    net, what = build(args)
    if net.n_params > MAX_PARAMETERS:
        raise ValueError(
            f"{what} has {net.n_params:,} parameters; gradcheck is limited to "
            f"{MAX_PARAMETERS:,} because each parameter costs two forward passes: use a "
            "smaller network"
        )
    rng = np.random.default_rng(args.seed)
    x = rng.random((args.batch, net.n_inputs))
    y = rng.integers(0, net.n_outputs, size=args.batch)
    if net.n_outputs == 1:  # a single output: random 0/1 targets
        y = rng.integers(0, 2, size=(args.batch, 1)).astype(np.float64)
    return net, gradcheck(net, x, y, gradients=gradients)


def run(args: argparse.Namespace) -> int:
    net, report = check(args)
    print(f"Gradient check of {net} on a random batch of {args.batch} "
          f"({net.n_params:,} parameters, seed {args.seed})")
    print(report.numbering)
    print(report)
    return 0 if report.passed else 1
