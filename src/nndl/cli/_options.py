"""``nndl train``'s options: generated from :class:`~nndl.train.config.TrainConfig`, resolved
into one object.

Each field of :class:`~nndl.train.config.TrainConfig` with a ``cli`` entry is
an option (:func:`add_config_options`): ``--mini-batch-size`` for
``mini_batch_size``, with the field's help text and the seed's value.
Precedence: an option given explicitly beats the ``--preset``'s value, which
beats the seed's (:func:`nndl.train.presets.resolve`).  :func:`from_args`
does all of it.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from typing import Any

from nndl.cli import _common
from nndl.train import presets
from nndl.train.config import OptionError, TrainConfig

#: The options that describe a fully connected network: meaningless beside a layer spec.
DENSE_ONLY = ("sizes", "activation", "init", "dropout")


def flag(name: str) -> str:
    """The option of a field: ``--mini-batch-size`` for ``mini_batch_size``."""
    return "--" + name.replace("_", "-")


def add_config_options(group: argparse._ArgumentGroup, where: str = "training") -> None:
    """An option for every :class:`~nndl.train.config.TrainConfig` field shown ``where``."""
    helps = TrainConfig.help(flag)
    for f in TrainConfig.cli_fields():
        spec = dict(f.metadata["cli"])
        if spec.pop("group", "training") != where:
            continue
        if "type" in spec:
            spec["type"] = getattr(_common, spec["type"])
        if spec.get("action") == "store_true":
            spec["default"] = None  # not given: the preset's value
        shown = "" if f.default is None or f.default is False else f" ({f.default})"
        group.add_argument(flag(f.name), help=helps[f.name].replace("%", "%%") + shown,
                           **spec)


@dataclass(frozen=True)
class TrainOptions:
    """Everything one ``nndl train`` run does, every value resolved.

    The network (``sizes`` … ``dtype``), the training (``config``) and
    ``full_train`` are the preset options (the keys of
    :data:`~nndl.train.presets.SEED`); the rest describe the run.  The
    fields of ``config`` read as attributes too (``opts.eta``).
    """

    # The network (a fully connected one unless ``layers`` is a layer spec).
    sizes: list[int]
    layers: str | None
    cost: str
    activation: str
    init: str
    dropout: float
    dtype: str
    #: The training, as the library runs it.
    config: TrainConfig
    full_train: bool = False
    # The run.
    preset: str = "seed"
    seed: int = 2
    data_dir: str | None = None
    sample: bool = False
    monitor: bool = False
    save: str | None = None
    plot: str | None = None
    quiet: bool = False
    #: The preset options given explicitly on the command line.
    given: frozenset[str] = frozenset()

    def __getattr__(self, name: str) -> Any:
        if name == "config":  # not set yet: no recursion
            raise AttributeError(name)
        return getattr(self.config, name)

    def preset_values(self) -> dict[str, Any]:
        """The preset options, in :data:`~nndl.train.presets.SEED`'s order."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values.update(self.config.cli_values())
        return {key: values[key] for key in presets.SEED}

    def recorded(self) -> dict[str, Any]:
        """The options a model file records about its training (the network's shape aside)."""
        return {k: v for k, v in self.preset_values().items() if k != "sizes"}

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
            if getattr(self.config, key) is None or isinstance(getattr(self.config, key), str):
                continue  # a per-step schedule (a name) watches nothing
            if key in self.given:
                raise ValueError(f"{flag(key)} watches the validation accuracy, but {why} "
                                 "no validation split")
            off[key] = None
            notes.append(f"note: the preset's {flag(key)} is off: {why} no validation split")
        config = dataclasses.replace(self.config, **off)  # type: ignore[arg-type]
        return dataclasses.replace(self, config=config), notes


def from_args(args: argparse.Namespace) -> TrainOptions:
    """The options of ``nndl train`` as parsed by argparse, presets applied.

    Raises
    ------
    ValueError
        If a layer spec (``--layers``, or the preset's) meets an option of a
        fully connected network given explicitly (``--sizes``, ``--activation``,
        ``--init``, ``--dropout``); the message names them.  If the training
        options do not go together (e.g. ``--warmup`` without a per-step
        schedule that takes it), named as flags.
    """
    given = {key: getattr(args, key) for key in presets.SEED
             if getattr(args, key, None) is not None}
    values = presets.resolve(args.preset, given)
    if values["layers"]:
        source = "--layers" if "layers" in given else f"--preset {args.preset}"
        _common.refuse_beside_layers(source, [key for key in DENSE_ONLY if key in given])
        if not presets.PRESETS[args.preset].get("layers"):
            values = presets.conv_defaults(values, given)
    try:  # the command line prints its own lines and keeps the best epoch
        config = TrainConfig(**presets.training_part(values), verbose=False, restore_best=True)
    except OptionError as exc:
        raise ValueError(exc.as_flags()) from None
    network = {key: values[key] for key in presets.NETWORK}
    return TrainOptions(
        **network, config=config, full_train=values["full_train"], preset=args.preset,
        seed=args.seed, data_dir=args.data_dir, sample=args.sample, monitor=args.monitor,
        save=args.save, plot=args.plot, quiet=args.quiet, given=frozenset(given),
    )
