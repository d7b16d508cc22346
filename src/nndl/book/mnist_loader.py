"""The book's ``mnist_loader``: MNIST as three ``(x, y)`` pairs, or as lists of column vectors.

Where the data come from (the book reads ``../data/mnist.pkl.gz``):

1. ``filename`` when given: the book's ``mnist.pkl.gz`` (or any file in its
   structure, such as ``mnist_expanded.pkl.gz``), read with the restricted
   unpickler of :mod:`nndl.data.pickled` — no ``UnicodeDecodeError``, and no
   code in the file is ever run — or ``"sample"`` (see 2);
2. else the environment variable ``NNDL_BOOK_DATA``: such a path, or
   ``sample`` for the 1,000-image sample bundled with nndl (split 800 / 200 /
   100), which is what the tests use;
3. else nndl's verified MNIST cache (:func:`nndl.data.load_data`), fetched on
   first use as ``nndl fetch`` does — 50,000 / 10,000 / 10,000 images as in
   the book.  If MNIST cannot be had it warns and falls back to the sample.

Pixels are float32 in [0, 1] (from the cache: value/255; the book's file
holds value/256) and labels int64, as in the book.

Examples
--------
>>> training_data, validation_data, test_data = load_data_wrapper("sample")
>>> len(training_data), len(validation_data), len(test_data)
(800, 200, 100)
>>> x, y = training_data[0]
>>> x.shape, y.shape, x.dtype
((784, 1), (10, 1), dtype('float32'))
>>> int(test_data[0][1])
7
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nndl.book.pairs import arrays_to_pairs
from nndl.data import load_data as _load_nndl_data
from nndl.data import load_sample
from nndl.data.pickled import read_mnist_pkl

__all__ = ["ENV_VAR", "load_data", "load_data_wrapper", "vectorized_result"]

#: Environment variable naming the data when no filename is given: a path or ``sample``.
ENV_VAR = "NNDL_BOOK_DATA"

#: Images of the bundled sample's training file held out for validation.
SAMPLE_VALIDATION = 200


def load_data(filename: str | os.PathLike[str] | None = None) -> tuple[Any, Any, Any]:
    """Return ``(training_data, validation_data, test_data)``, each an ``(x, y)`` pair.

    ``x`` is a float32 array with one 784-pixel image per row, ``y`` the
    int64 digits: 50,000 / 10,000 / 10,000 images of MNIST, as in the book.
    See the module docstring for where they come from.

    Raises
    ------
    nndl.errors.DataError
        If the file is missing, malformed, or a pickle that would load
        anything but NumPy arrays.
    """
    if filename is None:
        filename = os.environ.get(ENV_VAR) or None
    if filename is None:
        data = _load_nndl_data(dtype="float32")
        if data.validation is None:  # fell back to the sample
            return _split_sample(data)
        return data.training, data.validation, data.test
    if str(filename) == "sample":
        return _split_sample(load_sample(dtype="float32"))
    return read_mnist_pkl(filename)


def _split_sample(data: Any) -> tuple[Any, Any, Any]:
    """The sample as the book splits MNIST: the last training images validate."""
    x, y = data.training
    cut = len(x) - SAMPLE_VALIDATION
    return (x[:cut], y[:cut]), (x[cut:], y[cut:]), data.test


def load_data_wrapper(filename: str | os.PathLike[str] | None = None) -> tuple[list, list, list]:
    """Return the data as the book's network code takes it: lists of ``(x, y)`` pairs.

    ``x`` is a ``(784, 1)`` column of pixels.  In ``training_data`` ``y`` is
    the ``(10, 1)`` one-hot column of the digit (:func:`vectorized_result`);
    in ``validation_data`` and ``test_data`` it is the digit itself.  These
    are lists, not the ``zip`` objects a plain Python 3 port returns, so
    ``training_data[:1000]`` works as in the book.
    """
    tr_d, va_d, te_d = load_data(filename)
    training_data = arrays_to_pairs(tr_d[0], np.eye(10)[tr_d[1]])
    validation_data = arrays_to_pairs(*va_d)
    test_data = arrays_to_pairs(*te_d)
    return training_data, validation_data, test_data


def vectorized_result(j: int) -> np.ndarray:
    """Return the ``(10, 1)`` column with 1.0 in position ``j`` and zeros elsewhere.

    >>> vectorized_result(3).ravel().tolist()
    [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e
