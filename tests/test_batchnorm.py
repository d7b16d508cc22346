"""Batch normalisation: forward against an independent computation (and PyTorch), gradients
against central differences, running statistics, buffers in files and out of the optimiser."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl.data import load_sample
from nndl.inspect.gradcheck import gradcheck, numerical_gradient, relative_error
from nndl.model.io import load_model, save_model
from nndl.model.sequential import Sequential
from nndl.nn.layers import BatchNorm, layer_from_config, parse_layers
from nndl.train.optimizers import get_optimizer
from nndl.train.regularizers import get_regularizer
from test_layers import built, check_layer_gradients

EPS = 1e-5


def batch_innermost(x: np.ndarray) -> np.ndarray:
    """``x`` ``(m, C, H, W)`` as the convolution hands it on: a view of ``(C, H, W, m)`` memory."""
    return np.ascontiguousarray(x.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def reference(x, gamma, beta, mean=None, var=None, eps=EPS):
    """γ(x − μ)/√(σ² + ε) + β per feature, channel by channel (batch statistics if none given)."""
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        values = x[:, c]
        mu = values.mean() if mean is None else mean[c]
        v = ((values - values.mean()) ** 2).mean() if var is None else var[c]
        out[:, c] = gamma[c] * (values - mu) / np.sqrt(v + eps) + beta[c]
    return out


def randomised(layer: BatchNorm, seed: int = 3) -> BatchNorm:
    rng = np.random.default_rng(seed)
    for p in layer.params.values():
        p[...] = rng.uniform(0.5, 1.5, p.shape)
    return layer


# -- the layer ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "m"), [((5,), 4), ((3, 4, 5), 3), ((2, 3, 3), 1)],
)
@pytest.mark.parametrize("activation", ["linear", "tanh", "relu"])
def test_gradients_through_the_batch_statistics(shape, m, activation):
    bn = randomised(built(BatchNorm(activation=activation), shape))
    x = np.random.default_rng(4).standard_normal((m, *shape)) * 2.0 + 1.0
    if len(shape) == 3:
        x = batch_innermost(x)  # the engine's conv layout
    check_layer_gradients(bn, x)


@pytest.mark.parametrize("shape", [(6,), (3, 4, 5)])
def test_training_forward_normalises_with_the_batch(shape):
    bn = randomised(built(BatchNorm(), shape))
    x = np.random.default_rng(0).standard_normal((8, *shape)) * 3.0 - 2.0
    xs = batch_innermost(x) if len(shape) == 3 else x
    y = bn.forward(xs, train=True)
    np.testing.assert_allclose(y, reference(x, bn.params["gamma"], bn.params["beta"]),
                               rtol=1e-12, atol=1e-12)


def test_running_statistics_follow_the_recursion_and_evaluation_uses_them():
    bn = randomised(built(BatchNorm(momentum=0.8), (2, 3, 3)))
    rng = np.random.default_rng(1)
    mean, var = np.zeros(2), np.ones(2)
    for _ in range(4):
        x = rng.standard_normal((5, 2, 3, 3)) * 2.0 + 3.0
        bn.forward(batch_innermost(x), train=True)
        per_channel = x.transpose(1, 0, 2, 3).reshape(2, -1)  # N = 5·3·3 values each
        mean = 0.8 * mean + 0.2 * per_channel.mean(axis=1)
        var = 0.8 * var + 0.2 * per_channel.var(axis=1, ddof=1)
    np.testing.assert_allclose(bn.buffers["running_mean"], mean, rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_var"], var, rtol=1e-12)
    kept = bn.buffers["running_mean"].copy()
    x = rng.standard_normal((3, 2, 3, 3))
    expected = reference(x, bn.params["gamma"], bn.params["beta"], mean, var)
    np.testing.assert_allclose(bn.forward(x, train=False), expected, rtol=1e-12)
    # one example evaluated alone gives what it gives inside a batch
    np.testing.assert_allclose(bn.forward(x[:1], train=False), expected[:1], rtol=1e-12)
    np.testing.assert_array_equal(bn.buffers["running_mean"], kept)  # evaluation updates nothing


def test_a_batch_of_one_normalises_to_beta_and_keeps_the_variance_finite():
    bn = randomised(built(BatchNorm(), (4,)))
    y = bn.forward(np.arange(4.0)[np.newaxis], train=True)
    np.testing.assert_allclose(y[0], bn.params["beta"])
    assert np.isfinite(bn.buffers["running_var"]).all()


@pytest.mark.parametrize("shape", [(4,), (3, 5, 5)])
def test_matches_torch_in_training_and_evaluation(shape):
    torch = pytest.importorskip("torch")
    bn = randomised(built(BatchNorm(momentum=0.9), shape))
    module = (torch.nn.BatchNorm1d if len(shape) == 1 else torch.nn.BatchNorm2d)(
        shape[0], eps=EPS, momentum=0.1, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(bn.params["gamma"]))
        module.bias.copy_(torch.from_numpy(bn.params["beta"]))
    rng = np.random.default_rng(2)
    module.train()
    for _ in range(3):
        x = rng.standard_normal((6, *shape)) * 1.5 + 0.5
        ours = bn.forward(x, train=True)
        np.testing.assert_allclose(ours, module(torch.from_numpy(x)).detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_mean"], module.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.buffers["running_var"], module.running_var.numpy(), rtol=1e-12)
    module.eval()
    x = rng.standard_normal((4, *shape))
    np.testing.assert_allclose(bn.forward(x, train=False),
                               module(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)


def test_float32_stays_float32():
    bn = built(BatchNorm(activation="relu"), (2, 4, 4), dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((3, 2, 4, 4)).astype(np.float32)
    assert bn.forward(x, train=True).dtype == np.float32
    assert bn.backward(np.ones_like(x)).dtype == np.float32
    assert bn.forward(x, train=False).dtype == np.float32
    assert {b.dtype for b in bn.buffers.values()} == {np.dtype(np.float32)}


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: BatchNorm(momentum=1.0), "momentum must be a number in"),
        (lambda: BatchNorm(momentum=-0.1), "momentum must be a number in"),
        (lambda: BatchNorm(eps=0), "eps must be a number in"),
        (lambda: BatchNorm(momentum="0.9"), "momentum must be a number in"),
        (lambda: BatchNorm(activation="softmax"), "element-wise activation"),
    ],
)
def test_bad_arguments_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_refuses_inputs_that_are_neither_vectors_nor_maps():
    with pytest.raises(ValueError, match=r"batchnorm needs vectors .* got \(2,3\)"):
        BatchNorm().setup((2, 3), None, np.float64)


def test_config_round_trip_spec_and_label():
    layer = BatchNorm(momentum=0.8, eps=1e-3, activation="relu")
    twin = layer_from_config(json.loads(json.dumps(layer.config())))
    assert twin.config() == layer.config() == {
        "type": "batchnorm", "momentum": 0.8, "eps": 1e-3, "activation": "relu"}
    spec = "conv:4x3x3:linear,bn:relu,pool,dense:8,bn,softmax:3"
    assert [la.label() for la in parse_layers(spec)] == [
        "conv 4×3×3 linear", "batchnorm relu", "pool 2×2", "flatten", "dense 8 sigmoid",
        "batchnorm", "dense 3 softmax"]
    assert [la.label() for la in parse_layers("batchnorm:tanh,softmax:2")][0] == "batchnorm tanh"
    for bad in ("bn:foo", "bn:relu:2", "bn:softmax"):
        with pytest.raises(ValueError, match=f"bad layer token '{bad}'"):
            parse_layers(f"dense:3,{bad},softmax:2")


# -- in a network -------------------------------------------------------------------
CONV = "conv:3x3x3:linear,bn:relu,pool:2,dense:6:linear,bn:tanh,softmax:3"


def conv_net(seed: int = 0, dtype: str = "float64") -> Sequential:
    return Sequential(CONV, input_shape=(1, 8, 8), seed=seed, dtype=dtype)


def data(m: int = 6, seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.random((m, 64)), rng.integers(0, 3, m)


def test_gradcheck_of_the_network_as_evaluated():
    net = conv_net()
    x, y = data()
    for _ in range(2):  # running statistics away from 0 and 1
        net.train_step(x, np.eye(3)[y], 0.1)
    report = gradcheck(net, x, y)
    assert report.passed, str(report)
    assert [c.param for c in report.checks] == [
        "0.w", "0.b", "1.gamma", "1.beta", "4.w", "4.b", "5.gamma", "5.beta", "6.w", "6.b"]


def test_training_gradient_of_the_network_is_that_of_the_batch_normalised_cost():
    net = conv_net()
    x, y = data()
    targets = np.eye(3)[y]

    def cost() -> float:  # a training pass (batch statistics)
        h = x.reshape(len(x), 1, 8, 8)
        for layer in net.layers:
            h = layer.forward(h, True)
        return net.cost.fn(net.output_layer.z, h, targets)

    grads = net.gradients(x, y, dropout=True)
    for name, p in net.named_parameters().items():
        numeric = numerical_gradient(cost, p)
        if name in ("0.b", "4.b"):  # a bias before batchnorm is subtracted out again with μ_B
            assert np.abs(numeric).max() < 1e-9 and np.abs(grads[name]).max() < 1e-12
        else:
            assert relative_error(grads[name], numeric) < 1e-6, name


def test_buffers_are_state_but_not_parameters():
    net = conv_net()
    assert list(net.state_dict()) == [
        "0.w", "0.b", "1.gamma", "1.beta", "1.running_mean", "1.running_var",
        "4.w", "4.b", "5.gamma", "5.beta", "5.running_mean", "5.running_var", "6.w", "6.b"]
    params = {id(p) for p in net.parameters()}
    assert not params & {id(b) for b in net.buffers()} and len(net.buffers()) == 4
    assert net.n_params == 3 * 9 + 3 + 2 * 3 + 27 * 6 + 6 + 2 * 6 + 6 * 3 + 3
    assert net.regularized() == [True, False, False, False, True, False, False, False, True, False]
    assert len(net.state_arrays()) == len(net.parameters()) + 4


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_optimiser_and_l2_leave_buffers_and_gamma_beta_alone(optimizer):
    x, y = data(10)
    targets = np.eye(3)[y]
    plain, decayed = conv_net(), conv_net()
    l2 = get_regularizer("l2", 50.0)
    plain.make_step(get_optimizer(optimizer), None, 10)(x, targets, 0.1)
    decayed.make_step(get_optimizer(optimizer), l2, 10)(x, targets, 0.1)
    for name, p in plain.state_dict().items():
        same = np.array_equal(p, decayed.state_dict()[name])
        assert same == (not name.endswith(".w")), name
    # the running mean moved by the recursion alone: 0.9·0 + 0.1·(batch mean of the conv's z)
    fresh = conv_net()
    z = fresh.layers[0].forward(x.reshape(-1, 1, 8, 8), False)
    np.testing.assert_allclose(plain.state_dict()["1.running_mean"],
                               0.1 * z.mean(axis=(0, 2, 3)), rtol=1e-12)


def test_snapshot_and_restore_include_the_buffers():
    net = conv_net()
    snap = net.snapshot()
    x, y = data()
    net.train_step(x, np.eye(3)[y], 0.5)
    assert not np.array_equal(net.buffers()[0], snap[len(net.parameters())])
    net.restore(snap)
    for a, b in zip(net.state_arrays(), snap, strict=True):
        np.testing.assert_array_equal(a, b)


def test_train_save_load_predict_identical(tmp_path):
    net = conv_net(dtype="float32")
    x, y = data(20)
    net.SGD((x, y), 2, 5, 0.1, verbose=False)
    assert net.buffers()[0].any()
    loaded = load_model(save_model(net, tmp_path / "bn.npz"))
    for name, p in net.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name], p, err_msg=name)
    np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))


def test_a_model_file_with_a_negative_running_variance_is_refused(tmp_path):
    from nndl.errors import ModelFileError

    net = conv_net(dtype="float32")
    bn = next(i for i, layer in enumerate(net.layers) if isinstance(layer, BatchNorm))
    net.layers[bn].buffers["running_var"][0] = -1.0
    path = save_model(net, tmp_path / "bad.npz")
    with pytest.raises(ModelFileError, match=rf"{bn}.running_var.*negative variances"):
        load_model(path)


def test_a_network_with_batchnorm_learns_the_sample():
    sample = load_sample("float32")
    (x, y), (xt, yt) = sample.training, sample.test
    net = Sequential("dense:30:linear,bn:relu,softmax:10", input_shape=(784,), seed=0)
    before = net.score(xt, yt)
    net.SGD((x, y), 3, 10, 0.1, verbose=False)
    assert before < 0.2 and net.score(xt, yt) > 0.75


@pytest.mark.parametrize("export", ["onnx", "torch"])
def test_exporters_refuse_batchnorm_naming_the_layer(export):
    net = conv_net(dtype="float32")
    if export == "onnx":
        pytest.importorskip("onnx")
        from nndl.export.onnx import to_onnx as convert
    else:
        from nndl.export.torch_arch import architecture as convert
    with pytest.raises(ValueError, match=r"layer 1 \(batchnorm relu\) has no (ONNX|PyTorch) form"):
        convert(net)
