"""Constructor options survive config(); monitoring, divergence and option validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl import Network, TrainingDiverged
from nndl.nn.activations import LeakyReLU


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"cost": "cross_entropy", "init": "scaled_normal"},
        {"cost": "log_likelihood", "activation": ["relu", "tanh"], "init": "he",
         "dropout": [0.5, 0.2], "dtype": "float32", "seed": 3},
        {"activation": LeakyReLU(0.2), "output_activation": "sigmoid", "init": "glorot",
         "dropout": 0.3, "seed": 1},
    ],
)
def test_every_option_survives_config(options):
    net = Network([5, 4, 3, 2], **options)
    config = json.loads(json.dumps(net.config()))
    again = Network(**config)
    assert again.config() == net.config()
    assert [a.config() for a in again.activations] == [a.config() for a in net.activations]
    assert again.dropout == net.dropout and again.init == net.init and again.dtype == net.dtype
    if net.seed is not None:
        for a, b in zip(again.weights, net.weights, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("init", "std"), [("normal", 1.0), ("scaled_normal", 1 / np.sqrt(400)),
                                           ("glorot", np.sqrt(2 / 500)), ("he", np.sqrt(2 / 400))])
def test_init_schemes(init, std):
    net = Network([400, 100, 10], init=init, seed=0)
    assert abs(net.weights[0].std() / std - 1) < 0.02
    biases_zero = init in ("glorot", "he")
    assert (np.all(net.biases[0] == 0)) == biases_zero


def test_default_init_is_still_the_seeds_draws():
    rng = np.random.default_rng(7)
    b = [rng.standard_normal(3), rng.standard_normal(2)]
    w = [rng.standard_normal((3, 4)), rng.standard_normal((2, 3))]
    net = Network([4, 3, 2], seed=7)
    for got, want in zip(net.biases + net.weights, b + w, strict=True):
        np.testing.assert_array_equal(got, want)


def test_bad_constructor_options():
    with pytest.raises(ValueError, match=r"unknown init 'xavier'; expected one of"):
        Network([2, 2], init="xavier")
    with pytest.raises(ValueError, match=r"activation lists 1 activations but the network has 2"):
        Network([2, 3, 3, 2], activation=["relu"])


def _toy(n=120):
    rng = np.random.default_rng(0)
    x = rng.random((n, 4))
    return x, (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)


def test_monitoring_records_the_books_four_measurements(capsys):
    x, y = _toy()
    net = Network([4, 6, 2], cost="cross_entropy", seed=0)
    history = net.SGD((x[:100], y[:100]), 2, 10, 0.5, lmbda=3.0,
                      validation_data=(x[100:], y[100:]), monitor_training_cost=True,
                      monitor_training_accuracy=True, monitor_evaluation_cost=True)
    out = capsys.readouterr().out
    assert "Cost on training data:" in out and "Accuracy on evaluation data:" in out
    last = history.records[-1]
    from nndl.train.regularizers import L2

    assert last["training_cost"] == pytest.approx(
        net.total_cost(x[:100], y[:100], regularizer=L2(3.0), n=100))
    assert last["validation_cost"] == pytest.approx(
        net.total_cost(x[100:], y[100:], regularizer=L2(3.0), n=100))
    assert last["training_accuracy"] == net.score(x[:100], y[:100])
    assert last["validation_correct"] == net.evaluate(x[100:], y[100:])
    assert last["validation_total"] == 20 and last["eta"] == 0.5
    assert history.stop_reason == "epochs"
    json.dumps(history.summary())


def test_huge_eta_stops_with_a_clear_message_and_the_last_good_weights():
    x, y = _toy()
    net = Network([4, 30, 2], activation="leaky_relu", init="he", seed=0)
    snapshots = [[w.copy() for w in net.weights]]
    with pytest.raises(TrainingDiverged, match=r"training diverged at epoch \d+ \(.*\): "
                       r"try a smaller eta \(now 10\)") as exc:
        net.SGD((x, y), 50, 10, 10.0, verbose=False,
                on_epoch=lambda r: snapshots.append([w.copy() for w in net.weights]))
    assert all(np.isfinite(w).all() for w in net.weights + net.biases)
    assert exc.value.history.stop_reason == "diverged"
    assert net.history_ is exc.value.history
    for w, e in zip(net.weights, snapshots[-1], strict=True):  # the last good epoch's
        np.testing.assert_array_equal(w, e)


def test_divergence_is_reported_from_a_nan_cost():
    x, y = _toy()
    net = Network([4, 30, 2], activation="leaky_relu", init="he", seed=0)
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 0 \(training cost is nan\)"):
        net.SGD((x, y), 5, 10, 10.0, monitor_training_cost=True, verbose=False)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"lmbda": -1.0}, "lmbda must be a finite number >= 0, got -1.0"),
     ({"optimizer": "nesterov"}, "unknown optimizer 'nesterov'"),
     ({"regularizer": "l0", "lmbda": 1.0}, "unknown regularizer 'l0'"),
     ({"monitor_training_cost": 1}, "monitor_training_cost must be True or False, got 1"),
     ({"early_stopping": 0, "validation_data": "v"}, None)],
)
def test_bad_training_options(options, message):
    x, y = _toy()
    if message is None:
        options = {**options, "validation_data": (x, y)}
        message = "patience must be an integer >= 1, got 0"
    with pytest.raises(ValueError, match=message):
        Network([4, 3, 2]).SGD((x, y), 1, 10, 1.0, **options)
    with pytest.raises(TypeError):
        Network([4, 3, 2]).SGD((x, y), 1, 10, 1.0, no_such_option=True)
