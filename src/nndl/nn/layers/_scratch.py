"""Scratch arrays of the training pass, kept from one step to the next (conv and pool only).

A training step of a convolutional net needs tens of megabytes of
temporaries (im2col columns, pre-activations, gradients).  Fresh memory costs
the kernel a page fault for every 4 KiB written first; reusing the arrays of
the previous step spares that (about a tenth of the step, docs/conv.md).
The contents are those of the last pass; an array handed to a caller outside
a training pass is never a scratch array.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def work_array(
    store: dict[str, Array], name: str, shape: tuple[int, ...], dtype: np.dtype,
    like: Array | None = None,
) -> Array:
    """The array ``store[name]`` of this shape and dtype, made anew only when those changed.

    With ``like``, the array has ``like``'s shape and memory layout (as
    ``np.empty_like``) and is replaced when the layout changes.
    """
    arr = store.get(name)
    layout = _layout(like) if like is not None else None
    if arr is None or arr.shape != tuple(shape) or arr.dtype != dtype or (
            layout is not None and _layout(arr) != layout):
        arr = np.empty_like(like) if like is not None else np.empty(shape, dtype)
        store[name] = arr
    return arr


def _layout(arr: Array) -> tuple[int, ...]:
    """The order of ``arr``'s axes from the slowest-varying in memory to the fastest."""
    return tuple(sorted(range(arr.ndim), key=lambda i: -abs(arr.strides[i])))
