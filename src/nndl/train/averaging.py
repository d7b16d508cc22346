"""Weight averaging: the mean of the parameters at the ends of the last K epochs.

Stochastic weight averaging (Izmailov et al. 2018) with equal weights:

    w̄ = (1/K) Σ_{e = E−K+1}^{E} w_e,

where w_e are the trainable parameters at the end of epoch e and E the last
epoch averaged.  SGD's last iterates bounce around a minimum; their mean sits
nearer its middle, which usually generalises a little better than any one
of them.

Why the plain mean of the last K epochs and not an exponential moving
average of every step: it has one integer option and no decay to tune, it
costs one copy of the parameters per epoch (K copies kept), not an update
per step on the hot path, and what it is can be said exactly and tested
exactly ("the mean of these K epochs' weights").

The model's state arrays (``model.state_arrays()``) are averaged: the
trainable parameters, and the running statistics of batch normalisation
(averaged like the weights they go with); never optimiser state
(velocities, moments) or dropout masks.

Examples
--------
>>> import numpy as np
>>> avg = WeightAverage(2)
>>> for epoch, w in enumerate([1.0, 2.0, 4.0]):
...     avg.add(epoch, [np.array([w])])
>>> avg.epochs(), avg.mean()
([1, 2], [array([3.])])
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate


class WeightAverage:
    """Keeps the parameters of the last ``k`` epochs; :meth:`mean` is their average.

    Parameters
    ----------
    k : int
        How many epochs, the last ones, to average (≥ 1).

    Notes
    -----
    :meth:`choose` marks the epochs kept so far as the ones to average (early
    stopping calls it at each new best epoch): :meth:`mean` then averages the
    ``k`` epochs that end at the chosen one, not the last ``k`` run.
    """

    def __init__(self, k: int) -> None:
        self.k = _validate.positive_int(k, "average")
        self._window: deque[tuple[int, list[NDArray]]] = deque(maxlen=self.k)
        self._chosen: tuple[tuple[int, list[NDArray]], ...] | None = None

    def add(self, epoch: int, params: list[NDArray]) -> None:
        """Keep a copy of ``params`` as they are at the end of ``epoch``."""
        self._window.append((epoch, [p.copy() for p in params]))

    def choose(self) -> None:
        """Average the epochs kept up to now, whatever comes later."""
        self._chosen = tuple(self._window)  # the copies are never written: no new copy

    def _kept(self) -> tuple[tuple[int, list[NDArray]], ...]:
        return self._chosen if self._chosen is not None else tuple(self._window)

    def epochs(self) -> list[int]:
        """The epochs the average covers (fewer than ``k`` if fewer were run)."""
        return [epoch for epoch, _ in self._kept()]

    def mean(self) -> list[NDArray]:
        """w̄ for every parameter array, summed in float64 and cast to its dtype."""
        kept = [params for _, params in self._kept()]
        if not kept:
            raise ValueError("no epoch to average: training ran no epoch")
        return [
            (np.sum([params[i] for params in kept], axis=0, dtype=np.float64) / len(kept))
            .astype(kept[0][i].dtype)
            for i in range(len(kept[0]))
        ]


def summary_line(averaged: dict[str, Any]) -> str:
    """The line that reports the averaged weights' accuracies.

    >>> summary_line({"epochs": [3, 4], "test_correct": 90, "test_total": 100,
    ...               "validation_accuracy": 0.95})
    'Averaged weights of epochs 3-4: test 90 / 100 (90.00%), validation 95.00%'
    """
    parts = []
    if "test_correct" in averaged:
        parts.append(f"test {averaged['test_correct']} / {averaged['test_total']} "
                     f"({100 * averaged['test_correct'] / averaged['test_total']:.2f}%)")
    if "validation_accuracy" in averaged:
        parts.append(f"validation {100 * averaged['validation_accuracy']:.2f}%")
    return f"Averaged weights of {epochs_text(averaged['epochs'])}: " + (
        ", ".join(parts) or "not measured")


def epochs_text(epochs: list[int]) -> str:
    """``"epochs 3-4"``, or ``"epoch 3"`` for one."""
    return f"epochs {epochs[0]}-{epochs[-1]}" if len(epochs) > 1 else f"epoch {epochs[0]}"
