"""Mini-batch stochastic gradient descent, for any nndl model.

The loop is the seed's ``SGD``: each epoch shuffles the training data,
cuts it into mini-batches and takes one gradient step per mini-batch.  It
knows nothing about layers: it asks the model for ``_train_step(x, y, eta)``
and ``evaluate``, so the fully connected :class:`~nndl.network.Network` and
later kinds of network share it.

Arguments are validated once, up front, and labels are turned into target
vectors once; the inner loop only slices arrays, so its cost per mini-batch
is the model's arithmetic and a handful of NumPy calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nndl import _validate
from nndl.history import History

if TYPE_CHECKING:
    from nndl.model import Model

#: ``on_batch(done, total)`` after each mini-batch; ``on_epoch(record)`` after each epoch.
BatchCallback = Callable[[int, int], None]
EpochCallback = Callable[[dict[str, Any]], None]


def sgd(
    model: Model,
    training_data: tuple[Any, Any],
    epochs: int,
    mini_batch_size: int,
    eta: float,
    test_data: tuple[Any, Any] | None = None,
    *,
    verbose: bool = True,
    on_batch: BatchCallback | None = None,
    on_epoch: EpochCallback | None = None,
) -> History:
    """Train ``model`` by mini-batch SGD; return the :class:`History`.

    See :meth:`nndl.network.Network.SGD` for the parameters.
    """
    epochs = _validate.positive_int(epochs, "epochs", minimum=0)
    mini_batch_size = _validate.positive_int(mini_batch_size, "mini_batch_size")
    eta = _validate.positive_float(eta, "eta")
    x_raw, y_raw = _validate.dataset(training_data, "training_data")
    x, _ = _validate.inputs(x_raw, model.n_inputs, model.dtype, "training_data x")
    n = len(x)
    if n == 0:
        raise ValueError("training_data is empty: x has 0 rows")
    y = _validate.targets(y_raw, n, model.n_outputs, model.dtype, "training_data y")
    if test_data is not None:
        tx_raw, ty_raw = _validate.dataset(test_data, "test_data")
        tx, _ = _validate.inputs(tx_raw, model.n_inputs, model.dtype, "test_data x")
        ty = _validate.labels(ty_raw, len(tx), model.n_outputs, "test_data y")

    history = History()
    batches = range(0, n, mini_batch_size)
    for j in range(epochs):
        start = time.perf_counter()
        # Shuffle indices, not the data: gathering one mini-batch of rows is
        # far cheaper than permuting a 50,000 x 784 array every epoch.
        order = model.rng.permutation(n)
        for done, k in enumerate(batches, start=1):
            idx = order[k : k + mini_batch_size]
            model._train_step(x[idx], y[idx], eta)
            if on_batch is not None:
                on_batch(done, len(batches))
        record: dict[str, Any] = {"epoch": j, "seconds": time.perf_counter() - start}
        if test_data is not None:
            correct = model._count_correct(tx, ty)
            record.update(
                test_correct=correct, test_total=len(tx), test_accuracy=correct / len(tx)
            )
            if verbose:
                print(f"Epoch {j}: {correct} / {len(tx)}")
        elif verbose:
            print(f"Epoch {j} complete")
        if on_epoch is not None:
            on_epoch(record)  # may add its own measurements to the record
        history.append(record)
    return history


def correct_count(predicted: np.ndarray, labels: np.ndarray) -> int:
    """Number of positions where ``predicted`` equals ``labels``."""
    return int(np.count_nonzero(predicted == labels))
