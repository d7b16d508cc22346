"""Mini-batch stochastic gradient descent, for any nndl model.

The loop is the seed's ``SGD``: each epoch shuffles the training data,
cuts it into mini-batches and takes one gradient step per mini-batch.  It
knows nothing about layers: it uses the model protocol documented in
:mod:`nndl.sequential` (``make_step``, ``state_arrays``, ``mean_cost``, ``penalty``,
``count_correct``, ``n_inputs``, ``n_outputs``, ``dtype``, ``rng``,
``input_shape``), so every nndl model shares it.  The steps are small
functions: :func:`prepare` (validate everything once), :func:`run_epoch`,
:func:`measure`, and the stopping rules in :func:`sgd`.

Around the loop come the book's chapter-3 options: a regulariser, an
optimiser, monitoring of cost and accuracy on the training and validation
data, the η-halving schedule or a per-step one (η set for every mini-batch
from :mod:`nndl.schedule`), early stopping with the best weights restored,
the mean of the last epochs' weights (:mod:`nndl.averaging`),
the book's expanded training data (one-pixel shifts made per mini-batch,
``expand=True``), random affine maps and elastic distortions made per
mini-batch (``augment=``, :mod:`nndl.data.augment`; with ``expand`` both
apply: the one-pixel shift first), and a guard that stops a diverging run
(η too large) with the last good weights and :class:`~nndl.errors.TrainingDiverged`.

Arguments are validated once, up front, and labels are turned into target
vectors once; the inner loop only slices arrays, so its cost per mini-batch
is the model's arithmetic and a handful of NumPy calls.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from nndl import _validate, learning_speed
from nndl.averaging import WeightAverage, summary_line
from nndl.data.augment import batch_transform
from nndl.data.expand import N_VERSIONS, expanded_batch, image_shape_of
from nndl.errors import TrainingDiverged
from nndl.history import History
from nndl.layers.base import EVAL_BATCH as CHUNK  # rows per forward pass: the engine's
from nndl.optimizers import Optimizer, get_optimizer
from nndl.regularizers import Regularizer, get_regularizer
from nndl.schedule import EarlyStopping, HalvingSchedule, StepSchedule, get_schedule

#: ``on_batch(done, total)`` after each mini-batch; ``on_epoch(record)`` after each epoch.
BatchCallback = Callable[[int, int], None]
EpochCallback = Callable[[dict[str, Any]], None]
Step = Callable[[np.ndarray, np.ndarray, float], None]

MONITORS = (
    "monitor_training_cost",
    "monitor_training_accuracy",
    "monitor_evaluation_cost",
    "monitor_evaluation_accuracy",
)


class Trainable(Protocol):
    """What :func:`sgd` needs of a model (the protocol of :mod:`nndl.sequential`)."""

    n_inputs: int
    n_outputs: int
    dtype: np.dtype
    rng: np.random.Generator
    input_shape: tuple[int, ...]

    def make_step(self, optimizer: Optimizer | None, regularizer: Regularizer | None,
                  n: int) -> Step: ...
    def state_arrays(self) -> list[np.ndarray]: ...
    def mean_cost(self, x: np.ndarray, y: np.ndarray, regularizer: Regularizer | None = None,
                  n: int = 1) -> float: ...
    def count_correct(self, x: np.ndarray, labels: np.ndarray) -> int: ...
    def penalty(self, regularizer: Regularizer, n: int) -> float: ...


@dataclass
class Run:
    """Everything :func:`sgd` validated, ready for the loop."""

    x: np.ndarray
    y: np.ndarray
    epochs: int
    mini_batch_size: int
    eta: float
    test: tuple[np.ndarray, np.ndarray] | None
    val: tuple[np.ndarray, np.ndarray] | None
    reg: Regularizer | None
    opt: Optimizer
    monitors: dict[str, bool]
    image_shape: tuple[int, int] | None
    schedule: HalvingSchedule | None
    stopper: EarlyStopping | None
    verbose: bool
    on_batch: BatchCallback | None
    on_epoch: EpochCallback | None
    monitor_gradients: bool = False
    #: η of every mini-batch step of the run, from a per-step schedule (else None).
    etas: np.ndarray | None = None
    #: Average the weights of the last this many epochs (:mod:`nndl.averaging`).
    average: int | None = None
    #: The per-mini-batch augmentation (``x ↦ x'``, drawing from model.rng), if any.
    augment: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def n_epoch(self) -> int:
        """Examples visited per epoch: 5·n with the expanded data (the regulariser's n)."""
        return len(self.x) * (N_VERSIONS if self.image_shape is not None else 1)


def sgd(model: Trainable, run: Run) -> History:
    """Train ``model`` by mini-batch SGD as :func:`prepare` set ``run`` up; return the History.

    See :meth:`nndl.model.Model.SGD` for the parameters.
    """
    step = model.make_step(run.opt, run.reg, run.n_epoch)
    params = model.state_arrays()  # trainable parameters and buffers (running statistics)
    history = History()
    history.stop_reason = "epochs"
    best: list[np.ndarray] | None = None
    averager = None if run.average is None else WeightAverage(run.average)
    for j in range(run.epochs):
        good = [p.copy() for p in params]
        record = run_epoch(model, run, step, j)
        problem = _divergence(params, record)
        if problem is not None:
            _diverged(model, params, good, history, j, run.eta, problem)
        report(model, run, record)
        if averager is not None:
            averager.add(j, params)
        if run.stopper is not None and run.stopper.update(record["validation_accuracy"]):
            best = [p.copy() for p in params]
            if averager is not None:
                averager.choose()
        _update_eta(run, record)
        if run.on_epoch is not None:
            run.on_epoch(record)  # may add its own measurements to the record
        history.append(record)
        if run.stopper is not None and run.stopper.stop:
            history.stop_reason = "early_stopping"
            break
        if run.schedule is not None and run.schedule.stop:
            history.stop_reason = "schedule"
            break
    if run.stopper is not None and best is not None:
        _restore_best(params, best, run, history)
    if averager is not None and len(history):
        _use_average(model, run, averager, history)
    return history


def prepare(
    model: Trainable,
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
    schedule: Any = None,
    early_stopping: int | None = None,
    average: int | None = None,
    monitor_training_cost: bool = False,
    monitor_training_accuracy: bool = False,
    monitor_evaluation_cost: bool = False,
    monitor_evaluation_accuracy: bool | None = None,
    verbose: bool = True,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
    expand: bool = False,
    monitor_gradients: bool = False,
    augment: Any = None,
) -> Run:
    """Validate every argument once; return the :class:`Run` the loop works from."""
    x, y = _training_arrays(model, training_data)
    val = _labelled(model, validation_data, "validation_data")
    monitors = dict(zip(MONITORS, (
        monitor_training_cost, monitor_training_accuracy, monitor_evaluation_cost,
        val is not None if monitor_evaluation_accuracy is None else monitor_evaluation_accuracy,
    ), strict=True))
    _check_flags({**monitors, "expand": expand, "verbose": verbose,
                  "monitor_gradients": monitor_gradients})
    eta = _validate.positive_float(eta, "eta")
    chosen = get_schedule(schedule, eta)
    run = Run(
        x=x, y=y,
        epochs=_validate.positive_int(epochs, "epochs", minimum=0),
        mini_batch_size=_validate.positive_int(mini_batch_size, "mini_batch_size"),
        eta=eta,
        test=_labelled(model, test_data, "test_data"),
        val=val,
        reg=get_regularizer(
            regularizer, _validate.positive_float(lmbda, "lmbda", allow_zero=True)
        ),
        opt=get_optimizer(optimizer),
        monitors=monitors,
        image_shape=image_shape_of(model.n_inputs, model.input_shape) if expand else None,
        schedule=chosen if isinstance(chosen, HalvingSchedule) else None,
        stopper=None if early_stopping is None else EarlyStopping(early_stopping),
        verbose=verbose, on_batch=on_batch, on_epoch=on_epoch,
        monitor_gradients=monitor_gradients,
        average=None if average is None else _validate.positive_int(average, "average"),
        augment=batch_transform(augment, lambda: model.rng, model.n_inputs, model.input_shape),
    )
    run.etas = _step_etas(chosen, run)
    _check_validation_users(run)
    return run


def _check_flags(flags: dict[str, Any]) -> None:
    """Refuse any option of ``flags`` that is not exactly True or False."""
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {value!r}")


def _step_etas(schedule: Any, run: Run) -> np.ndarray | None:
    """η of every step of the run from a per-step schedule (None without one or epochs)."""
    if not isinstance(schedule, StepSchedule) or not run.epochs:
        return None
    per_epoch = math.ceil(run.n_epoch / run.mini_batch_size)
    return schedule.etas(run.eta, run.epochs * per_epoch, per_epoch)


def _check_validation_users(run: Run) -> None:
    """Refuse the options that watch the validation data when there is none."""
    for name, used in (
        ("monitor_evaluation_cost", run.monitors["monitor_evaluation_cost"]),
        ("monitor_evaluation_accuracy", run.monitors["monitor_evaluation_accuracy"]),
        ("schedule", run.schedule is not None),  # the halving one; a per-step one needs none
        ("early_stopping", run.stopper is not None),
    ):
        if used and run.val is None:
            raise ValueError(f"{name} needs validation_data (the data it watches), got None")


def run_epoch(model: Trainable, run: Run, step: Step, j: int) -> dict[str, Any]:
    """One pass over the (shuffled) training data, then the epoch's measurements."""
    start = time.perf_counter()
    n_epoch, size = run.n_epoch, run.mini_batch_size
    batches = range(0, n_epoch, size)
    # Shuffle indices, not the data: gathering one mini-batch of rows is
    # far cheaper than permuting a 50,000 x 784 array every epoch.
    order = model.rng.permutation(n_epoch)
    # η of each step: the schedule's, else the same run.eta for every step.
    etas = [run.eta] * len(batches) if run.etas is None else \
        run.etas[j * len(batches) : (j + 1) * len(batches)].tolist()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for done, (k, eta) in enumerate(zip(batches, etas, strict=True), start=1):
            idx = order[k : k + size]
            if run.image_shape is None:
                xb, yb = run.x[idx], run.y[idx]
            else:
                xb, yb = expanded_batch(run.x, run.y, idx, run.image_shape)
            step(xb if run.augment is None else run.augment(xb), yb, eta)
            if run.on_batch is not None:
                run.on_batch(done, len(batches))
        run.eta = etas[-1]  # a per-step schedule's η at the end of the epoch
        record: dict[str, Any] = {"epoch": j, "seconds": time.perf_counter() - start,
                                  "eta": run.eta}
        measure(model, run, record)
    return record


def measure(model: Trainable, run: Run, record: dict[str, Any]) -> None:
    """Add the monitored costs and accuracies (training, validation) to ``record``.

    With ``monitor_gradients``, ``record["gradient_norms"]`` is the book's
    ‖δˡ‖ of every layer with parameters, the output layer last (see
    :mod:`nndl.learning_speed`).
    """
    if run.monitor_gradients:
        record["gradient_norms"] = learning_speed.gradient_norms(model, run.x, run.y)
    if run.monitors["monitor_training_cost"]:
        record["training_cost"] = _mean_cost(model, run.x, run.y, run.reg, run.n_epoch)
    if run.monitors["monitor_training_accuracy"]:
        _accuracy(model, run.x, np.argmax(run.y, axis=1), "training", record)
    if run.val is None:
        return
    vx, vlabels = run.val
    if run.monitors["monitor_evaluation_cost"]:
        vy = np.eye(model.n_outputs, dtype=model.dtype)[vlabels]
        record["validation_cost"] = _mean_cost(model, vx, vy, run.reg, run.n_epoch)
    if run.monitors["monitor_evaluation_accuracy"] or run.schedule or run.stopper:
        _accuracy(model, vx, vlabels, "validation", record)


def report(model: Trainable, run: Run, record: dict[str, Any]) -> None:
    """Measure the test data (the seed's ``Epoch k: c / n`` line) and print the monitors."""
    j = record["epoch"]
    if run.test is not None:
        correct = model.count_correct(*run.test)
        total = len(run.test[0])
        record.update(test_correct=correct, test_total=total, test_accuracy=correct / total)
        if run.verbose:
            print(f"Epoch {j}: {correct} / {total}")
    elif run.verbose:
        print(f"Epoch {j} complete")
    if run.verbose:
        _print_monitors(record)


def _training_arrays(model: Trainable, data: Any) -> tuple[np.ndarray, np.ndarray]:
    x_raw, y_raw = _validate.dataset(data, "training_data")
    x, _ = _validate.inputs(x_raw, model.n_inputs, model.dtype, "training_data x")
    if len(x) == 0:
        raise ValueError("training_data is empty: x has 0 rows")
    return x, _validate.targets(y_raw, len(x), model.n_outputs, model.dtype, "training_data y")


def _update_eta(run: Run, record: dict[str, Any]) -> None:
    if run.schedule is None:
        return
    new_eta = run.schedule.update(record["validation_accuracy"])
    if run.verbose and new_eta != run.eta:
        print(f"  no improvement in {run.schedule.patience} epochs: "
              f"eta {run.eta:g} -> {new_eta:g}")
    run.eta = new_eta


def _diverged(model: Any, params: list[np.ndarray], good: list[np.ndarray],
              history: History, j: int, eta: float, problem: str) -> None:
    """Put the last good weights back and raise :class:`TrainingDiverged`."""
    for p, g in zip(params, good, strict=True):
        p[...] = g
    history.stop_reason = "diverged"
    history.message = (
        f"training diverged at epoch {j} ({problem}): try a smaller eta (now {eta:g}); "
        "the weights are those before that epoch"
    )
    model.history_ = history
    raise TrainingDiverged(history.message, history)


def _restore_best(params: list[np.ndarray], best: list[np.ndarray], run: Run,
                  history: History) -> None:
    stopper = run.stopper
    assert stopper is not None
    for p, b in zip(params, best, strict=True):
        p[...] = b
    history.best_epoch = stopper.best_epoch
    history.message = (
        f"stopped after {len(history)} epochs ({history.stop_reason}); restored the "
        f"weights of epoch {stopper.best_epoch} (validation accuracy {stopper.best:.4f})"
    )
    if run.verbose:
        print(history.message)


def _use_average(model: Trainable, run: Run, averager: WeightAverage,
                 history: History) -> None:
    """Make the averaged weights the model's; measure them once on the test and validation data."""
    for p, m in zip(model.state_arrays(), averager.mean(), strict=True):
        p[...] = m
    averaged: dict[str, Any] = {"epochs": averager.epochs()}
    if run.test is not None:
        _accuracy(model, *run.test, "test", averaged)
    if run.val is not None:
        _accuracy(model, *run.val, "validation", averaged)
    history.averaged = averaged
    if run.verbose:
        print(summary_line(averaged))


def _labelled(model: Trainable, data: Any, name: str) -> tuple[np.ndarray, np.ndarray] | None:
    if data is None:
        return None
    x_raw, y_raw = _validate.dataset(data, name)
    x, _ = _validate.inputs(x_raw, model.n_inputs, model.dtype, f"{name} x")
    if len(x) == 0:
        raise ValueError(f"{name} is empty: x has 0 rows")
    return x, _validate.labels(y_raw, len(x), model.n_outputs, f"{name} y")


def _mean_cost(model: Trainable, x: np.ndarray, y: np.ndarray, reg: Any, n: int) -> float:
    """Mean cost over a whole data set, in chunks, plus the penalty (with n = training size)."""
    total = sum(
        model.mean_cost(x[k : k + CHUNK], y[k : k + CHUNK]) * len(x[k : k + CHUNK])
        for k in range(0, len(x), CHUNK)
    )
    return float(total / len(x) + (model.penalty(reg, n) if reg is not None else 0.0))


def _accuracy(model: Trainable, x: np.ndarray, labels: np.ndarray, key: str,
              record: dict) -> None:
    correct = model.count_correct(x, labels)
    record.update(
        {f"{key}_correct": correct, f"{key}_total": len(x), f"{key}_accuracy": correct / len(x)}
    )


def _divergence(params: list[np.ndarray], record: dict[str, Any]) -> str | None:
    """Describe what went non-finite this epoch, or None if all is well."""
    for key in ("training_cost", "validation_cost"):
        if key in record and not math.isfinite(record[key]):
            return f"{key.replace('_', ' ')} is {record[key]}"
    if not all(np.isfinite(p).all() for p in params):
        return "the weights are not finite"
    return None


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
