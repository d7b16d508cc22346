"""Helpers for the tests of nndl.book: files in the book's Python 2 format, the sample split."""

from __future__ import annotations

import gzip
import io
import pickle
import struct

import numpy as np

from nndl.book.reference import BookNetwork


class Py2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote: strings as BINSTRING, ``numpy.core`` globals.

    Python 2 had no ``bytes``: an array's raw data and the dtype's ``'f4'``
    were ``str`` objects, pickled with the (SHORT_)BINSTRING opcodes, which
    Python 3 can only read with ``encoding="latin1"``; and NumPy 1 lived in
    ``numpy.core``.  Python 3's own protocol 2 writes ``_codecs.encode``
    calls instead, so this pickler writes those opcodes itself.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str

    def save_global(self, obj, name=None):
        module = obj.__module__.replace("numpy._core", "numpy.core")
        if module == "posix":
            module = "os"
        name = name or obj.__qualname__
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[type(len)] = save_global  # builtin functions such as _reconstruct
    dispatch[type] = save_global


def py2_pickle(obj, protocol=2):
    """Return ``obj`` pickled the way Python 2 (cPickle, NumPy 1) would have."""
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


def write_py2_mnist(path, splits, protocol=2):
    """Write ``splits`` as the book's ``mnist.pkl.gz``: gzip of a Python 2 pickle."""
    with gzip.open(path, "wb") as f:
        f.write(py2_pickle(tuple(splits), protocol))


# -- the book's algorithms, transcribed to Python 3 one example at a time --------------------
# These are the references the vectorised nndl.book modules are checked against.  They
# share no code with nndl apart from nndl.book.reference, a plain transcription of network.py.

def book_sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def book_sigmoid_prime(z):
    return book_sigmoid(z) * (1 - book_sigmoid(z))


def seed(s):
    """Seed both generators the book's code draws from: NumPy's global one and ``random``."""
    import random

    np.random.seed(s)
    random.seed(s)


def book_network_sgd(sizes, training_data, epochs, mini_batch_size, eta, test_data):
    """network.py: Network(sizes) then SGD; return (the per-epoch test counts, the network)."""
    import random

    from nndl.book.reference import BookNetwork

    biases = [np.random.randn(y, 1) for y in sizes[1:]]
    weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:], strict=True)]
    net = BookNetwork(weights, biases)
    n = len(training_data)
    counts = []
    for _ in range(epochs):
        random.shuffle(training_data)
        mini_batches = [training_data[k:k + mini_batch_size] for k in range(0, n, mini_batch_size)]
        for mini_batch in mini_batches:
            net.update_mini_batch(mini_batch, eta)
        counts.append(sum(int(np.argmax(net.feedforward(x)) == y) for x, y in test_data))
    return counts, net


class BookNetwork1(BookNetwork):
    """network.py's Network as the book writes it: per example, printing its lines.

    ``nndl.book.reference.BookNetwork`` (the book's ``feedforward``, ``backprop``,
    ``update_mini_batch`` and ``cost_derivative``, with that module's
    ``sigmoid``) plus the book's constructor, ``SGD`` and ``evaluate``.  A
    reader's subclass overrides the book's methods as it would the book's class.
    """

    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:], strict=True)]

    def SGD(self, training_data, epochs, mini_batch_size, eta, test_data=None):  # noqa: N802
        import random

        if test_data:
            n_test = len(test_data)
        n = len(training_data)
        for j in range(epochs):
            random.shuffle(training_data)
            mini_batches = [training_data[k:k + mini_batch_size]
                            for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta)
            if test_data:
                print(f"Epoch {j}: {self.evaluate(test_data)} / {n_test}")
            else:
                print(f"Epoch {j} complete")

    def evaluate(self, test_data):
        test_results = [(np.argmax(self.feedforward(x)), y) for (x, y) in test_data]
        return sum(int(x == y) for (x, y) in test_results)


class BookCrossEntropyCost:
    @staticmethod
    def fn(a, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        return a - y


class BookQuadraticCost:
    @staticmethod
    def fn(a, y):
        return 0.5 * np.linalg.norm(a - y) ** 2

    @staticmethod
    def delta(z, a, y):
        return (a - y) * book_sigmoid_prime(z)


def book_vectorized_result(j):
    e = np.zeros((10, 1))
    e[j] = 1.0
    return e


class BookNetwork2:
    """network2.py's Network (the book's repository's, with ``early_stopping_n``), per example.

    As in the book, a monitored evaluation accuracy is measured twice an
    epoch: once for the list, once more for the printed line.
    """

    def __init__(self, sizes, cost=BookCrossEntropyCost):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.default_weight_initializer()
        self.cost = cost

    def default_weight_initializer(self):
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        self.weights = [np.random.randn(y, x) / np.sqrt(x)
                        for x, y in zip(self.sizes[:-1], self.sizes[1:], strict=True)]

    def large_weight_initializer(self):
        self.biases = [np.random.randn(y, 1) for y in self.sizes[1:]]
        self.weights = [np.random.randn(y, x)
                        for x, y in zip(self.sizes[:-1], self.sizes[1:], strict=True)]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights, strict=True):
            a = book_sigmoid(np.dot(w, a) + b)
        return a

    def SGD(self, training_data, epochs, mini_batch_size, eta, lmbda=0.0,  # noqa: N802, C901
            evaluation_data=None, monitor_evaluation_cost=False,
            monitor_evaluation_accuracy=False, monitor_training_cost=False,
            monitor_training_accuracy=False, early_stopping_n=0):
        import random

        if evaluation_data:
            n_data = len(evaluation_data)
        n = len(training_data)
        best_accuracy, no_accuracy_change = 0, 0
        evaluation_cost, evaluation_accuracy = [], []
        training_cost, training_accuracy = [], []
        for j in range(epochs):
            random.shuffle(training_data)
            mini_batches = [training_data[k:k + mini_batch_size]
                            for k in range(0, n, mini_batch_size)]
            for mini_batch in mini_batches:
                self.update_mini_batch(mini_batch, eta, lmbda, len(training_data))
            print(f"Epoch {j} training complete")
            if monitor_training_cost:
                cost = self.total_cost(training_data, lmbda)
                training_cost.append(cost)
                print(f"Cost on training data: {cost}")
            if monitor_training_accuracy:
                accuracy = self.accuracy(training_data, convert=True)
                training_accuracy.append(accuracy)
                print(f"Accuracy on training data: {accuracy} / {n}")
            if monitor_evaluation_cost:
                cost = self.total_cost(evaluation_data, lmbda, convert=True)
                evaluation_cost.append(cost)
                print(f"Cost on evaluation data: {cost}")
            if monitor_evaluation_accuracy:
                accuracy = self.accuracy(evaluation_data)
                evaluation_accuracy.append(accuracy)
                print(f"Accuracy on evaluation data: {self.accuracy(evaluation_data)} / {n_data}")
            print()
            if early_stopping_n > 0:
                if accuracy > best_accuracy:
                    best_accuracy = accuracy
                    no_accuracy_change = 0
                else:
                    no_accuracy_change += 1
                if no_accuracy_change == early_stopping_n:
                    return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy
        return evaluation_cost, evaluation_accuracy, training_cost, training_accuracy

    def update_mini_batch(self, mini_batch, eta, lmbda, n):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b, strict=True)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w, strict=True)]
        self.weights = [(1 - eta * (lmbda / n)) * w - (eta / len(mini_batch)) * nw
                        for w, nw in zip(self.weights, nabla_w, strict=True)]
        self.biases = [b - (eta / len(mini_batch)) * nb
                       for b, nb in zip(self.biases, nabla_b, strict=True)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights, strict=True):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = book_sigmoid(z)
            activations.append(activation)
        delta = self.cost.delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            z = zs[-layer]
            sp = book_sigmoid_prime(z)
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sp
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w

    def accuracy(self, data, convert=False):
        if convert:
            results = [(np.argmax(self.feedforward(x)), np.argmax(y)) for (x, y) in data]
        else:
            results = [(np.argmax(self.feedforward(x)), y) for (x, y) in data]
        return sum(int(x == y) for (x, y) in results)

    def total_cost(self, data, lmbda, convert=False):
        cost = 0.0
        for x, y in data:
            a = self.feedforward(x)
            if convert:
                y = book_vectorized_result(y)
            cost += self.cost.fn(a, y) / len(data)
        cost += 0.5 * (lmbda / len(data)) * sum(np.linalg.norm(w) ** 2 for w in self.weights)
        return cost

    def save_json(self):
        """The text the book's save(filename) writes."""
        import json

        return json.dumps({"sizes": self.sizes,
                           "weights": [w.tolist() for w in self.weights],
                           "biases": [b.tolist() for b in self.biases],
                           "cost": str(self.cost.__name__).replace("Book", "")})
