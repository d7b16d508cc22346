"""``nndl explain``: one example through the network, backpropagation step by step.

A thin printer over :mod:`nndl.inspect.explain`: it picks the model and the example.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from nndl.cli import _common


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "explain",
        help="show backpropagation on one example, every symbol with its shape",
        description=(
            "Take one example through the network and print the five steps of "
            "backpropagation: (1) input a¹, (2) zˡ = wˡaˡ⁻¹ + bˡ and aˡ = σ(zˡ), "
            "(3) δᴸ = ∇ₐC ⊙ σ'(zᴸ), (4) δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ), (5) ∂C/∂wˡ and "
            "∂C/∂bˡ. Each symbol is shown with its shape in the book's column notation "
            "and in the code's batch (row) form, with its min/mean/max (and all its "
            "values when it has at most 10). A convolutional model is shown layer by "
            "layer: input and output shapes, parameters and gradients, its output a and "
            "its error δ = ∂C/∂z. Every model also shows each layer's learning speed "
            "‖∂C/∂bˡ‖ (‖δˡ‖ for a dense layer). Without MODEL a freshly initialised "
            "784,30,10 network (2,3,1 with --xor) is used."
        ),
    )
    p.add_argument("model", metavar="MODEL", nargs="?",
                   help="model file written by 'nndl train --save' (default: a fresh network)")
    p.add_argument("--index", type=_common.non_negative_int, default=0,
                   help="which MNIST test image (default 0); with --xor, which of the four "
                   "XOR inputs 0:(0,0) 1:(0,1) 2:(1,0) 3:(1,1)")
    p.add_argument("--xor", action="store_true",
                   help="explain an XOR input on a 2,3,1 network instead of an MNIST digit")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the fresh network when no MODEL is given (default 0)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text for a terminal (default) or json for tools")
    _common.add_data_options(p)
    p.set_defaults(func=run)


def _example(args: argparse.Namespace, net: Any) -> tuple[np.ndarray, Any, str]:
    """Return ``(x, y, description)`` of the example the options choose."""
    if args.xor:
        from nndl.book.xor import INPUTS, TARGETS

        if not args.index < len(INPUTS):
            raise ValueError(f"--index {args.index} is out of range: with --xor it picks one "
                             f"of the 4 XOR inputs, 0 to 3")
        if net.n_inputs != 2 or net.n_outputs != 1:
            raise ValueError(f"--xor needs a network with 2 inputs and 1 output, "
                             f"got {net.n_inputs} inputs and {net.n_outputs} outputs")
        x, y = INPUTS[args.index], TARGETS[args.index]
        return x, y, f"XOR input x = {tuple(x.tolist())}, target {y[0]:g}"
    data = _common.load_dataset(args, dtype=net.dtype)
    tx, ty = data.test
    if not args.index < len(ty):
        raise ValueError(f"--index {args.index} is out of range: the test set has "
                         f"{len(ty):,} images, 0 to {len(ty) - 1}")
    if tx.shape[1] != net.n_inputs:
        raise ValueError(f"the model reads {net.n_inputs} inputs but the test images have "
                         f"{tx.shape[1]} pixels")
    what = "the bundled sample" if data.source == "sample" else "MNIST"
    return tx[args.index], int(ty[args.index]), (
        f"test image {args.index} of {what}, true label {int(ty[args.index])}")


def _network(args: argparse.Namespace) -> tuple[Any, str]:
    from nndl import Network
    from nndl.model.io import load_model

    if args.model:
        return load_model(args.model), f"loaded from {args.model}"
    sizes = [2, 3, 1] if args.xor else [784, 30, 10]
    net = Network(sizes, seed=args.seed)
    return net, (f"freshly initialised, untrained (seed {args.seed}); "
                 "pass MODEL to explain a trained network")


def run(args: argparse.Namespace) -> int:
    from nndl.inspect.explain import explain, format_text

    net, network_line = _network(args)
    x, y, example_line = _example(args, net)
    ex = explain(net, x, y)
    if args.format == "json":
        doc = {**ex.as_dict(), "network": network_line, "example": example_line}
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(format_text(ex, network_line, example_line))
    return 0
