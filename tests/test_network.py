"""The vectorised network against the book's per-example algorithm, and its behaviour."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.book.reference import BookNetwork, columns
from nndl.inspect.gradcheck import gradcheck, relative_error

ARCHITECTURES = [[4, 3], [5, 4, 3], [6, 5, 4, 3], [7, 3, 6, 4, 2]]


def batch(sizes, m, seed, as_labels):
    rng = np.random.default_rng(seed)
    x = rng.random((m, sizes[0]))
    if as_labels:
        y = rng.integers(0, sizes[-1], m)
        targets = np.eye(sizes[-1])[y]
    else:
        y = rng.random((m, sizes[-1]))
        targets = y
    return x, y, targets


@pytest.mark.parametrize("sizes", ARCHITECTURES)
@pytest.mark.parametrize("m", [1, 7, 10])
@pytest.mark.parametrize("as_labels", [True, False])
def test_backprop_equals_book_mean_of_per_example_gradients(sizes, m, as_labels):
    net = Network(sizes, seed=m)
    x, y, targets = batch(sizes, m, seed=len(sizes), as_labels=as_labels)
    book = BookNetwork(net.weights, net.biases)
    nabla_b, nabla_w = net.backprop(x, y)
    for j, (xc, yc) in enumerate(columns(x, targets)):
        sb, sw = book.backprop(xc, yc)
        if j == 0:
            sum_b, sum_w = sb, sw
        else:
            sum_b = [a + b for a, b in zip(sum_b, sb, strict=True)]
            sum_w = [a + b for a, b in zip(sum_w, sw, strict=True)]
    for i in range(len(sizes) - 1):
        assert nabla_w[i].shape == net.weights[i].shape
        assert nabla_b[i].shape == net.biases[i].shape
        assert relative_error(nabla_w[i], sum_w[i] / m) < 1e-10
        assert relative_error(nabla_b[i], sum_b[i].ravel() / m) < 1e-10


def test_backprop_of_one_example_is_the_books_gradient_exactly():
    net = Network([5, 4, 3], seed=3)
    x, y, targets = batch([5, 4, 3], 1, seed=0, as_labels=True)
    book = BookNetwork(net.weights, net.biases)
    (xc, yc), = columns(x, targets)
    sb, sw = book.backprop(xc, yc)
    nb, nw = net.backprop(x[0], targets[0])  # 1-D input and target vector
    for i in range(2):
        np.testing.assert_allclose(nw[i], sw[i], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(nb[i], sb[i].ravel(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("sizes", ARCHITECTURES)
@pytest.mark.parametrize("m", [1, 7, 10])
@pytest.mark.parametrize("as_labels", [True, False])
def test_update_mini_batch_equals_book(sizes, m, as_labels):
    net = Network(sizes, seed=11)
    x, y, targets = batch(sizes, m, seed=m, as_labels=as_labels)
    book = BookNetwork(net.weights, net.biases)
    for _ in range(3):
        net.update_mini_batch(x, y, eta=3.0)
        book.update_mini_batch(columns(x, targets), 3.0)
    for i in range(len(sizes) - 1):
        assert relative_error(net.weights[i], book.weights[i]) < 1e-10
        assert relative_error(net.biases[i], book.biases[i].ravel()) < 1e-10


def test_feedforward_matches_book_for_single_and_batch():
    net = Network([6, 5, 4], seed=2)
    x = np.random.default_rng(2).random((9, 6))
    book = BookNetwork(net.weights, net.biases)
    expected = np.hstack([book.feedforward(xi.reshape(-1, 1)) for xi in x]).T
    np.testing.assert_allclose(net.feedforward(x), expected, rtol=1e-12)
    out1 = net.feedforward(x[0])
    assert out1.shape == (4,)
    np.testing.assert_allclose(out1, expected[0], rtol=1e-12)


def test_initialisation_shapes_and_standard_normal_draws():
    net = Network([784, 30, 10], seed=0)
    assert net.num_layers == 3
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    assert [b.shape for b in net.biases] == [(30,), (10,)]
    w = net.weights[0]
    assert abs(w.mean()) < 0.03 and abs(w.std() - 1.0) < 0.03


def test_assigning_into_weights_changes_the_network():
    net = Network([3, 2], seed=0)
    before = net.feedforward(np.ones(3)).copy()
    net.weights[0][:] = 0.0
    net.biases[0][:] = 0.0
    np.testing.assert_allclose(net.feedforward(np.ones(3)), [0.5, 0.5])
    assert not np.allclose(before, [0.5, 0.5])


def test_sgd_learns_and_reports_history(capsys):
    rng = np.random.default_rng(0)
    x = rng.random((300, 4))
    y = (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)
    net = Network([4, 8, 2], seed=1)
    before = net.evaluate(x, y)
    history = net.SGD((x, y), 15, 10, 3.0, test_data=(x, y))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Epoch 0: ") and out[0].endswith(" / 300")
    assert len(out) == 15 and len(history) == 15
    assert history["test_correct"][-1] == net.evaluate(x, y)
    assert net.evaluate(x, y) > max(before, 270)
    assert net.history_ is history
    assert net.score(x, y) == net.evaluate(x, y) / 300


def test_sgd_without_test_data_returns_history_quietly(capsys):
    net = Network([2, 2], seed=0)
    history = net.SGD((np.zeros((5, 2)), np.zeros(5, dtype=int)), 2, 2, 1.0, verbose=False)
    assert capsys.readouterr().out == ""
    assert [r["epoch"] for r in history] == [0, 1]
    assert all(r["seconds"] >= 0 for r in history)


def test_zero_epochs_leaves_network_unchanged():
    net = Network([3, 2], seed=0)
    w = net.weights[0].copy()
    net.SGD((np.ones((4, 3)), np.zeros(4, dtype=int)), 0, 2, 1.0, verbose=False)
    np.testing.assert_array_equal(net.weights[0], w)


def test_same_seed_gives_bit_identical_training():
    rng = np.random.default_rng(5)
    x, y = rng.random((97, 6)), rng.integers(0, 3, 97)
    nets = [Network([6, 5, 3], seed=42) for _ in range(2)]
    for net in nets:
        net.SGD((x, y), 3, 10, 2.0, verbose=False)
    params = [net.weights + net.biases for net in nets]
    for a, b in zip(*params, strict=True):
        np.testing.assert_array_equal(a, b)
    other = Network([6, 5, 3], seed=43)
    assert not np.array_equal(other.weights[0], nets[0].weights[0])


def test_predict_and_evaluate_agree():
    net = Network([5, 4, 3], seed=0)
    x = np.random.default_rng(1).random((20, 5))
    labels = net.predict(x)
    assert labels.shape == (20,)
    assert net.evaluate(x, labels) == 20
    assert net.evaluate(x, np.eye(3)[labels]) == 20  # one-hot targets work too
    assert int(net.predict(x[0])) == labels[0]


def test_float32_network_stays_float32():
    net = Network([4, 3, 2], seed=0, dtype="float32")
    x = np.random.default_rng(0).random((8, 4))
    net.SGD((x, np.zeros(8, dtype=int)), 2, 4, 1.0, verbose=False)
    assert all(w.dtype == np.float32 for w in net.weights + net.biases)
    assert net.feedforward(x).dtype == np.float32


@pytest.mark.parametrize("sizes", [[3, 2], [4, 5, 3], [3, 4, 4, 2]])
def test_gradcheck_passes_on_random_networks(sizes):
    rng = np.random.default_rng(len(sizes))
    net = Network(sizes, seed=7)
    x = rng.random((5, sizes[0]))
    report = gradcheck(net, x, rng.integers(0, sizes[-1], 5))
    assert report.passed
    assert report.max_rel_error < 1e-7
    assert len(report.checks) == 2 * (len(sizes) - 1)


def test_gradcheck_catches_a_broken_gradient():
    net = Network([3, 4, 2], seed=0)
    x = np.random.default_rng(0).random((4, 3))
    y = np.array([0, 1, 1, 0])

    def broken(x, y):
        grads = net.gradients(x, y)
        grads["0.w"] = grads["0.w"] * 1.01  # a 1% mistake in one layer
        return grads

    report = gradcheck(net, x, y, gradients=broken)
    assert not report.passed
    failed = [(c.layer, c.name) for c in report.checks if not c.passed]
    assert failed == [(2, "weights")]
    assert "FAIL" in str(report)


def test_gradcheck_refuses_float32():
    net = Network([2, 2], dtype="float32")
    with pytest.raises(ValueError, match="float64"):
        gradcheck(net, np.zeros((1, 2)), np.array([0]))


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def test_xor_cannot_be_learnt_without_a_hidden_layer():
    # The seed's snippet: one sigmoid neuron reading the two inputs.  XOR is
    # not linearly separable, so whatever the weights, some output is wrong.
    net = Network([2, 1], seed=0)
    net.SGD((XOR_X, XOR_Y), 5000, 4, 2.0, verbose=False)
    out = net.feedforward(XOR_X).ravel()
    assert np.max(np.abs(out - XOR_Y.ravel())) > 0.4


def test_xor_is_learnt_with_one_hidden_layer():
    net = Network([2, 3, 1], seed=1)
    net.SGD((XOR_X, XOR_Y), 5000, 4, 2.0, verbose=False)
    out = net.feedforward(XOR_X).ravel()
    assert np.max(np.abs(out - XOR_Y.ravel())) < 0.1


@pytest.mark.parametrize(("kwargs", "digest"), [
    ({"seed": 2}, "31bc3c9b9bf2eb8c1e4c68bc4082069aed8f476192ff89c24ccff3de606a507a"),
    ({"seed": 0, "init": "scaled_normal"},
     "b69d396b3affddd65ce87c24a2d2b0121400ab10bda5c5c4bf1dbfd006066ac4"),
    ({"seed": 1, "init": "he", "dtype": "float32"},
     "e58a5969e0bcdcde59498947e143685a62f8c04f4c173ef1f8304f5525b2ff67"),
])
def test_a_seed_draws_the_same_initial_weights_as_nndl_0_1(kwargs, digest):
    """Digests recorded with nndl 0.1 (commit 6daa980, before the one engine): the README's
    figures rest on these draws (every bias, then every weight, from the network's rng)."""
    import hashlib

    net = Network([784, 30, 10], **kwargs)
    h = hashlib.sha256()
    for a in list(net.biases) + list(net.weights):
        h.update(a.tobytes())
    assert h.hexdigest() == digest
