"""The training loop's old home: its names now live in :mod:`nndl.train` (kept for old imports).

:func:`train` (:mod:`nndl.train.loop`) is the loop; :class:`TrainConfig`
(:mod:`nndl.train.config`) its options.
"""

from nndl.train.config import TrainConfig
from nndl.train.loop import run_epoch, train
from nndl.train.measure import CHUNK, measure, report
from nndl.train.run import (
    MONITORS,
    BatchCallback,
    EpochCallback,
    Hooks,
    Run,
    Splits,
    Step,
    Trainable,
    prepare,
)

__all__ = ["CHUNK", "MONITORS", "BatchCallback", "EpochCallback", "Hooks", "Run", "Splits",
           "Step", "TrainConfig", "Trainable", "measure", "prepare", "report", "run_epoch",
           "train"]
