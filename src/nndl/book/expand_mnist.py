"""The book's ``expand_mnist.py`` (chapter 6): 250,000 training images from 50,000.

Each training image is kept and joined by four copies moved by one pixel —
down, up, right and left, in the book's order, with the uncovered row or
column set to zero — and the 5n pairs are shuffled with Python's
``random.shuffle``, as the book does (so with the same ``random.seed`` the
file holds the book's order).  The shifts are made with array slicing over
thousands of images at a time (:func:`nndl.data.expand.shift_images`), not
one image at a time.

As a program it writes ``../data/mnist_expanded.pkl.gz`` — the path the
book's chapter-6 session loads — unless that file exists already::

    python -m nndl.book.expand_mnist                      # from nndl's MNIST cache
    python -m nndl.book.expand_mnist --input ../data/mnist.pkl.gz --output expanded.pkl.gz

The file has the book's structure and is written by
:func:`nndl.data.pickled.write_mnist_pkl`; nndl reads it back with its
restricted unpickler (``network3.load_data_shared(path)``), which runs no
code from it.  nndl's own training can instead make the same shifted images
on the fly, storing nothing: ``net.SGD(..., expand=True)``.

Examples
--------
>>> import random
>>> import numpy as np
>>> x = np.arange(2 * 9, dtype=np.float32).reshape(2, 9)   # two 3×3 images
>>> random.seed(0)
>>> big_x, big_y = expand((x, np.array([4, 7])))
>>> big_x.shape, sorted(big_y.tolist())
((10, 9), [4, 4, 4, 4, 4, 7, 7, 7, 7, 7])
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.book import mnist_loader
from nndl.data._atomic import write_target
from nndl.data.expand import image_shape_of, shift_images
from nndl.data.pickled import write_mnist_pkl
from nndl.errors import DataError

__all__ = ["BOOK_ORDER", "DEFAULT_OUTPUT", "expand", "main"]

#: Where the book writes (and its chapter-6 session reads) the expanded data.
DEFAULT_OUTPUT = "../data/mnist_expanded.pkl.gz"

#: The book's versions of each image, as :data:`nndl.data.expand.SHIFTS` numbers:
#: itself, then moved down, up, right and left by one pixel.
BOOK_ORDER = np.array([0, 2, 1, 4, 3])

#: Images shifted at once (bounds the memory of the gathered copies).
CHUNK = 10_000


def expand(training_data: tuple[Any, Any]) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Return the book's expanded training set: ``(x, y)`` with five times the rows.

    Row k of the book's unshuffled list is image ``k // 5`` in version
    ``BOOK_ORDER[k % 5]``; the list is then put in the order
    ``random.shuffle`` gives (the global ``random`` state advances as in the
    book).

    Parameters
    ----------
    training_data : (x, y)
        Square images as flat rows ``(n, side²)`` and their labels ``(n,)``.
    """
    x = np.asarray(training_data[0], dtype=np.float32)
    y = np.asarray(training_data[1])
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(
            f"training_data must be (x, y) with x of shape (n, pixels) and y of shape (n,), "
            f"got {x.shape} and {y.shape}"
        )
    image_shape = image_shape_of(x.shape[1])
    order = list(range(len(BOOK_ORDER) * len(x)))
    random.shuffle(order)  # the book's random.shuffle(expanded_training_pairs)
    k = np.asarray(order)
    example, version = k // len(BOOK_ORDER), BOOK_ORDER[k % len(BOOK_ORDER)]
    out = np.empty((len(k), x.shape[1]), dtype=np.float32)
    for start in range(0, len(k), CHUNK):
        part = slice(start, start + CHUNK)
        out[part] = shift_images(x[example[part]], version[part], image_shape)
    return out, y[example]


def main(argv: list[str] | None = None) -> int:
    """Run the book's ``expand_mnist.py``; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m nndl.book.expand_mnist",
        description="Write the book's expanded MNIST training set (250,000 images).",
    )
    parser.add_argument(
        "--input", default=None,
        help="the book's mnist.pkl.gz (default: $NNDL_BOOK_DATA, else nndl's MNIST cache)",
    )
    parser.add_argument("--output", default=DEFAULT_OUTPUT, help=f"default: {DEFAULT_OUTPUT}")
    parser.add_argument("--seed", type=int, default=None, help="seed Python's random first")
    args = parser.parse_args(argv)
    output = Path(args.output).expanduser()
    print("Expanding the MNIST training set")
    try:
        target = write_target(output)  # a link's target; never a device or FIFO
    except OSError as exc:
        print(f"error: cannot write {exc}", file=sys.stderr)
        return 2
    if target.exists():
        print("The expanded training set already exists.  Exiting.")
        return 0
    if not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
        print(
            f"error: cannot write {output}: the folder {target.parent} does not exist or is not "
            "writable (create it, or give --output)",
            file=sys.stderr,
        )
        return 2
    try:
        training, validation, test = mnist_loader.load_data(args.input)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.seed is not None:
        random.seed(args.seed)
    expanded = expand(training)
    print("Saving expanded data. This may take a few minutes.")
    try:
        write_mnist_pkl(output, (expanded, validation, test))
    except OSError as exc:  # a full disk, say: nothing is left half-written
        print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
