"""``nndl evaluate MODEL``: test accuracy, per digit, and the confusion counts."""

from __future__ import annotations

import argparse
import json

import numpy as np

from nndl.cli import _common


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="accuracy of a saved model on the MNIST test set, per digit",
        description="Evaluate a saved model on the 10,000 MNIST test images: overall "
        "accuracy, a per-digit table and the confusion matrix (rows: true digit, "
        "columns: predicted digit).",
    )
    p.add_argument("model", metavar="MODEL", help="model file written by 'nndl train --save'")
    _common.add_data_options(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n: int) -> np.ndarray:
    """Counts ``c[i, j]`` of examples of class i predicted as j."""
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def run(args: argparse.Namespace) -> int:
    from nndl.io import load_model

    model = load_model(args.model)
    data = _common.load_dataset(args, dtype=model.dtype)
    _common.check_fits(model, data, args.model)
    x, y = data.test
    predicted = model.predict(x)
    n = model.n_outputs
    word = _common.class_word(n)  # "digit" only for MNIST's ten classes
    conf = confusion_matrix(y, predicted, n)
    correct = int(np.trace(conf))
    if args.json:
        print(json.dumps({
            "model": str(args.model), "data": data.source, "correct": correct,
            "total": len(y), "accuracy": correct / len(y),
            f"per_{word}": [
                {word: d, "total": int(conf[d].sum()), "correct": int(conf[d, d])}
                for d in range(n)
            ],
            "confusion": conf.tolist(),
        }))
        return 0
    print(f"{args.model}: {correct} / {len(y)} test images correct "
          f"({_common.percent(correct, len(y))})"
          + (" [bundled sample]" if data.source == "sample" else ""))
    print()
    print(f"{word:>5}  images  correct  accuracy")
    for d in range(n):
        print(f"{d:>5}  {conf[d].sum():>6}  {conf[d, d]:>7}  "
              f"{_common.percent(int(conf[d, d]), int(conf[d].sum())):>8}")
    print()
    print(f"confusion matrix (row: true {word}, column: predicted)")
    width = max(4, len(str(conf.max())) + 1)
    print("     " + "".join(f"{j:>{width}}" for j in range(n)))
    for i in range(n):
        print(f"{i:>4} " + "".join(f"{v:>{width}}" for v in conf[i]))
    return 0
