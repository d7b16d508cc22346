"""``nndl explain``: one example through the network, the five steps of backpropagation."""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from nndl.cli import _common

#: The four XOR inputs and their targets, in the order ``--index`` picks them.
XOR_INPUTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))
XOR_TARGETS = (0.0, 1.0, 1.0, 0.0)


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
            "values when it has at most 10). Without MODEL a freshly initialised "
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
        if not args.index < len(XOR_INPUTS):
            raise ValueError(f"--index {args.index} is out of range: with --xor it picks one "
                             f"of the 4 XOR inputs, 0 to 3")
        if net.n_inputs != 2 or net.n_outputs != 1:
            raise ValueError(f"--xor needs a network with 2 inputs and 1 output, "
                             f"got sizes {net.sizes}")
        x = np.array(XOR_INPUTS[args.index])
        y = np.array([XOR_TARGETS[args.index]])
        return x, y, f"XOR input x = {XOR_INPUTS[args.index]}, target {y[0]:g}"
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
    from nndl.io import load_model

    if args.model:
        return load_model(args.model), f"loaded from {args.model}"
    sizes = [2, 3, 1] if args.xor else [784, 30, 10]
    net = Network(sizes, seed=args.seed)
    return net, (f"freshly initialised, untrained (seed {args.seed}); "
                 "pass MODEL to explain a trained network")


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _num(v: float) -> str:
    return f"{v:.4g}"


def _values(value: np.ndarray) -> str:
    """A short array as a bracketed list: a vector flat, a matrix row by row."""
    v = np.asarray(value)
    if v.ndim == 2 and min(v.shape) > 1:
        return "[" + ", ".join(_values(row) for row in v) + "]"
    return "[" + ", ".join(_num(x) for x in np.ravel(v)) + "]"


def format_text(ex: Any, network_line: str, example_line: str) -> str:
    """The explanation as aligned text, one header per step."""
    width = max(len(q.symbol) for s in ex.steps for q in s.quantities) + 2
    out = [
        f"Network {ex.sizes} ({ex.cost_name} cost; σ = {', '.join(ex.activations)}): "
        f"{network_line}",
        f"Example: {example_line}",
        "Layers are numbered as in the book: the input layer is 1, so weights[0] is w².",
        "Shapes: 'column' is the book's notation (one example is a column vector);",
        "        'batch' is the code's (examples are rows: z = a @ w.T + b).",
    ]
    head = (f"  {'symbol':<{width}}{'column':<12}{'batch':<12}"
            f"{'min':>11}{'mean':>11}{'max':>11}   meaning")
    for step in ex.steps:
        title = f"Step {step.number} · {step.title} "
        out += ["", title + "─" * max(3, 78 - len(title)),
                f"  {step.equation}", f"  code: {step.code}"]
        if not step.quantities:
            continue
        out.append(head)
        for q in step.quantities:
            st = q.stats
            out.append(
                f"  {q.symbol:<{width}}{_shape(q.shape_column):<12}{_shape(q.shape_batch):<12}"
                f"{_num(st['min']):>11}{_num(st['mean']):>11}{_num(st['max']):>11}   {q.meaning}"
            )
            if q.short:
                out.append(f"  {'':<{width}}= {_values(q.value)}")
    out.append("")
    out.append("Result " + "─" * 71)
    last = ex.steps[1].quantities[-1]
    output = np.ravel(last.value)
    if output.size <= 10:
        out.append(f"  output {last.symbol} = [{', '.join(_num(v) for v in output)}]")
    label = "unknown" if ex.label is None else str(ex.label)
    verdict = "" if ex.label is None else ("  (right)" if ex.label == ex.predicted
                                          else "  (wrong)")
    out.append(f"  predicted {ex.predicted}, true label {label}{verdict}")
    out.append(f"  cost C = {ex.cost:.6g}")
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    from nndl.explain import explain, is_fully_connected

    net, network_line = _network(args)
    x, y, example_line = _example(args, net)
    if not is_fully_connected(net):  # a layered (convolutional) network
        from nndl.explain_layers import explain_layers, format_layers

        doc = explain_layers(net, x, y)
        if args.format == "json":
            print(json.dumps({**doc, "network": network_line, "example": example_line},
                             ensure_ascii=False))
        else:
            print(f"{network_line}; {example_line}\n{format_layers(doc)}")
        return 0
    ex = explain(net, x, y)
    if args.format == "json":
        doc = ex.as_dict()
        doc["network"] = network_line
        doc["example"] = example_line
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(format_text(ex, network_line, example_line))
    return 0
