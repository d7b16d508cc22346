"""Bad arguments get a ValueError that names the argument, the expectation and the value."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network, _validate


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ([784], r"at least 2 layers .* got 1: \[784\]"),
        ([], "at least 2 layers"),
        ([784, 0, 10], r"sizes\[1\] must be a positive integer, got 0"),
        ([784, -3, 10], r"sizes\[1\] must be a positive integer, got -3"),
        ([784, 2.5, 10], r"sizes\[1\] must be a positive integer, got 2.5"),
        ([True, 3], r"sizes\[0\] must be a positive integer, got True"),
        (7, "sizes must be a list of at least 2 positive integers, got 7"),
    ],
)
def test_bad_sizes(sizes, message):
    with pytest.raises(ValueError, match=message):
        Network(sizes)


def test_bad_dtype_cost_and_activation():
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32', got 'int8'"):
        Network([2, 2], dtype="int8")
    with pytest.raises(ValueError, match="unknown cost 'hinge'; expected one of"):
        Network([2, 2], cost="hinge")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Network([2, 2], activation="swish")


@pytest.fixture
def net():
    return Network([4, 3, 2], seed=0)


def test_input_of_wrong_width(net):
    msg = r"x must have shape \(4,\) or \(m, 4\) .* got shape \(5, 3\)"
    with pytest.raises(ValueError, match=msg):
        net.predict(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"a must have shape \(4,\).*got shape \(2, 2, 4\)"):
        net.feedforward(np.zeros((2, 2, 4)))


def test_non_numeric_and_non_finite_inputs(net):
    with pytest.raises(ValueError, match="x must hold real numbers, got dtype <U1"):
        net.predict(np.array([["a"] * 4]))
    x = np.zeros((3, 4))
    x[1, 2] = np.nan
    x[2, 0] = np.inf
    with pytest.raises(ValueError, match="x contains 2 NaN or infinite value"):
        net.backprop(x, np.zeros(3, dtype=int))


def test_targets_of_wrong_shape_or_range(net):
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match="y has 2 labels but x has 3 rows"):
        net.backprop(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\) .* got \[2, -1\]"):
        net.backprop(x, np.array([0, 2, -1]))
    with pytest.raises(ValueError, match=r"target vectors of shape \(3, 2\), got shape \(3, 5\)"):
        net.backprop(x, np.zeros((3, 5)))
    with pytest.raises(ValueError, match="integer class labels, got dtype float64"):
        net.backprop(x, np.array([0.5, 1.0, 0.0]))
    with pytest.raises(ValueError, match="y contains NaN or infinite values"):
        net.backprop(x, np.full((3, 2), np.nan))


@pytest.mark.parametrize("eta", [0, -1.0, float("nan"), float("inf"), "3", None, True])
def test_bad_eta(net, eta):
    with pytest.raises(ValueError, match=r"eta must be a positive finite number, got"):
        net.update_mini_batch(np.zeros((2, 4)), np.array([0, 1]), eta)
    with pytest.raises(ValueError, match=r"eta must be a positive finite number"):
        net.SGD((np.zeros((2, 4)), np.array([0, 1])), 1, 1, eta)


def test_bad_mini_batch_size_and_epochs(net):
    data = (np.zeros((2, 4)), np.array([0, 1]))
    with pytest.raises(ValueError, match="mini_batch_size must be an integer >= 1, got 0"):
        net.SGD(data, 1, 0, 1.0)
    with pytest.raises(ValueError, match="mini_batch_size must be an integer >= 1, got 2.0"):
        net.SGD(data, 1, 2.0, 1.0)
    with pytest.raises(ValueError, match="epochs must be an integer >= 0, got -1"):
        net.SGD(data, -1, 1, 1.0)


def test_bad_training_and_test_data(net):
    with pytest.raises(ValueError, match=r"training_data must be an \(x, y\) pair"):
        net.SGD(np.zeros((3, 4)), 1, 1, 1.0)
    with pytest.raises(ValueError, match=r"training_data x must have shape \(4,\) or \(m, 4\)"):
        net.SGD((np.zeros((3, 5)), np.zeros(3, dtype=int)), 1, 1, 1.0)
    with pytest.raises(ValueError, match=r"training_data y labels must be in \[0, 2\)"):
        net.SGD((np.zeros((3, 4)), np.array([0, 1, 7])), 1, 1, 1.0)
    with pytest.raises(ValueError, match="training_data is empty"):
        net.SGD((np.zeros((0, 4)), np.zeros(0, dtype=int)), 1, 1, 1.0)
    with pytest.raises(ValueError, match=r"test_data x must have shape"):
        net.SGD((np.zeros((3, 4)), np.zeros(3, dtype=int)), 1, 1, 1.0, (np.zeros((2, 2)), [0, 1]))


def test_empty_batches_are_refused(net):
    with pytest.raises(ValueError, match="x is empty"):
        net.update_mini_batch(np.zeros((0, 4)), np.zeros(0, dtype=int), 1.0)
    with pytest.raises(ValueError, match="x is empty"):
        net.backprop(np.zeros((0, 4)), np.zeros(0, dtype=int))


def test_sgd_validates_once_per_call_not_per_mini_batch(net, monkeypatch):
    calls = []
    real = _validate.inputs

    def spy(*args, **kwargs):
        calls.append(args[-1] if len(args) > 3 else kwargs.get("name"))
        return real(*args, **kwargs)

    monkeypatch.setattr(_validate, "inputs", spy)
    x = np.random.default_rng(0).random((50, 4))
    net.SGD((x, np.zeros(50, dtype=int)), 2, 5, 1.0, verbose=False)
    assert calls == ["training_data x"]  # 2 epochs x 10 mini-batches, validated once
