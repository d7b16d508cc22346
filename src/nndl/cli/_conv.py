"""``nndl train`` options for convolutional (layered) networks — issue 7, phase 2.

Kept apart from :mod:`nndl.cli.train` so that it merges easily; ``train.py``
calls four functions:

* :func:`add_conv_arguments` — adds ``--layers SPEC`` and ``--expand``, and,
  where the parser does not have them yet, ``--preset`` (choices
  :data:`CONV_PRESETS`), ``--lmbda`` and ``--optimizer``;
* :func:`apply_conv_preset` — after parsing: fills in a ``--preset conv`` or
  ``--preset conv-book``;
* :func:`build_model_from_args` — a :class:`~nndl.sequential.Sequential` when
  ``--layers`` was given, else None (then ``train.py`` builds its ``Network``);
* :func:`sgd_options` — the keyword options for ``SGD`` that this module owns.
"""

from __future__ import annotations

import argparse
from typing import Any

#: Shape of one MNIST image as the convolutional layers see it.
INPUT_SHAPE = (1, 28, 28)

#: The book's network of chapter 6 (network3.py), with ReLU throughout.
BOOK_LAYERS = "conv:20x5x5:relu,pool:2,conv:40x5x5:relu,pool:2,dense:100:relu,softmax:10"

#: Preset name → values of ``nndl train`` options (argparse ``dest`` names).
#: An option given explicitly on the command line wins over the preset.
CONV_PRESETS: dict[str, dict[str, Any]] = {
    # Best measured on 2 shared CPU cores: 99.44 % test accuracy after 4 expanded
    # epochs, about 10 minutes (docs/conv.md): the book's two convolutions, a wider
    # ReLU layer with dropout before the softmax, Adam, and the expanded data.
    "conv": {
        "layers": "conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:200:relu,dropout:0.5,softmax:10",
        "epochs": 5,
        "mini_batch_size": 128,
        "eta": 0.001,
        "optimizer": "adam",
        "lmbda": 0.1,
        "expand": True,
        "dtype": "float32",
        "cost": "log_likelihood",
    },
    # The book's (chapter 6, network3.py): conv 20x5x5, pool 2, conv 40x5x5, pool 2,
    # dense 100, softmax 10, all ReLU, L2 lambda = 0.1, eta = 0.03, mini-batch 10,
    # plain SGD, 60 epochs, no expansion.  Only float32 differs (about 25 s per
    # epoch on one core here).
    "conv-book": {
        "layers": BOOK_LAYERS,
        "epochs": 60,
        "mini_batch_size": 10,
        "eta": 0.03,
        "optimizer": "sgd",
        "lmbda": 0.1,
        "expand": False,
        "dtype": "float32",
        "cost": "log_likelihood",
    },
}


def _has_option(parser: argparse.ArgumentParser, option: str) -> bool:
    return any(option in action.option_strings for action in parser._actions)


def add_conv_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the convolutional options to the ``nndl train`` parser.

    ``--preset``, ``--lmbda`` and ``--optimizer`` are added only if the
    parser has no such option yet (``train.py`` may define its own; then its
    ``--preset`` should accept the names in :data:`CONV_PRESETS` and call
    :func:`apply_conv_preset`).
    """
    parser.add_argument(
        "--layers", metavar="SPEC", default=None,
        help="train a layered (convolutional) network on 1x28x28 images instead of "
        "--sizes, e.g. 'conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:100:relu,softmax:10' "
        "(conv:FxK[:ACT][:sS], pool:P, flatten, dense:N[:ACT], dropout:P, softmax:N); "
        "the cost is log_likelihood unless --cost says otherwise",
    )
    parser.add_argument(
        "--expand", action="store_true",
        help="the book's expanded training data: every epoch also uses each image moved "
        "by one pixel up, down, left and right (5x the examples, made on the fly)",
    )
    owned: list[str] = ["expand"]
    if not _has_option(parser, "--preset"):
        parser.add_argument(
            "--preset", choices=sorted(CONV_PRESETS), default=None,
            help="a tested configuration: 'conv' (best on CPU, >= 99.3%% with expanded "
            "data and Adam) or 'conv-book' (the book's chapter-6 network); options given "
            "explicitly override it",
        )
    if not _has_option(parser, "--lmbda"):
        parser.add_argument("--lmbda", type=float, default=0.0,
                            help="L2 regularisation strength lambda (default 0)")
        owned.append("lmbda")
    if not _has_option(parser, "--optimizer"):
        parser.add_argument("--optimizer", default="sgd", choices=["sgd", "momentum", "adam"],
                            help="update rule (default sgd)")
        owned.append("optimizer")
    parser.set_defaults(_conv_owned=owned, _conv_parser=parser)


def apply_conv_preset(args: argparse.Namespace) -> None:
    """Fill in ``args`` from ``args.preset`` when it names a :data:`CONV_PRESETS` entry.

    An option keeps its value when it differs from the parser's default
    (i.e. it was given explicitly).  Other presets are left alone.
    """
    preset = CONV_PRESETS.get(getattr(args, "preset", None) or "")
    parser = getattr(args, "_conv_parser", None)
    if preset is None or parser is None:
        return
    for dest, value in preset.items():
        if not hasattr(args, dest):
            continue
        if getattr(args, dest) == parser.get_default(dest):
            setattr(args, dest, value)


def build_model_from_args(args: argparse.Namespace) -> Any:
    """Return the :class:`~nndl.sequential.Sequential` of ``--layers``, or None without it.

    Raises
    ------
    ValueError
        If the spec is bad or the layers do not fit 1x28x28 inputs (the
        message names the layer and the shapes).
    """
    spec = getattr(args, "layers", None)
    if not spec:
        return None
    from nndl.sequential import Sequential

    cost = getattr(args, "cost", None) or "log_likelihood"
    if cost == "quadratic" and not spec.rstrip().lower().split(",")[-1].startswith("dense"):
        # train's default cost is the seed's quadratic one; a softmax output wants
        # the log-likelihood cost.
        cost = "log_likelihood"
    return Sequential(spec, input_shape=INPUT_SHAPE, cost=cost, seed=args.seed, dtype=args.dtype)


def sgd_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword options for ``Model.SGD`` from the options this module added."""
    return {name: getattr(args, name) for name in getattr(args, "_conv_owned", ["expand"])}


def training_metadata(args: argparse.Namespace) -> dict[str, Any]:
    """What to record in a saved model's ``metadata["training"]``."""
    meta: dict[str, Any] = {"expand": bool(getattr(args, "expand", False))}
    for name in ("layers", "preset", "lmbda", "optimizer"):
        if getattr(args, name, None) is not None:
            meta[name] = getattr(args, name)
    return meta


__all__ = [
    "CONV_PRESETS",
    "INPUT_SHAPE",
    "add_conv_arguments",
    "apply_conv_preset",
    "build_model_from_args",
    "sgd_options",
    "training_metadata",
]
