"""``nndl evaluate MODEL [MODEL ...]``: test accuracy, per digit, and the confusion counts.

Several models are evaluated as an :class:`~nndl.Ensemble` (the book's
chapter-6 vote, or ``--rule average``): each member's accuracy, then the
ensemble's, its per-digit table and confusion matrix.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from nndl.cli import _common
from nndl.model.ensemble import RULES


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="accuracy of a saved model (or an ensemble of several) on the MNIST test set",
        description="Evaluate a saved model on the 10,000 MNIST test images: overall "
        "accuracy, a per-digit table and the confusion matrix (rows: true digit, "
        "columns: predicted digit). Several models are evaluated as an ensemble: each "
        "member's accuracy, then the ensemble's (by default the members vote, as in the "
        "book's chapter 6; --rule average takes the class of the largest mean output).",
    )
    p.add_argument("model", metavar="MODEL", nargs="+",
                   help="model file written by 'nndl train --save'; several make an ensemble")
    p.add_argument("--rule", choices=RULES, default=RULES[0],
                   help="how an ensemble combines its members: 'vote' (the book's: most "
                   "votes, ties to the larger mean output) or 'average' (largest mean "
                   "output); default %(default)s")
    _common.add_data_options(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(func=run)


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, n: int) -> np.ndarray:
    """Counts ``c[i, j]`` of examples of class i predicted as j."""
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (labels, predicted), 1)
    return counts


def _member_lines(names: list[str], correct: list[int], total: int) -> list[str]:
    return [f"{name}: {c} / {total} test images correct ({_common.percent(c, total)})"
            for name, c in zip(names, correct, strict=True)]


def run(args: argparse.Namespace) -> int:
    from nndl.model.ensemble import Ensemble

    paths = [str(p) for p in args.model]
    ensemble = Ensemble.load(paths, rule=args.rule)
    first = ensemble.members[0]
    data = _common.load_dataset(args, dtype=first.dtype)
    for path, member in zip(paths, ensemble.members, strict=True):
        _common.check_fits(member, data, path)
    x, y = data.test
    outputs = ensemble.member_outputs(x)
    predicted = ensemble.combine(outputs)
    n = ensemble.n_outputs
    word = _common.class_word(n)  # "digit" only for MNIST's ten classes
    conf = confusion_matrix(y, predicted, n)
    correct = int(np.trace(conf))
    members = [int(np.count_nonzero(np.argmax(o, axis=1) == y)) for o in outputs]
    name = paths[0] if len(paths) == 1 else f"ensemble of {len(paths)} ({args.rule})"
    if args.json:
        result = {
            "model": name, "data": data.source, "correct": correct,
            "total": len(y), "accuracy": correct / len(y),
            f"per_{word}": [
                {word: d, "total": int(conf[d].sum()), "correct": int(conf[d, d])}
                for d in range(n)
            ],
            "confusion": conf.tolist(),
        }
        if len(paths) > 1:
            result["rule"] = args.rule
            result["members"] = [{"model": p, "correct": c, "accuracy": c / len(y)}
                                 for p, c in zip(paths, members, strict=True)]
        print(json.dumps(result))
        return 0
    if len(paths) > 1:
        print("\n".join(_member_lines(paths, members, len(y))))
    print(f"{name}: {correct} / {len(y)} test images correct "
          f"({_common.percent(correct, len(y))})"
          + (" [bundled sample]" if data.source == "sample" else ""))
    _print_tables(conf, word)
    return 0


def _print_tables(conf: np.ndarray, word: str) -> None:
    n = len(conf)
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
