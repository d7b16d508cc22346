"""The best-epoch rule and the run record: which weights a run keeps, and what a file says.

**The rule.**  The best epoch is the one with the highest accuracy on the
data named by ``TrainConfig.select_on`` — the validation data (the default),
so that the test data stays an honest estimate; the earliest of equal
epochs wins ("better" means strictly greater, as for early stopping).  A run
ends with the best epoch's weights when ``TrainConfig.keeps_best`` (with
early stopping, or ``restore_best=True``), also when it is interrupted or
diverges; otherwise with the last epoch's.  Without validation data nothing
is chosen on it: the last epoch is kept.  The test data is never chosen on
unless the caller asks with ``select_on="test"`` (``nndl train`` does on data
without a validation split, says so and records it).  With ``average`` the
run ends with the averaged weights instead.

**The run record** (:func:`run_record`) is the metadata a model file keeps
about its training, built the one way for ``nndl train``, ``nndl watch`` and
the default model of ``nndl serve``.

Examples
--------
>>> from nndl.train.history import History
>>> h = History([{"epoch": 0, "test_accuracy": 0.8}, {"epoch": 1, "test_accuracy": 0.9}])
>>> kept_epoch(h)["epoch"]  # nothing chosen: the last epoch
1
>>> record = run_record(h, {"eta": 3.0}, data_source="sample", training_examples=1000,
...                     seed=2)
>>> record["best_epoch"], record["selected_on"], record["test_accuracy"]
(1, 'last', 0.9)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.train.history import History


class Best:
    """The best epoch so far by ``key`` (e.g. ``"validation_accuracy"``) and its weights.

    ``key=None`` tracks nothing (a run that keeps its last epoch).
    """

    def __init__(self, key: str | None) -> None:
        self.key = key
        self.record: dict[str, Any] | None = None
        self.weights: list[np.ndarray] | None = None

    def update(self, record: dict[str, Any], params: list[np.ndarray]) -> bool:
        """Keep a copy of ``params`` if ``record`` is strictly better; True if it was."""
        if self.key is None or self.key not in record:
            return False
        if self.record is not None and record[self.key] <= self.record[self.key]:
            return False
        self.record, self.weights = record, [p.copy() for p in params]
        return True

    def restore(self, params: list[np.ndarray], history: History) -> bool:
        """Put the best weights back into ``params`` and say so in ``history``."""
        if self.record is None or self.weights is None or self.key is None:
            return False
        for p, b in zip(params, self.weights, strict=True):
            p[...] = b
        history.best_epoch = self.record["epoch"]
        history.selected_on = self.key.removesuffix("_accuracy")
        return True


def kept_epoch(history: History) -> dict[str, Any] | None:
    """The record of the epoch whose weights the model has: the best one restored, else the
    last; None before any epoch."""
    if history.best_epoch is not None:
        return next(r for r in history if r["epoch"] == history.best_epoch)
    return history.records[-1] if len(history) else None


def run_record(history: History, options: dict[str, Any], *, data_source: str | None,
               training_examples: int | None, seed: int | None, stopped: str = "completed",
               **about: Any) -> dict[str, Any]:
    """The metadata of a model file: the options, the data, how it ended, and the history.

    ``options`` are the training options to record; ``about`` adds top-level
    keys (``preset``, ``written_by``).  ``test_accuracy`` and
    ``validation_accuracy`` are those of the weights kept (the averaged ones
    after ``average``); ``best_epoch`` is :func:`kept_epoch`'s.
    """
    from nndl import __version__

    kept = kept_epoch(history)
    measured = history.averaged or kept or {}
    seconds = history.seconds if history.seconds is not None else \
        sum(r.get("seconds", 0.0) for r in history)
    return {
        "nndl_version": __version__,
        **about,
        "training": {
            **options, "epochs_completed": len(history), "seed": seed, "data": data_source,
            "training_examples": training_examples, "stopped": stopped,
            "interrupted": stopped in ("interrupted", "terminated"),
            "seconds": round(seconds, 3),
        },
        "best_epoch": None if kept is None else kept["epoch"],
        "selected_on": history.selected_on or "last",
        "test_accuracy": measured.get("test_accuracy"),
        "validation_accuracy": measured.get("validation_accuracy"),
        "history": history.to_list(),
        **({"averaged": history.averaged} if history.averaged is not None else {}),
    }
