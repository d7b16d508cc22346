"""The book's learning speed per layer, ‖δˡ‖ = ‖mean ∂C/∂bˡ‖ (chapter 5), and its monitor."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network, Sequential
from nndl.cli import main
from nndl.data import load_sample
from nndl.inspect.learning_speed import bias_gradients, format_norms, gradient_norms, layer_labels
from nndl.model.io import load_model


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def book_average_gradient(net, x, labels):
    """The book's generate_gradient.py: backprop one column vector at a time, then average.

    Written from the equations (sigmoid neurons, cross-entropy cost: δᴸ = aᴸ − y),
    not with the engine.
    """
    weights = [np.array(w) for w in net.weights]
    biases = [np.array(b) for b in net.biases]
    total = [np.zeros_like(b) for b in biases]
    for xi, label in zip(x, labels, strict=True):
        activation = xi
        activations, zs = [xi], []
        for w, b in zip(weights, biases, strict=True):
            z = w @ activation + b
            zs.append(z)
            activation = _sigmoid(z)
            activations.append(activation)
        y = np.zeros(len(biases[-1]))
        y[label] = 1.0
        delta = activations[-1] - y
        total[-1] += delta
        for layer in range(2, len(weights) + 1):
            s = _sigmoid(zs[-layer])
            delta = (weights[-layer + 1].T @ delta) * s * (1 - s)
            total[-layer] += delta
    return [t / len(x) for t in total]


@pytest.fixture(scope="module")
def sample():
    return load_sample()


def test_norms_are_those_of_the_books_per_example_average(sample):
    x, y = sample.training
    x, y = x[:200], y[:200]
    net = Network([784, 30, 30, 30, 10], cost="cross_entropy", init="scaled_normal", seed=3)
    expected = [float(np.linalg.norm(g)) for g in book_average_gradient(net, x, y)]
    assert gradient_norms(net, x, y) == pytest.approx(expected, rel=1e-12)
    # the vanishing gradient, at initialisation: each layer slower than the next
    assert all(a < b for a, b in zip(expected, expected[1:], strict=False))


def test_the_average_does_not_depend_on_the_chunk(sample):
    x, y = sample.training
    net = Network([784, 20, 20, 10], cost="cross_entropy", init="scaled_normal", seed=0)
    whole = bias_gradients(net, x[:300], y[:300], chunk=300)
    pieces = bias_gradients(net, x[:300], y[:300], chunk=7)
    for a, b in zip(whole, pieces, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_only_the_first_examples_are_averaged(sample):
    x, y = sample.training
    net = Network([784, 10, 10], seed=0)
    assert gradient_norms(net, x, y, examples=100) == gradient_norms(net, x[:100], y[:100])
    assert gradient_norms(net, x[:50], y[:50]) == gradient_norms(net, x[:50], y[:50],
                                                                  examples=None)
    with pytest.raises(ValueError, match="0 examples"):
        gradient_norms(net, x[:0], y[:0])


def test_convolutional_bias_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    net = Sequential("conv:3x3x3:sigmoid,pool:2,dense:5:sigmoid,softmax:4",
                     input_shape=(1, 8, 8), dtype="float64", seed=1)
    x, labels = rng.random((12, 64)), rng.integers(0, 4, 12)
    grads = bias_gradients(net, x, labels, chunk=5)
    eps = 1e-6
    for layer, b, g in zip(range(len(grads)), net.biases, grads, strict=True):
        numeric = np.empty_like(g)
        for j in range(len(b)):
            b[j] += eps
            up = net.mean_cost(x, np.eye(4)[labels])
            b[j] -= 2 * eps
            down = net.mean_cost(x, np.eye(4)[labels])
            b[j] += eps
            numeric[j] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9, err_msg=f"layer {layer}")
    assert layer_labels(net) == ["0: conv 3×3×3 sigmoid", "3: dense 5 sigmoid",
                                 "4: dense 4 softmax"]


def test_sgd_records_the_norms_of_each_epoch(sample):
    x, y = sample.training
    net = Network([784, 16, 16, 10], cost="cross_entropy", init="scaled_normal", seed=0)
    seen = []

    def on_epoch(record):  # the model as the record was measured
        seen.append(gradient_norms(net, x[:1000], y[:1000]))

    history = net.SGD((x, y), 3, 50, 0.5, monitor_gradients=True, verbose=False,
                      on_epoch=on_epoch)
    assert history["gradient_norms"] == seen
    assert all(len(row) == 3 for row in seen)
    assert seen[0] != seen[1]  # training moved the network


def test_monitor_off_records_nothing_and_bad_values_are_refused(sample):
    x, y = sample.training
    net = Network([784, 5, 10], seed=0)
    history = net.SGD((x[:100], y[:100]), 1, 10, 1.0, verbose=False)
    assert "gradient_norms" not in history.keys()
    with pytest.raises(ValueError, match="monitor_gradients must be True or False"):
        net.SGD((x[:100], y[:100]), 1, 10, 1.0, monitor_gradients="yes")


def test_verbose_prints_one_compact_line(sample, capsys):
    x, y = sample.training
    net = Network([784, 5, 5, 10], seed=0)
    net.SGD((x[:100], y[:100]), 1, 10, 1.0, monitor_gradients=True)
    history = net.history_
    line = next(s for s in capsys.readouterr().out.splitlines() if "Learning speed" in s)
    assert line.endswith(format_norms(history["gradient_norms"][0]))
    assert format_norms([1.0, 0.5]) == "1 | 0.5" and format_norms([2.0]) == "2"


@pytest.mark.slow
def test_cli_saves_the_norms_and_plot_draws_them(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    model = tmp_path / "net.npz"
    assert main(["train", "--sample", "--sizes", "784,10,10,10", "--epochs", "2",
                 "--monitor-gradients", "--save", str(model)]) == 0
    out = capsys.readouterr().out
    assert out.count("|dC/db| ") == 2
    history = load_model(model).metadata["history"]
    assert [len(r["gradient_norms"]) for r in history] == [3, 3]
    assert main(["plot", str(model), "--out", str(tmp_path / "figs"), "--sample"]) == 0
    assert "speed.png (700x450)" in capsys.readouterr().out


def test_speed_figure_without_records_says_so():
    pytest.importorskip("matplotlib")
    from nndl.inspect.plots import speed_figure, speed_series

    fig = speed_figure([{"epoch": 0, "test_accuracy": 0.5}])
    assert "No learning speed recorded" in fig.texts[0].get_text()
    epochs, norms = speed_series([{"epoch": 4, "gradient_norms": [0.1, 0.2]}])
    assert epochs == [4] and norms.tolist() == [[0.1, 0.2]]
    with pytest.raises(ValueError, match="different lengths"):
        speed_series([{"gradient_norms": [0.1]}, {"gradient_norms": [0.1, 0.2]}])
