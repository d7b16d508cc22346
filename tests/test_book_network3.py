"""nndl.book.network3: the book's layers become an nndl Sequential, with the book's weights."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network as NNDLNetwork
from nndl.book import network3
from nndl.book.network3 import (
    ConvPoolLayer,
    FullyConnectedLayer,
    Network,
    ReLU,
    SoftmaxLayer,
    linear,
    sigmoid,
    tanh,
)
from nndl.inspect.gradcheck import gradcheck


def conv(maps=1, side=28, filters=20, activation_fn=sigmoid):
    return ConvPoolLayer(image_shape=(10, maps, side, side), filter_shape=(filters, maps, 5, 5),
                         poolsize=(2, 2), activation_fn=activation_fn)


def test_layers_draw_the_books_initial_weights_in_its_order():
    np.random.seed(0)
    layers = [conv(activation_fn=ReLU), FullyConnectedLayer(n_in=20 * 12 * 12, n_out=30),
              SoftmaxLayer(n_in=30, n_out=10)]
    np.random.seed(0)
    conv_w = np.random.normal(loc=0, scale=np.sqrt(1.0 / (20 * 25 / 4)), size=(20, 1, 5, 5))
    conv_b = np.random.normal(loc=0, scale=1.0, size=(20,))
    fc_w = np.random.normal(loc=0.0, scale=np.sqrt(1.0 / 30), size=(2880, 30))
    fc_b = np.random.normal(loc=0.0, scale=1.0, size=(30,))
    net = Network(layers, 10)
    for got, want in zip([*layers[0].params, *layers[1].params], [conv_w, conv_b, fc_w, fc_b],
                         strict=True):
        np.testing.assert_array_equal(got, want.astype(np.float32))
    assert not layers[2].w.any() and layers[2].w.shape == (30, 10)
    assert len(net.params) == 6
    assert [layer.label() for layer in net.model.layers] == [
        "conv 20×5×5 relu", "pool 2×2", "flatten", "dense 30 sigmoid", "dense 10 softmax"]


def test_book_layers_view_the_trained_arrays():
    np.random.seed(1)
    fc = FullyConnectedLayer(n_in=784, n_out=20, activation_fn=tanh, p_dropout=0.25)
    net = Network([fc, SoftmaxLayer(n_in=20, n_out=10, p_dropout=0.5)], 10)
    assert [layer.label() for layer in net.model.layers] == [
        "dropout 0.25", "dense 20 tanh", "dropout 0.5", "dense 10 softmax"]
    dense = net.model.layers[1]
    assert fc.w.shape == (784, 20) and np.shares_memory(fc.w, dense.params["w"])
    before = fc.w.copy()
    x = np.random.default_rng(0).random((30, 784)).astype(np.float32)
    y = np.arange(30) % 10
    net.SGD((x, y), 1, 10, 0.5, (x, y), None)
    assert not np.array_equal(fc.w, before)
    np.testing.assert_array_equal(fc.w, dense.params["w"].T)


def test_lmbda_is_the_books_penalty_per_mini_batch():
    """The book adds (λ/2)Σw²/batches to each mini-batch's cost: its gradient is λw/batches."""
    np.random.seed(2)
    x = np.zeros((40, 784), np.float32)  # no data gradient for the first weights: only λ acts
    y = np.arange(40) % 10
    layers = [FullyConnectedLayer(n_in=784, n_out=10, activation_fn=linear),
              SoftmaxLayer(n_in=10, n_out=10)]
    net = Network(layers, 10)
    w0 = layers[0].w.copy()
    net.SGD((x, y), 1, 10, 0.1, (x, y), None, lmbda=2.0)  # 4 mini-batches
    np.testing.assert_allclose(layers[0].w, w0 * (1 - 0.1 * 2.0 / 4) ** 4, rtol=1e-6)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: [FullyConnectedLayer(784, 10)], "last layer must be a SoftmaxLayer"),
        (lambda: [conv(), SoftmaxLayer(n_in=100, n_out=10)],
         r"layer 1 \(SoftmaxLayer\) has n_in=100, but the layer before it gives \(20, 12, 12\)"),
        (lambda: [conv(), conv(maps=20, side=10, filters=40), SoftmaxLayer(640, 10)],
         r"layer 1 \(ConvPoolLayer\) has image_shape \(10, 20, 10, 10\)"),
        (lambda: [FullyConnectedLayer(784, 784), conv(), SoftmaxLayer(2880, 10)],
         "ConvPoolLayer must come first"),
        (lambda: [ConvPoolLayer((20, 1, 5, 5), (10, 1, 28, 28), poolsize=(2, 3))],
         "poolsize must be square"),
        (lambda: [ConvPoolLayer((20, 3, 5, 5), (10, 1, 28, 28))], "reads 3 feature maps"),
        (lambda: [FullyConnectedLayer(784, 10, activation_fn=np.exp)], "activation_fn must be"),
        (lambda: [FullyConnectedLayer(784, 10, p_dropout=1.0)], "dropout p"),
        (lambda: ["dense"], "layers must be a list of ConvPoolLayer"),
    ],
)
def test_mistakes_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        Network(make(), 10)


def test_sgd_needs_a_whole_mini_batch():
    net = Network([SoftmaxLayer(784, 10)], 10)
    x = np.zeros((5, 784), np.float32)
    with pytest.raises(ValueError, match="fewer than one mini-batch of 10"):
        net.SGD((x, np.zeros(5, int)), 1, 10, 0.1, (x, np.zeros(5, int)), None)


def test_activation_functions_are_numpy_and_linear_backprop_is_right():
    z = np.array([-2.0, 0.0, 3.0])
    assert linear(z) is z and ReLU(z).tolist() == [0.0, 0.0, 3.0]
    np.testing.assert_allclose(tanh(z), np.tanh(z))
    np.testing.assert_allclose(network3.sigmoid(z), 1 / (1 + np.exp(-z)))
    rng = np.random.default_rng(0)
    net = NNDLNetwork([3, 4, 2], activation="linear", seed=0)
    assert gradcheck(net, rng.random((5, 3)), rng.integers(0, 2, 5)).passed
