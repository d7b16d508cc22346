"""What every nndl network shares: prediction, scoring and the SGD entry point.

A concrete network provides ``n_inputs``, ``n_outputs``, ``dtype``, ``rng``,
``_output(x)`` (the forward pass on an already-validated ``(m, n_in)`` batch)
and ``_train_step(x, y, eta)`` (one gradient step on a validated batch with
target vectors ``y``).  Everything here is written against those.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate, training
from nndl.history import History

#: Rows evaluated at once by predict/evaluate: bounds memory on big test sets.
EVAL_CHUNK = 10_000


class Model:
    """Base class of nndl's networks (not used directly)."""

    n_inputs: int
    n_outputs: int
    dtype: np.dtype
    rng: np.random.Generator

    # -- to be provided by subclasses ------------------------------------
    def _output(self, x: NDArray) -> NDArray:
        """Output activations for a validated batch ``x`` of shape ``(m, n_inputs)``."""
        raise NotImplementedError

    def _train_step(self, x: NDArray, y: NDArray, eta: float) -> None:
        """One gradient-descent step on a validated mini-batch (``y``: target rows)."""
        raise NotImplementedError

    # -- for optimisers, regularisers, early stopping (optional) ----------
    def _parameters(self) -> list[NDArray]:
        """The live parameter arrays (updated in place by optimisers)."""
        raise NotImplementedError(f"{type(self).__name__} does not expose its parameters")

    def _regularized(self) -> list[bool]:
        """For each of :meth:`_parameters`, whether a regulariser acts on it (weights: yes)."""
        raise NotImplementedError

    def _gradients(self, x: NDArray, y: NDArray) -> list[NDArray]:
        """Mean gradients of the cost on a training batch, parallel to :meth:`_parameters`."""
        raise NotImplementedError

    def _cost(self, x: NDArray, y: NDArray, regularizer: Any, n: int) -> float:
        """Mean cost on validated ``(x, targets)``, plus the regulariser's penalty."""
        raise NotImplementedError

    def _make_step(self, optimizer: Any, regularizer: Any, n: int) -> Any:
        """Return ``step(x, y, eta)``: one training step with this optimiser/regulariser.

        Without either it is :meth:`_train_step`.  Otherwise the gradients of
        :meth:`_gradients` get ∂Ω/∂w added (n = training-set size) and the
        optimiser updates :meth:`_parameters` in place.
        """
        if regularizer is None and (optimizer is None or optimizer.name == "sgd"):
            return self._train_step
        params, flags = self._parameters(), self._regularized()
        if optimizer is None:
            from nndl.optimizers import SGD

            optimizer = SGD()

        def step(x: NDArray, y: NDArray, eta: float) -> None:
            grads = self._gradients(x, y)
            if regularizer is not None:
                for p, g, flag in zip(params, grads, flags, strict=True):
                    if flag:
                        regularizer.add_gradient(p, g, n)
            optimizer.step(params, grads, eta)

        return step

    # -- shared behaviour ---------------------------------------------------
    def parameters(self) -> list[NDArray]:
        """Every trainable array of the model (the arrays themselves, not copies)."""
        return self._parameters()

    def snapshot(self) -> list[NDArray]:
        """Copies of every parameter array, for :meth:`restore` (e.g. the best epoch)."""
        return [p.copy() for p in self.parameters()]

    def restore(self, snapshot: list[NDArray]) -> None:
        """Write a :meth:`snapshot` back into the model's parameter arrays."""
        params = self.parameters()
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
        out = self._chunked_output(x)
        return out[0] if was_1d else out

    def _chunked_output(self, x: NDArray) -> NDArray:
        if len(x) <= EVAL_CHUNK:
            return self._output(x)
        return np.concatenate(
            [self._output(x[k : k + EVAL_CHUNK]) for k in range(0, len(x), EVAL_CHUNK)]
        )

    def predict(self, x: Any) -> NDArray[np.intp]:
        """Return the predicted class of each input: the index of the most active output."""
        arr, was_1d = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        labels = np.argmax(self._chunked_output(arr), axis=1)
        return labels[0] if was_1d else labels

    def evaluate(self, x: Any, y: Any) -> int:
        """Return how many inputs the network classifies correctly (the seed's ``evaluate``).

        ``y`` holds integer labels ``(m,)`` or one-hot/target rows ``(m, n_out)``
        (the argmax of each row is taken as its label).
        """
        arr, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        labels = _validate.labels(y, len(arr), self.n_outputs, "y")
        return self._count_correct(arr, labels)

    def score(self, x: Any, y: Any) -> float:
        """Return the fraction of inputs classified correctly (scikit-learn's ``score``)."""
        arr, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        if len(arr) == 0:
            raise ValueError("x is empty: cannot score 0 examples")
        return self.evaluate(arr, y) / len(arr)

    def _count_correct(self, x: NDArray, labels: NDArray) -> int:
        predicted = np.argmax(self._chunked_output(x), axis=1)
        return training.correct_count(predicted, labels)

    def SGD(  # noqa: N802 - the book's name
        self,
        training_data: tuple[Any, Any],
        epochs: int,
        mini_batch_size: int,
        eta: float,
        test_data: tuple[Any, Any] | None = None,
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
        **options
            Keyword-only, all optional:

            ``validation_data`` : (x, y)
                The book's ``evaluation_data``: watched by the monitors, the
                schedule and early stopping (never used for training).
            ``lmbda`` : float, default 0
                Regularisation strength λ (with n = the training-set size).
            ``regularizer`` : {"l2", "l1"} or Regularizer, default "l2"
                Which penalty ``lmbda`` weighs; see :mod:`nndl.regularizers`.
            ``optimizer`` : {"sgd", "momentum", "adam"}, dict or Optimizer
                See :mod:`nndl.optimizers`; e.g. ``{"name": "momentum", "mu": 0.9}``.
                Pass the same object again to keep its state between calls.
            ``schedule`` : int or dict, optional
                The book's schedule: halve η after this many epochs without a
                better validation accuracy, stop once η ≤ η₀/128; a dict gives
                :class:`~nndl.schedule.HalvingSchedule` options.
            ``early_stopping`` : int, optional
                Stop after this many epochs without a better validation
                accuracy, and restore the weights of the best epoch.
            ``monitor_training_cost``, ``monitor_training_accuracy``,
            ``monitor_evaluation_cost``, ``monitor_evaluation_accuracy`` : bool
                The book's monitors: record (and print) cost/accuracy on the
                training and validation data each epoch.  Costs include the
                penalty.  Evaluation accuracy defaults to on when
                ``validation_data`` is given.
            ``expand`` : bool, default False
                The book's expanded training data: each epoch also visits every
                example moved by one pixel up, down, left and right (5·n
                mini-batch examples, shuffled together; generated per
                mini-batch, never stored; zero fill at the edge).  The
                regulariser's n is then 5·n; the training monitors measure the
                original images.  See :mod:`nndl.data.expand`.
            ``verbose`` (print each epoch, default True), ``on_batch``, ``on_epoch``
                Callbacks: see :func:`nndl.training.sgd`.

        Returns
        -------
        History
            One record per epoch: ``epoch``, ``seconds``, ``eta``; ``test_*``
            with ``test_data``; ``training_cost``, ``training_accuracy``,
            ``validation_cost``, ``validation_accuracy`` (and ``*_correct``,
            ``*_total``) when monitored.  ``history.stop_reason`` says why it
            stopped; ``history.best_epoch`` which weights early stopping kept.

        Raises
        ------
        TrainingDiverged
            If the cost or the weights become NaN/infinite (η too large).  The
            weights are put back to those before the failing epoch.
        """
        history = training.sgd(
            self, training_data, epochs, mini_batch_size, eta, test_data, **options
        )
        self.history_ = history
        return history
