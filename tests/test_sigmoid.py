"""σ(z) exact in both tails: the engine's Sigmoid and the book modules' ``sigmoid``.

The references are Python's ``math.exp`` (each tail in its stable form) and
50-digit ``decimal`` arithmetic; none shares code with nndl.
"""

from __future__ import annotations

import math
import warnings
from decimal import Decimal, localcontext

import numpy as np
import pytest

from nndl import Network
from nndl.book import network, network2
from nndl.nn.activations import Activation, Sigmoid

Z = [-700.0, -40.0, -20.0, 20.0, 40.0, 700.0]


def math_sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def decimal_sigmoid(z):
    with localcontext() as ctx:
        ctx.prec = 50
        return float(1 / (1 + Decimal(-z).exp()))


def relative_errors(values, reference):
    return [abs(v - r) / r for v, r in zip(values, map(reference, Z), strict=True)]


@pytest.mark.parametrize(
    "sigma",
    [Sigmoid().fn, network.sigmoid, network2.sigmoid],
    ids=["engine", "network", "network2"],
)
def test_sigmoid_is_exact_to_1e_15_in_both_tails(sigma):
    values = [float(v) for v in sigma(np.array(Z))]
    assert max(relative_errors(values, math_sigmoid)) <= 1e-15
    assert max(relative_errors(values, decimal_sigmoid)) <= 1e-15
    assert values[0] > 0 and values[1] == pytest.approx(4.248354255291589e-18, rel=1e-15)
    tanh_form = 0.5 * (1.0 + np.tanh(0.5 * np.array(Z)))  # what nndl computed before
    assert max(relative_errors(list(tanh_form), math_sigmoid)) > 1e-9  # so the test can fail


def test_no_overflow_warning_and_the_books_values_beyond_the_range():
    z = np.array([-800.0, -710.0, 0.0, 710.0, 800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for values in (Sigmoid().fn(z), network.sigmoid(z),
                       Sigmoid().fn(z.astype(np.float32))):
            assert values.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
        out = np.empty_like(z)
        Sigmoid().fn_into(z, out)
        assert out.tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
        assert network.sigmoid(3) == math_sigmoid(3.0)  # an int, as the book allows
    assert Sigmoid().fn(z.astype(np.float32)).dtype == np.float32


def test_sigmoid_prime_comes_from_the_exact_sigmoid():
    for z in (-40.0, -20.0, 0.0, 3.0):
        s = math_sigmoid(z)
        for prime in (network.sigmoid_prime, network2.sigmoid_prime):
            assert abs(prime(z) - s * (1 - s)) <= 1e-15 * s * (1 - s)
    grad = np.ones((1, 2))
    a = Sigmoid().fn(np.array([[-40.0, 2.0]]))
    delta = Sigmoid().backward(np.array([[-40.0, 2.0]]), a, grad)
    assert delta[0, 0] == pytest.approx(math_sigmoid(-40.0), rel=1e-15)


def test_saturated_outputs_keep_their_order():
    """The issue's repro: both outputs underflowed to 0 before, and argmax answered 0."""
    net = network.Network([1, 2])
    net.weights = [np.zeros((2, 1))]
    net.biases = [np.array([[-40.0], [-39.0]])]
    example = [(np.array([[1.0]]), 1)]
    assert net.evaluate(example) == 1
    out = net.feedforward(np.array([[1.0]])).ravel()
    assert out.tolist() == pytest.approx([math_sigmoid(-40.0), math_sigmoid(-39.0)], rel=1e-15)
    net2 = network2.Network([1, 2])
    net2.weights, net2.biases = net.weights, net.biases
    assert net2.accuracy(example) == 1


class TanhSigmoid(Activation):
    """The former σ = ½(1 + tanh(z/2)), as the reference trajectory."""

    name = "sigmoid"

    def fn(self, z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    def prime(self, z, a):
        return a * (1.0 - a)


def test_the_trajectory_is_unchanged_where_nothing_saturates():
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 20)), rng.integers(0, 4, 200)
    nets = [Network([20, 8, 4], activation=a, seed=5) for a in ("sigmoid", TanhSigmoid())]
    for net in nets:
        net.SGD((x, y), 3, 10, 3.0, verbose=False)
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert not np.allclose(nets[0].weights[0], Network([20, 8, 4], seed=5).weights[0])
