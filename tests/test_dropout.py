"""Inverted dropout: on in training passes, off at evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.gradcheck import numerical_gradient, relative_error


def _net(p=0.5, **kw):
    return Network([6, 20, 15, 3], activation="relu", cost="log_likelihood", dropout=p,
                   seed=0, **kw)


def test_training_passes_differ_evaluation_does_not():
    net = _net()
    x, y = np.random.default_rng(1).random((8, 6)), np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]]
    g1, g2 = net._gradients(x, y), net._gradients(x, y)
    assert not np.allclose(g1[0], g2[0])  # new masks on every training pass
    plain = Network([6, 20, 15, 3], activation="relu", cost="log_likelihood", seed=0)
    for a, b in zip(net.weights + net.biases, plain.weights + plain.biases, strict=True):
        np.testing.assert_array_equal(a, b)  # dropout does not change the initial draws
    np.testing.assert_array_equal(net.feedforward(x), plain.feedforward(x))
    np.testing.assert_array_equal(net.feedforward(x), net.feedforward(x))
    np.testing.assert_array_equal(net.backprop(x, y)[1][0], plain.backprop(x, y)[1][0])


def test_masks_drop_about_p_and_scale_the_rest():
    net = _net(p=0.3)
    x = np.random.default_rng(1).random((2000, 6))
    _, activations, raws, masks = net._forward_train(x, net._drop)
    mask = masks[0]
    assert masks[-1] is None  # never on the output layer
    assert abs(np.mean(mask == 0) - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(mask), [0.0, 1 / 0.7])
    np.testing.assert_array_equal(activations[1], raws[0] * mask)
    assert abs(np.mean(mask) - 1.0) < 0.02  # inverted: expectation unchanged


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_dropout_gradient_is_the_gradient_of_the_thinned_network(activation):
    net = Network([4, 6, 5, 3], activation=activation, cost="log_likelihood",
                  dropout=[0.5, 0.25], seed=2)
    x, y = np.random.default_rng(0).random((5, 4)), np.eye(3)[[0, 1, 2, 1, 0]]

    def fresh_pass():
        net.rng = np.random.default_rng(99)  # the same masks every time
        return net._forward_train(x, net._drop)

    def cost():
        zs, acts, _, _ = fresh_pass()
        return net.cost.fn(zs[-1], acts[-1], y)

    zs, acts, raws, masks = fresh_pass()
    nabla_b, nabla_w = net._backward(zs, acts, y, 1 / len(x), raws, masks)
    for params, grads in ((net.weights, nabla_w), (net.biases, nabla_b)):
        for p, g in zip(params, grads, strict=True):
            assert relative_error(g, numerical_gradient(cost, p)) < 1e-6


def test_dropout_network_trains_and_config_keeps_rates():
    rng = np.random.default_rng(0)
    x = rng.random((300, 4))
    y = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)
    net = Network([4, 30, 2], activation="relu", init="he", cost="log_likelihood",
                  dropout=0.2, seed=1)
    net.SGD((x, y), 30, 10, 0.1, verbose=False)
    assert net.score(x, y) > 0.9
    assert net.config()["dropout"] == 0.2
    assert Network([4, 3, 3, 2], dropout=[0.1, 0.0]).config()["dropout"] == [0.1, 0.0]


@pytest.mark.parametrize(
    ("dropout", "message"),
    [(1.0, r"dropout must be a probability in \[0, 1\), got 1.0"),
     (-0.1, r"dropout must be a probability in \[0, 1\), got -0.1"),
     ([0.5], r"dropout lists 1 rates but the network has 2 hidden layer\(s\)")],
)
def test_bad_dropout(dropout, message):
    with pytest.raises(ValueError, match=message):
        Network([4, 3, 3, 2], dropout=dropout)


def test_float32_dropout_training_stays_float32():
    net = _net(p=0.5, dtype="float32")
    x = np.random.default_rng(0).random((20, 6))
    _, activations, _, masks = net._forward_train(x.astype(np.float32), net._drop)
    assert masks[0].dtype == np.float32 and activations[1].dtype == np.float32
    net.SGD((x, np.zeros(20, int)), 2, 5, 0.1, optimizer="adam", lmbda=1.0, verbose=False)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)
