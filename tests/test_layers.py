"""Layers: forward against direct loops, gradients against central differences."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl.inspect.gradcheck import numerical_gradient, relative_error
from nndl.nn.costs import get_cost
from nndl.nn.layers import (
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    layer_from_config,
    parse_layers,
)

TOL = 1e-6


def built(layer: Layer, shape: tuple[int, ...], seed: int = 0, dtype=np.float64) -> Layer:
    layer.setup(shape, np.random.default_rng(seed), dtype)
    return layer


def conv_reference(x, w, b, stride=1):
    """Direct definition: z[n,f,i,j] = b[f] + Σ_{c,p,q} w[f,c,p,q] x[n,c,i·s+p,j·s+q]."""
    m, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    ho, wo = (h - kh) // stride + 1, (wd - kw) // stride + 1
    z = np.empty((m, f, ho, wo))
    for n in range(m):
        for k in range(f):
            for i in range(ho):
                for j in range(wo):
                    patch = x[n, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
                    z[n, k, i, j] = b[k] + np.sum(w[k] * patch)
    return z


def check_layer_gradients(layer: Layer, x: np.ndarray, seed: int = 1, reset=None) -> None:
    """Check ∂L/∂θ and ∂L/∂x for L = Σ y ⊙ R with a fixed random R."""
    r = np.random.default_rng(seed).standard_normal((len(x), *layer.output_shape))

    def loss() -> float:
        if reset is not None:
            reset()
        return float(np.sum(layer.forward(x, train=True) * r))

    loss()
    grad_x = layer.backward(r)
    for name, param in layer.params.items():
        analytic = layer.grads[name].copy()
        numeric = numerical_gradient(loss, param)
        assert relative_error(analytic, numeric) < TOL, name
    numeric_x = numerical_gradient(loss, x)
    assert relative_error(grad_x, numeric_x) < TOL, "x"


# -- convolution -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "filters", "kernel", "stride"),
    [((3, 7, 6), 4, (3, 2), 1), ((1, 6, 6), 2, (5, 5), 1), ((2, 9, 8), 3, (3, 3), 2)],
)
def test_conv_forward_matches_direct_loops(shape, filters, kernel, stride):
    conv = built(Conv2D(filters, kernel, "tanh", stride=stride, init="normal"), shape)
    rng = np.random.default_rng(2)
    conv.params["b"][:] = rng.standard_normal(filters)
    x = rng.standard_normal((3, *shape))
    z = conv.linear(x, train=False)
    expected = conv_reference(x, conv.params["w"], conv.params["b"], stride)
    assert z.shape == (3, *conv.output_shape)
    np.testing.assert_allclose(z, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(conv.forward(x, train=False), np.tanh(expected), atol=1e-12)


@pytest.mark.parametrize(
    ("shape", "filters", "kernel", "stride", "activation"),
    [
        ((3, 6, 5), 2, (3, 2), 1, "tanh"),
        ((2, 7, 7), 3, (3, 3), 2, "sigmoid"),
        ((1, 5, 5), 2, (2, 2), 1, "relu"),
    ],
)
def test_conv_gradients(shape, filters, kernel, stride, activation):
    conv = built(Conv2D(filters, kernel, activation, stride=stride), shape)
    conv.params["b"][:] = 0.1 * np.arange(filters)
    x = np.random.default_rng(3).standard_normal((2, *shape))
    check_layer_gradients(conv, x)


def test_conv_without_input_gradient_returns_none():
    conv = built(Conv2D(2, 3), (1, 5, 5))
    conv.needs_input_grad = False
    conv.forward(np.ones((2, 1, 5, 5)), train=True)
    assert conv.backward(np.ones((2, 2, 3, 3))) is None
    assert conv.grads["w"].any()


def test_conv_float32_stays_float32():
    conv = built(Conv2D(3, 3), (2, 6, 6), dtype=np.float32)
    x = np.ones((4, 2, 6, 6), np.float32)
    y = conv.forward(x, train=True)
    gx = conv.backward(np.ones_like(y))
    assert y.dtype == gx.dtype == conv.grads["w"].dtype == np.float32


# -- pooling ---------------------------------------------------------------------
def tie_free(shape, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))) * 0.01).reshape(shape) + 0.1


@pytest.mark.parametrize(("shape", "pool"), [((2, 4, 6), 2), ((3, 7, 5), 2), ((1, 6, 6), 3)])
def test_pool_forward_and_gradients(shape, pool):
    layer = built(MaxPool2D(pool), shape)
    x = tie_free((2, *shape))
    c, h, w = shape
    ho, wo = h // pool, w // pool
    y = layer.forward(x, train=False)
    expected = np.array(
        [
            [
                [
                    [
                        x[n, k, i * pool : (i + 1) * pool, j * pool : (j + 1) * pool].max()
                        for j in range(wo)
                    ]
                    for i in range(ho)
                ]
                for k in range(c)
            ]
            for n in range(2)
        ]
    )
    np.testing.assert_array_equal(y, expected)
    check_layer_gradients(layer, x)


def test_pool_ties_send_the_gradient_to_the_first_maximum():
    layer = built(MaxPool2D(2), (1, 4, 4))
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 0:2, 2:4] = [[1.0, 3.0], [3.0, 3.0]]  # three tied maxima: first is (0, 3)
    x[0, 0, 2:4, 2:4] = [[-1.0, 0.5], [2.0, 2.0]]  # tie in the lower row: first is (3, 2)
    layer.forward(x, train=True)
    grad_out = np.array([[[[1.5, 2.0], [3.0, 4.0]]]])
    gx = layer.backward(grad_out)
    # The whole block gradient lands on one position, so the sum is conserved.
    blocks = gx.reshape(1, 1, 2, 2, 2, 2).sum(axis=(3, 5))
    np.testing.assert_array_equal(blocks, grad_out)
    assert np.count_nonzero(gx) == 4
    assert gx[0, 0, 0, 0] == 1.5  # all-zero block: the first position
    assert gx[0, 0, 0, 3] == 2.0
    assert gx[0, 0, 3, 2] == 4.0


def test_pool_drops_the_remainder_rows_and_columns():
    layer = built(MaxPool2D(2), (1, 5, 3))
    assert layer.output_shape == (1, 2, 1)
    x = tie_free((1, 1, 5, 3))
    x[0, 0, 4, :] = 100.0  # the dropped row cannot win
    x[0, 0, :, 2] = 100.0  # nor the dropped column
    y = layer.forward(x, train=True)
    assert y.max() < 100.0
    gx = layer.backward(np.ones_like(y))
    assert not gx[0, 0, 4].any() and not gx[0, 0, :, 2].any()


# -- dense, flatten, softmax with log-likelihood --------------------------------
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "softmax"])
def test_dense_gradients(activation):
    dense = built(Dense(4, activation), (5,))
    dense.params["b"][:] = np.linspace(-0.5, 0.5, 4)
    check_layer_gradients(dense, np.random.default_rng(4).standard_normal((3, 5)))


def test_flatten_round_trip():
    flat = built(Flatten(), (2, 3, 4))
    x = np.random.default_rng(0).standard_normal((5, 2, 3, 4))
    y = flat.forward(x, train=True)
    assert y.shape == (5, 24)
    np.testing.assert_array_equal(flat.backward(y), x)


def test_softmax_log_likelihood_delta_and_gradients():
    dense = built(Dense(4, "softmax"), (6,))
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 6))
    y = np.eye(4)[[0, 3, 1]]
    cost = get_cost("log_likelihood")

    def loss() -> float:
        z = dense.linear(x, train=False)
        return cost.fn(z, dense.activation.fn(z), y)

    a = dense.forward(x, train=True)
    delta = cost.delta(dense.z, a, y, dense.activation)
    np.testing.assert_allclose(delta, a - y)
    grad_x = dense.backward_delta(delta / len(x))
    for name, param in dense.params.items():
        analytic = dense.grads[name].copy()
        assert relative_error(analytic, numerical_gradient(loss, param)) < TOL
    assert relative_error(grad_x, numerical_gradient(loss, x)) < TOL


# -- dropout -----------------------------------------------------------------------
def test_dropout_gradients_with_a_fixed_mask():
    drop = built(Dropout(0.4), (3, 4))

    def reset() -> None:
        drop.rng = np.random.default_rng(7)

    check_layer_gradients(drop, np.random.default_rng(6).standard_normal((2, 3, 4)), reset=reset)


def test_dropout_training_changes_and_evaluation_is_identity():
    drop = built(Dropout(0.3), (1000,))
    x = np.ones((100, 1000))
    assert drop.forward(x, train=False) is x
    y1, y2 = drop.forward(x, train=True), drop.forward(x, train=True)
    assert not np.array_equal(y1, y2)
    assert set(np.unique(y1)) == {0.0, 1 / 0.7}
    assert abs((y1 == 0).mean() - 0.3) < 0.01
    assert abs(y1.mean() - 1.0) < 0.01  # inverted dropout keeps the expected value


def test_dropout_uses_its_own_generator_not_the_global_one():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checks it is untouched
    a = built(Dropout(0.5), (50,), seed=3).forward(np.ones((4, 50)), train=True)
    b = built(Dropout(0.5), (50,), seed=3).forward(np.ones((4, 50)), train=True)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


@pytest.mark.parametrize("p", [-0.1, 1.0, "0.5", True])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="dropout p"):
        Dropout(p)


# -- shapes, descriptions, configs ---------------------------------------------------
def test_describe_shows_shapes():
    assert built(Conv2D(20, 5), (1, 28, 28)).describe() == "conv 20×5×5 relu (1,28,28)→(20,24,24)"
    assert built(MaxPool2D(2), (20, 24, 24)).describe() == "pool 2×2 (20,24,24)→(20,12,12)"
    assert Conv2D(20, (5, 3), stride=2).describe() == "conv 20×5×3 relu stride 2"


@pytest.mark.parametrize(
    ("layer", "shape", "match"),
    [
        (Conv2D(2, 5), (1, 3, 3), r"5×5 kernel is larger than the 3×3 input"),
        (Conv2D(2, 3), (9,), r"conv needs inputs shaped \(channels, height, width\)"),
        (MaxPool2D(4), (2, 3, 8), r"4×4 pool is larger than the 3×8 map"),
        (Dense(3), (2, 4, 4), r"put a flatten layer before it"),
    ],
)
def test_build_rejects_shapes_it_cannot_take(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        built(layer, shape)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Conv2D(0, 3),
        lambda: Conv2D(2, (3, 0)),
        lambda: Conv2D(2, 3, "softmax"),
        lambda: Conv2D(2, 3, init="zeros"),
        lambda: Dense(0),
        lambda: MaxPool2D(0),
        lambda: Dense(3, "nope"),
    ],
)
def test_constructors_reject_bad_arguments(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        (Conv2D(3, (3, 2), "tanh", stride=2, init="lecun"), (2, 7, 6)),
        (MaxPool2D(3), (2, 7, 6)),
        (Flatten(), (2, 3, 3)),
        (Dense(5, "softmax", init="normal"), (8,)),
        (Dropout(0.25), (8,)),
    ],
)
def test_config_round_trip(layer, shape):
    config = json.loads(json.dumps(layer.config()))
    twin = layer_from_config(config)
    assert type(twin) is type(layer) and twin.config() == layer.config()
    built(layer, shape, seed=1)
    built(twin, shape, seed=2)
    for name, param in layer.params.items():
        twin.params[name][...] = param
    x = np.random.default_rng(0).standard_normal((3, *shape))
    np.testing.assert_array_equal(twin.forward(x, train=False), layer.forward(x, train=False))


def test_layer_from_config_rejects_bad_configs():
    with pytest.raises(ValueError, match="unknown layer type 'lstm'"):
        layer_from_config({"type": "lstm"})
    with pytest.raises(ValueError, match="bad config for layer type 'dense'"):
        layer_from_config({"type": "dense", "size": 3})
    with pytest.raises(ValueError, match="'type' key"):
        layer_from_config({"n": 3})


# -- spec parser -----------------------------------------------------------------------
def test_parse_the_books_network():
    layers = parse_layers(
        "conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:100:relu,dropout:0.5,softmax:10"
    )
    assert [layer.label() for layer in layers] == [
        "conv 20×5×5 relu",
        "pool 2×2",
        "conv 40×5×5 relu",
        "pool 2×2",
        "flatten",
        "dense 100 relu",
        "dropout 0.5",
        "dense 10 softmax",
    ]


@pytest.mark.parametrize(
    ("spec", "labels"),
    [
        ("conv:8x3,softmax:10", ["conv 8×3×3 relu", "flatten", "dense 10 softmax"]),
        (
            "CONV:8x3x5:tanh:s2, pool, flatten, dense:30",
            ["conv 8×3×5 tanh stride 2", "pool 2×2", "flatten", "dense 30 sigmoid"],
        ),
        ("dense:30:relu,dropout:0,softmax:10", ["dense 30 relu", "dropout 0", "dense 10 softmax"]),
        (
            "conv:4x3,dropout:0.2,dense:5",
            ["conv 4×3×3 relu", "dropout 0.2", "flatten", "dense 5 sigmoid"],
        ),
    ],
)
def test_parse_good_specs(spec, labels):
    assert [layer.label() for layer in parse_layers(spec)] == labels


@pytest.mark.parametrize(
    ("spec", "token"),
    [
        ("conv:20,pool:2", "conv:20"),
        ("conv:20x5x5x5", "conv:20x5x5x5"),
        ("conv:20x5x5:foo", "conv:20x5x5:foo"),
        ("conv:0x5", "conv:0x5"),
        ("pool:2,pool:0", "pool:0"),
        ("dense:abc", "dense:abc"),
        ("dense:10:nope", "dense:10:nope"),
        ("dropout:1.5", "dropout:1.5"),
        ("softmax", "softmax"),
        ("lstm:3", "lstm:3"),
        ("conv:4x3,,softmax:2", ""),
    ],
)
def test_parse_bad_tokens(spec, token):
    with pytest.raises(ValueError, match="expected conv:FxK") as info:
        parse_layers(spec)
    assert f"bad layer token {token!r}" in str(info.value)


def test_parse_rejects_empty():
    with pytest.raises(ValueError, match="non-empty string"):
        parse_layers("  ")
