"""``nndl fetch``: download MNIST into the cache and verify every file's SHA-256."""

from __future__ import annotations

import argparse
from pathlib import Path

from nndl.cli import _common
from nndl.data import MNIST_FILES, fetch_mnist, find_file


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``fetch`` sub-command."""
    parser = subparsers.add_parser(
        "fetch",
        help="download and verify MNIST",
        description=(
            "Download the four MNIST files into the data folder (unless already there), "
            "checking each against its known SHA-256, and print where they are. "
            "The folder is --data-dir, else $NNDL_DATA_DIR, else $XDG_CACHE_HOME/nndl/mnist "
            "(~/.cache/nndl/mnist)."
        ),
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, metavar="DIR", help="folder to put MNIST in"
    )
    parser.add_argument(
        "--timeout",
        type=_common.positive_float,
        default=10.0,
        metavar="SECONDS",
        help="network time-out per request (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fetch, then list the files with their sizes."""
    folder = fetch_mnist(args.data_dir, timeout=args.timeout, log=print)
    print(f"MNIST is ready in {folder}:")
    for name in MNIST_FILES:
        path = find_file(folder, name)
        size = path.stat().st_size if path is not None else 0
        shown = path.name if path is not None else name
        print(f"  {shown:<28} {size:>12,} bytes  SHA-256 ok")
    return 0
