"""The training record: one row of measurements per epoch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class History:
    """Per-epoch measurements of a training run, like scikit-learn's ``loss_curve_``.

    Each epoch appends a record (a ``dict``) such as
    ``{"epoch": 0, "seconds": 0.31, "test_correct": 9129, "test_total": 10000,
    "test_accuracy": 0.9129}``.  ``history["test_accuracy"]`` gives one column
    as a list (``None`` where an epoch did not measure it).

    Examples
    --------
    >>> h = History()
    >>> h.append({"epoch": 0, "test_accuracy": 0.9})
    >>> h.append({"epoch": 1, "test_accuracy": 0.95})
    >>> h["test_accuracy"], h.best("test_accuracy")["epoch"]
    ([0.9, 0.95], 1)
    """

    def __init__(self, records: list[dict[str, Any]] | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records or []]
        #: Why training ended: "epochs" (all done), "early_stopping", "schedule"
        #: (η fell to its floor) or "diverged"; None before training ends.
        self.stop_reason: str | None = None
        #: The epoch whose weights the model ended with, when the best epoch was restored
        #: (early stopping, ``restore_best``; see :mod:`nndl.train.record`).
        self.best_epoch: int | None = None
        #: The data the restored best epoch was chosen on ("validation", "test"), else None.
        self.selected_on: str | None = None
        #: Seconds the whole run took (None for a history not made by training).
        self.seconds: float | None = None
        #: A sentence for people, e.g. the divergence message.
        self.message: str | None = None
        #: With ``SGD(average=K)``: the epochs averaged and the accuracies of the averaged
        #: weights (``test_accuracy``, ``validation_accuracy``, ...), which the model ended with.
        self.averaged: dict[str, Any] | None = None

    def append(self, record: dict[str, Any]) -> None:
        """Add one epoch's record."""
        self.records.append(dict(record))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __getitem__(self, key: str) -> list[Any]:
        if not any(key in r for r in self.records):
            raise KeyError(f"no epoch recorded {key!r}; recorded: {sorted(self.keys())}")
        return [r.get(key) for r in self.records]

    def keys(self) -> set[str]:
        """Every measurement name that some epoch recorded."""
        return {k for r in self.records for k in r}

    def best(self, key: str, mode: str = "max") -> dict[str, Any] | None:
        """The record with the best value of ``key`` (first one on ties), or ``None``."""
        rows = [r for r in self.records if r.get(key) is not None]
        if not rows:
            return None
        pick = max if mode == "max" else min
        best_value = pick(r[key] for r in rows)
        return next(r for r in rows if r[key] == best_value)

    def to_list(self) -> list[dict[str, Any]]:
        """The records as plain JSON-ready dicts."""
        return [dict(r) for r in self.records]

    def summary(self) -> dict[str, Any]:
        """JSON-ready: ``{"epochs": [...records], "stop_reason", "best_epoch", "message"}``,
        and ``"averaged"`` when the weights were averaged."""
        return {
            "epochs": self.to_list(),
            "stop_reason": self.stop_reason,
            "best_epoch": self.best_epoch,
            "message": self.message,
            **({"averaged": self.averaged} if self.averaged is not None else {}),
        }

    def __repr__(self) -> str:
        return f"History({len(self.records)} epochs)"
