"""The book's problems as readers solve them: subclasses and patches of network / network2.

Each solution is written once, as a reader would write it against the book's
classes, and applied to both nndl.book and the transcription of the book's
code (tests/book_helpers.py).  Seeded alike, the two must print the same
lines, return the same monitors and end with the same weights.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from book_helpers import BookCrossEntropyCost, BookNetwork1, BookNetwork2, seed
from nndl.book import mnist_loader, network, network2, reference


@pytest.fixture(scope="module")
def data():
    return mnist_loader.load_data_wrapper("sample")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def summed_gradient(net, mini_batch):
    """Σₓ ∇Cₓ over the mini-batch, one ``net.backprop`` per example (the book's loop)."""
    gradients = [net.backprop(x, y) for x, y in mini_batch]
    return ([sum(layer) for layer in zip(*(nabla_b for nabla_b, _ in gradients), strict=True)],
            [sum(layer) for layer in zip(*(nabla_w for _, nabla_w in gradients), strict=True)])


def assert_same_parameters(net, book, atol=1e-12):
    for a, b in zip(net.weights + net.biases, book.weights + book.biases, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


def both_network(make, training, test, capsys, sizes=(784, 20, 10), epochs=2, eta=3.0):
    """Train ``make(base)`` on nndl.book's network and the book's; return both and their lines."""
    runs = []
    for base in (network.Network, BookNetwork1):
        seed(11)
        net = make(base)(list(sizes))
        net.SGD(list(training[:150]), epochs, 10, eta, test_data=test)
        runs.append((net, capsys.readouterr().out))
    (ours, our_lines), (book, book_lines) = runs
    assert our_lines == book_lines and our_lines.count("Epoch") == epochs
    return ours, book, our_lines


def both_network2(make, cost_of, training, validation, capsys, **kwargs):
    """The same for network2: ``cost_of(module)`` gives the cost class on each side."""
    runs = []
    for base, costs in ((network2.Network, network2), (BookNetwork2, None)):
        seed(12)
        net = make(base)([784, 20, 10], cost=cost_of(costs))
        results = net.SGD(list(training[:150]), 2, 10, 0.5, evaluation_data=validation[:60],
                          monitor_evaluation_accuracy=True, monitor_training_cost=True,
                          **kwargs)
        capsys.readouterr()
        runs.append((net, results))
    (ours, our_results), (book, book_results) = runs
    assert our_results[1] == book_results[1]  # evaluation accuracies
    np.testing.assert_allclose(our_results[2], book_results[2], rtol=1e-9)  # training costs
    assert_same_parameters(ours, book)
    return ours, our_results


# -- chapter 1 ---------------------------------------------------------------------------
def test_chapter1_a_network_with_just_two_layers(data, capsys):
    """Chapter 1: "try creating a network with just two layers" — no override at all."""
    training, _, test = data
    ours, _, lines = both_network(lambda base: base, training, test, capsys, sizes=(784, 10))
    assert ours._modified() == set() and len(ours.weights) == 1


# -- chapter 2 ---------------------------------------------------------------------------
def matrix_network(base):
    """Chapter 2: a fully matrix-based backpropagation over a mini-batch."""

    class MatrixNetwork(base):
        def update_mini_batch(self, mini_batch, eta):
            x = np.hstack([x for x, _ in mini_batch])
            y = np.hstack([y for _, y in mini_batch])
            activations, zs = [x], []
            for b, w in zip(self.biases, self.weights, strict=True):
                zs.append(np.dot(w, activations[-1]) + b)
                activations.append(sigmoid(zs[-1]))
            delta = self.cost_derivative(activations[-1], y) * sigmoid(zs[-1]) * (
                1 - sigmoid(zs[-1]))
            nabla_b, nabla_w = [], []
            for layer in range(1, self.num_layers):
                if layer > 1:
                    s = sigmoid(zs[-layer])
                    delta = np.dot(self.weights[-layer + 1].T, delta) * s * (1 - s)
                nabla_b.insert(0, delta.sum(axis=1, keepdims=True))
                nabla_w.insert(0, np.dot(delta, activations[-layer - 1].T))
            self.weights = [w - (eta / len(mini_batch)) * nw
                            for w, nw in zip(self.weights, nabla_w, strict=True)]
            self.biases = [b - (eta / len(mini_batch)) * nb
                           for b, nb in zip(self.biases, nabla_b, strict=True)]

    return MatrixNetwork


def test_chapter2_fully_matrix_based_backpropagation(data, capsys):
    training, _, test = data
    ours, book, _ = both_network(matrix_network, training, test, capsys)
    assert ours._modified() == {"update_mini_batch"}
    seed(11)
    plain = BookNetwork1([784, 20, 10])  # the book's own loop gives the same network
    plain.SGD(list(training[:150]), 2, 10, 3.0, test_data=test)
    capsys.readouterr()
    assert_same_parameters(ours, plain, atol=1e-10)


def test_chapter2_backpropagation_with_linear_neurons(data, capsys, monkeypatch):
    """Chapter 2: σ(z) = z throughout — the module's sigmoid and sigmoid_prime replaced."""
    training, _, test = data
    calls = Counter()

    def linear(z):
        calls["σ"] += 1
        return z

    def linear_prime(z):
        calls["σ'"] += 1
        return np.ones_like(z)

    for module in (network, reference):  # nndl.book's and the book's transcription
        monkeypatch.setattr(module, "sigmoid", linear)
        monkeypatch.setattr(module, "sigmoid_prime", linear_prime)
    ours, book, _ = both_network(lambda base: base, training, test, capsys, eta=0.001)
    # both sides, 2 epochs, 2 layers: per training example (backprop) and test example
    assert calls == {"σ": 2 * 2 * 2 * (150 + 100), "σ'": 2 * 2 * 2 * 150}
    out = ours.feedforward(test[0][0])
    np.testing.assert_allclose(out, ours.weights[1] @ (ours.weights[0] @ test[0][0]
                                                      + ours.biases[0]) + ours.biases[1])


# -- chapter 3 ---------------------------------------------------------------------------
def l1_network(base):
    """Chapter 3: L1 regularisation, w → w − (ηλ/n) sgn(w) − (η/m) Σ ∇w Cₓ."""

    class L1Network(base):
        def update_mini_batch(self, mini_batch, eta, lmbda, n):
            nabla_b, nabla_w = summed_gradient(self, mini_batch)
            self.weights = [w - eta * (lmbda / n) * np.sign(w) - (eta / len(mini_batch)) * nw
                            for w, nw in zip(self.weights, nabla_w, strict=True)]
            self.biases = [b - (eta / len(mini_batch)) * nb
                           for b, nb in zip(self.biases, nabla_b, strict=True)]

    return L1Network


def cross_entropy(module):
    return BookCrossEntropyCost if module is None else module.CrossEntropyCost


def test_chapter3_l1_regularisation(data, capsys):
    training, validation, _ = data
    ours, _ = both_network2(l1_network, cross_entropy, training, validation, capsys, lmbda=5.0)
    seed(12)
    l2 = network2.Network([784, 20, 10])
    l2.SGD(list(training[:150]), 2, 10, 0.5, lmbda=5.0)
    capsys.readouterr()
    assert not np.allclose(ours.weights[0], l2.weights[0], atol=1e-6)  # L1 is not L2


def momentum_network(base):
    """Chapter 3: momentum, v → μv − (η/m) Σ ∇w Cₓ, w → (1 − ηλ/n) w + v."""

    class MomentumNetwork(base):
        mu = 0.9

        def update_mini_batch(self, mini_batch, eta, lmbda, n):
            if not hasattr(self, "velocities"):
                self.velocities = [np.zeros(w.shape) for w in self.weights]
            nabla_b, nabla_w = summed_gradient(self, mini_batch)
            self.velocities = [self.mu * v - (eta / len(mini_batch)) * nw
                               for v, nw in zip(self.velocities, nabla_w, strict=True)]
            self.weights = [(1 - eta * (lmbda / n)) * w + v
                            for w, v in zip(self.weights, self.velocities, strict=True)]
            self.biases = [b - (eta / len(mini_batch)) * nb
                           for b, nb in zip(self.biases, nabla_b, strict=True)]

    return MomentumNetwork


def test_chapter3_momentum(data, capsys):
    training, validation, _ = data
    ours, _ = both_network2(momentum_network, cross_entropy, training, validation, capsys,
                            lmbda=1.0)
    assert [v.shape for v in ours.velocities] == [(20, 784), (10, 20)]


def softmax_network(base):
    """Chapter 3: a softmax output layer (its δᴸ = a − y comes from the cost below)."""

    class SoftmaxNetwork(base):
        def feedforward(self, a):
            for b, w in zip(self.biases[:-1], self.weights[:-1], strict=True):
                a = sigmoid(np.dot(w, a) + b)
            return softmax(np.dot(self.weights[-1], a) + self.biases[-1])

    return SoftmaxNetwork


class LogLikelihoodCost:
    """C = −ln a_y for the softmax layer; δᴸ = softmax(zᴸ) − y."""

    @staticmethod
    def fn(a, y):
        return float(-np.log(a[np.argmax(y), 0]))

    @staticmethod
    def delta(z, a, y):
        return softmax(z) - y


def test_chapter3_a_softmax_output_layer(data, capsys):
    training, validation, _ = data
    ours, results = both_network2(softmax_network, lambda module: LogLikelihoodCost, training,
                                  validation, capsys)
    assert ours._modified() == {"feedforward", "cost.fn", "cost.delta"}
    out = ours.feedforward(validation[0][0])
    assert out.shape == (10, 1) and out.sum() == pytest.approx(1.0)
    assert results[2][1] < results[2][0]  # it learns: the training cost falls


class UnsimplifiedCrossEntropy:
    """The cross-entropy with BP1 written out: δᴸ = ∇ₐC ⊙ σ'(zᴸ), ∇ₐC = (a − y)/(a(1 − a))."""

    calls: Counter = Counter()

    @staticmethod
    def fn(a, y):
        return BookCrossEntropyCost.fn(a, y)

    @staticmethod
    def delta(z, a, y):
        UnsimplifiedCrossEntropy.calls["delta"] += 1
        return (a - y) / (a * (1 - a)) * sigmoid(z) * (1 - sigmoid(z))


def test_chapter3_a_cost_with_a_new_delta(data, capsys):
    training, validation, _ = data
    UnsimplifiedCrossEntropy.calls.clear()
    ours, results = both_network2(lambda base: base, lambda module: UnsimplifiedCrossEntropy,
                                  training, validation, capsys, lmbda=1.0)
    assert UnsimplifiedCrossEntropy.calls["delta"] == 2 * 2 * 150  # per example, both sides
    seed(12)
    simplified = network2.Network([784, 20, 10])
    simplified.SGD(list(training[:150]), 2, 10, 0.5, lmbda=1.0)
    capsys.readouterr()
    assert_same_parameters(ours, simplified, atol=1e-8)  # the same gradient, written out
