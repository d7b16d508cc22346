"""Mini-batch stochastic gradient descent, for any nndl model: :func:`train`.

The loop is the seed's ``SGD``: each epoch shuffles the training data, cuts
it into mini-batches and takes one gradient step per mini-batch.  It knows
nothing about layers: it uses the model protocol documented in
:mod:`nndl.model.sequential` (:class:`~nndl.train.run.Trainable`), so every nndl
model shares it.  Around it come the book's chapter-3 options (a regulariser,
an optimiser, the monitors, the η-halving schedule or a per-step one, early
stopping), the mean of the last epochs' weights (:mod:`nndl.train.averaging`), the
expanded and augmented training data (made per mini-batch), a guard that
stops a diverging run (η too large) with :class:`~nndl.errors.TrainingDiverged`,
and the best-epoch rule of :mod:`nndl.train.record`.

Examples
--------
>>> from nndl import Network
>>> from nndl.data import load_sample
>>> from nndl.train import TrainConfig, train
>>> data = load_sample()
>>> net = Network([784, 10, 10], seed=0)
>>> history = train(net, data, TrainConfig(epochs=2, verbose=False))
>>> len(history), history.stop_reason, history.best_epoch
(2, 'epochs', None)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from nndl.data.expand import expanded_batch
from nndl.errors import TrainingDiverged
from nndl.train.averaging import WeightAverage, summary_line
from nndl.train.config import TrainConfig
from nndl.train.history import History
from nndl.train.measure import accuracy, divergence, measure, report
from nndl.train.record import Best
from nndl.train.run import Hooks, Run, Step, Trainable, prepare


def train(model: Trainable, data: Any, config: TrainConfig | None = None,
          hooks: Hooks | None = None) -> History:
    """Train ``model`` on ``data`` per ``config``; return its :class:`~nndl.train.history.History`.

    ``data`` has ``training``, ``validation`` and ``test`` (``None`` where
    absent; :class:`~nndl.train.run.Splits`, :class:`~nndl.data.MNIST`).
    The history (also ``model.history_``) holds every epoch's record, why
    training stopped, the best epoch restored and the seconds taken.

    Raises
    ------
    TrainingDiverged
        If the cost or the weights become NaN/infinite; the weights are those
        before the failing epoch (or of the best epoch when it keeps it).
    KeyboardInterrupt
        Re-raised after the best epoch (when kept) is restored; its
        ``history`` attribute holds the epochs done.
    """
    config = TrainConfig() if config is None else config
    run = prepare(model, data, config, Hooks() if hooks is None else hooks)
    history = History()
    best = Best(run.select_key if config.keeps_best else None)
    start = time.perf_counter()
    try:
        _epochs(model, run, history, best)
    except KeyboardInterrupt as exc:
        history.stop_reason = "interrupted"
        best.restore(model.state_arrays(), history)
        exc.history = history  # type: ignore[attr-defined]
        raise
    finally:
        history.seconds = time.perf_counter() - start
        model.history_ = history  # type: ignore[attr-defined]
    return history


def _epochs(model: Trainable, run: Run, history: History, best: Best) -> None:
    """Every epoch, the stopping rules, then the weights the run ends with."""
    step = model.make_step(run.opt, run.reg, run.n_epoch)
    params = model.state_arrays()  # trainable parameters and buffers (running statistics)
    history.stop_reason = "epochs"
    averager = None if run.config.average is None else WeightAverage(run.config.average)
    for j in range(run.config.epochs):
        good = [p.copy() for p in params]
        record = run_epoch(model, run, step, j)
        problem = divergence(params, record)
        if problem is not None:
            _diverged(params, good, history, best, j, run.eta, problem)
        report(model, run, record)
        if averager is not None:
            averager.add(j, params)
        improved = run.stopper is not None and run.stopper.update(record["validation_accuracy"])
        if improved and averager is not None:
            averager.choose()
        best.update(record, params)
        _update_eta(run, record)
        try:
            if run.hooks.on_epoch is not None:
                run.hooks.on_epoch(record)  # may add its own measurements to the record
        finally:
            history.append(record)
        if run.stopper is not None and run.stopper.stop:
            history.stop_reason = "early_stopping"
            break
        if run.schedule is not None and run.schedule.stop:
            history.stop_reason = "schedule"
            break
    if best.restore(params, history) and run.stopper is not None:
        _say_restored(run, history, best)
    if averager is not None and len(history):
        _use_average(model, run, averager, history)


def run_epoch(model: Trainable, run: Run, step: Step, j: int) -> dict[str, Any]:
    """One pass over the (shuffled) training data, then the epoch's measurements."""
    start = time.perf_counter()
    n_epoch, size = run.n_epoch, run.config.mini_batch_size
    on_batch = run.hooks.on_batch
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
            if on_batch is not None:
                on_batch(done, len(batches))
        run.eta = etas[-1]  # a per-step schedule's η at the end of the epoch
        record: dict[str, Any] = {"epoch": j, "seconds": time.perf_counter() - start,
                                  "eta": run.eta}
        measure(model, run, record)
    return record


def _update_eta(run: Run, record: dict[str, Any]) -> None:
    if run.schedule is None:
        return
    new_eta = run.schedule.update(record["validation_accuracy"])
    if run.config.verbose and new_eta != run.eta:
        print(f"  no improvement in {run.schedule.patience} epochs: "
              f"eta {run.eta:g} -> {new_eta:g}")
    run.eta = new_eta


def _diverged(params: list[np.ndarray], good: list[np.ndarray], history: History,
              best: Best, j: int, eta: float, problem: str) -> None:
    """Put the last good (or the best) weights back and raise :class:`TrainingDiverged`."""
    for p, g in zip(params, good, strict=True):
        p[...] = g
    which = f"those of the best epoch, {history.best_epoch}" \
        if best.restore(params, history) else "those before that epoch"
    history.stop_reason = "diverged"
    history.message = (
        f"training diverged at epoch {j} ({problem}): try a smaller eta (now {eta:g}); "
        f"the weights are {which}"
    )
    raise TrainingDiverged(history.message, history)


def _say_restored(run: Run, history: History, best: Best) -> None:
    """Early stopping's sentence: how many epochs, and which weights were restored."""
    assert best.record is not None
    history.message = (
        f"stopped after {len(history)} epochs ({history.stop_reason}); restored the "
        f"weights of epoch {history.best_epoch} (validation accuracy "
        f"{best.record['validation_accuracy']:.4f})"
    )
    if run.config.verbose:
        print(history.message)


def _use_average(model: Trainable, run: Run, averager: WeightAverage,
                 history: History) -> None:
    """Make the averaged weights the model's; measure them once on the test and validation data."""
    for p, m in zip(model.state_arrays(), averager.mean(), strict=True):
        p[...] = m
    averaged: dict[str, Any] = {"epochs": averager.epochs()}
    if run.test is not None:
        accuracy(model, *run.test, "test", averaged)
    if run.val is not None:
        accuracy(model, *run.val, "validation", averaged)
    history.averaged = averaged
    if run.config.verbose:
        print(summary_line(averaged))
