"""The fast paths of the convolutional layers give the numbers of the plain ones.

* memory layout: conv and pool outputs are (m, C, H, W) views of
  batch-innermost (C, H, W, m) memory; every pass gives the same numbers
  whatever the layout of its input;
* the fused ReLU + max-pool backward (the pool applies the ReLU's σ') equals
  the unfused pair exactly, ties included, and happens only where it is valid.
"""

from __future__ import annotations

import numpy as np
import pytest

from nndl.model.sequential import Sequential
from nndl.nn.layers import Conv2D, MaxPool2D
from nndl.nn.layers._fused import ConvReLUPool


def batch_innermost(a: np.ndarray) -> bool:
    """Whether the (m, C, H, W) array is a view of C-contiguous (C, H, W, m) memory."""
    return a.transpose(1, 2, 3, 0).flags.c_contiguous


def built(layer, shape, dtype=np.float64):
    layer.setup(shape, np.random.default_rng(0), dtype)
    return layer


def unfuse(net: Sequential) -> None:
    net._pass = list(net.layers)  # every layer on its own


def fused_pairs(net: Sequential) -> list:
    """The (conv, pool) pairs the network runs as one fused layer."""
    return [(f.conv, f.pool) for f in net._pass if isinstance(f, ConvReLUPool)]


def digits_with_ties(m: int, seed: int = 0) -> np.ndarray:
    """8×8 images: a zero background (ties everywhere after a conv) and a few strokes."""
    rng = np.random.default_rng(seed)
    x = np.zeros((m, 1, 8, 8))
    x[:, :, 2:6, 3] = rng.random((m, 1, 4))
    x[:, :, 4, 1:7] = 1.0
    return x.reshape(m, -1)


# -- layout ----------------------------------------------------------------------
def test_conv_and_pool_outputs_are_batch_innermost():
    conv = built(Conv2D(3, 3), (2, 8, 8))
    pool = built(MaxPool2D(2), (3, 6, 6))
    x = np.random.default_rng(1).standard_normal((4, 2, 8, 8))  # C order, from the data
    z = conv.linear(x, train=True)
    y = pool.forward(conv.forward(x, train=True), train=True)
    assert batch_innermost(z) and batch_innermost(y)
    assert batch_innermost(pool.backward(np.ones_like(y)))


@pytest.mark.parametrize("stride", [1, 2])
def test_conv_passes_do_not_depend_on_the_input_layout(stride):
    conv = built(Conv2D(3, (3, 2), "tanh", stride=stride), (2, 7, 6))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 2, 7, 6))
    x_inner = np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    z = conv.linear(x, train=False)
    np.testing.assert_array_equal(conv.linear(x_inner, train=False), z)
    delta = rng.standard_normal(z.shape)  # C order, unlike z
    conv.linear(x, train=True)
    gx = conv.backward_delta(delta)
    gw = conv.grads["w"].copy()
    delta_inner = np.ascontiguousarray(delta.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    np.testing.assert_allclose(conv.backward_delta(delta_inner), gx, rtol=1e-13)
    np.testing.assert_allclose(conv.grads["w"], gw, rtol=1e-13)


def test_pool_backward_takes_a_gradient_in_any_layout():
    pool = built(MaxPool2D(2), (3, 6, 4))
    rng = np.random.default_rng(3)
    x = np.ascontiguousarray(rng.standard_normal((3, 6, 4, 5))).transpose(3, 0, 1, 2)
    y = pool.forward(x, train=True)
    g = rng.standard_normal(y.shape)  # C order, as flatten returns it
    g_inner = np.ascontiguousarray(g.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    np.testing.assert_array_equal(pool.backward(g), pool.backward(g_inner))


# -- fused ReLU + max-pool ---------------------------------------------------------
@pytest.mark.parametrize(
    ("spec", "fused"),
    [
        ("conv:2x3,pool:2,softmax:3", [True]),
        ("conv:2x3:tanh,pool:2,softmax:3", [False]),
        ("conv:2x3:leaky_relu,pool:2,softmax:3", [False]),
        ("conv:2x3,dropout:0.2,pool:2,softmax:3", [False]),
        ("conv:2x3,pool:1,conv:2x2,pool:2,softmax:3", [True, True]),
    ],
)
def test_pool_fuses_only_directly_above_a_relu_conv(spec, fused):
    net = Sequential(spec, input_shape=(1, 8, 8), seed=0)
    pairs = fused_pairs(net)
    pools = [layer for layer in net.layers if isinstance(layer, MaxPool2D)]
    assert [any(pool is p for _, p in pairs) for pool in pools] == fused
    convs = [layer for layer in net.layers if isinstance(layer, Conv2D)]
    assert [any(conv is c for c, _ in pairs) for conv in convs] == fused


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "spec",
    [
        "conv:4x3,pool:2,softmax:3",  # 6×6 maps: blocks cover them
        "conv:4x2,pool:2,conv:3x2,pool:2,dense:5:relu,dropout:0.3,softmax:3",  # 7×7, 3×3
        "conv:3x3,pool:3,softmax:3",
    ],
)
def test_fused_backward_equals_the_unfused_pair(spec, dtype):
    nets = [Sequential(spec, input_shape=(1, 8, 8), seed=4, dtype=dtype) for _ in range(2)]
    unfuse(nets[1])
    assert fused_pairs(nets[0]) and not fused_pairs(nets[1])
    x = digits_with_ties(6)
    y = np.array([0, 1, 2, 0, 1, 2])
    for net in nets:  # positive biases: ties at a positive maximum on the background
        for layer in net.layers:
            if isinstance(layer, Conv2D):
                layer.params["b"][:] = 0.1
    fused, plain = (net.gradients(x, y, dropout=True) for net in nets)
    for name in plain:
        np.testing.assert_array_equal(fused[name], plain[name], err_msg=name)
    for a, b in zip(nets[0].layers, nets[1].layers, strict=True):
        if isinstance(a, Conv2D):
            np.testing.assert_array_equal(a.delta, b.delta)


def test_fused_delta_goes_to_the_first_positive_maximum_only():
    net = Sequential("conv:1x1,pool:2,softmax:2", input_shape=(1, 2, 4), seed=0)
    conv = net.layers[0]
    conv.params["w"][:] = 1.0
    conv.params["b"][:] = 0.0
    # left block: a tie at 3 (first: row 0, col 1); right block: all ≤ 0 (ReLU kills it)
    x = np.array([[[0.0, 3.0, -1.0, -2.0], [3.0, 1.0, 0.0, -4.0]]]).reshape(1, -1)
    net.gradients(x, np.array([1]))
    delta = conv.delta[0, 0]
    assert np.count_nonzero(delta) == 1 and delta[0, 1] != 0.0
