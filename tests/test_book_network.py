"""nndl.book.network and network2: the book's numbers, vectorised.

The references are transcriptions of the book's per-example code
(tests/book_helpers.py); both sides are seeded as the book's code would be
(``np.random.seed`` and ``random.seed``) and must agree epoch by epoch.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from book_helpers import (
    BookCrossEntropyCost,
    BookNetwork2,
    BookQuadraticCost,
    book_network_sgd,
)
from nndl.book import mnist_loader, network, network2
from nndl.book.reference import BookNetwork
from nndl.errors import ModelFileError


@pytest.fixture(scope="module")
def data():
    return mnist_loader.load_data_wrapper("sample")


def seed(s):
    np.random.seed(s)
    random.seed(s)


# -- the trajectory: same seeds, same per-epoch numbers as the book's loop ------------------------
def test_network_follows_the_books_trajectory(data, capsys):
    training, _, test = data
    seed(3)
    counts, book = book_network_sgd([784, 30, 10], list(training[:300]), 3, 10, 3.0, test)
    seed(3)
    net = network.Network([784, 30, 10])
    net.SGD(list(training[:300]), 3, 10, 3.0, test_data=test)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"Epoch {j}: {c} / 100" for j, c in enumerate(counts)]
    assert len(set(counts)) > 1  # it learned: the comparison is not of constants
    for ours, theirs in zip(net.weights + net.biases, book.weights + book.biases, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("cost", "book_cost", "large", "lmbda"),
    [
        (network2.CrossEntropyCost, BookCrossEntropyCost, False, 5.0),
        (network2.CrossEntropyCost, BookCrossEntropyCost, True, 0.0),
        (network2.QuadraticCost, BookQuadraticCost, False, 0.1),
    ],
)
def test_network2_follows_the_books_trajectory(data, capsys, cost, book_cost, large, lmbda):
    training, validation, _ = data
    monitors = dict(monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                    monitor_training_cost=True, monitor_training_accuracy=True)
    seed(1)
    book = BookNetwork2([784, 20, 10], cost=book_cost)
    if large:
        book.large_weight_initializer()
    theirs = book.SGD(list(training[:250]), 3, 10, 0.5, lmbda=lmbda,
                      evaluation_data=validation, **monitors)
    capsys.readouterr()  # the book's own lines
    seed(1)
    net = network2.Network([784, 20, 10], cost=cost)
    if large:
        net.large_weight_initializer()
    ours = net.SGD(list(training[:250]), 3, 10, 0.5, lmbda=lmbda,
                   evaluation_data=validation, **monitors)
    assert ours[1] == theirs[1] and ours[3] == theirs[3]  # accuracies: exactly the book's
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)  # costs
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-9)
    for a, b in zip(net.weights + net.biases, book.weights + book.biases, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    out = capsys.readouterr().out.splitlines()
    assert out[:6] == [
        "Epoch 0 training complete",
        f"Cost on training data: {ours[2][0]}",
        f"Accuracy on training data: {ours[3][0]} / 250",
        f"Cost on evaluation data: {ours[0][0]}",
        f"Accuracy on evaluation data: {ours[1][0]} / 200",
        "",
    ]


def test_sgd_shuffles_the_callers_list_like_the_book(data):
    training = list(data[0][:50])
    before = [id(pair) for pair in training]
    seed(0)
    network.Network([784, 5, 10]).SGD(training, 1, 10, 3.0)
    reference = list(range(50))
    seed(0)
    [np.random.randn(*s) for s in ((5, 1), (10, 1), (5, 784), (10, 5))]
    random.shuffle(reference)
    assert [id(pair) for pair in training] == [before[i] for i in reference]


def test_zip_data_is_accepted(data, capsys):
    training, _, test = data
    seed(2)
    net = network.Network([784, 10, 10])
    net.SGD(zip(*zip(*training[:40], strict=True), strict=True), 1, 10, 3.0,
            test_data=iter(test[:20]))
    assert capsys.readouterr().out.startswith("Epoch 0: ")


# -- the book's API and shapes -----------------------------------------------------------------
def test_network_api_shapes_and_values(data):
    training, _, test = data
    seed(0)
    net = network.Network([784, 30, 10])
    assert net.num_layers == 3 and net.sizes == [784, 30, 10]
    assert [b.shape for b in net.biases] == [(30, 1), (10, 1)]
    assert [w.shape for w in net.weights] == [(30, 784), (10, 30)]
    seed(0)
    assert np.array_equal(net.biases[0], np.random.randn(30, 1))  # biases are drawn first
    reference = BookNetwork(net.weights, net.biases)
    x, y = training[0]
    np.testing.assert_allclose(net.feedforward(x), reference.feedforward(x), atol=1e-12)
    assert net.feedforward(np.hstack([x, x])).shape == (10, 2)
    nabla_b, nabla_w = net.backprop(x, y)
    ref_b, ref_w = reference.backprop(x, y)
    assert [b.shape for b in nabla_b] == [(30, 1), (10, 1)]
    for a, b in zip(nabla_b + nabla_w, ref_b + ref_w, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    a = net.feedforward(x)
    np.testing.assert_allclose(net.cost_derivative(a, y), a - y)
    assert net.evaluate(test) == sum(int(np.argmax(reference.feedforward(x)) == y)
                                     for x, y in test)
    net.update_mini_batch(training[:10], 3.0)
    reference.update_mini_batch(training[:10], 3.0)
    np.testing.assert_allclose(net.weights[0], reference.weights[0], atol=1e-12)
    z = np.array([-800.0, 0.0, 800.0])
    assert network.sigmoid(z).tolist() == [0.0, 0.5, 1.0]  # no overflow warning
    assert network.sigmoid_prime(0.0) == 0.25


def test_weights_are_live_views_and_assignment_is_checked():
    seed(0)
    net = network.Network([3, 2])
    net.weights[0][1, 2] = 7.0
    net.biases[0][0] = -1.0
    assert net.model.weights[0][1, 2] == 7.0 and net.model.biases[0][0] == -1.0
    net.weights = [np.ones((2, 3))]
    net.biases[0] = np.zeros((2, 1))
    assert net.model.weights[0].sum() == 6.0 and not net.model.biases[0].any()
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape \(2, 3\)"):
        net.weights = [np.ones((3, 2))]
    with pytest.raises(ValueError, match="list of 1 arrays"):
        net.biases = []


def test_network2_api(data, tmp_path):
    training, validation, _ = data
    seed(4)
    net = network2.Network([784, 10, 10])
    assert net.cost is network2.CrossEntropyCost
    seed(4)
    np.random.randn(10, 1), np.random.randn(10, 1)
    assert np.array_equal(net.weights[0], np.random.randn(10, 784) / np.sqrt(784))
    with pytest.raises(AttributeError, match="cost=..."):
        net.cost = network2.QuadraticCost
    book = BookNetwork2([784, 10, 10])
    book.weights, book.biases = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    assert net.accuracy(validation) == book.accuracy(validation)
    assert net.accuracy(training[:100], convert=True) == book.accuracy(training[:100], True)
    np.testing.assert_allclose(net.total_cost(training[:100], 2.0),
                               book.total_cost(training[:100], 2.0), rtol=1e-12)
    np.testing.assert_allclose(net.total_cost(validation, 2.0, convert=True),
                               book.total_cost(validation, 2.0, convert=True), rtol=1e-12)
    net.update_mini_batch(training[:10], 0.5, 5.0, 1000)
    book.update_mini_batch(training[:10], 0.5, 5.0, 1000)
    np.testing.assert_allclose(net.weights[1], book.weights[1], atol=1e-12)
    a, y = np.array([[0.25], [1.0]]), np.array([[0.0], [1.0]])
    np.testing.assert_allclose(network2.CrossEntropyCost.fn(a, y), -np.log(0.75))
    assert network2.QuadraticCost.fn(a, y) == 0.5 * 0.25**2
    assert network2.vectorized_result(2)[2, 0] == 1.0


def test_save_and_load_in_the_books_json(tmp_path):
    seed(5)
    book = BookNetwork2([4, 3, 2], cost=BookQuadraticCost)
    path = tmp_path / "book.json"
    path.write_text(book.save_json())  # a file written by the book's own save
    net = network2.load(path)
    assert net.cost is network2.QuadraticCost and net.sizes == [4, 3, 2]
    for a, b in zip(net.weights + net.biases, book.weights + book.biases, strict=True):
        assert np.array_equal(a, b)
    net.save(tmp_path / "ours.json")
    saved = json.loads((tmp_path / "ours.json").read_text())
    assert saved == json.loads(book.save_json())  # what the book's load reads


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "cannot read"),
        ("[1, 2]", "not a network2 file"),
        ('{"sizes": [2, 1], "weights": [], "biases": [], "cost": "os.system"}', "unknown cost"),
        ('{"sizes": [2, 1], "weights": [[[1, 2, 3]]], "biases": [[[0]]],'
         ' "cost": "QuadraticCost"}', r"weights\[0\] must have shape \(1, 2\)"),
    ],
)
def test_load_refuses_bad_files(tmp_path, content, message):
    path = tmp_path / "net.json"
    path.write_text(content)
    with pytest.raises(ModelFileError, match=message):
        network2.load(path)


def test_a_cost_class_written_the_books_way(data):
    """Readers' own cost classes (static fn and delta on columns) train through the engine."""

    class HalfCrossEntropy:
        @staticmethod
        def fn(a, y):
            return 0.5 * network2.CrossEntropyCost.fn(a, y)

        @staticmethod
        def delta(z, a, y):
            return 0.5 * (a - y)

    training = list(data[0][:100])
    seed(6)
    book = BookNetwork2([784, 10, 10], cost=HalfCrossEntropy)
    theirs = book.SGD(list(training), 2, 10, 1.0, monitor_training_cost=True)
    seed(6)
    net = network2.Network([784, 10, 10], cost=HalfCrossEntropy)
    ours = net.SGD(list(training), 2, 10, 1.0, monitor_training_cost=True)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-9)
    with pytest.raises(ValueError, match="static fn"):
        network2.Network([2, 1], cost="cross_entropy")


def test_early_stopping_and_monitor_errors(data, capsys):
    training, validation, _ = data
    seed(0)
    net = network2.Network([784, 10, 10])
    results = net.SGD(list(training[:100]), 50, 10, 0.001, evaluation_data=validation[:20],
                      monitor_evaluation_accuracy=True, early_stopping_n=2)
    accuracies = results[1]
    assert 3 <= len(accuracies) < 50
    best = max(accuracies[:-2])
    assert all(a <= best for a in accuracies[-2:])  # stopped after 2 epochs without a gain
    with pytest.raises(ValueError, match="needs evaluation_data"):
        net.SGD(training[:10], 1, 10, 0.5, monitor_evaluation_cost=True)
    with pytest.raises(ValueError, match="early_stopping_n needs an accuracy"):
        net.SGD(training[:10], 1, 10, 0.5, early_stopping_n=3)
    with pytest.raises(ValueError, match="training_data is empty"):
        net.SGD([], 1, 10, 0.5)
    with pytest.raises(ValueError, match="mini_batch_size"):
        net.SGD(training[:10], 1, 0, 0.5)
