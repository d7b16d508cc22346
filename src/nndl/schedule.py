"""Learning-rate schedule and early stopping: pure bookkeeping on a list of scores.

Both watch the validation accuracy, one epoch at a time, and know nothing
about networks, so they can be tested on a scripted list of accuracies.

:class:`HalvingSchedule` is the book's (chapter 3): halve η whenever the
validation accuracy has not improved for ``patience`` epochs in a row, and
stop when η has fallen to 1/128 of its starting value.
:class:`EarlyStopping` stops when the accuracy has not improved for
``patience`` epochs; the training loop then restores the best weights.

"Improved" means strictly greater than the best accuracy seen so far.

Examples
--------
>>> s = HalvingSchedule(eta=1.0, patience=2)
>>> [s.update(a) for a in [0.5, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7]]
[1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
>>> stop = EarlyStopping(patience=2)
>>> [stop.update(a) for a in [0.5, 0.6, 0.6, 0.6]], stop.stop, stop.best_epoch
([True, True, False, False], True, 1)
"""

from __future__ import annotations

from typing import Any

from nndl import _validate


class _Watcher:
    """Tracks the best score and how many epochs have passed without beating it."""

    def __init__(self, patience: int) -> None:
        self.patience = _validate.positive_int(patience, "patience")
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.epochs_seen = 0
        self.since_best = 0

    def _record(self, score: float) -> bool:
        improved = self.best is None or score > self.best
        if improved:
            self.best, self.best_epoch, self.since_best = score, self.epochs_seen, 0
        else:
            self.since_best += 1
        self.epochs_seen += 1
        return improved


class HalvingSchedule(_Watcher):
    """Halve η after ``patience`` epochs without improvement; stop at η₀·``min_ratio``.

    Parameters
    ----------
    eta : float
        The starting learning rate η₀.
    patience : int, default 10
        The book's "no-improvement-in-10".
    factor : float, default 0.5
        η is multiplied by this on each plateau.
    min_ratio : float, default 1/128
        Training stops once η ≤ η₀ · min_ratio.

    Attributes
    ----------
    eta : float
        The current learning rate.
    stop : bool
        True once η has fallen to η₀ · min_ratio.
    """

    def __init__(
        self, eta: float, patience: int = 10, factor: float = 0.5, min_ratio: float = 1 / 128
    ) -> None:
        super().__init__(patience)
        self.eta0 = self.eta = _validate.positive_float(eta, "eta")
        for name, value in (("factor", factor), ("min_ratio", min_ratio)):
            if not (isinstance(value, int | float) and 0.0 < value < 1.0):
                raise ValueError(f"schedule {name} must be a number in (0, 1), got {value!r}")
        self.factor, self.min_ratio = float(factor), float(min_ratio)
        self.stop = False

    def update(self, accuracy: float) -> float:
        """Record one epoch's validation accuracy; return η for the next epoch."""
        self._record(accuracy)
        if self.since_best >= self.patience:
            self.eta *= self.factor
            self.since_best = 0  # give the smaller η ``patience`` epochs of its own
            if self.eta <= self.eta0 * self.min_ratio * (1 + 1e-12):
                self.stop = True
        return self.eta

    def config(self) -> dict[str, Any]:
        return {"patience": self.patience, "factor": self.factor, "min_ratio": self.min_ratio}


class EarlyStopping(_Watcher):
    """Stop after ``patience`` epochs without a better validation accuracy.

    :meth:`update` returns True when the epoch is the best so far: the
    training loop copies the weights then, and restores that copy at the end.
    """

    def __init__(self, patience: int = 10) -> None:
        super().__init__(patience)
        self.stop = False

    def update(self, accuracy: float) -> bool:
        """Record one epoch's validation accuracy; return whether it is a new best."""
        improved = self._record(accuracy)
        if self.since_best >= self.patience:
            self.stop = True
        return improved

    def config(self) -> dict[str, Any]:
        return {"patience": self.patience}
