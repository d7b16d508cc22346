"""``nndl export MODEL --format onnx|torch -o FILE``: take a trained model out of nndl."""

from __future__ import annotations

import argparse

from nndl._validate import DTYPES
from nndl.cli import _preflight

#: format -> (what it writes, the package it needs, the feature named in the error).
FORMATS = {
    "onnx": ("an ONNX graph (flat (batch, n_inputs) rows in, outputs out)", "onnx",
             "ONNX export"),
    "torch": ("a safetensors state_dict with PyTorch's parameter names, the "
              "architecture in its metadata", "safetensors.numpy", "PyTorch export"),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a model as ONNX or as a PyTorch state_dict",
        description="Export a saved model. --format onnx writes "
        f"{FORMATS['onnx'][0]} for onnxruntime and other ONNX runtimes (extra "
        "'onnx'); --format torch writes "
        f"{FORMATS['torch'][0]}, which nndl.export.torch.load_module rebuilds as a "
        "torch.nn.Sequential (extra 'torch').",
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'nndl train --save'")
    p.add_argument("--format", required=True, choices=sorted(FORMATS), help="what to write")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="where to write it (replaced atomically if it exists)")
    p.add_argument("--dtype", choices=DTYPES,
                   help="onnx only: float type of the graph (default: the model's; float32 "
                   "for a float64 conv net, as onnxruntime has no float64 convolution)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nndl._extras import require
    from nndl.model.io import load_model

    if args.dtype and args.format != "onnx":
        raise ValueError("--dtype applies to --format onnx only")
    target = _preflight.check_output_file(args.output, "-o")
    what, package, feature = FORMATS[args.format]
    require(package, feature)  # a missing extra is reported before any work
    model = load_model(args.model)
    if args.format == "onnx":
        from nndl.export.onnx import save_onnx

        save_onnx(model, target, dtype=args.dtype)
    else:
        from nndl.export.torch_arch import save

        save(model, target)
    print(f"Wrote {target}: {what}")
    return 0
