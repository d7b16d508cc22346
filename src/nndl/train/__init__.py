"""Training: one configuration, one loop, one rule for the best epoch.

``config``
    :class:`TrainConfig`, every training option as one validated field.
``presets``
    The named configurations of ``nndl train --preset``.
``run``
    :func:`~nndl.train.run.prepare`: the data checked, the options built.
``loop``
    :func:`train`, the epochs of mini-batch SGD.
``measure``
    The monitors and the book's lines printed after each epoch.
``record``
    The best-epoch rule and the run record a model file keeps.
"""

from nndl.train.config import OptionError, TrainConfig
from nndl.train.loop import train
from nndl.train.record import kept_epoch, run_record
from nndl.train.run import Hooks, Splits

__all__ = ["Hooks", "OptionError", "Splits", "TrainConfig", "kept_epoch", "run_record", "train"]
