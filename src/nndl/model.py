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

    def parameters(self) -> list[NDArray]:
        """Every trainable array of the model (the arrays themselves, not copies)."""
        raise NotImplementedError

    # -- shared behaviour ---------------------------------------------------
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
            ``verbose`` (print each epoch, default True), ``on_batch``, ``on_epoch``
            callbacks: see :func:`nndl.training.sgd`.

        Returns
        -------
        History
            One record per epoch (time, and test accuracy when ``test_data`` is given).
        """
        history = training.sgd(
            self, training_data, epochs, mini_batch_size, eta, test_data, **options
        )
        self.history_ = history
        return history
