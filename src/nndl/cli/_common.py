"""Options and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """``--data-dir`` and ``--no-fetch``: where MNIST comes from."""
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder with the four MNIST IDX files (raw or .gz); default: $NNDL_DATA_DIR "
        "or ~/.cache/nndl/mnist, fetched there when missing",
    )
    parser.add_argument(
        "--sample",
        action="store_true",
        help="use the bundled 1,000-image sample of MNIST instead of the full data set",
    )


def load_dataset(args: argparse.Namespace, *, dtype: Any = "float64", full_train: bool = False):
    """Load MNIST as the options say; warn (once, on stderr) when falling back to the sample."""
    from nndl.data import load_data, load_sample

    if getattr(args, "sample", False):
        return load_sample(dtype=dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data(args.data_dir, dtype=dtype, full_train=full_train)
    for w in caught:
        print(f"nndl: warning: {w.message}", file=sys.stderr)
    return data


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: an integer ≥ 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def sizes(text: str) -> list[int]:
    """argparse type: comma-separated layer sizes such as ``784,30,10``."""
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes such as 784,30,10, got {text!r}"
        ) from None
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(
            f"expected at least 2 positive layer sizes such as 784,30,10, got {text!r}"
        )
    return values


def percent(correct: int, total: int) -> str:
    return f"{100.0 * correct / total:.2f}%" if total else "n/a"


def non_negative_float(text: str) -> float:
    """argparse type: a finite number ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if not (0 <= value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    """argparse type: a number in [0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
    if not (0 <= value < 1):
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}")
    return value
