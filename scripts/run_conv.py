"""Train a convolutional network on real MNIST and log each epoch (docs/conv.md's runs).

Usage::

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=src python scripts/run_conv.py NAME SPEC MINI_BATCH \\
        PHASES OPTIMIZER LMBDA EXPAND SEED [--log-dir DIR]

``PHASES`` is JSON ``[[epochs, eta], ...]``: training continues phase after
phase with the same optimiser object (Adam keeps its moments), i.e. a step
decay of η.  ``EXPAND`` is 1 for the expanded data.  Each epoch appends
``epoch k eta … train_s … val … test … elapsed_s …`` to ``DIR/NAME.log``
(default /tmp).  The measured runs:

* ``conv``: ``conv "conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:200:relu,dropout:0.5,softmax:10"
  128 '[[5,0.001],[2,0.0003],[1,0.0001]]' adam 0.1 1 1``
* ``book``: ``book "conv:20x5x5:relu,pool:2,conv:40x5x5:relu,pool:2,dense:100:relu,softmax:10"
  10 '[[60,0.03]]' sgd 0.1 0 1``
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from nndl.data import load_data
from nndl.data._atomic import write_target
from nndl.model.sequential import Sequential
from nndl.train.optimizers import get_optimizer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("name")
    p.add_argument("spec")
    p.add_argument("mini_batch", type=int)
    p.add_argument("phases", type=json.loads)
    p.add_argument("optimizer")
    p.add_argument("lmbda", type=float)
    p.add_argument("expand", type=int, choices=[0, 1])
    p.add_argument("seed", type=int)
    p.add_argument("--log-dir", default="/tmp")
    a = p.parse_args()
    # Appended to line by line (so not replaced atomically), but never a device or FIFO.
    log = write_target(Path(a.log_dir) / f"{a.name}.log").open("a", buffering=1)
    data = load_data(dtype="float32")
    net = Sequential(a.spec, seed=a.seed)
    print(net.describe(), file=log)
    print(f"argv {vars(a)}", file=log)
    opt = get_optimizer(a.optimizer)
    start = time.perf_counter()
    epoch = 0

    def on_epoch(r: dict[str, Any]) -> None:
        nonlocal epoch
        print(f"epoch {epoch} eta {r['eta']:g} train_s {r['seconds']:.1f} "
              f"val {r['validation_accuracy']:.4f} test {r['test_accuracy']:.4f} "
              f"elapsed_s {time.perf_counter() - start:.1f}", file=log)
        epoch += 1

    for n_epochs, eta in a.phases:
        net.SGD(data.training, n_epochs, a.mini_batch, eta, data.test,
                validation_data=data.validation, lmbda=a.lmbda, optimizer=opt,
                expand=bool(a.expand), verbose=False, on_epoch=on_epoch)
    print(f"done total_s {time.perf_counter() - start:.1f}", file=log)


if __name__ == "__main__":
    main()
