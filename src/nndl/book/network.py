"""The book's ``network.py`` (chapter 1): sigmoid neurons, quadratic cost, mini-batch SGD.

The same class, methods, printed lines and numbers as the book's module,
on nndl's vectorised engine (``net.model`` is the :class:`nndl.Network`
doing the work).  Initial weights come from NumPy's global generator and
the shuffling from Python's ``random``, in the book's order, so with the
same seeds it takes the book's own steps (equal up to the order of
floating-point sums; see docs/book.md for how far that reaches).

Examples
--------
>>> import random
>>> import numpy as np
>>> from nndl.book import mnist_loader, network
>>> training_data, validation_data, test_data = mnist_loader.load_data_wrapper("sample")
>>> np.random.seed(3); random.seed(3)
>>> net = network.Network([784, 30, 10])
>>> net.SGD(training_data, 2, 10, 3.0, test_data=test_data)
Epoch 0: ... / 100
Epoch 1: ... / 100
>>> net.feedforward(test_data[0][0]).shape
(10, 1)
"""

from __future__ import annotations

from typing import Any

from nndl import _validate
from nndl.book._network import BookModel, as_arrays, as_list, sigmoid, training_list

__all__ = ["Network", "sigmoid", "sigmoid_prime"]



def sigmoid_prime(z: Any) -> Any:
    """Derivative of the sigmoid function, σ'(z) = σ(z)(1 − σ(z)), with this module's σ."""
    return sigmoid(z) * (1 - sigmoid(z))


class Network(BookModel):
    """The book's chapter-1 network: ``Network([784, 30, 10])``.

    Biases ``(n, 1)`` and weights ``(n_out, n_in)`` start as N(0, 1) draws
    from ``np.random`` (biases first), as in the book.  A subclass may
    override ``update_mini_batch``, ``backprop``, ``cost_derivative``,
    ``evaluate`` or ``feedforward``, or patch ``network.sigmoid`` /
    ``network.sigmoid_prime``: ``SGD`` then calls them as the book's does
    (see :mod:`nndl.book._network`).
    """

    EXTENSION_POINTS = ("update_mini_batch", "backprop", "cost_derivative", "evaluate",
                        "feedforward")

    def __init__(self, sizes: list[int]) -> None:
        super().__init__(sizes, "quadratic")
        self._initialize(scaled=False)

    @staticmethod
    def _functions() -> tuple[Any, Any]:
        return sigmoid, sigmoid_prime  # this module's, looked up now: a reader may patch them

    def SGD(  # noqa: N802 - the book's name
        self, training_data: Any, epochs: int, mini_batch_size: int, eta: float,
        test_data: Any = None,
    ) -> None:
        """Train by mini-batch stochastic gradient descent, printing a line per epoch.

        ``training_data`` is the book's list of ``(x, y)`` pairs (shuffled in
        place each epoch, as in the book).  With ``test_data`` each epoch
        prints ``Epoch j: correct / total``, else ``Epoch j complete``.
        """
        training_data = training_list(training_data)
        eta = _validate.positive_float(eta, "eta")
        if test_data:
            test_data = as_list(test_data, "test_data")
        if self._modified():  # the book's loop, calling the reader's methods
            def step(mini_batch: list) -> None:
                self.update_mini_batch(mini_batch, eta)

            for j in self._epochs(training_data, epochs, mini_batch_size, step):
                print(f"Epoch {j}: {self.evaluate(test_data)} / {len(test_data)}" if test_data
                      else f"Epoch {j} complete")
            return
        model = self._sync()
        x, y = as_arrays(training_data, "training_data")
        # Validated once: each mini-batch is then one step of the engine (train_step).
        x, _ = _validate.inputs(x, model.n_inputs, model.dtype, "training_data x")
        y = _validate.targets(y, len(x), model.n_outputs, model.dtype, "training_data y")
        if test_data:
            test_x, test_y = as_arrays(test_data, "test_data")

        def train_step(x_batch: Any, y_batch: Any) -> None:
            model.train_step(x_batch, y_batch, eta)

        try:
            for j in self._epochs(training_data, epochs, mini_batch_size, train_step, (x, y)):
                print(f"Epoch {j}: {model.evaluate(test_x, test_y)} / {len(test_x)}" if test_data
                      else f"Epoch {j} complete")
        finally:
            self._publish()

    def update_mini_batch(self, mini_batch: Any, eta: float) -> None:
        """One gradient-descent step on the list of ``(x, y)`` pairs ``mini_batch``."""
        eta = _validate.positive_float(eta, "eta")
        self._update(mini_batch, eta, 1.0, lambda x, y: self._model.update_mini_batch(x, y, eta))

    def _output_delta(self, z: Any, a: Any, y: Any) -> Any:
        return self.cost_derivative(a, y) * self._functions()[1](z)  # δᴸ = ∇ₐC ⊙ σ'(zᴸ)

    def cost_derivative(self, output_activations: Any, y: Any) -> Any:
        """Return ∂Cₓ/∂a for the output activations: a − y (the quadratic cost)."""
        return output_activations - y

    def evaluate(self, test_data: Any) -> int:
        """Return how many of the ``(x, label)`` pairs the network gets right."""
        return self._count(test_data, "test_data")
