"""``nndl train``'s options as one object, resolved from the command line and the presets.

Precedence: an option given explicitly beats the ``--preset``'s value, which
beats the seed's (:data:`nndl.cli._presets.SEED`).  A ``--layers`` network on
a preset without layers takes its training options from ``--preset conv``
(:func:`nndl.cli._conv.conv_defaults`).  :func:`from_args` does all of it.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from typing import Any

from nndl.cli import _common, _conv, _presets
from nndl.schedule import get_schedule

#: The options that describe a fully connected network: meaningless beside a layer spec.
DENSE_ONLY = ("sizes", "activation", "init", "dropout")


@dataclass(frozen=True)
class TrainOptions:
    """Everything one ``nndl train`` run does, every value resolved.

    The fields from ``sizes`` to ``full_train`` are the preset options (the
    keys of :data:`~nndl.cli._presets.SEED`); the rest describe the run.
    """

    # The network (a fully connected one unless ``layers`` is a layer spec).
    sizes: list[int]
    layers: str | None
    cost: str
    activation: str
    init: str
    dropout: float
    dtype: str
    # Training.
    epochs: int
    mini_batch_size: int
    eta: float
    lmbda: float
    regularizer: str
    optimizer: str
    momentum: float
    schedule: int | str | None
    warmup: float | None
    early_stopping: int | None
    average: int | None
    expand: bool
    augment: str | None
    full_train: bool
    # The run.
    preset: str = "seed"
    seed: int = 2
    data_dir: str | None = None
    sample: bool = False
    monitor: bool = False
    monitor_gradients: bool = False
    save: str | None = None
    plot: str | None = None
    quiet: bool = False
    #: The preset options given explicitly on the command line.
    given: frozenset[str] = frozenset()

    def preset_values(self) -> dict[str, Any]:
        """The preset options, in :data:`~nndl.cli._presets.SEED`'s order."""
        return {key: getattr(self, key) for key in _presets.SEED}

    def optimizer_spec(self) -> Any:
        """The optimizer as :meth:`~nndl.model.Model.SGD` takes it (momentum with its μ)."""
        if self.optimizer == "momentum":
            return {"name": "momentum", "mu": self.momentum}
        return self.optimizer

    def schedule_spec(self) -> Any:
        """The schedule as :meth:`~nndl.model.Model.SGD` takes it (a per-step one with its
        warm-up).

        Raises
        ------
        ValueError
            If ``warmup`` is given without a per-step schedule that takes it.
        """
        if self.warmup is None:
            return self.schedule
        if not isinstance(self.schedule, str) or self.schedule == "onecycle":
            what = "no --schedule" if self.schedule is None else f"--schedule {self.schedule}"
            raise ValueError(f"--warmup needs --schedule cosine or constant, not {what} "
                             "(onecycle warms up by itself; K is the halving schedule)")
        return {"kind": self.schedule, "warmup": self.warmup}

    def without_validation(self, source: str) -> tuple[TrainOptions, list[str]]:
        """Drop a preset's schedule and early stopping when no validation data is there.

        Both watch the validation accuracy.  Given explicitly they are an
        error: the user asked for something that cannot work, and should hear
        why.  Returns the options and a note for each option turned off.
        """
        why = "the bundled sample has" if source == "sample" else "--full-train leaves"
        off: dict[str, None] = {}
        notes = []
        for key in ("schedule", "early_stopping"):
            if getattr(self, key) is None or isinstance(getattr(self, key), str):
                continue  # a per-step schedule (a name) watches nothing
            option = "--" + key.replace("_", "-")
            if key in self.given:
                raise ValueError(f"{option} watches the validation accuracy, but {why} "
                                 "no validation split")
            off[key] = None
            notes.append(f"note: the preset's {option} is off: {why} no validation split")
        return dataclasses.replace(self, **off), notes  # type: ignore[arg-type]


def from_args(args: argparse.Namespace) -> TrainOptions:
    """The options of ``nndl train`` as parsed by argparse, presets applied.

    Raises
    ------
    ValueError
        If a layer spec (``--layers``, or the preset's) meets an option of a
        fully connected network given explicitly (``--sizes``, ``--activation``,
        ``--init``, ``--dropout``); the message names them.  If ``--warmup``
        is given without a per-step schedule that takes it.
    """
    given = {key: getattr(args, key) for key in _presets.SEED
             if getattr(args, key, None) is not None}
    values = _presets.resolve(args.preset, given)
    if values["layers"]:
        source = "--layers" if "layers" in given else f"--preset {args.preset}"
        _common.refuse_beside_layers(source, [key for key in DENSE_ONLY if key in given])
        if not _presets.PRESETS[args.preset].get("layers"):
            values = _conv.conv_defaults(values, given)
    opts = TrainOptions(
        **values, preset=args.preset, seed=args.seed, data_dir=args.data_dir,
        sample=args.sample, monitor=args.monitor, monitor_gradients=args.monitor_gradients,
        save=args.save, plot=args.plot, quiet=args.quiet, given=frozenset(given),
    )
    get_schedule(opts.schedule_spec(), opts.eta)  # refuse a bad combination before the data
    return opts
