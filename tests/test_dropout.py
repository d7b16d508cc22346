"""Inverted dropout: on in training passes, off at evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.inspect.gradcheck import numerical_gradient, relative_error


def _net(p=0.5, **kw):
    return Network([6, 20, 15, 3], activation="relu", cost="log_likelihood", dropout=p,
                   seed=0, **kw)


def test_training_passes_differ_evaluation_does_not():
    net = _net()
    x, y = np.random.default_rng(1).random((8, 6)), np.eye(3)[[0, 1, 2, 0, 1, 2, 0, 1]]
    g1, g2 = net.gradients(x, y, dropout=True), net.gradients(x, y, dropout=True)
    assert not np.allclose(g1["0.w"], g2["0.w"])  # new masks on every training pass
    plain = Network([6, 20, 15, 3], activation="relu", cost="log_likelihood", seed=0)
    for a, b in zip(net.weights + net.biases, plain.weights + plain.biases, strict=True):
        np.testing.assert_array_equal(a, b)  # dropout does not change the initial draws
    np.testing.assert_array_equal(net.feedforward(x), plain.feedforward(x))
    np.testing.assert_array_equal(net.feedforward(x), net.feedforward(x))
    np.testing.assert_array_equal(net.backprop(x, y)[1][0], plain.backprop(x, y)[1][0])


def test_masks_drop_about_p_and_scale_the_rest():
    net = _net(p=0.3)
    x = np.random.default_rng(1).random((2000, 6))
    assert [layer.kind for layer in net.layers] == [
        "dense", "dropout", "dense", "dropout", "dense"]  # never on the output layer
    dense, drop = net.layers[:2]
    thinned = drop.forward(dense.forward(x, True), True)
    mask = drop._mask
    assert abs(np.mean(mask == 0) - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(mask), [0.0, 1 / 0.7])
    np.testing.assert_array_equal(thinned, dense.a * mask)
    assert abs(np.mean(mask) - 1.0) < 0.02  # inverted: expectation unchanged


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_dropout_gradient_is_the_gradient_of_the_thinned_network(activation):
    net = Network([4, 6, 5, 3], activation=activation, cost="log_likelihood",
                  dropout=[0.5, 0.25], seed=2)
    x, y = np.random.default_rng(0).random((5, 4)), np.eye(3)[[0, 1, 2, 1, 0]]

    def same_masks():
        rng = np.random.default_rng(99)  # the same masks on every pass
        for layer in net.layers:
            layer.rng = rng

    def cost():  # the cost of the thinned network: a training pass, dropout on
        same_masks()
        h = x
        for layer in net.layers:
            h = layer.forward(h, True)
        return net.cost.fn(net.output_layer.z, h, y)

    same_masks()
    grads = net.gradients(x, y, dropout=True)
    for name, p in net.state_dict().items():
        assert relative_error(grads[name], numerical_gradient(cost, p)) < 1e-6, name


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
    dense, drop = net.layers[:2]
    thinned = drop.forward(dense.forward(x.astype(np.float32), True), True)
    assert drop._mask.dtype == np.float32 and thinned.dtype == np.float32
    net.SGD((x, np.zeros(20, int)), 2, 5, 0.1, optimizer="adam", lmbda=1.0, verbose=False)
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)
