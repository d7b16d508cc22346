"""A training run set up: the data checked, the options turned into the objects the loop uses.

:func:`prepare` checks the data once (shapes, labels turned into target
vectors) and builds the regulariser, the optimiser, the schedules, early
stopping and the per-mini-batch augmentation from a
:class:`~nndl.train.config.TrainConfig`; the loop (:mod:`nndl.train.loop`)
then only slices arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from nndl import _validate
from nndl.data.augment import batch_transform
from nndl.data.expand import N_VERSIONS, image_shape_of
from nndl.train.config import TrainConfig
from nndl.train.optimizers import Optimizer, get_optimizer
from nndl.train.regularizers import Regularizer, get_regularizer
from nndl.train.schedule import EarlyStopping, HalvingSchedule, StepSchedule, get_schedule

#: ``on_batch(done, total)`` after each mini-batch; ``on_epoch(record)`` after each epoch.
BatchCallback = Callable[[int, int], None]
EpochCallback = Callable[[dict[str, Any]], None]
Step = Callable[[np.ndarray, np.ndarray, float], None]
Labelled = tuple[np.ndarray, np.ndarray]


class Trainable(Protocol):
    """What training needs of a model (the protocol of :mod:`nndl.model.sequential`)."""

    dtype: np.dtype
    rng: np.random.Generator

    @property
    def n_inputs(self) -> int: ...
    @property
    def n_outputs(self) -> int: ...
    @property
    def input_shape(self) -> tuple[int, ...]: ...

    def make_step(self, optimizer: Optimizer | None, regularizer: Regularizer | None,
                  n: int) -> Step: ...
    def state_arrays(self) -> list[np.ndarray]: ...
    def mean_cost(self, x: np.ndarray, y: np.ndarray, regularizer: Regularizer | None = None,
                  n: int = 1) -> float: ...
    def count_correct(self, x: np.ndarray, labels: np.ndarray) -> int: ...
    def penalty(self, regularizer: Regularizer, n: int) -> float: ...


@dataclass(frozen=True)
class Splits:
    """The data of a run: ``training`` ``(x, y)``; ``validation`` and ``test`` ``(x, labels)``.

    Any object with these three attributes will do (e.g. :class:`nndl.data.MNIST`).
    """

    training: tuple[Any, Any]
    validation: tuple[Any, Any] | None = None
    test: tuple[Any, Any] | None = None


@dataclass(frozen=True)
class Hooks:
    """What a run tells its caller: ``on_batch(done, total)`` after each mini-batch,
    ``on_epoch(record)`` after each epoch (it may add measurements to the record)."""

    on_batch: BatchCallback | None = None
    on_epoch: EpochCallback | None = None


@dataclass
class Run:
    """Everything :func:`prepare` checked and built, ready for the loop."""

    config: TrainConfig
    x: np.ndarray
    y: np.ndarray
    test: Labelled | None
    val: Labelled | None
    reg: Regularizer | None
    opt: Optimizer
    monitors: dict[str, bool]
    hooks: Hooks
    #: The image shape when training on the expanded data, else None.
    image_shape: tuple[int, int] | None = None
    schedule: HalvingSchedule | None = None
    stopper: EarlyStopping | None = None
    #: The η of the current step (halved by the schedule, or set by a per-step one).
    eta: float = 0.0
    #: η of every mini-batch step of the run, from a per-step schedule (else None).
    etas: np.ndarray | None = None
    #: The per-mini-batch augmentation (``x ↦ x'``, drawing from model.rng), if any.
    augment: Callable[[np.ndarray], np.ndarray] | None = None
    #: The accuracy the best epoch is chosen on, e.g. ``"validation_accuracy"``.
    select_key: str = field(default="validation_accuracy")

    @property
    def n_epoch(self) -> int:
        """Examples visited per epoch: 5·n with the expanded data (the regulariser's n)."""
        return len(self.x) * (N_VERSIONS if self.image_shape is not None else 1)


MONITORS = ("monitor_training_cost", "monitor_training_accuracy",
            "monitor_evaluation_cost", "monitor_evaluation_accuracy")


def prepare(model: Trainable, data: Any, config: TrainConfig, hooks: Hooks) -> Run:
    """Check the data against the model and build the run's objects from ``config``."""
    x, y = _training_arrays(model, data.training)
    val = _labelled(model, data.validation, "validation_data")
    monitors = {name: getattr(config, name) for name in MONITORS}
    if monitors["monitor_evaluation_accuracy"] is None:
        monitors["monitor_evaluation_accuracy"] = val is not None
    chosen = get_schedule(config.schedule_spec(), config.eta)
    run = Run(
        config=config, x=x, y=y, test=_labelled(model, data.test, "test_data"), val=val,
        reg=get_regularizer(config.regularizer, config.lmbda),
        opt=get_optimizer(config.optimizer_spec()), monitors=monitors, hooks=hooks,
        image_shape=image_shape_of(model.n_inputs, model.input_shape) if config.expand
        else None,
        schedule=chosen if isinstance(chosen, HalvingSchedule) else None,
        stopper=None if config.early_stopping is None else EarlyStopping(config.early_stopping),
        eta=config.eta,
        augment=batch_transform(config.augment, lambda: model.rng, model.n_inputs,
                                model.input_shape),
        select_key=f"{config.select_on}_accuracy",
    )
    run.etas = _step_etas(chosen, run)
    _check_data_users(run)
    return run


def _step_etas(schedule: Any, run: Run) -> np.ndarray | None:
    """η of every step of the run from a per-step schedule (None without one or epochs)."""
    epochs = run.config.epochs
    if not isinstance(schedule, StepSchedule) or not epochs:
        return None
    per_epoch = math.ceil(run.n_epoch / run.config.mini_batch_size)
    return schedule.etas(run.eta, epochs * per_epoch, per_epoch)


def _check_data_users(run: Run) -> None:
    """Refuse the options that watch data the run does not have."""
    for name, used in (
        ("monitor_evaluation_cost", run.monitors["monitor_evaluation_cost"]),
        ("monitor_evaluation_accuracy", run.monitors["monitor_evaluation_accuracy"]),
        ("schedule", run.schedule is not None),  # the halving one; a per-step one needs none
        ("early_stopping", run.stopper is not None),
    ):
        if used and run.val is None:
            raise ValueError(f"{name} needs validation_data (the data it watches), got None")
    if run.config.select_on == "test" and run.config.keeps_best and run.test is None:
        raise ValueError("select_on 'test' needs test_data (the data it watches), got None")


def _training_arrays(model: Trainable, data: Any) -> tuple[np.ndarray, np.ndarray]:
    x_raw, y_raw = _validate.dataset(data, "training_data")
    x, _ = _validate.inputs(x_raw, model.n_inputs, model.dtype, "training_data x")
    if len(x) == 0:
        raise ValueError("training_data is empty: x has 0 rows")
    return x, _validate.targets(y_raw, len(x), model.n_outputs, model.dtype, "training_data y")


def _labelled(model: Trainable, data: Any, name: str) -> Labelled | None:
    if data is None:
        return None
    x_raw, y_raw = _validate.dataset(data, name)
    x, _ = _validate.inputs(x_raw, model.n_inputs, model.dtype, f"{name} x")
    if len(x) == 0:
        raise ValueError(f"{name} is empty: x has 0 rows")
    return x, _validate.labels(y_raw, len(x), model.n_outputs, f"{name} y")
