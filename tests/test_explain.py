"""``nndl explain`` and :mod:`nndl.inspect.explain`: shapes, backprop's numbers, output forms."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl import Network
from nndl.cli import main
from nndl.data import load_sample
from nndl.inspect.explain import explain, sup
from nndl.model.io import save_model
from nndl.model.sequential import Sequential


def _example(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random(sizes[0]), int(rng.integers(0, sizes[-1]))


@pytest.mark.parametrize("sizes", [[784, 30, 10], [784, 16, 12, 10], [2, 3, 1], [3, 2]])
def test_shapes_are_the_real_array_shapes(sizes):
    net = Network(sizes, seed=1)
    x, y = _example(sizes)
    ex = explain(net, x, y)
    h, zs, acts = x[np.newaxis, :], [], [x[np.newaxis, :]]
    for w, b, sigma in zip(net.weights, net.biases, net.activations, strict=True):
        zs.append(h @ w.T + b)
        h = sigma.fn(zs[-1])
        acts.append(h)
    assert [s.number for s in ex.steps] == [1, 2, 3, 4, 5]
    for q in (q for s in ex.steps for q in s.quantities):
        assert q.value.shape == q.shape_batch, q.symbol
    big_l = len(sizes)
    assert ex.quantity("a¹").shape_column == (sizes[0], 1)
    assert ex.quantity("a¹").shape_batch == (1, sizes[0])
    for i in range(len(sizes) - 1):
        lay = sup(i + 2)
        assert ex.quantity(f"w{lay}").shape_column == net.weights[i].shape
        assert ex.quantity(f"b{lay}").shape_column == (sizes[i + 1], 1)
        assert ex.quantity(f"b{lay}").shape_batch == net.biases[i].shape
        assert ex.quantity(f"z{lay}").shape_batch == zs[i].shape == (1, sizes[i + 1])
        assert ex.quantity(f"a{lay}").shape_column == (sizes[i + 1], 1)
        np.testing.assert_array_equal(ex.quantity(f"a{lay}").value, acts[i + 1])
        assert ex.quantity(f"δ{lay}").shape_column == (sizes[i + 1], 1)
        assert ex.quantity(f"∂C/∂w{lay}").shape_column == (sizes[i + 1], sizes[i])
    assert ex.steps[2].quantities[-1].symbol == f"δ{sup(big_l)}"


@pytest.mark.parametrize(
    ("sizes", "cost", "output"),
    [([784, 30, 10], "quadratic", None), ([784, 16, 12, 10], "cross_entropy", None),
     ([6, 5, 4], "log_likelihood", "softmax"), ([2, 3, 1], "quadratic", None)],
)
def test_numbers_equal_backprop(sizes, cost, output):
    net = Network(sizes, cost=cost, output_activation=output, seed=2)
    rng = np.random.default_rng(3)
    x = rng.random((5, sizes[0]))
    y = rng.integers(0, sizes[-1], size=5)
    i = 3
    ex = explain(net, x[i], int(y[i]))
    nabla_b, nabla_w = net.backprop(x[i : i + 1], y[i : i + 1])
    for k in range(len(sizes) - 1):
        lay = sup(k + 2)
        np.testing.assert_array_equal(ex.quantity(f"∂C/∂b{lay}").value, nabla_b[k])
        np.testing.assert_array_equal(ex.quantity(f"∂C/∂w{lay}").value, nabla_w[k])
        np.testing.assert_array_equal(ex.quantity(f"δ{lay}").value[0], nabla_b[k])
    # The factors shown beside δ multiply to it (BP1 and BP2, re-derived).
    big_l = sup(len(sizes))
    if output is None:
        np.testing.assert_allclose(
            ex.quantity("∇ₐC").value * ex.quantity(f"σ'(z{big_l})").value,
            ex.quantity(f"δ{big_l}").value, rtol=1e-9, atol=1e-12)
    for k in range(len(sizes) - 2):
        lay, up = sup(k + 2), sup(k + 3)
        np.testing.assert_allclose(
            ex.quantity(f"(w{up})ᵀδ{up}").value * ex.quantity(f"σ'(z{lay})").value,
            ex.quantity(f"δ{lay}").value, rtol=1e-12, atol=1e-15)
    assert ex.cost == pytest.approx(net.total_cost(x[i : i + 1], y[i : i + 1]))
    assert ex.predicted == int(net.predict(x[i]))


def test_json_has_every_step_in_order_and_matches_backprop(capsys):
    assert main(["explain", "--sample", "--index", "2", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["step"] for s in doc["steps"]] == [1, 2, 3, 4, 5]
    x, y = load_sample().test
    assert doc["label"] == int(y[2]) and doc["sizes"] == [784, 30, 10]
    net = Network([784, 30, 10], seed=0)
    nabla_b, nabla_w = net.backprop(x[2:3], y[2:3])
    grads = {q["symbol"]: q for q in doc["steps"][4]["quantities"]}
    assert grads["∂C/∂b³"]["values"] == pytest.approx(nabla_b[1].tolist(), rel=0, abs=0)
    assert grads["∂C/∂w²"]["shape_column"] == [30, 784]
    assert grads["∂C/∂w²"]["stats"]["max"] == float(nabla_w[0].max())
    assert "values" not in grads["∂C/∂w²"]  # too long to list
    for step in doc["steps"]:
        for q in step["quantities"]:
            assert set(q) >= {"symbol", "shape_column", "shape_batch", "stats"}


def test_text_shows_each_equation_and_symbol_with_shapes(capsys):
    assert main(["explain", "--sample"]) == 0
    out = capsys.readouterr().out
    for text in ("a¹ = x", "zˡ = wˡaˡ⁻¹ + bˡ,  aˡ = σ(zˡ)", "δᴸ = ∇ₐC ⊙ σ'(zᴸ)",
                 "δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ)", "∂C/∂bˡ = δˡ,  ∂C/∂wˡ = δˡ(aˡ⁻¹)ᵀ",
                 "z = a @ w.T + b", "freshly initialised", "true label 7", "cost C = "):
        assert text in out, text
    lines = out.splitlines()

    def row(symbol):
        return next(line for line in lines
                    if line.split()[:1] == [symbol] and line.split()[1].startswith("("))

    assert "(784, 1)" in row("a¹") and "(1, 784)" in row("a¹")
    assert row("w²").split()[1:5] == ["(30,", "784)", "(30,", "784)"]
    assert "(10, 1)" in row("δ³") and "(1, 10)" in row("δ³")
    assert "(30, 1)" in row("δ²") and "(30,)" in row("∂C/∂b²")
    assert out.index("Step 1") < out.index("Step 2") < out.index("Step 3") \
        < out.index("Step 4") < out.index("Step 5")


def test_xor_and_a_saved_model(tmp_path, capsys):
    net = Network([2, 2, 1], seed=5)
    path = save_model(net, tmp_path / "xor.npz")
    assert main(["explain", str(path), "--xor", "--index", "3", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sizes"] == [2, 2, 1] and doc["target"] == [0.0] and doc["label"] == 0
    nabla_b, _ = net.backprop(np.array([[1.0, 1.0]]), np.array([[0.0]]))
    assert doc["steps"][4]["quantities"][2]["values"] == nabla_b[0].tolist()


def test_errors_are_clear(tmp_path, capsys):
    assert main(["explain", "--sample", "--index", "100"]) == 1
    assert "out of range" in capsys.readouterr().err
    assert main(["explain", "--xor", "--index", "4"]) == 1
    assert "0 to 3" in capsys.readouterr().err
    assert main(["explain", str(tmp_path / "missing.npz")]) == 1
    assert "model file not found" in capsys.readouterr().err
    path = save_model(Network([784, 5, 10], seed=0), tmp_path / "m.npz")
    assert main(["explain", str(path), "--xor"]) == 1
    assert "2 inputs and 1 output" in capsys.readouterr().err


# -- every model: the learning speed ‖δˡ‖ = ‖∂C/∂bˡ‖ -----------------------------------------
@pytest.mark.parametrize("dropout", [0.0, 0.4])
def test_learning_speed_is_the_norm_of_the_bias_gradient(dropout):
    net = Network([6, 5, 4, 3], dropout=dropout, seed=4)
    rng = np.random.default_rng(5)
    x, y = rng.random(6), 2
    ex = explain(net, x, y)
    nabla_b, _ = net.backprop(x[np.newaxis], np.array([y]))
    rows = ex.learning_speed()
    assert [r["layer"] for r in rows] == [2, 3, 4]  # the book's numbers, dropout not counted
    for r, nb in zip(rows, nabla_b, strict=True):
        assert r["norm"] == pytest.approx(np.linalg.norm(nb), rel=1e-12)
        lay = sup(r["layer"])
        assert r["norm"] == pytest.approx(np.linalg.norm(ex.quantity(f"δ{lay}").value), rel=1e-12)
    assert explain(net, x, y).cost == ex.cost  # dropout is off: the same pass every time


def test_text_and_json_give_the_learning_speed(capsys):
    assert main(["explain", "--sample", "--index", "2", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    x, y = load_sample().test
    nabla_b, _ = Network([784, 30, 10], seed=0).backprop(x[2:3], y[2:3])
    assert [r["layer"] for r in doc["learning_speed"]] == [2, 3]
    assert [r["norm"] for r in doc["learning_speed"]] == pytest.approx(
        [np.linalg.norm(nb) for nb in nabla_b], rel=1e-12)
    assert main(["explain", "--sample", "--index", "2"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out[out.index("Learning speed"):].splitlines()
            if line.split()[:1] == ["layer"]]
    assert [(r[1], float(r[2])) for r in rows] == [
        ("2", pytest.approx(np.linalg.norm(nabla_b[0]), rel=1e-3)),
        ("3", pytest.approx(np.linalg.norm(nabla_b[1]), rel=1e-3))]


# -- convolutional models: layer by layer -----------------------------------------------------
CONV = "conv:3x3x3:tanh,pool:2,conv:2x2x2:sigmoid,dense:5:relu,dropout:0.5,softmax:4"


def _conv_net():
    return Sequential(CONV, input_shape=(2, 9, 8), seed=3, dtype="float64")


def test_conv_layers_shapes_and_numbers_equal_gradients():
    net = _conv_net()
    x = np.random.default_rng(0).random(net.n_inputs)
    ex = explain(net, x.reshape(net.input_shape), 2)  # an image or a flat row, both fine
    grads = net.gradients(x[np.newaxis], np.array([2]))
    nabla_b, _ = net.backprop(x[np.newaxis], np.array([2]))
    assert not ex.fully_connected and ex.steps == []
    assert [(v.index, v.input_shape, v.output_shape) for v in ex.layers] == [
        (0, (2, 9, 8), (3, 7, 6)), (1, (3, 7, 6), (3, 3, 3)), (2, (3, 3, 3), (2, 2, 2)),
        (3, (2, 2, 2), (8,)), (4, (8,), (5,)), (5, (5,), (5,)), (6, (5,), (4,))]
    for v, layer in zip(ex.layers, net.layers, strict=True):
        assert set(v.grads) == set(layer.params)
        for name, g in v.grads.items():
            np.testing.assert_array_equal(g, grads[f"{v.index}.{name}"])
            assert v.params[name].shape == g.shape == layer.params[name].shape
        assert (v.delta is not None) == bool(layer.params)  # the conv and dense layers
        if v.delta is not None:
            assert v.delta.shape == (1, *v.output_shape)
            # BP3: each bias gradient is δ summed over the positions of its map.
            per_map = v.delta.reshape(v.output_shape[0], -1).sum(axis=1)
            np.testing.assert_allclose(per_map, grads[f"{v.index}.b"], rtol=1e-12, atol=1e-15)
            assert v.delta_norm == pytest.approx(np.linalg.norm(v.delta), rel=1e-15)
    assert [r["layer"] for r in ex.learning_speed()] == [0, 2, 4, 6]
    assert [r["norm"] for r in ex.learning_speed()] == pytest.approx(
        [np.linalg.norm(nb) for nb in nabla_b], rel=1e-12)
    out = ex.layers[-1]  # BP1 for softmax and log-likelihood: δᴸ = aᴸ − y
    np.testing.assert_allclose(out.delta[0], net.feedforward(x) - np.eye(4)[2], atol=1e-12)
    assert ex.cost == pytest.approx(net.total_cost(x[np.newaxis], [2]), rel=1e-12)
    assert ex.predicted == int(net.predict(x)) and ex.label == 2


def test_conv_json_and_text_from_the_cli(tmp_path, capsys):
    net = Sequential("conv:4x5x5:tanh,pool:2,dense:6:sigmoid,softmax:10", seed=1,
                     dtype="float64")
    path = save_model(net, tmp_path / "conv.npz")
    assert main(["explain", str(path), "--sample", "--index", "1", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    x, y = load_sample(dtype="float64").test
    grads = net.gradients(x[1:2], y[1:2])
    assert doc["label"] == int(y[1]) and doc["input_shape"] == [1, 28, 28]
    layers = doc["layers"]
    assert [(r["input_shape"], r["output_shape"]) for r in layers] == [
        ([1, 28, 28], [4, 24, 24]), ([4, 24, 24], [4, 12, 12]), ([4, 12, 12], [576]),
        ([576], [6]), ([6], [10])]
    conv = layers[0]
    assert conv["params"]["w"]["shape"] == [4, 1, 5, 5] and conv["params"]["b"]["shape"] == [4]
    assert conv["grads"]["w"] == {"min": grads["0.w"].min(), "mean": grads["0.w"].mean(),
                                  "max": grads["0.w"].max()}
    assert conv["delta"]["shape"] == [4, 24, 24]
    assert set(conv["delta"]["stats"]) == {"min", "mean", "max"} and conv["delta"]["norm"] > 0
    assert "delta" not in layers[1] and layers[1]["params"] == {}
    assert [r["norm"] for r in doc["learning_speed"]] == pytest.approx(
        [np.linalg.norm(grads[f"{i}.b"]) for i in (0, 3, 4)], rel=1e-12)

    assert main(["explain", str(path), "--sample", "--index", "1"]) == 0
    out = capsys.readouterr().out
    for text in ("Layer 0 · conv 4×5×5 tanh: input (1,28,28) → output (4,24,24)",
                 "Layer 1 · pool 2×2: input (4,24,24) → output (4,12,12)",
                 "Layer 4 · dense 10 softmax: input (6) → output (10)",
                 f"true label {int(y[1])}", "Learning speed"):
        assert text in out, text
    delta_rows = [line.split() for line in out.splitlines() if line.startswith("  δ ")]
    assert [r[1] for r in delta_rows] == ["(4,24,24)", "(6)", "(10)"]
    assert float(delta_rows[0][-1]) == pytest.approx(conv["delta"]["norm"], rel=1e-3)


def test_a_conv_example_of_the_wrong_shape_is_refused():
    net = _conv_net()
    with pytest.raises(ValueError, match=r"one input of shape \(2, 9, 8\) or \(144,\)"):
        explain(net, np.zeros(143), 0)
    with pytest.raises(ValueError, match=r"label must be in \[0, 4\)"):
        explain(net, np.zeros(144), 4)
