"""What a run measures after each epoch, and the book's lines it prints.

The monitored costs and accuracies (:func:`measure`), the test data's
``Epoch k: c / n`` (:func:`report`), and the check that nothing went
non-finite (:func:`divergence`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nndl.inspect import learning_speed
from nndl.nn.layers.base import EVAL_BATCH as CHUNK  # rows per forward pass: the engine's
from nndl.train.run import Run, Trainable


def measure(model: Trainable, run: Run, record: dict[str, Any]) -> None:
    """Add the monitored costs and accuracies (training, validation) to ``record``.

    With ``monitor_gradients``, ``record["gradient_norms"]`` is the book's
    ‖δˡ‖ of every layer with parameters, the output layer last (see
    :mod:`nndl.inspect.learning_speed`).
    """
    if run.config.monitor_gradients:
        record["gradient_norms"] = learning_speed.gradient_norms(model, run.x, run.y)
    if run.monitors["monitor_training_cost"]:
        record["training_cost"] = _mean_cost(model, run.x, run.y, run.reg, run.n_epoch)
    if run.monitors["monitor_training_accuracy"]:
        accuracy(model, run.x, np.argmax(run.y, axis=1), "training", record)
    if run.val is None:
        return
    vx, vlabels = run.val
    if run.monitors["monitor_evaluation_cost"]:
        vy = np.eye(model.n_outputs, dtype=model.dtype)[vlabels]
        record["validation_cost"] = _mean_cost(model, vx, vy, run.reg, run.n_epoch)
    if run.monitors["monitor_evaluation_accuracy"] or run.schedule or run.stopper:
        accuracy(model, vx, vlabels, "validation", record)


def report(model: Trainable, run: Run, record: dict[str, Any]) -> None:
    """Measure the test data (the seed's ``Epoch k: c / n`` line) and print the monitors."""
    j = record["epoch"]
    verbose = run.config.verbose
    if run.test is not None:
        correct = model.count_correct(*run.test)
        total = len(run.test[0])
        record.update(test_correct=correct, test_total=total, test_accuracy=correct / total)
        if verbose:
            print(f"Epoch {j}: {correct} / {total}")
    elif verbose:
        print(f"Epoch {j} complete")
    if verbose:
        _print_monitors(record)


def accuracy(model: Trainable, x: np.ndarray, labels: np.ndarray, key: str,
             record: dict) -> None:
    """Add ``{key}_correct``, ``{key}_total`` and ``{key}_accuracy`` to ``record``."""
    correct = model.count_correct(x, labels)
    record.update(
        {f"{key}_correct": correct, f"{key}_total": len(x), f"{key}_accuracy": correct / len(x)}
    )


def divergence(params: list[np.ndarray], record: dict[str, Any]) -> str | None:
    """Describe what went non-finite this epoch, or None if all is well."""
    for key in ("training_cost", "validation_cost"):
        if key in record and not math.isfinite(record[key]):
            return f"{key.replace('_', ' ')} is {record[key]}"
    if not all(np.isfinite(p).all() for p in params):
        return "the weights are not finite"
    return None


def _mean_cost(model: Trainable, x: np.ndarray, y: np.ndarray, reg: Any, n: int) -> float:
    """Mean cost over a whole data set, in chunks, plus the penalty (with n = training size)."""
    total = sum(
        model.mean_cost(x[k : k + CHUNK], y[k : k + CHUNK]) * len(x[k : k + CHUNK])
        for k in range(0, len(x), CHUNK)
    )
    return float(total / len(x) + (model.penalty(reg, n) if reg is not None else 0.0))


def _print_monitors(record: dict[str, Any]) -> None:
    """The book's monitoring lines."""
    for key, label in (("training", "training data"), ("validation", "evaluation data")):
        if f"{key}_cost" in record:
            print(f"  Cost on {label}: {record[f'{key}_cost']:.6g}")
        if f"{key}_correct" in record:
            print(f"  Accuracy on {label}: {record[f'{key}_correct']} / {record[f'{key}_total']}")
    if "gradient_norms" in record:
        print(f"  Learning speed |dC/db| per layer: "
              f"{learning_speed.format_norms(record['gradient_norms'])}")
