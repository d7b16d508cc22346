"""What every nndl network shares: prediction, scoring and the SGD entry point.

The engine (:class:`~nndl.sequential.Sequential`, of which
:class:`~nndl.network.Network` is the book's fully connected case) provides
``n_inputs``, ``n_outputs``, ``dtype``, ``rng`` and ``forward(x)`` (the
output for an already-validated ``(m, n_in)`` batch); everything here is
written against those, and :func:`nndl.training.sgd` against the protocol
the engine documents.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate, training
from nndl.history import History


class Model:
    """What every nndl network shares: prediction, scoring and the SGD entry point.

    Written against the engine's public protocol (see
    :mod:`nndl.sequential`): ``n_inputs``, ``n_outputs``, ``dtype``,
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
        lmbda: float = 0.0,
        regularizer: Any = "l2",
        optimizer: Any = "sgd",
        schedule: Any = None,
        early_stopping: int | None = None,
        average: int | None = None,
        monitor_training_cost: bool = False,
        monitor_training_accuracy: bool = False,
        monitor_evaluation_cost: bool = False,
        monitor_evaluation_accuracy: bool | None = None,
        monitor_gradients: bool = False,
        expand: bool = False,
        augment: Any = None,
        verbose: bool = True,
        on_batch: training.BatchCallback | None = None,
        on_epoch: training.EpochCallback | None = None,
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
            The book's ``evaluation_data``: watched by the monitors, the
            schedule and early stopping (never used for training).
        lmbda : float, default 0
            Regularisation strength λ (with n = the training-set size).
        regularizer : {"l2", "l1"} or Regularizer, default "l2"
            Which penalty ``lmbda`` weighs; see :mod:`nndl.regularizers`.
        optimizer : {"sgd", "momentum", "adam"}, dict or Optimizer
            See :mod:`nndl.optimizers`; e.g. ``{"name": "momentum", "mu": 0.9}``.
            Pass the same object again to keep its state between calls.
        schedule : int, dict, str or StepSchedule, optional
            An int is the book's schedule: halve η after this many epochs
            without a better validation accuracy, stop once η ≤ η₀/128; a
            dict without ``"kind"`` gives
            :class:`~nndl.schedule.HalvingSchedule` options.  A per-step
            schedule sets η for every mini-batch from the run's length:
            ``"cosine"``, ``"onecycle"`` or ``"constant"``, a dict such as
            ``{"kind": "cosine", "warmup": 0.05}`` (``warmup`` < 1 is a
            fraction of the run, ≥ 1 epochs) or a
            :class:`~nndl.schedule.StepSchedule`; ``eta`` is then its peak.
            See :mod:`nndl.schedule`.
        early_stopping : int, optional
            Stop after this many epochs without a better validation
            accuracy, and restore the weights of the best epoch.
        average : int, optional
            End with the mean of the weights at the ends of the last
            ``average`` epochs (:mod:`nndl.averaging`), measured once on the
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
            first, the output layer last); see :mod:`nndl.learning_speed`.
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
        on_batch, on_epoch : callable, optional
            ``on_batch(done, total)`` after each mini-batch; ``on_epoch(record)``
            after each epoch (it may add its own measurements to the record).

        Returns
        -------
        History
            One record per epoch: ``epoch``, ``seconds``, ``eta``; ``test_*``
            with ``test_data``; ``training_cost``, ``training_accuracy``,
            ``validation_cost``, ``validation_accuracy`` (and ``*_correct``,
            ``*_total``) and ``gradient_norms`` when monitored.
            ``history.stop_reason`` says why it stopped; ``history.best_epoch``
            which weights early stopping kept.  ``eta`` is the η of the
            epoch's last step.

        Raises
        ------
        TrainingDiverged
            If the cost or the weights become NaN/infinite (η too large).  The
            weights are put back to those before the failing epoch.
        """
        run = training.prepare(
            self,  # type: ignore[arg-type]  # the engine (Sequential) implements Trainable
            training_data, epochs, mini_batch_size, eta, test_data,
            validation_data=validation_data, lmbda=lmbda, regularizer=regularizer,
            optimizer=optimizer, schedule=schedule, early_stopping=early_stopping,
            average=average,
            monitor_training_cost=monitor_training_cost,
            monitor_training_accuracy=monitor_training_accuracy,
            monitor_evaluation_cost=monitor_evaluation_cost,
            monitor_evaluation_accuracy=monitor_evaluation_accuracy,
            monitor_gradients=monitor_gradients,
            expand=expand, augment=augment, verbose=verbose, on_batch=on_batch, on_epoch=on_epoch,
        )
        history = training.sgd(self, run)  # type: ignore[arg-type]  # as above
        self.history_ = history
        return history
