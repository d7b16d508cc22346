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
from nndl.book._network import BookModel, as_arrays, sigmoid, sigmoid_prime, training_list

__all__ = ["Network", "sigmoid", "sigmoid_prime"]


class Network(BookModel):
    """The book's chapter-1 network: ``Network([784, 30, 10])``.

    Biases ``(n, 1)`` and weights ``(n_out, n_in)`` start as N(0, 1) draws
    from ``np.random`` (biases first), as in the book.
    """

    def __init__(self, sizes: list[int]) -> None:
        super().__init__(sizes, "quadratic")
        self._initialize(scaled=False)

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
        model = self.model
        x, y = as_arrays(training_data, "training_data")
        # Validated once: each mini-batch is then one step of the engine (train_step).
        x, _ = _validate.inputs(x, model.n_inputs, model.dtype, "training_data x")
        y = _validate.targets(y, len(x), model.n_outputs, model.dtype, "training_data y")
        eta = _validate.positive_float(eta, "eta")
        if test_data:
            test_x, test_y = as_arrays(test_data, "test_data")

        def step(x_batch: Any, y_batch: Any) -> None:
            model.train_step(x_batch, y_batch, eta)

        for j in self._epochs(training_data, x, y, epochs, mini_batch_size, step):
            if test_data:
                print(f"Epoch {j}: {model.evaluate(test_x, test_y)} / {len(test_x)}")
            else:
                print(f"Epoch {j} complete")

    def update_mini_batch(self, mini_batch: Any, eta: float) -> None:
        """One gradient-descent step on the list of ``(x, y)`` pairs ``mini_batch``."""
        x, y = as_arrays(mini_batch, "mini_batch")
        self.model.update_mini_batch(x, y, eta)

    def evaluate(self, test_data: Any) -> int:
        """Return how many of the ``(x, label)`` pairs the network gets right."""
        return self._count(test_data, "test_data")
