"""Sequential networks: whole-network gradients, shape errors, training."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl.inspect.gradcheck import gradcheck, numerical_gradient, relative_error
from nndl.model.sequential import Sequential
from nndl.nn.layers import Conv2D, Dense, Dropout, parse_layers
from nndl.train.regularizers import get_regularizer

TOL = 1e-6


def small_net(spec: str, shape=(2, 8, 7), seed=0, **kwargs) -> Sequential:
    return Sequential(spec, input_shape=shape, seed=seed, dtype="float64", **kwargs)


def check_thinned_network_gradients(net: Sequential, x: np.ndarray, y: np.ndarray) -> None:
    """The gradient with dropout on is that of the thinned network (the same masks each pass).

    :func:`nndl.inspect.gradcheck.gradcheck` checks the network as evaluated (dropout
    off); this checks what a training step uses.
    """
    dropouts = [layer for layer in net.layers if isinstance(layer, Dropout)]
    states = [layer.rng.bit_generator.state for layer in dropouts]

    def restore() -> None:
        for layer, state in zip(dropouts, states, strict=True):
            layer.rng.bit_generator.state = state

    def cost() -> float:  # a training pass: dropout on, with the same masks each time
        restore()
        h = x.reshape(len(x), *net.input_shape)
        for layer in net.layers:
            h = layer.forward(h, True)
        return net.cost.fn(net.output_layer.z, h, net_targets)

    net_targets = np.eye(net.n_outputs)[y] if np.ndim(y) == 1 else y
    restore()
    grads = net.gradients(x, y, dropout=True)
    for name, param in net.state_dict().items():
        err = relative_error(grads[name], numerical_gradient(cost, param))
        assert err < TOL, f"{name}: {err}"


def _random_biases(net: Sequential, rng: np.random.Generator) -> None:
    for layer in net.layers:
        if "b" in layer.params:
            layer.params["b"][:] = 0.1 * rng.standard_normal(layer.params["b"].shape)


@pytest.mark.parametrize(
    "spec",
    [
        "conv:3x3x2:tanh,pool:2,softmax:4",
        "conv:3x3x3:sigmoid,pool:2,conv:2x2x1:tanh,flatten,dense:5:tanh,softmax:4",
        "conv:2x3x3:tanh:s2,dense:6:sigmoid,dropout:0.3,softmax:4",
    ],
)
def test_whole_network_gradients(spec):
    net = small_net(spec)
    rng = np.random.default_rng(1)
    _random_biases(net, rng)
    x = rng.standard_normal((3, net.n_inputs))
    report = gradcheck(net, x, np.array([0, 3, 1]))
    assert report.passed, str(report)
    assert [c.param for c in report.checks] == list(net.state_dict())


def test_dropout_gradient_is_that_of_the_thinned_network():
    net = small_net("conv:2x3x3:tanh:s2,dense:6:sigmoid,dropout:0.3,softmax:4")
    rng = np.random.default_rng(1)
    _random_biases(net, rng)
    check_thinned_network_gradients(net, rng.standard_normal((3, net.n_inputs)),
                                     np.array([0, 3, 1]))


def test_relu_network_gradients_with_quadratic_cost():
    net = small_net("conv:3x3:relu,pool:2,dense:4:sigmoid", cost="quadratic")
    x = np.random.default_rng(2).standard_normal((2, net.n_inputs))
    report = gradcheck(net, x, np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0]]), tolerance=TOL)
    assert report.passed, str(report)


def test_gradcheck_catches_a_broken_conv_gradient():
    net = small_net("conv:3x3x2:tanh,pool:2,softmax:4")
    x = np.random.default_rng(3).standard_normal((3, net.n_inputs))

    def broken(x, y):
        grads = net.gradients(x, y)
        grads["0.w"][0, 0, 0, 0] += 1e-4  # one wrong entry of one filter
        return grads

    report = gradcheck(net, x, np.array([0, 3, 1]), gradients=broken)
    assert [(c.layer, c.name, c.label) for c in report.checks if not c.passed] == [
        (0, "weights", "conv 3×3×2 tanh")]
    assert "FAIL" in str(report)


def test_batch_gradient_is_the_mean_of_example_gradients():
    net = small_net("conv:2x3x3:tanh,pool:2,softmax:3")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((4, net.n_inputs)), np.array([0, 2, 1, 1])
    batch = net.gradients(x, y)
    singles = [net.gradients(x[k], y[k]) for k in range(4)]
    for name in net.state_dict():
        mean = np.mean([s[name] for s in singles], axis=0)
        np.testing.assert_allclose(batch[name], mean, atol=1e-12)


def test_dropout_is_off_for_evaluation():
    net = small_net("dense:20:relu,dropout:0.5,softmax:3", shape=(6,))
    x = np.random.default_rng(0).standard_normal((5, 6))
    np.testing.assert_array_equal(net.feedforward(x), net.feedforward(x))
    assert net.total_cost(x, [0, 1, 2, 0, 1]) == net.total_cost(x, [0, 1, 2, 0, 1])
    assert not np.array_equal(net.gradients(x, [0, 1, 2, 0, 1], dropout=True)["0.w"],
                              net.gradients(x, [0, 1, 2, 0, 1], dropout=True)["0.w"])
    np.testing.assert_array_equal(net.gradients(x, [0, 1, 2, 0, 1])["0.w"],
                                  net.gradients(x, [0, 1, 2, 0, 1])["0.w"])


def test_the_books_network_builds_and_describes_itself():
    net = Sequential(
        "conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:100:relu,dropout:0.5,softmax:10", seed=0
    )
    assert (net.n_inputs, net.n_outputs, net.dtype) == (784, 10, np.float32)
    assert [layer.output_shape for layer in net.layers] == [
        (20, 24, 24),
        (20, 12, 12),
        (40, 8, 8),
        (40, 4, 4),
        (640,),
        (100,),
        (100,),
        (10,),
    ]
    text = net.describe()
    assert "conv 40×5×5 relu" in text and "(40,4,4)" in text
    assert str(net.n_params) in text
    assert net.n_params == 520 + 20040 + 64100 + 1010
    out = net.feedforward(np.zeros((3, 784), np.float32))
    assert out.shape == (3, 10) and out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)


def test_float32_training_step_keeps_float32():
    net = Sequential("conv:2x3,pool:2,softmax:2", input_shape=(1, 6, 6), seed=0)
    x = np.random.default_rng(0).random((4, 36), dtype=np.float32)
    net.train_step(x, np.eye(2, dtype=np.float32)[[0, 1, 1, 0]], 0.1)
    assert all(p.dtype == np.float32 for layer in net.layers for p in layer.params.values())


@pytest.mark.parametrize(
    ("layers", "shape", "kwargs", "match"),
    [
        (
            "conv:2x5x5,softmax:2",
            (1, 3, 3),
            {},
            r"layer 0 \(conv 2×5×5 relu\) cannot take input of shape \(1,3,3\): the 5×5 kernel",
        ),
        (
            "conv:2x3,pool:3,softmax:2",
            (1, 4, 4),
            {},
            r"layer 1 \(pool 3×3\) cannot take input of shape \(2,2,2\)",
        ),
        (
            [Conv2D(2, 3), Dense(2, "softmax")],
            (1, 5, 5),
            {},
            r"layer 1 \(dense 2 softmax\) cannot take input of shape \(2,3,3\).*flatten",
        ),
        (
            "conv:2x3,pool:2",
            (1, 6, 6),
            {},
            r"layer 1 \(pool 2×2 \(2,4,4\)→\(2,2,2\)\) is the output layer: it must be a dense",
        ),
        (
            "conv:2x3,softmax:3",
            (1, 6, 6),
            {"n_outputs": 10},
            r"layer 2 \(dense 3 softmax \(32\)→\(3\)\).*3 outputs but n_outputs=10",
        ),
        (
            "conv:2x3,softmax:3",
            (1, 6, 6),
            {"cost": "cross_entropy"},
            r"layer 2 \(dense 3 softmax.*needs a sigmoid output layer",
        ),
        ("dense:3:sigmoid", (4,), {}, r"layer 0 \(dense 3 sigmoid.*needs a softmax output layer"),
        (
            "conv:2x3,softmax:2",
            (36,),
            {},
            r"layer 0 \(conv 2×3×3 relu\) cannot take input of shape \(36\)",
        ),
    ],
)
def test_shape_errors_name_the_layer_and_the_shapes(layers, shape, kwargs, match):
    with pytest.raises(ValueError, match=match):
        Sequential(layers, input_shape=shape, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"layers": []}, "at least one layer"),
        ({"layers": ["dense"]}, "layer 0 must be a Layer"),
        ({"input_shape": (1, 0, 3)}, "input_shape"),
        ({"dtype": "int32"}, "dtype"),
        ({"cost": "hinge"}, "unknown cost"),
    ],
)
def test_bad_arguments(kwargs, match):
    args = {"layers": "softmax:2", "input_shape": (4,)} | kwargs
    layers = args.pop("layers")
    with pytest.raises(ValueError, match=match):
        Sequential(layers, **args)


def test_a_layer_cannot_appear_twice():
    dense = Dense(4)
    with pytest.raises(ValueError, match="twice"):
        Sequential([dense, dense], input_shape=(4,), cost="quadratic")


def test_inputs_are_validated_like_network():
    net = Sequential("flatten,softmax:2", input_shape=(1, 2, 2))
    with pytest.raises(ValueError, match=r"shape \(4,\) or \(m, 4\)"):
        net.feedforward(np.zeros((3, 5)))


def test_config_round_trip_and_same_seed_same_network():
    spec = "conv:3x3,pool:2,dense:8:relu,dropout:0.2,softmax:2"
    net = small_net(spec, seed=5)
    twin = Sequential.from_config(json.loads(json.dumps(net.config())), seed=9)
    assert twin.config() == net.config()
    for mine, theirs in zip(net.layers, twin.layers, strict=True):
        for name, param in mine.params.items():
            theirs.params[name][...] = param
    x = np.random.default_rng(0).standard_normal((4, net.n_inputs))
    np.testing.assert_array_equal(twin.feedforward(x), net.feedforward(x))
    again = small_net(spec, seed=5)
    np.testing.assert_array_equal(again.feedforward(x), net.feedforward(x))


def bars(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """8×8 images with one horizontal (label 0) or vertical (label 1) bar, plus noise."""
    labels = rng.integers(0, 2, n)
    images = 0.2 * rng.random((n, 8, 8))
    where = rng.integers(0, 8, n)
    for k in range(n):
        if labels[k] == 0:
            images[k, where[k], :] += 0.8
        else:
            images[k, :, where[k]] += 0.8
    return images.reshape(n, 64).astype(np.float32), labels


def test_a_small_conv_net_learns_bars():
    rng = np.random.default_rng(0)
    train, test = bars(400, rng), bars(200, rng)
    net = Sequential(parse_layers("conv:4x3x3,pool:2,softmax:2"), input_shape=(1, 8, 8), seed=1)
    history = net.SGD(train, 8, 10, 0.1, test_data=test, verbose=False)
    assert history["test_accuracy"][-1] >= 0.9  # chance is 0.5
    assert net.score(*test) >= 0.9  # chance is 0.5


def test_evaluation_in_slices_matches_one_pass(monkeypatch):
    import nndl.model.sequential

    net = small_net("conv:2x3,pool:2,softmax:3")
    x = np.random.default_rng(0).standard_normal((10, net.n_inputs))
    whole = net.feedforward(x)
    monkeypatch.setattr(nndl.model.sequential, "EVAL_BATCH", 3)
    np.testing.assert_allclose(net.feedforward(x), whole, atol=1e-14)


# -- the Model hooks: parameters, regularised flags, snapshots -------------------------
HOOKS_SPEC = "conv:3x3x3:tanh,pool:2,dense:5:sigmoid,softmax:4"


def test_hooks_list_every_parameter_and_regularise_only_weights():
    net = small_net(HOOKS_SPEC, shape=(2, 7, 6))
    params = net.parameters()
    assert len(params) == 6
    assert net.regularized() == [True, False, True, False, True, False]
    assert params[0] is net.layers[0].params["w"]
    assert sum(p.size for p in params) == net.n_params


def test_gradients_plus_l2_penalty_match_finite_differences():
    net = small_net(HOOKS_SPEC, shape=(2, 7, 6))
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, net.n_inputs))
    y = np.eye(4)[[0, 3, 1]]
    report = gradcheck(net, x, y, regularizer=get_regularizer("l2", 0.7), n=5, tolerance=TOL)
    assert report.passed, str(report)


def test_snapshot_and_restore_work_on_sequential():
    net = small_net(HOOKS_SPEC, shape=(2, 7, 6))
    snap = net.snapshot()
    for p in net.parameters():
        p += 1.0
    net.restore(snap)
    assert all(np.array_equal(p, s) for p, s in zip(net.parameters(), snap, strict=True))
