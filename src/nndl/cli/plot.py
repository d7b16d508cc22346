"""``nndl plot MODEL --out DIR``: learning curves, weights, confusion matrix, mistakes."""

from __future__ import annotations

import argparse

from nndl.cli import _common, _preflight


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plot",
        help="draw PNG figures of a saved model (needs matplotlib)",
        description=(
            "Write four PNG figures of a saved model into DIR: curves.png (accuracy and, "
            "when recorded, cost per epoch), weights.png (first-layer weights as 28x28 "
            "tiles), confusion.png (test-set confusion matrix) and misclassified.png "
            "(misclassified test digits with true and predicted labels); for a model trained "
            "with --monitor-gradients also speed.png (each hidden layer's learning speed "
            "per epoch, log scale, as in the book's chapter 5)."
        ),
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'nndl train --save'")
    p.add_argument("--out", metavar="DIR", required=True, help="folder for the PNG files")
    _common.add_data_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    _preflight.require_extra("plot", "nndl plot")
    from nndl.inspect.plots import MODEL_FIGURES, PIXELS, plot_model
    from nndl.model.io import load_model

    _preflight.check_output_dir(args.out, "--out", [f"{n}.png" for n in MODEL_FIGURES])

    model = load_model(args.model)
    data = _common.load_dataset(args, dtype=model.dtype)
    _common.check_fits(model, data, args.model)
    if not (getattr(model, "metadata", None) or {}).get("history"):
        print(f"{args.model} has no training history: curves.png says so instead of "
              "plotting curves")
    paths = plot_model(model, data.test, args.out)
    for name, path in paths.items():
        w, h = PIXELS[name]
        print(f"wrote {path} ({w}x{h})")
    return 0
