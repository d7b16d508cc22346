"""What the book's ``network.py`` and ``network2.py`` share: the book's methods, and a fast path.

The book keeps a network as lists of column-shaped arrays and loops over
the examples of each mini-batch.  Here ``net.weights`` and ``net.biases``
are such lists, plain attributes as in the book: each step rebinds them to
new arrays, so a reference taken earlier keeps the values it had.  The
methods are the book's (``feedforward``, ``backprop``, ``cost_derivative``,
a per-example ``update_mini_batch`` ...), and they are what a reader
subclasses or patches.

**Two paths, chosen once per ``SGD`` call.**  When none of the book's
methods is overridden (in a subclass or on the instance) and none of the
module's functions (``sigmoid``, ``sigmoid_prime``; network2's cost
classes' ``fn``/``delta``) is patched, ``SGD`` trains an
:class:`nndl.Network` (``net.model``) instead: the lists are copied into
it, each mini-batch is one vectorised step, and the lists are rebound to
the result at the end.  Otherwise ``SGD`` is the book's loop, calling the
book's methods in the book's order — ``update_mini_batch`` once a
mini-batch, ``backprop`` once an example, ``evaluate`` (network2:
``total_cost``, ``accuracy``) once an epoch — so an override is called as
often as in the book.  The book's defaults stay fast where that changes
no call: ``update_mini_batch`` is one vectorised step unless something it
calls is overridden, ``evaluate``/``accuracy``/``total_cost`` one stacked
pass unless ``feedforward``, ``sigmoid`` (or a cost's ``fn``) is.

What makes the fast path's trajectory the book's (for the same seeds):

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
>>> from nndl.book import network
>>> net = network.Network([3, 2])
>>> w = net.weights[0]
>>> net.update_mini_batch([(np.ones((3, 1)), np.ones((2, 1)))], 3.0)
>>> net.weights[0] is w, net.weights is net.weights       # a new array, as in the book
(False, True)
>>> net.weights = [np.ones((2, 3))]
>>> float(net.model.weights[0].sum())
6.0
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.book.pairs import materialize, pairs_to_arrays
from nndl.model.network import Network
from nndl.nn.activations import Sigmoid
from nndl.nn.costs import Cost

Array = NDArray[np.floating]

_SIGMOID = Sigmoid()


def sigmoid(z: Any) -> Any:
    """The sigmoid function, σ(z) = 1/(1 + e^(−z)): the engine's, exact in both tails."""
    z = np.asarray(z)
    out = np.empty_like(z, dtype=z.dtype if z.dtype.kind == "f" else np.float64)
    _SIGMOID.fn_into(z, out)
    return out[()]


#: Names of what a patched module function or cost changes (see :meth:`BookModel._modified`).
GRADIENT = frozenset({"backprop", "cost_derivative", "sigmoid", "sigmoid_prime", "cost.delta"})
FORWARD = frozenset({"feedforward", "sigmoid"})


def as_arrays(data: Any, name: str) -> tuple[Array, Array]:
    """The book's list (or zip) of ``(x, y)`` pairs as stacked ``(x, y)`` arrays."""
    return pairs_to_arrays(materialize(data), name)


def as_list(data: Any, name: str) -> list:
    """The book's pairs as a list (a zip is read once), refusing an empty one."""
    data = materialize(data)
    if not isinstance(data, list):
        data = list(data)
    if not data:
        raise ValueError(f"{name} is empty")
    return data


def training_list(training_data: Any) -> list:
    """The list the book's ``SGD`` shuffles: ``training_data`` itself if it is a list."""
    return as_list(training_data, "training_data")


def _checked(what: str, values: Any, shapes: list[tuple[int, int]]) -> list:
    """``values`` as a list of float arrays of the given shapes.

    The list itself when it is one of such arrays already (as the book's
    code assigns), else a new list of the entries as float64 arrays.
    """
    values = values if isinstance(values, list) else list(values)
    if len(values) != len(shapes):
        raise ValueError(f"{what} must be a list of {len(shapes)} arrays, got {len(values)}")
    if all(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in values):
        arrays = values
    else:
        arrays = [_float_array(v, f"{what}[{i}]") for i, v in enumerate(values)]
    for i, (arr, shape) in enumerate(zip(arrays, shapes, strict=True)):
        if arr.shape != shape:
            raise ValueError(f"{what}[{i}] must have shape {shape}, got {arr.shape}")
    return arrays


def _float_array(value: Any, name: str) -> Array:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:  # not numbers, or ragged
        raise ValueError(f"{name}: {exc}") from None


def label(y: Any) -> Any:
    """The class of a target: the label itself, or the argmax of a one-hot column."""
    return y if np.ndim(y) == 0 else np.argmax(y)


class BookModel:
    """Base of the book's ``network.Network`` and ``network2.Network`` (not used directly).

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first.
    cost : str or nndl Cost
        The cost of the :class:`nndl.Network` of the fast path.
    """

    #: The book's methods a reader may override (each subclass lists its module's).
    EXTENSION_POINTS: ClassVar[tuple[str, ...]] = ()
    #: The book class's own methods and module functions, recorded when it is defined.
    _originals: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "EXTENSION_POINTS" in vars(cls):  # the book's class, not a reader's subclass
            cls._originals = {name: getattr(cls, name) for name in cls.EXTENSION_POINTS}
            cls._originals.update(zip(("sigmoid", "sigmoid_prime"), cls._functions(), strict=True))

    def __init__(self, sizes: list[int], cost: str | Cost) -> None:
        self._model = Network(list(sizes), cost=cost, activation="sigmoid", seed=0)
        self.num_layers = len(self._model.sizes)
        self.sizes = sizes
        pairs = list(zip(self._model.sizes[:-1], self._model.sizes[1:], strict=True))
        self._shapes = {"weights": [(y, x) for x, y in pairs],
                        "biases": [(y, 1) for _, y in pairs]}
        self._publish()

    # -- the book's parameter lists: (n, 1) biases and (n_out, n_in) weights ------
    @property
    def biases(self) -> list:
        return self._biases

    @biases.setter
    def biases(self, values: Any) -> None:
        self._biases = _checked("biases", values, self._shapes["biases"])

    @property
    def weights(self) -> list:
        return self._weights

    @weights.setter
    def weights(self, values: Any) -> None:
        self._weights = _checked("weights", values, self._shapes["weights"])

    @property
    def model(self) -> Network:
        """The :class:`nndl.Network` of the fast path, holding ``net.weights`` and ``net.biases``.

        Their values are copied in each time this is read (shapes checked).
        """
        return self._sync()

    def _sync(self) -> Network:
        """Copy the lists into the model (a list changed in length or shape is an error)."""
        model = self._model
        model.weights = _checked("weights", self._weights, self._shapes["weights"])
        biases = _checked("biases", self._biases, self._shapes["biases"])
        model.biases = [np.reshape(b, -1) for b in biases]
        return model

    def _publish(self) -> None:
        """Rebind the lists to new arrays holding the model's values (as a book step does)."""
        self._weights = [w.copy() for w in self._model.weights]
        self._biases = [b[:, np.newaxis].copy() for b in self._model.biases]

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

    # -- which path: what a reader has changed -------------------------------------------
    @staticmethod
    def _functions() -> tuple[Any, Any]:
        """The module's ``sigmoid`` and ``sigmoid_prime``, looked up when called (patchable)."""
        raise NotImplementedError

    def _patched(self) -> set[str]:
        """The module functions (network2: also cost methods) a reader has replaced."""
        current = zip(("sigmoid", "sigmoid_prime"), self._functions(), strict=True)
        return {name for name, fn in current if fn is not self._originals[name]}

    def _modified(self) -> set[str]:
        """The book's methods overridden (in a subclass or on the instance), functions patched."""
        cls = type(self)
        changed = {name for name in self.EXTENSION_POINTS
                   if name in vars(self) or getattr(cls, name) is not self._originals[name]}
        return changed | self._patched()

    # -- the book's methods ----------------------------------------------------------
    def feedforward(self, a: Any) -> Any:
        """Return the output for the column ``a`` ``(n_in, 1)`` (or columns ``(n_in, m)``)."""
        sigma = self._functions()[0]
        for b, w in zip(self.biases, self.weights, strict=True):
            a = sigma(np.dot(w, a) + b)  # aˡ = σ(wˡaˡ⁻¹ + bˡ)
        return a

    def backprop(self, x: Any, y: Any) -> tuple[list, list]:
        """Return ``(nabla_b, nabla_w)``: the gradient of Cₓ for one example, as the book does."""
        sigma, sigma_prime = self._functions()
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights, strict=True):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigma(z)
            activations.append(activation)
        n = self.num_layers - 1
        nabla_b: list = [None] * n
        nabla_w: list = [None] * n
        delta = self._output_delta(zs[-1], activations[-1], y)  # BP1
        nabla_b[-1], nabla_w[-1] = delta, np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            sp = sigma_prime(zs[-layer])
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sp  # BP2
            nabla_b[-layer] = delta  # BP3
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())  # BP4
        return nabla_b, nabla_w

    def _output_delta(self, z: Any, a: Any, y: Any) -> Any:
        """δᴸ in ``backprop`` (network: from ``cost_derivative``; network2: from ``cost``)."""
        raise NotImplementedError

    def _update(self, mini_batch: Any, eta: float, decay: float, step: Callable) -> None:
        """The book's ``update_mini_batch``: w → decay·w − (η/m) Σₓ ∇w Cₓ.

        One vectorised ``step(x, y)`` of the model, unless a reader has
        changed something the book's update calls: then the book's loop,
        one ``self.backprop`` per example.
        """
        mini_batch = as_list(mini_batch, "mini_batch")
        if not self._modified() & GRADIENT:
            x, y = as_arrays(mini_batch, "mini_batch")
            self._sync()
            step(x, y)
            self._publish()
            return
        nabla_b = [np.zeros(np.shape(b)) for b in self.biases]
        nabla_w = [np.zeros(np.shape(w)) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b, strict=True)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w, strict=True)]
        m = len(mini_batch)
        self.weights = [decay * w - (eta / m) * nw for w, nw in zip(self.weights, nabla_w,
                                                                    strict=True)]
        self.biases = [b - (eta / m) * nb for b, nb in zip(self.biases, nabla_b, strict=True)]

    def _count(self, data: Any, name: str) -> int:
        """How many pairs of ``data`` the network gets right (the book's ``evaluate``)."""
        data = as_list(data, name)
        if self._modified() & FORWARD:  # the book's: one self.feedforward per example
            return sum(int(np.argmax(self.feedforward(x)) == label(y)) for x, y in data)
        x, y = as_arrays(data, name)
        return self._sync().evaluate(x, y)

    # -- the loops of SGD ------------------------------------------------------------
    def _epochs(
        self, training_data: list, epochs: int, mini_batch_size: int,
        step: Callable[..., None], arrays: tuple[Array, Array] | None = None,
    ) -> Iterator[int]:
        """Train as the book's ``SGD`` does; yield each epoch's number once it is trained.

        The list ``training_data`` is shuffled in place each epoch, as in the
        book, and ``step`` takes each mini-batch: the book's slice of the list
        or, given ``arrays`` (``training_data`` stacked, :func:`as_arrays`),
        ``step(x, y)`` on their rows in that order (the same permutation).
        """
        epochs = _validate.positive_int(epochs, "epochs", minimum=0)
        mini_batch_size = _validate.positive_int(mini_batch_size, "mini_batch_size")
        n = len(training_data)
        order = np.arange(n)  # row of the arrays holding each item of training_data
        for j in range(epochs):
            perm = list(range(n))
            random.shuffle(perm)  # the permutation random.shuffle(training_data) makes
            training_data[:] = map(training_data.__getitem__, perm)
            order = order[perm]
            for k in range(0, n, mini_batch_size):
                if arrays is None:
                    step(training_data[k : k + mini_batch_size])
                else:
                    rows = order[k : k + mini_batch_size]
                    step(arrays[0][rows], arrays[1][rows])
            yield j
