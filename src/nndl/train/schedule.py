"""Learning-rate schedules and early stopping: pure bookkeeping, no networks.

Two kinds of schedule.  The book's :class:`HalvingSchedule` and
:class:`EarlyStopping` watch the validation accuracy, one epoch at a time, so
they can be tested on a scripted list of accuracies.  The per-step schedules
(:class:`Constant`, :class:`Cosine`, :class:`OneCycle`, named in
:data:`STEP_SCHEDULES`) give η for every mini-batch step t = 0 … T−1 of a run
of T = epochs × mini-batches-per-epoch steps, from T alone; they never look
at the data.  :func:`get_schedule` turns what ``SGD(schedule=...)`` was given
into one of them.

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
>>> Cosine().etas(eta=1.0, steps=4, steps_per_epoch=2).round(3).tolist()
[1.0, 0.854, 0.5, 0.146]
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

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
        self.factor = _number(factor, "factor", "in (0, 1)", lambda v: 0.0 < v < 1.0)
        self.min_ratio = _number(min_ratio, "min_ratio", "in (0, 1)", lambda v: 0.0 < v < 1.0)
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


def _number(value: Any, name: str, expected: str, ok: Any) -> float:
    """``value`` as a float if it is a real number (not a bool) for which ``ok`` holds."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not ok(value):
        raise ValueError(f"schedule {name} must be a number {expected}, got {value!r}")
    return float(value)


class StepSchedule:
    """η for every step of a run, known from the run's length T before it starts.

    Subclasses implement :meth:`etas`.  The training loop calls it once, when
    the run is set up, and then reads η for mini-batch step t (counted from
    0 over the whole run) out of the array: no work per example, one index
    per step.
    """

    name: ClassVar[str] = ""

    def etas(self, eta: float, steps: int, steps_per_epoch: int) -> NDArray[np.float64]:
        """η for the steps t = 0 … ``steps``−1 of a run with peak learning rate ``eta``."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """JSON-ready options; ``get_schedule(config, eta)`` rebuilds the schedule."""
        return {"kind": self.name, **vars(self)}

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({options})"


class _WarmedUp(StepSchedule):
    """A schedule with an optional linear warm-up of W steps in front of its shape.

    ``warmup`` < 1 is a fraction of the run's T steps, ``warmup`` ≥ 1 a number
    of epochs (of ``steps_per_epoch`` steps each; 1.5 is allowed); both round
    to whole steps, at least one.  During the warm-up η rises in a straight
    line, ηₜ = η·(t+1)/(W+1) for t < W, so that no step is wasted at η = 0 and
    the line meets η at t = W, where the schedule's own shape :meth:`shape`
    starts, over the T − W steps that remain.
    """

    def __init__(self, warmup: float = 0.0) -> None:
        self.warmup = _number(warmup, "warmup", ">= 0 (a fraction of the run if < 1, "
                              "else epochs)", lambda v: 0.0 <= v < math.inf)

    def warmup_steps(self, steps: int, steps_per_epoch: int) -> int:
        """W: the warm-up in steps, checked to leave at least one step after it."""
        if self.warmup == 0:
            return 0
        per = steps if self.warmup < 1 else steps_per_epoch
        w = max(1, round(self.warmup * per))
        if w >= steps:
            unit = f"{self.warmup:g} of the run" if self.warmup < 1 else \
                f"{self.warmup:g} epochs"
            raise ValueError(f"schedule warmup of {unit} ({w} steps) leaves nothing of the "
                             f"run of {steps} steps after it; give a shorter warmup")
        return w

    def etas(self, eta: float, steps: int, steps_per_epoch: int) -> NDArray[np.float64]:
        w = self.warmup_steps(steps, steps_per_epoch)
        ramp = eta * np.arange(1, w + 1) / (w + 1)
        return np.concatenate([ramp, self.shape(eta, np.arange(steps - w), steps - w)])

    def shape(self, eta: float, t: NDArray[np.int_], steps: int) -> NDArray[np.float64]:
        """η at steps ``t`` of the ``steps`` that follow the warm-up."""
        raise NotImplementedError


class Constant(_WarmedUp):
    """η throughout (after the optional warm-up): the book's constant rate, warmed up.

    >>> Constant(warmup=0.5).etas(eta=0.3, steps=4, steps_per_epoch=2).round(3).tolist()
    [0.1, 0.2, 0.3, 0.3]
    """

    name = "constant"

    def shape(self, eta: float, t: NDArray[np.int_], steps: int) -> NDArray[np.float64]:
        return np.full(len(t), float(eta))


class Cosine(_WarmedUp):
    """Cosine annealing (Loshchilov & Hutter 2017, without restarts).

    ηₜ = η_min + (η − η_min)·½(1 + cos(π t/T)),  η_min = ``floor``·η,

    for t = 0 … T−1 (after the warm-up, t and T count the steps that follow
    it).  It starts at η and ends just above η_min (at t = T it would reach it).

    Parameters
    ----------
    warmup : float, default 0
        Linear warm-up: a fraction of the run if < 1, else epochs (see
        :class:`_WarmedUp`).
    floor : float, default 0
        η_min as a fraction of η, in [0, 1).

    Examples
    --------
    >>> Cosine(floor=0.1).etas(eta=1.0, steps=2, steps_per_epoch=2).round(3).tolist()
    [1.0, 0.55]
    """

    name = "cosine"

    def __init__(self, warmup: float = 0.0, floor: float = 0.0) -> None:
        super().__init__(warmup)
        self.floor = _number(floor, "floor", "in [0, 1)", lambda v: 0.0 <= v < 1.0)

    def shape(self, eta: float, t: NDArray[np.int_], steps: int) -> NDArray[np.float64]:
        low = self.floor * eta
        return low + (eta - low) * 0.5 * (1.0 + np.cos(np.pi * t / steps))


class OneCycle(StepSchedule):
    """The one-cycle policy (Smith & Topin 2018): up in a line, then down a cosine.

    With U = round(``pct``·T) warm-up steps (at least 1),

    - ηₜ = η/div + (η − η/div)·t/U for 0 ≤ t ≤ U: from η/``div`` up to η;
    - ηₜ = η_end + (η − η_end)·½(1 + cos(π (t−U)/(T−1−U))) for U ≤ t ≤ T−1,
      with η_end = η/``div_final``: from η down to exactly η_end at the last step.

    The defaults are the usual ones (fastai's and PyTorch's ``OneCycleLR``):
    div = 25, div_final = 1e4, pct = 0.3.  Two differences from PyTorch: the
    warm-up is linear (PyTorch's is a cosine too), and the end is η/div_final
    (PyTorch's is η/(div·div_final)).  It has its own warm-up, so it takes no
    ``warmup``; momentum is not cycled.

    Examples
    --------
    >>> OneCycle(pct=0.25, div=10, div_final=100).etas(1.0, 5, 5).round(3).tolist()
    [0.1, 1.0, 0.752, 0.258, 0.01]
    """

    name = "onecycle"

    def __init__(self, pct: float = 0.3, div: float = 25.0, div_final: float = 1e4) -> None:
        self.pct = _number(pct, "pct", "in (0, 1)", lambda v: 0.0 < v < 1.0)
        self.div = _number(div, "div", ">= 1", lambda v: 1.0 <= v < math.inf)
        self.div_final = _number(div_final, "div_final", ">= 1", lambda v: 1.0 <= v < math.inf)

    def etas(self, eta: float, steps: int, steps_per_epoch: int) -> NDArray[np.float64]:
        t = np.arange(steps)
        up = max(1, round(self.pct * steps))
        start, end = eta / self.div, eta / self.div_final
        rising = start + (eta - start) * t / up
        s = (t - up) / max(1, steps - 1 - up)
        falling = end + (eta - end) * 0.5 * (1.0 + np.cos(np.pi * s))
        return np.where(t <= up, rising, falling)


#: The per-step schedules by name: what ``SGD(schedule="cosine")``, a dict's
#: ``"kind"`` and ``nndl train --schedule`` accept.
STEP_SCHEDULES: dict[str, type[StepSchedule]] = {
    cls.name: cls for cls in (Constant, Cosine, OneCycle)
}

_EXPECTED = (
    "None, a patience (an integer >= 1, epochs without improvement before eta is halved), "
    "a dict of HalvingSchedule options, one of "
    f"{sorted(STEP_SCHEDULES)}, a dict with a 'kind' among them, or a StepSchedule"
)


def get_schedule(spec: Any, eta: float) -> HalvingSchedule | StepSchedule | None:
    """The schedule ``SGD(schedule=spec)`` means, validated; for a learning rate ``eta``.

    An int is the halving schedule's patience, a dict without ``"kind"`` its
    options; a name, a dict with ``"kind"`` (the other keys are the schedule's
    options) or a :class:`StepSchedule` give a per-step schedule.

    >>> get_schedule({"kind": "cosine", "warmup": 0.05}, eta=0.1)
    Cosine(warmup=0.05, floor=0.0)
    >>> get_schedule(3, eta=0.1).patience
    3
    """
    if spec is None or isinstance(spec, StepSchedule):
        return spec
    if isinstance(spec, str):
        spec = {"kind": spec}
    if isinstance(spec, dict) and "kind" in spec:
        options = dict(spec)
        kind = options.pop("kind")
        if not isinstance(kind, str) or kind not in STEP_SCHEDULES:
            raise ValueError(f"unknown schedule {kind!r}; expected one of "
                             f"{sorted(STEP_SCHEDULES)}")
        halving = sorted(set(options) & {"patience", "factor", "min_ratio"})
        if halving:
            raise ValueError(f"schedule {kind!r} sets eta every step; it cannot be mixed "
                             f"with the halving schedule's options {halving}")
        return _build(STEP_SCHEDULES[kind], options, f"schedule {kind!r}")
    if isinstance(spec, dict):
        return _build(HalvingSchedule, spec, "the halving schedule (a dict without 'kind'; "
                      f"a per-step one needs 'kind' in {sorted(STEP_SCHEDULES)})", eta=eta)
    if isinstance(spec, bool) or not isinstance(spec, int) or spec < 1:
        raise ValueError(f"schedule must be {_EXPECTED}, got {spec!r}")
    return HalvingSchedule(eta, patience=spec)


def _build(cls: Any, options: dict[str, Any], what: str, **fixed: Any) -> Any:
    """``cls(**options, **fixed)``; an unknown option is named beside those ``what`` takes."""
    import inspect

    known = [p for p in inspect.signature(cls).parameters if p not in fixed]
    unknown = sorted(map(str, set(options) - set(known)))
    if unknown:
        raise ValueError(f"{what} takes the options {known}, not {unknown}")
    return cls(**options, **fixed)
