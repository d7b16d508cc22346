"""One training configuration: every option of mini-batch SGD as one field, validated once.

:class:`TrainConfig` is what :func:`nndl.train.train` runs from.  Everything
that trains builds one: :meth:`nndl.model.base.Model.SGD` from its keyword
arguments, ``nndl train`` and ``nndl watch`` from the command line (their
options are generated from the fields: :func:`nndl.cli._options.add_config_options`),
the presets (:mod:`nndl.train.presets`), the scikit-learn estimator and the
default model of ``nndl serve``.

Each field is declared once, with :func:`option`: its default, a one-line
help text, its check, and how ``nndl train`` spells it (``cli``; ``None``
for the options only the library takes).  Adding an option to training is
adding a field here (and using it in the loop).

Examples
--------
>>> config = TrainConfig(epochs=2, eta=0.5, optimizer="momentum", momentum=0.5)
>>> config.optimizer_spec(), config.mini_batch_size
({'name': 'momentum', 'mu': 0.5}, 10)
>>> TrainConfig(eta=-1)
Traceback (most recent call last):
...
ValueError: eta must be a positive finite number, got -1
>>> TrainConfig(warmup=0.1)
Traceback (most recent call last):
...
nndl.train.config.OptionError: warmup needs schedule cosine or constant, not no schedule ...
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nndl import _validate
from nndl.data.augment import SPEC_KEYS, as_augment
from nndl.train.optimizers import OPTIMIZERS, _fraction, get_optimizer
from nndl.train.regularizers import REGULARIZERS, get_regularizer
from nndl.train.schedule import EarlyStopping, get_schedule

#: Where the best epoch may be chosen (see :mod:`nndl.train.record`).
SELECT_ON = ("validation", "test")


def option(default: Any, help: str, check: Callable[[Any, str], Any] | None = None,
           cli: dict[str, Any] | None = None) -> Any:
    """One field of :class:`TrainConfig`.

    ``check(value, name)`` returns the value to keep (e.g. ``int`` 3 as 3.0)
    or raises ``ValueError``; ``help`` names other options as ``{name}``;
    ``cli`` holds the ``argparse`` options of its ``--flag`` (``type`` names a
    parser of :mod:`nndl.cli._common`), or is ``None`` when the command line
    does not take it.
    """
    return field(default=default, metadata={"help": help, "check": check, "cli": cli})


class OptionError(ValueError):
    """A bad combination of options, worded with field names or (:meth:`as_flags`) flags.

    ``template`` names options as ``{warmup}``; ``str()`` fills in the names.
    """

    def __init__(self, template: str, **values: Any) -> None:
        self.template, self.values = template, values
        super().__init__(self.worded(lambda name: name))

    def worded(self, spell: Callable[[str], str]) -> str:
        """The message with every option named by ``spell(name)``."""
        names = {f.name: spell(f.name) for f in dataclasses.fields(TrainConfig)}
        return self.template.format(**names, **self.values)

    def as_flags(self) -> str:
        """The message with ``--flag`` for every option (as ``nndl train`` takes them)."""
        return self.worded(lambda name: "--" + name.replace("_", "-"))


def _optional(check: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    return lambda value, name: None if value is None else check(value, name)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def _count(minimum: int) -> Callable[[Any, str], int]:
    return lambda value, name: _validate.positive_int(value, name, minimum=minimum)


def _amount(value: Any, name: str) -> float:
    return _validate.positive_float(value, name, allow_zero=True)


def _patience(value: Any, name: str) -> int:
    return EarlyStopping(value).patience  # "patience must be an integer >= 1, got 0"


def _select_on(value: Any, name: str) -> str:
    if value not in SELECT_ON:
        raise ValueError(f"{name} must be one of {list(SELECT_ON)}, got {value!r}")
    return value


def _augment(value: Any, name: str) -> Any:
    as_augment(value)  # refuses a bad spec, dict or type
    return value


_SCHEDULE_HELP = (
    "an integer K: halve eta after K epochs without better validation accuracy, stop when "
    "eta falls to 1/128 of its start (the book's schedule); or set eta every mini-batch: "
    "'cosine' (from eta down to 0), 'onecycle' (up from eta/25 over 30% of the run, then "
    "down to eta/1e4) or 'constant' (see nndl.train.schedule)")
_AUGMENT_HELP = (
    "random transforms of every mini-batch, made on the fly: comma-separated KEY=VALUE with "
    + "; ".join(f"{k}: {v}" for k, v in SPEC_KEYS.items())
    + ", e.g. 'shift=2,rotate=10,scale=0.1,elastic=34:4' ('none' for none); with {expand} "
    "both apply (docs/augment.md)")


@dataclass(frozen=True)
class TrainConfig:
    """Every option of a training run, validated once (on construction).

    The defaults are the seed's (``net.SGD(training_data, 30, 10, 3.0)``,
    ``nndl train --preset seed``); :meth:`help` gives each option's one-line text.

    Parameters
    ----------
    epochs : int, default 30
        Passes over the training data (≥ 0).
    mini_batch_size : int, default 10
        Examples per gradient step (≥ 1); the last batch of an epoch may be smaller.
    eta : float, default 3.0
        Learning rate η > 0.  Each step is w → w − η·(mean gradient over the batch).
    lmbda : float, default 0
        Regularisation strength λ (with n = the training-set size).
    regularizer : {"l2", "l1"} or Regularizer, default "l2"
        Which penalty ``lmbda`` weighs; see :mod:`nndl.train.regularizers`.
    optimizer : {"sgd", "momentum", "adam"}, dict or Optimizer
        See :mod:`nndl.train.optimizers`; e.g. ``{"name": "momentum", "mu": 0.9}``.
        Pass the same object again to keep its state between calls.
    schedule : int, dict, str or StepSchedule, optional
        An int is the book's schedule: halve η after this many epochs
        without a better validation accuracy, stop once η ≤ η₀/128; a
        dict without ``"kind"`` gives
        :class:`~nndl.train.schedule.HalvingSchedule` options.  A per-step
        schedule sets η for every mini-batch from the run's length:
        ``"cosine"``, ``"onecycle"`` or ``"constant"``, a dict such as
        ``{"kind": "cosine", "warmup": 0.05}`` (``warmup`` < 1 is a
        fraction of the run, ≥ 1 epochs) or a
        :class:`~nndl.train.schedule.StepSchedule`; ``eta`` is then its peak.
        See :mod:`nndl.train.schedule`.
    early_stopping : int, optional
        Stop after this many epochs without a better validation
        accuracy, and restore the weights of the best epoch.
    average : int, optional
        End with the mean of the weights at the ends of the last
        ``average`` epochs (:mod:`nndl.train.averaging`), measured once on the
        test and validation data (``history.averaged``).  With
        ``early_stopping`` the average is of the ``average`` epochs
        that end at the best epoch.
    monitor_training_cost, monitor_training_accuracy, monitor_evaluation_cost, \
monitor_evaluation_accuracy : bool
        The book's monitors: record (and print) cost/accuracy on the
        training and validation data each epoch.  Costs include the
        penalty.  Evaluation accuracy defaults to on when
        ``validation_data`` is given.
    monitor_gradients : bool, default False
        The book's chapter-5 learning speed: after every epoch, record
        ``gradient_norms``, ‖δˡ‖ = ‖mean ∂C/∂bˡ‖ over the first 1,000
        training examples for each layer with parameters (hidden layers
        first, the output layer last); see :mod:`nndl.inspect.learning_speed`.
    expand : bool, default False
        The book's expanded training data: each epoch also visits every
        example moved by one pixel up, down, left and right (5·n
        mini-batch examples, shuffled together; generated per
        mini-batch, never stored; zero fill at the edge).  The
        regulariser's n is then 5·n; the training monitors measure the
        original images.  See :mod:`nndl.data.expand`.
    augment : Augment, dict or str, optional
        Random shifts, rotations, scalings and elastic distortions,
        drawn from the model's ``rng`` and applied to every mini-batch
        (never stored): an :class:`~nndl.data.augment.Augment`, a dict of
        its options or a spec such as ``"shift=2,rotate=10,elastic=34:4"``.
        With ``expand`` both apply, the one-pixel shift first.  See
        :mod:`nndl.data.augment`.
    verbose : bool, default True
        Print ``Epoch k: ...`` and the monitors after each epoch.
    momentum : float, default 0.9
        μ of ``optimizer="momentum"`` (a name); a dict or an Optimizer has its own.
    warmup : float, optional
        With a per-step schedule named ``"cosine"`` or ``"constant"``: its warm-up
        (``schedule={"kind": ..., "warmup": ...}``).
    restore_best : bool, optional
        End with the weights of the best epoch (:mod:`nndl.train.record`);
        by default only with ``early_stopping``.
    select_on : {"validation", "test"}, default "validation"
        The data the best epoch is chosen on; ``"test"`` only for data
        without a validation split (the test accuracy is then optimistic).

    Raises
    ------
    ValueError
        On the first bad option, naming it, what it must be and what it got
        (:class:`OptionError` for a bad combination).
    """

    epochs: int = option(30, "passes over the data", _count(0),
                         {"type": "non_negative_int"})
    mini_batch_size: int = option(10, "examples per step", _count(1),
                                  {"type": "positive_int"})
    eta: float = option(3.0, "learning rate", _validate.positive_float,
                        {"type": "positive_float"})
    lmbda: float = option(0.0, "regularisation strength λ, the book's convention with n = "
                          "training-set size", _amount, {"type": "non_negative_float"})
    regularizer: Any = option("l2", "penalty weighed by λ", None,
                              {"choices": list(REGULARIZERS)})
    optimizer: Any = option("sgd", "the optimiser: plain SGD, momentum (with {momentum}) or "
                            "Adam", None, {"choices": list(OPTIMIZERS)})
    momentum: float = option(0.9, "momentum coefficient μ for {optimizer} momentum",
                             _fraction, {"type": "fraction"})
    schedule: Any = option(None, _SCHEDULE_HELP, None,
                           {"type": "schedule", "metavar": "K|NAME"})
    warmup: float | None = option(
        None, "with {schedule} cosine or constant: raise eta linearly over the first W of the "
        "run if W < 1 (a fraction, e.g. 0.05), else over the first W epochs",
        _optional(_amount), {"type": "non_negative_float", "metavar": "W"})
    average: int | None = option(
        None, "end with the mean of the weights of the last K epochs (with {early_stopping}: "
        "the K ending at the best epoch); saved and reported as its own line",
        _optional(_count(1)), {"type": "positive_int", "metavar": "K"})
    early_stopping: int | None = option(
        None, "stop after K epochs without better validation accuracy and keep the best "
        "epoch's weights", _optional(_patience), {"type": "positive_int", "metavar": "K"})
    expand: bool = option(False, "the book's expanded training data: each epoch also uses "
                          "every image moved by one pixel up, down, left and right (made on "
                          "the fly)", _flag, {"action": "store_true"})
    augment: Any = option(None, _AUGMENT_HELP, _augment,
                          {"type": "augment_spec", "metavar": "SPEC"})
    monitor_gradients: bool = option(
        False, "also measure each layer's learning speed every epoch: the book's |dC/db| "
        "averaged over the first 1,000 training images (chapter 5)", _flag,
        {"action": "store_true", "group": "output"})
    monitor_training_cost: bool = option(False, "record the cost on the training data", _flag)
    monitor_training_accuracy: bool = option(False, "record the training accuracy", _flag)
    monitor_evaluation_cost: bool = option(False, "record the cost on the validation data",
                                           _flag)
    monitor_evaluation_accuracy: bool | None = option(
        None, "record the validation accuracy (None: when there is validation data)",
        _optional(_flag))
    restore_best: bool | None = option(
        None, "end with the weights of the best epoch (None: with early_stopping)",
        _optional(_flag))
    select_on: str = option("validation", "the data the best epoch is chosen on",
                            _select_on)
    verbose: bool = option(True, "print each epoch's line and the monitors", _flag)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            check = f.metadata["check"]
            if check is not None:
                object.__setattr__(self, f.name, check(getattr(self, f.name), f.name))
        get_schedule(self.schedule_spec(), self.eta)
        get_regularizer(self.regularizer, self.lmbda)
        get_optimizer(self.optimizer_spec())
        if self.select_on == "test" and self.early_stopping is not None:
            raise OptionError("{early_stopping} watches the validation accuracy: the best "
                              "epoch cannot be chosen on the test data ({select_on} 'test')")

    @property
    def keeps_best(self) -> bool:
        """Whether the run ends with the best epoch's weights (see :mod:`nndl.train.record`)."""
        return self.early_stopping is not None if self.restore_best is None else self.restore_best

    def optimizer_spec(self) -> Any:
        """The optimizer as :func:`~nndl.train.optimizers.get_optimizer` takes it (the name
        ``"momentum"`` with this config's μ)."""
        if self.optimizer == "momentum":
            return {"name": "momentum", "mu": self.momentum}
        return self.optimizer

    def schedule_spec(self) -> Any:
        """The schedule as :func:`~nndl.train.schedule.get_schedule` takes it (a per-step one named
        with its warm-up).

        Raises
        ------
        OptionError
            If ``warmup`` is given without a per-step schedule that takes it.
        """
        if self.warmup is None:
            return self.schedule
        if not isinstance(self.schedule, str) or self.schedule == "onecycle":
            what = "no {schedule}" if self.schedule is None else "{schedule} {given}"
            raise OptionError("{warmup} needs {schedule} cosine or constant, not " + what
                              + " (onecycle warms up by itself; K is the halving schedule)",
                              given=self.schedule)
        return {"kind": self.schedule, "warmup": self.warmup}

    @classmethod
    def cli_fields(cls) -> list[dataclasses.Field]:
        """The fields ``nndl train`` takes as options (and presets set)."""
        return [f for f in dataclasses.fields(cls) if f.metadata["cli"] is not None]

    def cli_values(self) -> dict[str, Any]:
        """The values of :meth:`cli_fields`, by name: what a model file records."""
        return {f.name: getattr(self, f.name) for f in self.cli_fields()}

    @classmethod
    def help(cls, spell: Callable[[str], str] = str) -> dict[str, str]:
        """Each option's one-line help text, by name; other options in it named by ``spell``.

        >>> TrainConfig.help()["momentum"]
        'momentum coefficient μ for optimizer momentum'
        """
        names = {f.name: spell(f.name) for f in dataclasses.fields(cls)}
        return {f.name: f.metadata["help"].format(**names) for f in dataclasses.fields(cls)}
