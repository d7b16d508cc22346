"""The founding document's algorithm, one example at a time: the reference.

A deliberately plain transcription of Nielsen's ``network.py`` as the seed
walks through it: column vectors of shape ``(n, 1)``, a Python loop over the
examples of each mini-batch, ``sigmoid_prime`` recomputing σ.  It shares no
code with :class:`nndl.Network`; the tests check the vectorised network
against it to 1e-10, and ``benchmarks/bench_core.py`` times it as the
baseline.  It is not meant for training: it is the slow, obviously-correct
version.

Examples
--------
>>> import numpy as np
>>> from nndl import Network
>>> net = Network([3, 2], seed=0)
>>> book = BookNetwork(net.weights, net.biases)
>>> x = np.array([[0.5], [0.1], [0.9]])
>>> bool(np.allclose(book.feedforward(x).ravel(), net.feedforward(x.ravel())))
True
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class BookNetwork:
    def __init__(self, weights, biases):
        self.weights = [np.array(w, dtype=np.float64) for w in weights]
        self.biases = [np.array(b, dtype=np.float64).reshape(-1, 1) for b in biases]
        self.num_layers = len(self.weights) + 1

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights, strict=True):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def cost_derivative(self, output_activations, y):
        return output_activations - y

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation = x
        activations = [x]
        zs = []
        for b, w in zip(self.biases, self.weights, strict=True):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            z = zs[-layer]
            sp = sigmoid_prime(z)
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sp
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w

    def update_mini_batch(self, mini_batch, eta):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        for x, y in mini_batch:
            delta_nabla_b, delta_nabla_w = self.backprop(x, y)
            nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b, strict=True)]
            nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w, strict=True)]
        self.weights = [
            w - (eta / len(mini_batch)) * nw for w, nw in zip(self.weights, nabla_w, strict=True)
        ]
        self.biases = [
            b - (eta / len(mini_batch)) * nb for b, nb in zip(self.biases, nabla_b, strict=True)
        ]


def columns(x, targets):
    """The seed's data format: a list of (x, y) column-vector pairs."""
    return [(xi.reshape(-1, 1), yi.reshape(-1, 1)) for xi, yi in zip(x, targets, strict=True)]
