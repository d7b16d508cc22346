"""Argument checks shared by the models and the training loop.

Every check raises ``ValueError`` with a message that names the argument,
says what was expected and shows what was given, so that a mistake is
reported where it was made rather than as a broadcasting error deep inside
NumPy.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.book import pairs


def positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` if it is an integer ≥ ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def positive_float(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a finite number > 0 (or ≥ 0)."""
    ok = (
        not isinstance(value, bool)
        and isinstance(value, Real)
        and math.isfinite(value)
        and (float(value) >= 0 if allow_zero else float(value) > 0)
    )
    if not ok:
        bound = "a finite number >= 0" if allow_zero else "a positive finite number"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


def sizes(value: Any) -> list[int]:
    """Validate a list of layer sizes: at least two positive integers."""
    try:
        items = list(value)
    except TypeError:
        raise ValueError(
            f"sizes must be a list of at least 2 positive integers, got {value!r}"
        ) from None
    if len(items) < 2:
        raise ValueError(
            "sizes must list at least 2 layers (input and output), "
            f"got {len(items)}: {items!r}"
        )
    for i, n in enumerate(items):
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 1:
            raise ValueError(f"sizes[{i}] must be a positive integer, got {n!r} in {items!r}")
    return [int(n) for n in items]


def inputs(x: Any, n_in: int, dtype: np.dtype, name: str = "x") -> tuple[NDArray, bool]:
    """Return ``(x2d, was_1d)``: ``x`` as a finite ``(m, n_in)`` array of ``dtype``.

    A single example may be given as a 1-D array of length ``n_in``.
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of numbers: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    was_1d = arr.ndim == 1
    if was_1d:
        arr = arr[np.newaxis, :]
    elif arr.shape == (n_in, 1) and n_in > 1:  # the book's column vector: one example
        arr, was_1d = arr.T, True
    if arr.ndim != 2 or arr.shape[1] != n_in:
        raise ValueError(
            f"{name} must have shape ({n_in},) or (m, {n_in}) for a network with "
            f"{n_in} inputs (or be one of the book's column vectors ({n_in}, 1)), got "
            f"shape {np.shape(x)}; for the book's own code unchanged, use nndl.book"
        )
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(arr).all():
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s)")
    return arr, was_1d


def targets(y: Any, m: int, n_out: int, dtype: np.dtype, name: str = "y") -> NDArray:
    """Return ``y`` as an ``(m, n_out)`` array of target vectors.

    ``y`` is either integer class labels of shape ``(m,)`` in ``[0, n_out)``,
    turned into one-hot rows (the seed's ``vectorized_result``), or target
    vectors of shape ``(m, n_out)``.
    """
    try:
        arr = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array: {exc}") from None
    if arr.ndim == 1:
        if arr.shape[0] != m:
            raise ValueError(
                f"{name} has {arr.shape[0]} labels but x has {m} rows; they must match"
            )
        if arr.dtype.kind not in "iu":
            if arr.dtype.kind == "f" and arr.size and np.all(np.mod(arr, 1) == 0):
                arr = arr.astype(np.int64)
            else:
                raise ValueError(
                    f"{name} given as a 1-D array must hold integer class labels, "
                    f"got dtype {arr.dtype}"
                )
        if arr.size and (arr.min() < 0 or arr.max() >= n_out):
            bad = arr[(arr < 0) | (arr >= n_out)]
            raise ValueError(
                f"{name} labels must be in [0, {n_out}) for a network with {n_out} outputs, "
                f"got {bad[:5].tolist()}"
            )
        onehot = np.zeros((m, n_out), dtype=dtype)
        onehot[np.arange(m), arr] = 1.0
        return onehot
    if arr.ndim != 2 or arr.shape != (m, n_out):
        raise ValueError(
            f"{name} must be labels of shape ({m},) or target vectors of shape "
            f"({m}, {n_out}), got shape {arr.shape}"
        )
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def example_batch(
    x: Any, y: Any, n_in: int, n_out: int, dtype: np.dtype
) -> tuple[NDArray, NDArray]:
    """Validate ``(x, y)`` for a gradient: one example or a non-empty batch.

    Returns ``(x, targets)`` of shapes ``(m, n_in)`` and ``(m, n_out)``.  A
    single example may be given as ``x`` of shape ``(n_in,)`` with a label
    (a scalar) or a target vector ``(n_out,)``.
    """
    x2, was_1d = inputs(x, n_in, dtype, "x")
    y_arr = np.asarray(y)
    if was_1d and y_arr.shape in ((n_out,), (n_out, 1)):  # a row, or the book's column
        y_arr = y_arr.reshape(1, n_out)
    elif was_1d and y_arr.ndim == 0:
        y_arr = y_arr.reshape(1)
    if len(x2) == 0:
        raise ValueError("x is empty: the gradient of 0 examples is undefined")
    return x2, targets(y_arr, len(x2), n_out, dtype, "y")


def labels(y: Any, m: int, n_out: int, name: str = "y") -> NDArray[np.intp]:
    """Return class labels ``(m,)`` from labels or from one-hot/target rows (argmax)."""
    arr = np.asarray(y)
    if arr.ndim == 2:
        if arr.shape != (m, n_out):
            raise ValueError(
                f"{name} must be labels of shape ({m},) or target vectors of shape "
                f"({m}, {n_out}), got shape {arr.shape}"
            )
        return np.argmax(arr, axis=1)
    return np.argmax(targets(arr, m, n_out, np.dtype(np.float32), name), axis=1)


def dataset(data: Any, name: str) -> tuple[Any, Any]:
    """Unpack an ``(x, y)`` pair, with a clear error for anything else.

    The book's format (a list, or ``zip``, of ``(x, y)`` column-vector pairs)
    is recognised and stacked into arrays: see :mod:`nndl.book.pairs`.
    """
    data = pairs.materialize(data)
    if pairs.is_pairs(data):
        return pairs.pairs_to_arrays(data, name)
    try:
        x, y = data
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an (x, y) pair of arrays or {pairs.FORMAT}, got "
            f"{type(data).__name__}; for the book's own code unchanged, use nndl.book"
        ) from None
    return x, y


def dropout_rates(dropout: Any, n_hidden: int) -> list[float]:
    """Validate ``dropout``: one rate for every hidden layer, or a list of one per layer."""
    rates = list(dropout) if isinstance(dropout, list | tuple) else [dropout] * n_hidden
    if isinstance(dropout, list | tuple) and len(rates) != n_hidden:
        raise ValueError(
            f"dropout lists {len(rates)} rates but the network has {n_hidden} hidden "
            "layer(s); give one per hidden layer or a single number"
        )
    for p in rates:
        ok = isinstance(p, int | float) and not isinstance(p, bool) and 0.0 <= p < 1.0
        if not ok:
            raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
    return [float(p) for p in rates]


def shape(value: Any, name: str) -> tuple[int, ...]:
    """Return ``value`` as a non-empty tuple of positive ints, else raise ``ValueError``."""
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if not items or any(
        isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1 for n in items
    ):
        raise ValueError(f"{name} must be a tuple of positive integers, got {value!r}")
    return tuple(int(n) for n in items)


#: The floating types a model or a data set can hold.
DTYPES: tuple[str, ...] = ("float64", "float32")


def float_dtype(dtype: Any) -> np.dtype:
    """Return ``dtype`` as float64 or float32, else raise ``ValueError``.

    Examples
    --------
    >>> float_dtype("float32")
    dtype('float32')
    """
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if result is None or result.name not in DTYPES:
        raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
    return result


def layer_list(layers: Any) -> list:
    """Check a stack of layers: non-empty, each a Layer, none twice; return it as a list."""
    from nndl.nn.layers.base import Layer

    result = list(layers)
    if not result:
        raise ValueError("a network needs at least one layer")
    for i, layer in enumerate(result):
        if not isinstance(layer, Layer):
            raise ValueError(f"layer {i} must be a Layer, got {type(layer).__name__}")
    if len({id(layer) for layer in result}) != len(result):
        raise ValueError("the same layer object appears twice in the stack")
    return result
