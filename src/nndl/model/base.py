"""What every nndl network shares: prediction, scoring and the SGD entry point.

The engine (:class:`~nndl.model.sequential.Sequential`, of which
:class:`~nndl.model.network.Network` is the book's fully connected case) provides
``n_inputs``, ``n_outputs``, ``dtype``, ``rng`` and ``forward(x)`` (the
output for an already-validated ``(m, n_in)`` batch); everything here is
written against those, and :func:`nndl.train.train` against the protocol
the engine documents.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.train.config import TrainConfig
from nndl.train.history import History
from nndl.train.loop import train
from nndl.train.run import BatchCallback, EpochCallback, Hooks, Splits


class Model:
    """What every nndl network shares: prediction, scoring and the SGD entry point.

    Written against the engine's public protocol (see
    :mod:`nndl.model.sequential`): ``n_inputs``, ``n_outputs``, ``dtype``,
    ``forward(x)`` and ``parameters()``.
    """

    dtype: np.dtype
    rng: np.random.Generator

    @property
    def n_inputs(self) -> int:
        """Numbers in one (flat) input example."""
        raise NotImplementedError

    @property
    def n_outputs(self) -> int:
        """Output neurons (classes)."""
        raise NotImplementedError

    def forward(self, x: NDArray) -> NDArray:
        """Output activations for a validated batch ``x`` of shape ``(m, n_inputs)``."""
        raise NotImplementedError

    def parameters(self) -> list[NDArray]:
        """Every trainable array of the model (the arrays themselves, not copies)."""
        raise NotImplementedError

    def buffers(self) -> list[NDArray]:
        """The model's non-trainable state arrays (e.g. running statistics); default none."""
        return []

    def state_arrays(self) -> list[NDArray]:
        """Every array that defines the model: :meth:`parameters`, then :meth:`buffers`."""
        return [*self.parameters(), *self.buffers()]

    def snapshot(self) -> list[NDArray]:
        """Copies of the parameter and buffer arrays, for :meth:`restore` (e.g. the best epoch)."""
        return [p.copy() for p in self.state_arrays()]

    def restore(self, snapshot: list[NDArray]) -> None:
        """Write a :meth:`snapshot` back into the model's parameter and buffer arrays."""
        params = self.state_arrays()
        if len(params) != len(snapshot) or any(
            p.shape != s.shape for p, s in zip(params, snapshot, strict=True)
        ):
            raise ValueError("snapshot does not match this model's parameter shapes")
        for p, s in zip(params, snapshot, strict=True):
            p[...] = s

    def feedforward(self, a: Any) -> NDArray:
        """Return the output activations for one input ``(n_in,)`` or a batch ``(m, n_in)``.

        The shape of the result follows the input: ``(n_out,)`` or ``(m, n_out)``.
        """
        x, was_1d = _validate.inputs(a, self.n_inputs, self.dtype, "a")
        out = self.forward(x)
        return out[0] if was_1d else out

    def predict(self, x: Any) -> NDArray[np.intp]:
        """Return the predicted class of each input: the index of the most active output."""
        arr, was_1d = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        labels = np.argmax(self.forward(arr), axis=1)
        return labels[0] if was_1d else labels

    def evaluate(self, x: Any, y: Any) -> int:
        """Return how many inputs the network classifies correctly (the seed's ``evaluate``).

        ``y`` holds integer labels ``(m,)`` or one-hot/target rows ``(m, n_out)``
        (the argmax of each row is taken as its label).
        """
        arr, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        labels = _validate.labels(y, len(arr), self.n_outputs, "y")
        return self.count_correct(arr, labels)

    def score(self, x: Any, y: Any) -> float:
        """Return the fraction of inputs classified correctly (scikit-learn's ``score``)."""
        arr, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        if len(arr) == 0:
            raise ValueError("x is empty: cannot score 0 examples")
        return self.evaluate(arr, y) / len(arr)

    def count_correct(self, x: NDArray, labels: NDArray) -> int:
        """How many rows of a validated batch ``x`` are classified as ``labels``."""
        return int(np.count_nonzero(np.argmax(self.forward(x), axis=1) == labels))

    def SGD(  # noqa: N802 - the book's name
        self,
        training_data: tuple[Any, Any],
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data: tuple[Any, Any] | None = None,
        *,
        validation_data: tuple[Any, Any] | None = None,
        on_batch: BatchCallback | None = None,
        on_epoch: EpochCallback | None = None,
        **options: Any,
    ) -> History:
        """Train by mini-batch stochastic gradient descent (the seed's ``SGD``).

        Parameters
        ----------
        training_data : (x, y)
            ``x`` of shape ``(n, n_in)``; ``y`` integer labels ``(n,)`` or target
            vectors ``(n, n_out)``.
        epochs : int
            Passes over the training data (≥ 0).
        mini_batch_size : int
            Examples per gradient step (≥ 1); the last batch of an epoch may be smaller.
        eta : float
            Learning rate η > 0.  Each step is w → w − η·(mean gradient over the batch).
        test_data : (x, y), optional
            Evaluated after every epoch; prints ``Epoch k: correct / total`` like the seed.
        validation_data : (x, y), optional
            The book's ``evaluation_data``: what the monitors, the schedule,
            early stopping and the best epoch watch (never trained on).
        **options
            Any other field of :class:`~nndl.train.config.TrainConfig`, where
            each is described: ``lmbda``, ``regularizer``, ``optimizer``,
            ``schedule``, ``early_stopping``, ``average``, the book's
            ``monitor_*`` options, ``expand``, ``augment``, ``verbose`` ...
        on_batch, on_epoch : callable, optional
            ``on_batch(done, total)`` after each mini-batch; ``on_epoch(record)``
            after each epoch (it may add measurements to the record).

        Returns
        -------
        History
            One record per epoch: ``epoch``, ``seconds``, ``eta``; ``test_*``
            with ``test_data``; ``training_cost``, ``training_accuracy``,
            ``validation_cost``, ``validation_accuracy`` (and ``*_correct``,
            ``*_total``) and ``gradient_norms`` when monitored.
            ``history.stop_reason`` says why it stopped; ``history.best_epoch``
            which weights early stopping (or ``restore_best``) kept.  ``eta``
            is the η of the epoch's last step.

        Raises
        ------
        TrainingDiverged
            If the cost or the weights become NaN/infinite (η too large); the weights
            are those before the failing epoch (or the best epoch's, when kept).
        """
        config = TrainConfig(epochs=epochs, mini_batch_size=mini_batch_size, eta=eta, **options)
        return train(self, Splits(training_data, validation_data, test_data),  # type: ignore[arg-type]
                     config, Hooks(on_batch, on_epoch))
