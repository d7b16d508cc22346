"""The book's ``network3.py`` (chapter 6) without Theano: convolutional nets on nndl's engine.

The book's layer classes describe the network; :class:`Network` turns them
into an :class:`nndl.Sequential` (``net.model``) of nndl layers —

======================================================  ===========================================
book                                                    nndl
======================================================  ===========================================
``ConvPoolLayer(filter_shape, image_shape, poolsize)``  :class:`~nndl.nn.layers.Conv2D` then
                                                        :class:`~nndl.nn.layers.MaxPool2D`
``FullyConnectedLayer(n_in, n_out, p_dropout=p)``       :class:`~nndl.nn.layers.Dropout` (p, if
                                                        p > 0) then :class:`~nndl.nn.layers.Dense`
``SoftmaxLayer(n_in, n_out, p_dropout=p)``              the same, with a softmax output
                                                        and the log-likelihood cost
======================================================  ===========================================

(a :class:`~nndl.nn.layers.Flatten` goes between the last ``ConvPoolLayer``
and the first dense layer) — and :meth:`Network.SGD` prints the book's lines.

Differences from the book's Theano code, none of which changes what is
computed in expectation: the activation is applied before max-pooling
rather than after (the same function, as σ is increasing and the bias is
the same over a pool); the convolution is a cross-correlation (Theano's
flips the kernel); dropout is inverted (kept neurons are scaled by
1/(1 − p) in training instead of the weights by 1 − p at evaluation); and
each epoch visits the mini-batches in a fresh random order (the book's
visits them in the same order every epoch).  Initial weights are drawn as
the book draws them, from NumPy's global generator; the shuffling and the
dropout masks come from a generator seeded with 0 (the book's dropout uses
``RandomState(0)`` too).  Arithmetic is float32, like the book's GPU runs.

Examples
--------
>>> import numpy as np
>>> from nndl.book import network3
>>> from nndl.book.network3 import Network, ConvPoolLayer, FullyConnectedLayer, SoftmaxLayer
>>> training_data, validation_data, test_data = network3.load_data_shared("sample")
>>> mini_batch_size = 10
>>> np.random.seed(0)
>>> net = Network([
...     FullyConnectedLayer(n_in=784, n_out=100),
...     SoftmaxLayer(n_in=100, n_out=10)], mini_batch_size)
>>> net.SGD(training_data, 2, mini_batch_size, 0.1, validation_data, test_data)
Training mini-batch number 0
Epoch 0: validation accuracy ...%
This is the best validation accuracy to date.
The corresponding test accuracy is ...%
Epoch 1: validation accuracy ...%
...
Finished training network.
Best validation accuracy of ...% obtained at iteration ...
Corresponding test accuracy of ...%
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.book import mnist_loader
from nndl.book._network import sigmoid
from nndl.model.sequential import Sequential
from nndl.nn.layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D

__all__ = [
    "ConvPoolLayer",
    "FullyConnectedLayer",
    "Network",
    "ReLU",
    "SoftmaxLayer",
    "linear",
    "load_data_shared",
    "sigmoid",
    "size",
    "tanh",
]

Array = NDArray[np.floating]


# -- activation functions: NumPy versions of the book's Theano ones ----------------------
def linear(z: Any) -> Any:
    """The identity, z."""
    return z


def ReLU(z: Any) -> Any:  # noqa: N802 - the book's name
    """Rectified linear unit, max(0, z)."""
    return np.maximum(0.0, z)


def tanh(z: Any) -> Any:
    """Hyperbolic tangent."""
    return np.tanh(z)


#: The book's activation functions and the nndl activations that compute them.
ACTIVATIONS = {linear: "linear", ReLU: "relu", sigmoid: "sigmoid", tanh: "tanh"}


def _activation(fn: Any) -> str:
    try:
        return ACTIVATIONS[fn]
    except (KeyError, TypeError):
        raise ValueError(
            f"activation_fn must be one of network3's linear, ReLU, sigmoid, tanh, got {fn!r}"
        ) from None


# -- data ----------------------------------------------------------------------------------
def load_data_shared(filename: str | None = None) -> list[tuple[Array, NDArray[np.int32]]]:
    """Return ``[training_data, validation_data, test_data]``, each an ``(x, y)`` pair of arrays.

    What the book put in Theano shared variables: float32 images, one per
    row, and int32 labels.  ``filename`` is as for
    :func:`nndl.book.mnist_loader.load_data` — the book's ``mnist.pkl.gz``,
    the ``mnist_expanded.pkl.gz`` that :mod:`nndl.book.expand_mnist` makes,
    ``"sample"``, or None for nndl's MNIST cache.
    """
    return [
        (np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int32))
        for x, y in mnist_loader.load_data(filename)
    ]


def size(data: Any) -> int:
    """Return the number of examples in the ``(x, y)`` pair ``data``."""
    return len(data[0])


# -- layers -----------------------------------------------------------------------------------
class _BookLayer:
    """A book layer: its initial ``w`` and ``b``, and the nndl layers that compute it.

    Until a :class:`Network` is built from it, ``w`` and ``b`` are the initial
    arrays; afterwards they are the live arrays of the nndl layer (in the
    book's shapes), so that they follow training.
    """

    w: Array
    b: Array
    n_in: int

    def _nndl_layers(self) -> list[Layer]:
        raise NotImplementedError

    def _bind(self, layer: Layer) -> None:
        """Copy the initial weights into the built nndl ``layer`` and view its arrays."""
        params = layer.params
        params["w"][...] = self._book_to_nndl(self.w)
        params["b"][...] = self.b
        self.w, self.b = self._nndl_to_book(params["w"]), params["b"]

    @staticmethod
    def _book_to_nndl(w: Array) -> Array:
        return w

    @staticmethod
    def _nndl_to_book(w: Array) -> Array:
        return w

    @property
    def params(self) -> list[Array]:
        """``[w, b]``, as in the book."""
        return [self.w, self.b]


class ConvPoolLayer(_BookLayer):
    """A convolutional layer followed by max-pooling, as in the book.

    Parameters
    ----------
    filter_shape : (filters, input feature maps, height, width)
    image_shape : (mini-batch size, input feature maps, height, width)
    poolsize : (int, int), default (2, 2)
        Must be square (p, p).
    activation_fn : linear, ReLU, sigmoid or tanh, default sigmoid
    """

    def __init__(
        self, filter_shape: Any, image_shape: Any, poolsize: Any = (2, 2),
        activation_fn: Any = sigmoid,
    ) -> None:
        self.filter_shape = _shape(filter_shape, 4, "filter_shape")
        self.image_shape = _shape(image_shape, 4, "image_shape")
        self.poolsize = _shape(poolsize, 2, "poolsize")
        if self.poolsize[0] != self.poolsize[1]:
            raise ValueError(f"poolsize must be square (p, p), got {poolsize!r}")
        if self.filter_shape[1] != self.image_shape[1]:
            raise ValueError(
                f"filter_shape {self.filter_shape} reads {self.filter_shape[1]} feature maps but "
                f"image_shape {self.image_shape} has {self.image_shape[1]}"
            )
        self.activation_fn = activation_fn
        self._act = _activation(activation_fn)
        # The book's initialisation: w ~ N(0, 1/n_out), n_out = F·kh·kw / pool area; b ~ N(0, 1)
        n_out = self.filter_shape[0] * np.prod(self.filter_shape[2:]) / np.prod(self.poolsize)
        self.w = np.random.normal(loc=0, scale=np.sqrt(1.0 / n_out), size=self.filter_shape)
        self.b = np.random.normal(loc=0, scale=1.0, size=(self.filter_shape[0],))

    def _nndl_layers(self) -> list[Layer]:
        f, _, kh, kw = self.filter_shape
        return [Conv2D(f, (kh, kw), self._act, init="normal"), MaxPool2D(self.poolsize[0])]


class FullyConnectedLayer(_BookLayer):
    """A fully connected layer, with dropout on its inputs while training if ``p_dropout`` > 0.

    ``w`` has the book's shape ``(n_in, n_out)`` (a transposed view of the
    nndl layer's ``(n_out, n_in)``); w ~ N(0, 1/n_out), b ~ N(0, 1).
    """

    _output = ""

    def __init__(
        self, n_in: int, n_out: int, activation_fn: Any = sigmoid, p_dropout: float = 0.0
    ) -> None:
        self.n_in = _validate.positive_int(n_in, "n_in")
        self.n_out = _validate.positive_int(n_out, "n_out")
        self.activation_fn = activation_fn
        self._act = _activation(activation_fn)
        self.p_dropout = p_dropout
        Dropout(p_dropout)  # checks p
        self.w = np.random.normal(loc=0.0, scale=np.sqrt(1.0 / n_out), size=(n_in, n_out))
        self.b = np.random.normal(loc=0.0, scale=1.0, size=(n_out,))

    def _nndl_layers(self) -> list[Layer]:
        dropout: list[Layer] = [Dropout(self.p_dropout)] if self.p_dropout > 0 else []
        return [*dropout, Dense(self.n_out, self._act, init="normal")]

    @staticmethod
    def _book_to_nndl(w: Array) -> Array:
        return w.T

    @staticmethod
    def _nndl_to_book(w: Array) -> Array:
        return w.T


class SoftmaxLayer(FullyConnectedLayer):
    """The softmax output layer (log-likelihood cost); w and b start at zero, as in the book."""

    def __init__(self, n_in: int, n_out: int, p_dropout: float = 0.0) -> None:
        self.n_in = _validate.positive_int(n_in, "n_in")
        self.n_out = _validate.positive_int(n_out, "n_out")
        self.activation_fn = None
        self._act = "softmax"
        self.p_dropout = p_dropout
        Dropout(p_dropout)
        self.w = np.zeros((n_in, n_out))
        self.b = np.zeros((n_out,))


# -- the network ------------------------------------------------------------------------------
class Network:
    """The book's ``Network(layers, mini_batch_size)``: the layers in order, softmax last.

    ``net.model`` is the :class:`nndl.Sequential` that computes it (float32);
    each book layer's ``w`` and ``b`` are views of its arrays.

    Raises
    ------
    ValueError
        If the last layer is not a :class:`SoftmaxLayer` (its cost is the
        network's), or a layer's ``n_in`` / ``image_shape`` does not match what
        the layer before it gives; the message names the layer.
    """

    def __init__(self, layers: list[Any], mini_batch_size: int) -> None:
        self.layers = list(layers)
        self.mini_batch_size = _validate.positive_int(mini_batch_size, "mini_batch_size")
        if not self.layers or not all(isinstance(lay, _BookLayer) for lay in self.layers):
            raise ValueError(
                "layers must be a list of ConvPoolLayer, FullyConnectedLayer and SoftmaxLayer"
            )
        if not isinstance(self.layers[-1], SoftmaxLayer):
            raise ValueError("the last layer must be a SoftmaxLayer (its cost is the network's)")
        parts = [self._nndl_layers(i) for i in range(len(self.layers))]
        first = self.layers[0]
        input_shape = (
            first.image_shape[1:] if isinstance(first, ConvPoolLayer) else (first.n_in,)
        )
        self.model = Sequential(
            [layer for part in parts for layer in part], input_shape=input_shape,
            cost="log_likelihood", seed=0, dtype="float32",
        )
        for i, (book_layer, part) in enumerate(zip(self.layers, parts, strict=True)):
            _check_input(i, book_layer, part)
            book_layer._bind(part[0] if isinstance(book_layer, ConvPoolLayer) else part[-1])
        self.params = [param for layer in self.layers for param in layer.params]

    def _nndl_layers(self, i: int) -> list[Layer]:
        layer = self.layers[i]
        after_conv = i > 0 and isinstance(self.layers[i - 1], ConvPoolLayer)
        if isinstance(layer, ConvPoolLayer) and i > 0 and not after_conv:
            raise ValueError(
                f"layer {i} (ConvPoolLayer) follows a fully connected layer; here a "
                "ConvPoolLayer must come first or after another ConvPoolLayer"
            )
        flatten: list[Layer] = [Flatten()] if after_conv and not isinstance(
            layer, ConvPoolLayer) else []
        return flatten + layer._nndl_layers()

    def SGD(  # noqa: N802 - the book's name
        self, training_data: Any, epochs: int, mini_batch_size: int, eta: float,
        validation_data: Any, test_data: Any, lmbda: float = 0.0,
    ) -> None:
        """Train by mini-batch SGD, printing the book's lines.

        As in the book, only whole mini-batches are used (the last
        ``len % mini_batch_size`` examples of each set are left out), the
        penalty is (λ/2)·Σw² / (number of training mini-batches), and the
        test accuracy is measured whenever the validation accuracy is the
        best so far.
        """
        mbs = _validate.positive_int(mini_batch_size, "mini_batch_size")
        train = _whole_batches(training_data, mbs, "training_data")
        val = _whole_batches(validation_data, mbs, "validation_data")
        test = _whole_batches(test_data, mbs, "test_data") if test_data else None
        lmbda = _validate.positive_float(lmbda, "lmbda", allow_zero=True)
        report = _Report(self.model, len(train[0]) // mbs, test)
        # nndl's L2 adds (λ'/n)·w to the gradient, n = len(train); the book's adds
        # (λ / batches)·w, batches = n / mbs: so λ' = λ·mbs.
        self.model.SGD(
            train, epochs, mbs, eta, validation_data=val, lmbda=lmbda * mbs,
            verbose=False, on_batch=report.batch, on_epoch=report.epoch,
        )
        report.finish()


class _Report:
    """The book's printed lines, from nndl's training callbacks."""

    def __init__(self, model: Sequential, batches: int, test: Any) -> None:
        self.model, self.batches, self.test = model, batches, test
        self.done = 0  # epochs finished
        self.best = 0.0
        self.best_iteration: int | None = None
        self.test_accuracy: float | None = None

    def batch(self, done: int, total: int) -> None:
        iteration = self.batches * self.done + done - 1
        if iteration % 1000 == 0:
            print(f"Training mini-batch number {iteration}")

    def epoch(self, record: dict[str, Any]) -> None:
        accuracy = record["validation_accuracy"]
        print(f"Epoch {self.done}: validation accuracy {accuracy:.2%}")
        if accuracy >= self.best:
            print("This is the best validation accuracy to date.")
            self.best = accuracy
            self.best_iteration = self.batches * (self.done + 1) - 1
            if self.test is not None:
                self.test_accuracy = self.model.evaluate(*self.test) / len(self.test[0])
                print(f"The corresponding test accuracy is {self.test_accuracy:.2%}")
        self.done += 1

    def finish(self) -> None:
        print("Finished training network.")
        if self.best_iteration is not None:
            print(
                f"Best validation accuracy of {self.best:.2%} obtained at iteration "
                f"{self.best_iteration}"
            )
        if self.test_accuracy is not None:
            print(f"Corresponding test accuracy of {self.test_accuracy:.2%}")


def _whole_batches(data: Any, mbs: int, name: str) -> tuple[Any, Any]:
    """``data`` as ``(x, y)`` arrays cut to whole mini-batches, as the book's indexing does."""
    x, y = _validate.dataset(data, name)
    x, y = np.asarray(x), np.asarray(y)
    n = len(x) // mbs * mbs
    if n == 0:
        raise ValueError(f"{name} has {len(x)} examples: fewer than one mini-batch of {mbs}")
    return x[:n], y[:n]


def _check_input(i: int, book_layer: _BookLayer, part: list[Layer]) -> None:
    """Check that the book layer's declared input is what its nndl layers receive."""
    given = tuple(part[0].input_shape or ())  # what the layer before gives
    if isinstance(book_layer, ConvPoolLayer):
        ok, what = given == book_layer.image_shape[1:], f"image_shape {book_layer.image_shape}"
    else:
        ok, what = math.prod(given) == book_layer.n_in, f"n_in={book_layer.n_in}"
    if not ok:
        raise ValueError(
            f"layer {i} ({type(book_layer).__name__}) has {what}, but the layer before it "
            f"gives {given} ({math.prod(given)} values per example)"
        )


def _shape(value: Any, length: int, name: str) -> tuple[int, ...]:
    try:
        items = tuple(value)
    except TypeError:
        items = ()
    if len(items) != length:
        raise ValueError(f"{name} must be a tuple of {length} integers, got {value!r}")
    return tuple(_validate.positive_int(v, name) for v in items)
