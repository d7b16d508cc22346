"""The book's ``net.weights`` / ``net.biases``: a list whose entries are the live arrays.

The book's code updates a network by assigning new lists
(``self.weights = [w - eta * nw for ...]``); a reader's code may assign one
entry (``net.weights[0] = w``).  Either way the new values are *copied into*
the network's own arrays, so nothing ever silently detaches from the
layers that compute with them; a wrong shape or length is an error.

Examples
--------
>>> import numpy as np
>>> arrays = ParameterList([np.zeros((2, 3))], "weights")
>>> arrays[0] = np.ones((2, 3))
>>> float(arrays[0].sum())
6.0
>>> arrays[0] = np.ones(3)
Traceback (most recent call last):
...
ValueError: weights[0] must have shape (2, 3), got (3,)
"""

from __future__ import annotations

from typing import Any, NoReturn, SupportsIndex

import numpy as np


def _fixed(self: ParameterList, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(
        f"{self.name} holds one array per layer: its length cannot change "
        "(assign into an entry instead)"
    )


class ParameterList(list):
    """A list of a network's live parameter arrays; assigning copies values in."""

    def __init__(self, arrays: list[np.ndarray], name: str) -> None:
        super().__init__(arrays)
        self.name = name

    def _copy_into(self, i: int, value: Any) -> None:
        target = list.__getitem__(self, i)
        arr = np.asarray(value)
        if arr.shape != target.shape:
            raise ValueError(f"{self.name}[{i}] must have shape {target.shape}, got {arr.shape}")
        target[...] = arr

    def __setitem__(self, index: SupportsIndex | slice, value: Any) -> None:  # type: ignore[override]
        if isinstance(index, slice):
            raise TypeError(f"assign {self.name} one entry at a time, or as a whole list")
        i = index.__index__()
        self._copy_into(i if i >= 0 else len(self) + i, value)

    def assign(self, values: Any) -> None:
        """Copy a whole list of arrays in (``net.weights = [...]``)."""
        values = list(values)
        if len(values) != len(self):
            raise ValueError(f"{self.name} needs {len(self)} arrays, got {len(values)}")
        for i, value in enumerate(values):
            self._copy_into(i, value)

    append = extend = insert = pop = remove = clear = sort = reverse = _fixed
    __delitem__ = __iadd__ = __imul__ = _fixed
