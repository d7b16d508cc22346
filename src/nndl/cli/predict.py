"""``nndl predict MODEL IMAGE...``: read handwritten digits from PNG/JPEG files."""

from __future__ import annotations

import argparse
import json
import sys

from nndl.cli._common import class_word


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict the digit in PNG/JPEG images",
        description="Predict the digit in each image. Images are prepared as MNIST "
        "was: grayscale, inverted when dark ink on a light background, the digit's "
        "bounding box scaled to fit 20x20 and centred by centre of mass in 28x28.",
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'nndl train --save'")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="PNG or JPEG files")
    p.add_argument("--json", action="store_true",
                   help='print a JSON list of {"file", "digit", "activations"} ("class" '
                   'instead of "digit" for a model without exactly 10 outputs)')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from nndl.data.preprocess import image_file_to_mnist
    from nndl.model.io import load_model

    model = load_model(args.model)
    if model.n_inputs != 784:
        raise ValueError(
            f"{args.model}: the model reads {model.n_inputs} inputs, not 784 (28x28) pixels"
        )
    x = np.stack([image_file_to_mnist(path) for path in args.images])
    outputs = model.feedforward(x)
    # A digit only when the model has MNIST's ten classes; otherwise a class number.
    word = class_word(model.n_outputs)
    results = [
        {"file": path, word: int(np.argmax(out)), "activations": [float(v) for v in out]}
        for path, out in zip(args.images, outputs, strict=True)
    ]
    if args.json:
        print(json.dumps(results))
        return 0
    if word != "digit":
        print(f"note: {args.model} has {model.n_outputs} outputs, not 10 digits: the answers "
              "are class numbers", file=sys.stderr)
    for r in results:
        acts = " ".join(f"{d}:{v:.3f}" for d, v in enumerate(r["activations"]))
        answer = r[word] if word == "digit" else f"class {r[word]}"
        print(f"{r['file']}: {answer}    [{acts}]")
    return 0
