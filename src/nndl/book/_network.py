"""What the book's ``network.py`` and ``network2.py`` share: an adapter on :class:`nndl.Network`.

The book keeps a network as lists of column-shaped arrays and loops over
the examples of each mini-batch.  Here the arrays live in an
:class:`nndl.Network` (``net.model``); ``net.weights`` and ``net.biases``
are views of them in the book's shapes, and a mini-batch is one call of
the model's vectorised ``update_mini_batch`` or ``backprop``.

What makes the trajectory the book's (for the same seeds):

* initial weights come from NumPy's *global* generator, in the book's
  order — all the biases, then all the weights (:meth:`BookModel._initialize`);
* each epoch shuffles with Python's ``random.shuffle`` — the same
  permutation the book's ``random.shuffle(training_data)`` makes, applied
  to the list you passed (as the book does) and to the stacked arrays;
* mini-batches are consecutive slices of the shuffled list, and each step is
  w → w − (η/m) Σₓ ∇w Cₓ, summed over the rows of the batch at once.

Examples
--------
>>> import numpy as np
>>> net = BookModel([3, 2], "quadratic")
>>> net.weights = [np.ones((2, 3))]
>>> net.biases[0].shape, float(net.model.weights[0].sum())
((2, 1), 6.0)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.costs import Cost
from nndl.network import Network
from nndl.pairs import materialize, pairs_to_arrays

Array = NDArray[np.floating]


def sigmoid(z: Any) -> Any:
    """The sigmoid function, σ(z) = 1/(1 + e^(−z)), computed as ½(1 + tanh(z/2)) (no overflow)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z)))


def sigmoid_prime(z: Any) -> Any:
    """Derivative of the sigmoid function, σ'(z) = σ(z)(1 − σ(z))."""
    s = sigmoid(z)
    return s * (1 - s)


class ParamList(list):
    """The book's list of weight or bias arrays: views of the model's own arrays.

    Writing into an array (``net.weights[0][3, 4] = 0.5``) or assigning an
    item (``net.weights[0] = w``, shape checked) changes the model.
    """

    def __init__(self, arrays: list[Array], what: str) -> None:
        super().__init__(arrays)
        self.what = what

    def __setitem__(self, index: Any, value: Any) -> None:
        if not isinstance(index, int):
            raise TypeError(f"assign {self.what} one array at a time, e.g. {self.what}[0] = ...")
        target = self[index]
        target[...] = _checked(value, target.shape, f"{self.what}[{index}]")


def _checked(value: Any, shape: tuple[int, ...], name: str) -> Array:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:  # not numbers, or ragged
        raise ValueError(f"{name}: {exc}") from None
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return arr


def as_arrays(data: Any, name: str) -> tuple[Array, Array]:
    """The book's list (or zip) of ``(x, y)`` pairs as stacked ``(x, y)`` arrays."""
    return pairs_to_arrays(materialize(data), name)


class BookModel:
    """Base of the book's ``network.Network`` and ``network2.Network`` (not used directly).

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first.
    cost : str or nndl Cost
        The cost of the :class:`nndl.Network` that does the work.
    """

    def __init__(self, sizes: list[int], cost: str | Cost) -> None:
        self.model = Network(list(sizes), cost=cost, activation="sigmoid", seed=0)
        self.num_layers = len(self.model.sizes)
        self.sizes = sizes

    # -- the book's parameter lists: (n, 1) biases and (n_out, n_in) weights ------
    @property
    def biases(self) -> ParamList:
        return ParamList([b[:, np.newaxis] for b in self.model.biases], "biases")

    @biases.setter
    def biases(self, values: list[Any]) -> None:
        self._assign("biases", self.biases, values)

    @property
    def weights(self) -> ParamList:
        return ParamList(list(self.model.weights), "weights")

    @weights.setter
    def weights(self, values: list[Any]) -> None:
        self._assign("weights", self.weights, values)

    @staticmethod
    def _assign(what: str, targets: ParamList, values: list[Any]) -> None:
        values = list(values)
        if len(values) != len(targets):
            raise ValueError(f"{what} must be a list of {len(targets)} arrays, got {len(values)}")
        checked = [_checked(v, t.shape, f"{what}[{i}]") for i, (v, t) in enumerate(
            zip(values, targets, strict=True))]
        for target, value in zip(targets, checked, strict=True):
            target[...] = value

    def _initialize(self, scaled: bool) -> None:
        """Draw from NumPy's global generator in the book's order: biases, then weights.

        The weights are N(0, 1), divided by √n_in when ``scaled`` (network2's
        default); the arithmetic is the book's, so the numbers are identical.
        """
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        weights = []
        for x, y in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w = np.random.randn(y, x)
            weights.append(w / np.sqrt(x) if scaled else w)
        self.weights = weights

    # -- the book's methods ----------------------------------------------------------
    def feedforward(self, a: Any) -> Array:
        """Return the output for the column ``a`` ``(n_in, 1)`` (or columns ``(n_in, m)``)."""
        return self.model.feedforward(np.asarray(a).T).T

    def backprop(self, x: Any, y: Any) -> tuple[list[Array], list[Array]]:
        """Return ``(nabla_b, nabla_w)``, the gradient of the cost Cₓ, in the book's shapes."""
        y = np.asarray(y)
        nabla_b, nabla_w = self.model.backprop(np.asarray(x).T, y.T if y.ndim else y[None])
        return [nb[:, np.newaxis] for nb in nabla_b], nabla_w

    def cost_derivative(self, output_activations: Any, y: Any) -> Array:
        """Return ∂Cₓ/∂a for the output activations (a − y for the quadratic cost)."""
        return self.model.cost_derivative(output_activations, y)

    def _count(self, data: Any, name: str) -> int:
        x, y = as_arrays(data, name)
        return self.model.evaluate(x, y)

    def _epochs(
        self, training_data: list, x: Array, y: Array, epochs: int, mini_batch_size: int,
        step: Callable[[Array, Array], None],
    ) -> Iterator[int]:
        """Train as the book's ``SGD`` does; yield each epoch's number once it is trained.

        ``x`` and ``y`` are ``training_data`` stacked (:func:`as_arrays`);
        ``step(x, y)`` takes one mini-batch of their rows.  The list
        ``training_data`` is shuffled in place each epoch, as in the book.
        """
        epochs = _validate.positive_int(epochs, "epochs", minimum=0)
        mini_batch_size = _validate.positive_int(mini_batch_size, "mini_batch_size")
        n = len(training_data)
        order = np.arange(n)  # row of (x, y) holding each item of training_data
        for j in range(epochs):
            perm = list(range(n))
            random.shuffle(perm)  # the permutation random.shuffle(training_data) makes
            training_data[:] = map(training_data.__getitem__, perm)
            order = order[perm]
            for k in range(0, n, mini_batch_size):
                rows = order[k : k + mini_batch_size]
                step(x[rows], y[rows])
            yield j


def training_list(training_data: Any) -> list:
    """The list the book's ``SGD`` shuffles: ``training_data`` itself if it is a list."""
    data = materialize(training_data)
    if not isinstance(data, list):
        data = list(data)
    if not data:
        raise ValueError("training_data is empty")
    return data
