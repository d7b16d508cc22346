"""The book's data format: lists of ``(x, y)`` pairs of column vectors, to arrays and back.

Nielsen's ``mnist_loader.load_data_wrapper`` gives each data set as a list
of pairs, one per example: ``x`` is a column vector of shape ``(784, 1)``,
and ``y`` is the one-hot column ``(10, 1)`` (training data) or the digit as
an integer (validation and test data).  nndl works on whole arrays instead:
``x`` of shape ``(n, 784)`` with one example per row, and ``y`` as labels
``(n,)`` or target rows ``(n, 10)``.  These functions convert between the
two, once per data set (stacking copies the pairs into one array; nothing
per-example happens after that).

Examples
--------
>>> import numpy as np
>>> pairs = [(np.full((3, 1), 0.5), np.array([[0.0], [1.0]])),
...          (np.zeros((3, 1)), np.array([[1.0], [0.0]]))]
>>> is_pairs(pairs)
True
>>> x, y = pairs_to_arrays(pairs)
>>> x.shape, y.tolist()
((2, 3), [[0.0, 1.0], [1.0, 0.0]])
>>> x, y = pairs_to_arrays([(np.ones((3, 1)), 7), (np.zeros((3, 1)), 2)])
>>> y.tolist()
[7, 2]
>>> len(arrays_to_pairs(x, y)), arrays_to_pairs(x, y)[0][0].shape
(2, (3, 1))
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["FORMAT", "arrays_to_pairs", "is_pairs", "materialize", "pairs_to_arrays"]

#: How the book's format is described in error messages.
FORMAT = (
    "the book's format, a list of (x, y) pairs with x a column vector (n_in, 1) and y a "
    "one-hot column (n_out, 1) or an integer label"
)


def materialize(data: Any) -> Any:
    """Return ``data`` as a list if it is a one-shot iterator (``zip``, ``map``, a generator).

    Python 3 ports of the book's loader return ``zip`` objects; a list can be
    measured, sliced and shuffled.  Anything else is returned unchanged.
    """
    if data is not None and not isinstance(data, list | tuple | np.ndarray) and iter(data) is data:
        return list(data)
    return data


def _is_pair(item: Any) -> bool:
    if not isinstance(item, tuple | list) or len(item) != 2:
        return False
    shape = np.shape(item[0])
    return len(shape) == 2 and shape[1] == 1


def is_pairs(data: Any) -> bool:
    """Whether ``data`` is in the book's format: a list (or tuple) of ``(x, y)`` pairs.

    Unambiguous by construction: the first item must be a pair whose ``x`` is
    a column vector ``(k, 1)``, which an nndl ``(x, y)`` pair of arrays never
    has — its first item is the whole ``(n, k)`` input array.  (The other
    items are checked when the pairs are stacked.)
    """
    return isinstance(data, list | tuple) and len(data) > 0 and _is_pair(data[0])


def pairs_to_arrays(data: Any, name: str = "data") -> tuple[NDArray, NDArray]:
    """Stack the book's pairs into ``(x, y)``: ``x`` of shape ``(n, k)``, ``y`` labels or rows.

    ``y`` is ``(n,)`` when every pair holds an integer label and
    ``(n, n_out)`` when every pair holds a column vector.  ``x`` keeps the
    pairs' dtype (the book's MNIST pixels are float32).

    Raises
    ------
    ValueError
        If the pairs are not all alike, naming ``name`` and the book's format.
    """
    data = materialize(data)
    if not isinstance(data, list | tuple) or not data:
        raise ValueError(f"{name} must be {FORMAT}; got {_describe(data)}")
    try:
        xs, ys = zip(*data, strict=True)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {FORMAT}; not every item is an (x, y) pair") from None
    try:  # np.array discovers the common shape in C: faster than np.stack on many arrays
        x = np.array(xs)
        y = np.array(ys)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be {FORMAT}; the pairs differ in shape: {exc}") from None
    if x.dtype == object or y.dtype == object:
        raise ValueError(f"{name} must be {FORMAT}; its items are not all numbers")
    n = len(x)
    if x.ndim != 3 or x.shape[2] != 1:
        raise ValueError(f"{name} must be {FORMAT}; its x has shape {x.shape[1:]}")
    if y.ndim == 3 and y.shape[2] == 1:
        y = y.reshape(n, -1)
    elif y.ndim != 1:
        raise ValueError(f"{name} must be {FORMAT}; its y has shape {y.shape[1:]}")
    return x.reshape(n, -1), y


def arrays_to_pairs(x: NDArray, y: NDArray) -> list[tuple[NDArray, Any]]:
    """Return the book's list of pairs: column views of the rows of ``x`` with ``y``'s items.

    ``y`` of shape ``(n,)`` gives label items (NumPy integers, as the book's
    loader gives); ``(n, k)`` gives ``(k, 1)`` columns.  The columns are
    views: no pixel is copied.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    columns = list(x.reshape(len(x), -1, 1))
    items = list(y) if y.ndim == 1 else list(y.reshape(len(y), -1, 1))
    return list(zip(columns, items, strict=True))


def _describe(data: Any) -> str:
    if isinstance(data, np.ndarray):
        return f"an array of shape {data.shape}"
    if isinstance(data, list | tuple):
        return f"a {type(data).__name__} of {len(data)} items"
    return type(data).__name__
