"""Costs × activations × regularisers: gradient checks and numerical stability."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nndl import Network
from nndl.inspect.gradcheck import gradcheck
from nndl.nn.activations import Sigmoid, Softmax
from nndl.nn.costs import CrossEntropyCost, LogLikelihoodCost, QuadraticCost
from nndl.train.regularizers import L1, L2

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu"]
COST_OUTPUTS = [
    ("quadratic", None),  # output σ = the hidden σ, as in the seed
    ("quadratic", "softmax"),
    ("cross_entropy", "sigmoid"),
    ("log_likelihood", "softmax"),
]
REGULARIZERS = [None, L2(0.7), L1(0.7)]


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize(("cost", "output"), COST_OUTPUTS)
@pytest.mark.parametrize("reg", REGULARIZERS, ids=["none", "l2", "l1"])
def test_gradcheck_every_cost_activation_regularizer(hidden, cost, output, reg):
    rng = np.random.default_rng(3)
    net = Network(
        [4, 5, 3, 3], cost=cost, activation=hidden, output_activation=output,
        init="scaled_normal", seed=2,
    )
    x = rng.standard_normal((6, 4))
    y = rng.integers(0, 3, 6)
    report = gradcheck(net, x, y, regularizer=reg, n=40)
    assert report.passed, str(report)
    assert report.max_rel_error < 1e-6


def test_gradcheck_with_mixed_hidden_activations():
    net = Network([4, 5, 4, 3], activation=["relu", "tanh"], cost="log_likelihood", seed=1)
    x = np.random.default_rng(0).standard_normal((5, 4))
    assert gradcheck(net, x, np.array([0, 1, 2, 1, 0]), regularizer=L2(1.0), n=10).passed


def test_regularised_total_cost_adds_the_penalty():
    net = Network([3, 4, 2], seed=0)
    x, y = np.ones((2, 3)), np.array([0, 1])
    sq = sum(float((w**2).sum()) for w in net.weights)
    ab = sum(float(np.abs(w).sum()) for w in net.weights)
    base = net.total_cost(x, y)
    assert net.total_cost(x, y, regularizer=L2(2.0), n=8) == pytest.approx(base + sq / 8)
    assert net.total_cost(x, y, regularizer=L1(2.0), n=8) == pytest.approx(base + 2 * ab / 8)


LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [5.0, -3.0, 0.5]])
Y = np.eye(3)[[1, 2, 0]]


def test_softmax_log_likelihood_finite_for_logits_of_1000():
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        a = Softmax().fn(LOGITS)
        cost = LogLikelihoodCost().fn(LOGITS, a, Y)
        delta = LogLikelihoodCost().delta(LOGITS, a, Y, Softmax())
    assert np.isfinite(a).all() and np.isfinite(delta).all()
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    # Row 0 puts all mass on class 0 but the label is 1: cost 2000 for that row.
    row2 = np.log(np.exp(5) + np.exp(-3) + np.exp(0.5)) - 5  # row 1 costs 0
    assert cost == pytest.approx((2000.0 + 0.0 + row2) / 3)


def test_sigmoid_costs_finite_for_large_z():
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        a = Sigmoid().fn(LOGITS)
        ce = CrossEntropyCost().fn(LOGITS, a, Y)
        quad = QuadraticCost().fn(LOGITS, a, Y)
        delta = CrossEntropyCost().delta(LOGITS, a, Y, Sigmoid())
    assert np.isfinite([ce, quad]).all() and np.isfinite(delta).all()
    assert ce > 600  # confidently wrong outputs cost ~|z| (mean of 3 rows), not inf


@pytest.mark.parametrize(("cost", "output"), [("log_likelihood", "softmax"),
                                              ("cross_entropy", "sigmoid")])
def test_network_with_huge_weights_stays_finite_without_warnings(cost, output):
    net = Network([3, 4, 3], cost=cost, activation="relu", output_activation=output, seed=0)
    for w in net.weights:
        w *= 500.0
    x, y = np.random.default_rng(0).random((5, 3)), np.array([0, 1, 2, 0, 1])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        assert np.isfinite(net.total_cost(x, y))
        nb, nw = net.backprop(x, y)
        assert all(np.isfinite(g).all() for g in nb + nw)
        net.SGD((x, y), 2, 2, 0.1, verbose=False)


def test_cross_entropy_delta_is_a_minus_y_which_chains_through_sigma_prime():
    z = np.array([[0.3, -1.2], [2.0, 0.1]])
    a, y = Sigmoid().fn(z), np.array([[1.0, 0.0], [0.0, 1.0]])
    chained = Sigmoid().backward(z, a, CrossEntropyCost().derivative(a, y))
    np.testing.assert_allclose(CrossEntropyCost().delta(z, a, y, Sigmoid()), chained)
    np.testing.assert_allclose(chained, a - y)


def test_default_output_activation_follows_the_cost():
    assert Network([2, 3, 2], cost="log_likelihood").output_activation.name == "softmax"
    assert Network([2, 3, 2], cost="cross_entropy", activation="relu").output_activation.name == (
        "sigmoid"
    )
    assert Network([2, 3, 2], activation="tanh").output_activation.name == "tanh"
    with pytest.raises(ValueError, match="needs a softmax output layer, got 'sigmoid'"):
        Network([2, 3, 2], cost="log_likelihood", output_activation="sigmoid")
