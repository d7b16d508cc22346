"""The ``nndl`` command line.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (a callable
taking the parsed ``argparse.Namespace`` and returning an exit code).  Adding a
command means writing one module and naming it in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from nndl import __version__
from nndl._extras import MissingExtra

#: Sub-command modules, in the order ``nndl --help`` lists them.
COMMANDS: list[str] = [
    "fetch", "train", "evaluate", "predict", "serve",
    "explain", "gradcheck", "xor", "plot", "digits", "export",
]


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="nndl",
        description=(
            "The feed-forward neural network of 'Neural Networks and Deep Learning': "
            "backpropagation and mini-batch SGD in vectorised NumPy."
        ),
    )
    parser.add_argument("--version", action="version", version=f"nndl {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"nndl.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code.

    Errors about the user's input (``ValueError``, ``OSError``) and a missing
    optional extra (:class:`~nndl._extras.MissingExtra`, naming the ``pip install``
    that brings it) are printed as one line ``nndl: error: ...`` with exit
    code 1, never as a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError, MissingExtra) as exc:
        print(f"nndl: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
