"""Mini-batch stochastic gradient descent, for any nndl model.

The loop is the seed's ``SGD``: each epoch shuffles the training data,
cuts it into mini-batches and takes one gradient step per mini-batch.  It
knows nothing about layers: it asks the model for a step function
(``_make_step``, by default ``_train_step(x, y, eta)``), ``_parameters``
and ``evaluate``, so the fully connected :class:`~nndl.network.Network` and
later kinds of network share it.

Around the loop come the book's chapter-3 options: a regulariser, an
optimiser, monitoring of cost and accuracy on the training and validation
data, the η-halving schedule, early stopping with the best weights restored,
the book's expanded training data (one-pixel shifts made per mini-batch,
``expand=True``), and a guard that stops a diverging run (η too large) with the last good
weights and :class:`~nndl.errors.TrainingDiverged`.

Arguments are validated once, up front, and labels are turned into target
vectors once; the inner loop only slices arrays, so its cost per mini-batch
is the model's arithmetic and a handful of NumPy calls.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nndl import _validate
from nndl.data.expand import N_VERSIONS, expanded_batch, image_shape_of
from nndl.errors import TrainingDiverged
from nndl.history import History
from nndl.optimizers import get_optimizer
from nndl.regularizers import get_regularizer
from nndl.schedule import EarlyStopping, HalvingSchedule

if TYPE_CHECKING:
    from nndl.model import Model

#: ``on_batch(done, total)`` after each mini-batch; ``on_epoch(record)`` after each epoch.
BatchCallback = Callable[[int, int], None]
EpochCallback = Callable[[dict[str, Any]], None]

#: Rows per forward pass when measuring cost/accuracy on a whole data set.
CHUNK = 10_000


def sgd(
    model: Model,
    training_data: tuple[Any, Any],
    epochs: int,
    mini_batch_size: int,
    eta: float,
    test_data: tuple[Any, Any] | None = None,
    *,
    validation_data: tuple[Any, Any] | None = None,
    lmbda: float = 0.0,
    regularizer: Any = "l2",
    optimizer: Any = "sgd",
    schedule: int | dict[str, Any] | None = None,
    early_stopping: int | None = None,
    monitor_training_cost: bool = False,
    monitor_training_accuracy: bool = False,
    monitor_evaluation_cost: bool = False,
    monitor_evaluation_accuracy: bool | None = None,
    verbose: bool = True,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    expand: bool = False,
) -> History:
    """Train ``model`` by mini-batch SGD; return the :class:`History`.

    See :meth:`nndl.model.Model.SGD` for the parameters.
    """
    epochs = _validate.positive_int(epochs, "epochs", minimum=0)
    mini_batch_size = _validate.positive_int(mini_batch_size, "mini_batch_size")
    eta = _validate.positive_float(eta, "eta")
    x_raw, y_raw = _validate.dataset(training_data, "training_data")
    x, _ = _validate.inputs(x_raw, model.n_inputs, model.dtype, "training_data x")
    n = len(x)
    if n == 0:
        raise ValueError("training_data is empty: x has 0 rows")
    y = _validate.targets(y_raw, n, model.n_outputs, model.dtype, "training_data y")
    test = _labelled(model, test_data, "test_data")
    val = _labelled(model, validation_data, "validation_data")
    reg = get_regularizer(regularizer, _validate.positive_float(lmbda, "lmbda", allow_zero=True))
    opt = get_optimizer(optimizer)
    flags = {
        "monitor_training_cost": monitor_training_cost,
        "monitor_training_accuracy": monitor_training_accuracy,
        "monitor_evaluation_cost": monitor_evaluation_cost,
        "monitor_evaluation_accuracy": (
            val is not None if monitor_evaluation_accuracy is None else monitor_evaluation_accuracy
        ),
    }
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")
    if not isinstance(expand, bool):
        raise ValueError(f"expand must be True or False, got {expand!r}")
    image_shape = (
        image_shape_of(model.n_inputs, getattr(model, "input_shape", None)) if expand else None
    )
    sched = _schedule(schedule, eta)
    stopper = None if early_stopping is None else EarlyStopping(early_stopping)
    for name, used in (
        ("monitor_evaluation_cost", flags["monitor_evaluation_cost"]),
        ("monitor_evaluation_accuracy", flags["monitor_evaluation_accuracy"]),
        ("schedule", sched is not None),
        ("early_stopping", stopper is not None),
    ):
        if used and val is None:
            raise ValueError(f"{name} needs validation_data (the data it watches), got None")
    train_labels = np.argmax(y, axis=1) if flags["monitor_training_accuracy"] else None

    # With expand, an epoch visits 5·n virtual examples, and the regulariser's
    # n is that enlarged training-set size (as with the book's stored copies).
    n_epoch = n * N_VERSIONS if expand else n
    step = model._make_step(opt, reg, n_epoch)
    params = _parameters_or_none(model)
    history = History()
    history.stop_reason = "epochs"
    best: list[np.ndarray] | None = None
    batches = range(0, n_epoch, mini_batch_size)
    for j in range(epochs):
        good = None if params is None else [p.copy() for p in params]
        start = time.perf_counter()
        # Shuffle indices, not the data: gathering one mini-batch of rows is
        # far cheaper than permuting a 50,000 x 784 array every epoch.
        order = model.rng.permutation(n_epoch)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for done, k in enumerate(batches, start=1):
                idx = order[k : k + mini_batch_size]
                if image_shape is None:
                    step(x[idx], y[idx], eta)
                else:
                    step(*expanded_batch(x, y, idx, image_shape), eta)
                if on_batch is not None:
                    on_batch(done, len(batches))
            record: dict[str, Any] = {
                "epoch": j, "seconds": time.perf_counter() - start, "eta": eta
            }
            if flags["monitor_training_cost"]:
                record["training_cost"] = _mean_cost(model, x, y, reg, n_epoch)
            if train_labels is not None:
                _accuracy(model, x, train_labels, "training", record)
            if flags["monitor_evaluation_cost"]:
                vx, vlabels = val  # type: ignore[misc]
                vy = np.eye(model.n_outputs, dtype=model.dtype)[vlabels]
                record["validation_cost"] = _mean_cost(model, vx, vy, reg, n_epoch)
            if val is not None and (flags["monitor_evaluation_accuracy"] or sched or stopper):
                _accuracy(model, *val, "validation", record)
        problem = _divergence(params, record)
        if problem is not None:
            if good is not None:
                for p, g in zip(params, good, strict=True):  # type: ignore[arg-type]
                    p[...] = g
            history.stop_reason = "diverged"
            history.message = (
                f"training diverged at epoch {j} ({problem}): try a smaller eta (now {eta:g}); "
                + ("the weights are those before that epoch" if good is not None else "")
            )
            model.history_ = history
            raise TrainingDiverged(history.message, history)
        if test is not None:
            correct = model._count_correct(*test)
            total = len(test[0])
            record.update(test_correct=correct, test_total=total, test_accuracy=correct / total)
            if verbose:
                print(f"Epoch {j}: {correct} / {total}")
        elif verbose:
            print(f"Epoch {j} complete")
        if verbose:
            _print_monitors(record)
        if stopper is not None and stopper.update(record["validation_accuracy"]):
            best = [p.copy() for p in params] if params is not None else None
        if sched is not None:
            new_eta = sched.update(record["validation_accuracy"])
            if verbose and new_eta != eta:
                print(f"  no improvement in {sched.patience} epochs: eta {eta:g} -> {new_eta:g}")
            eta = new_eta
        if on_epoch is not None:
            on_epoch(record)  # may add its own measurements to the record
        history.append(record)
        if stopper is not None and stopper.stop:
            history.stop_reason = "early_stopping"
            break
        if sched is not None and sched.stop:
            history.stop_reason = "schedule"
            break
    if stopper is not None and best is not None:
        for p, b in zip(params, best, strict=True):  # type: ignore[arg-type]
            p[...] = b
        history.best_epoch = stopper.best_epoch
        history.message = (
            f"stopped after {len(history)} epochs ({history.stop_reason}); restored the "
            f"weights of epoch {stopper.best_epoch} (validation accuracy {stopper.best:.4f})"
        )
        if verbose:
            print(history.message)
    return history


def correct_count(predicted: np.ndarray, labels: np.ndarray) -> int:
    """Number of positions where ``predicted`` equals ``labels``."""
    return int(np.count_nonzero(predicted == labels))


def _labelled(model: Model, data: Any, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    if data is None:
        return None
    x_raw, y_raw = _validate.dataset(data, name)
    x, _ = _validate.inputs(x_raw, model.n_inputs, model.dtype, f"{name} x")
    if len(x) == 0:
        raise ValueError(f"{name} is empty: x has 0 rows")
    return x, _validate.labels(y_raw, len(x), model.n_outputs, f"{name} y")


def _schedule(spec: Any, eta: float) -> HalvingSchedule | None:
    if spec is None:
        return None
    if isinstance(spec, dict):
        return HalvingSchedule(eta, **spec)
    if isinstance(spec, bool) or not isinstance(spec, int) or spec < 1:
        raise ValueError(
            "schedule must be None, a patience (an integer >= 1, epochs without "
            f"improvement before eta is halved) or a dict of HalvingSchedule options, got {spec!r}"
        )
    return HalvingSchedule(eta, patience=spec)


def _parameters_or_none(model: Model) -> list[np.ndarray] | None:
    try:
        return model._parameters()
    except NotImplementedError:
        return None


def _mean_cost(model: Model, x: np.ndarray, y: np.ndarray, reg: Any, n: int) -> float:
    """Mean cost over a whole data set, in chunks, plus the penalty (with n = training size)."""
    total = sum(
        model._cost(x[k : k + CHUNK], y[k : k + CHUNK], None, n) * len(x[k : k + CHUNK])
        for k in range(0, len(x), CHUNK)
    )
    cost = total / len(x)
    if reg is not None:
        params, flags = model._parameters(), model._regularized()
        cost += reg.penalty([p for p, f in zip(params, flags, strict=True) if f], n)
    return float(cost)


def _accuracy(model: Model, x: np.ndarray, labels: np.ndarray, key: str, record: dict) -> None:
    correct = model._count_correct(x, labels)
    record.update(
        {f"{key}_correct": correct, f"{key}_total": len(x), f"{key}_accuracy": correct / len(x)}
    )


def _divergence(params: list[np.ndarray] | None, record: dict[str, Any]) -> str | None:
    """Describe what went non-finite this epoch, or None if all is well."""
    for key in ("training_cost", "validation_cost"):
        if key in record and not math.isfinite(record[key]):
            return f"{key.replace('_', ' ')} is {record[key]}"
    if params is not None and not all(np.isfinite(p).all() for p in params):
        return "the weights are not finite"
    return None


def _print_monitors(record: dict[str, Any]) -> None:
    """The book's monitoring lines."""
    for key, label in (("training", "training data"), ("validation", "evaluation data")):
        if f"{key}_cost" in record:
            print(f"  Cost on {label}: {record[f'{key}_cost']:.6g}")
        if f"{key}_correct" in record:
            print(f"  Accuracy on {label}: {record[f'{key}_correct']} / {record[f'{key}_total']}")
