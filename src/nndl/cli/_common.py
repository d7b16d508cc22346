"""Options and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from nndl.train.schedule import STEP_SCHEDULES


def add_data_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
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


def load_dataset(args: Any, *, dtype: Any = "float64", full_train: bool = False):
    """Load MNIST as the options say; warn (once, on stderr) when falling back to the sample.

    The fallback to the bundled sample happens only for the default cache
    when MNIST is not there and cannot be fetched.  Data named with
    ``--data-dir`` must load: a missing, truncated or corrupt file there is an
    error naming the file (raised as :class:`~nndl.errors.DataError`).  ``args``
    is anything with ``sample`` and ``data_dir`` attributes.
    """
    from nndl.data import load_data, load_sample

    if getattr(args, "sample", False):
        return load_sample(dtype=dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data(args.data_dir, dtype=dtype, full_train=full_train,
                         allow_sample=args.data_dir is None)
    for w in caught:
        print(f"nndl: warning: {w.message}", file=sys.stderr)
    return data


def _number(convert: Callable[[str], Any], ok: Callable[[Any], bool],
            expected: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``convert(text)``, refused with "expected ..." unless ``ok``."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = expected  # argparse names the type in some messages
    return parse


positive_int = _number(int, lambda v: v >= 1, "a positive integer")
non_negative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
positive_float = _number(float, lambda v: 0 < v < math.inf, "a positive finite number")
non_negative_float = _number(float, lambda v: 0 <= v < math.inf, "a finite number >= 0")
fraction = _number(float, lambda v: 0 <= v < 1, "a number in [0, 1)")


#: ``--schedule``: the halving schedule's patience K, or the name of a per-step schedule.
schedule = _number(
    lambda text: text if text in STEP_SCHEDULES else int(text),
    lambda v: isinstance(v, str) or v >= 1,
    f"a patience K >= 1 or one of {', '.join(STEP_SCHEDULES)}",
)


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


def augment_spec(text: str) -> str:
    """An ``--augment`` spec, checked and written the one way (``none`` turns a preset's off)."""
    from nndl.data.augment import parse_spec

    try:
        aug = parse_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return "none" if aug is None else aug.spec()


def percent(correct: int, total: int) -> str:
    return f"{100.0 * correct / total:.2f}%" if total else "n/a"


def refuse_beside_layers(source: str, dense_options: Sequence[str]) -> None:
    """Refuse options of a fully connected network given beside a layer spec.

    ``source`` names where the spec came from (``"--layers"``);
    ``dense_options`` are the option names given with it (``"sizes"``, ...).

    Examples
    --------
    >>> refuse_beside_layers("--layers", [])
    >>> refuse_beside_layers("--layers", ["sizes", "dropout"])
    Traceback (most recent call last):
    ...
    ValueError: --layers cannot be combined with --sizes or --dropout (they describe a ...)
    """
    flags = ["--" + name.replace("_", "-") for name in dense_options]
    if not flags:
        return
    listed = " or ".join([", ".join(flags[:-1]), flags[-1]] if len(flags) > 1 else flags)
    they = "they describe" if len(flags) > 1 else "it describes"
    raise ValueError(f"{source} cannot be combined with {listed} ({they} a fully connected "
                     f"network; {source} gives a layered one)")


def class_word(n_outputs: int) -> str:
    """``"digit"`` for a 10-output model (MNIST's classes), else ``"class"``."""
    return "digit" if n_outputs == 10 else "class"


def check_fits(model: Any, data: Any, model_path: str) -> None:
    """Refuse a model that does not fit the data set: other pixel counts, too few outputs.

    The model must read as many inputs as the test images have pixels, and
    have an output for every class (labels 0..K-1): otherwise a label the
    model cannot output would index past its outputs.
    """
    pixels = data.test[0].shape[1]
    if pixels != model.n_inputs:
        raise ValueError(f"{model_path}: the model reads {model.n_inputs} inputs but the "
                         f"test images have {pixels} pixels")
    labels = [y for split in (data.training, data.validation, data.test)
              if split is not None for y in (split[1],) if len(y)]
    if not labels:
        return
    classes = 1 + max(int(y.max()) for y in labels)
    if classes > model.n_outputs:
        raise ValueError(
            f"{model_path}: the model has {model.n_outputs} outputs but the data has "
            f"{classes} classes (labels up to {classes - 1}); it was not trained on this data"
        )
