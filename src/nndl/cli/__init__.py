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
from nndl.errors import NNDLError

#: Sub-command modules, in the order ``nndl --help`` lists them.
COMMANDS: list[str] = [
    "fetch", "train", "evaluate", "predict", "serve",
    "explain", "gradcheck", "xor", "plot", "digits", "export", "watch",
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

    Errors about the user's input (``ValueError``, ``OSError``, nndl's own
    errors such as a missing extra) are printed as one line ``nndl: error: ...``
    with exit code 1, never as a traceback.  Ctrl-C ends the command with exit
    code 130 (128 + SIGINT), also without a traceback; ``nndl train`` catches it
    itself to save the best model first.  Without a sub-command the usage is
    printed to stderr and the exit code is 2, as for any other usage error.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        print("nndl: error: a COMMAND is required", file=sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError, NNDLError) as exc:
        print(f"nndl: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nnndl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
