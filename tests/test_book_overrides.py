"""nndl.book honours the book's extension points, and its weights behave like the book's.

Each test builds the same reader's subclass (or patch) twice: on nndl.book
and on the transcription of the book's code in tests/book_helpers.py.  Both
are seeded alike; the calls each override sees, the printed lines and the
trained weights must be the book's.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import book_helpers
from book_helpers import BookCrossEntropyCost, BookNetwork1, BookNetwork2, seed
from nndl.book import mnist_loader, network, network2, reference

NETWORK = ["update_mini_batch", "backprop", "cost_derivative", "evaluate", "feedforward"]
NETWORK2 = ["update_mini_batch", "backprop", "feedforward", "total_cost", "accuracy"]
MONITORS = dict(monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                monitor_training_cost=True, monitor_training_accuracy=True)


@pytest.fixture(scope="module")
def data():
    return mnist_loader.load_data_wrapper("sample")


def counting(base, names, calls):
    """A reader's subclass of ``base`` whose ``names`` count their calls, then do the book's."""

    def override(name):
        def method(self, *args, **kwargs):
            calls[name] += 1
            return getattr(super(cls, self), name)(*args, **kwargs)

        return method

    cls = type(f"Counting{base.__name__}", (base,), {name: override(name) for name in names})
    return cls


def counted(fn, calls, name):
    def wrapper(*args):
        calls[name] += 1
        return fn(*args)

    return wrapper


def assert_same_parameters(net, book, atol=1e-12):
    assert len(net.weights) == len(book.weights)
    for a, b in zip(net.weights + net.biases, book.weights + book.biases, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


def run_network(cls, training, test, capsys, epochs=1):
    seed(7)
    net = cls([784, 20, 10])
    net.SGD(list(training[:100]), epochs, 10, 3.0, test_data=test[:50])
    return net, capsys.readouterr().out


# -- network.py: each override is called as often as the book calls it ----------------------
@pytest.mark.parametrize("names", [[name] for name in NETWORK] + [NETWORK],
                         ids=NETWORK + ["all"])
def test_network_overrides_are_called_as_in_the_book(data, capsys, names):
    training, _, test = data
    ours, theirs = Counter(), Counter()
    book, book_lines = run_network(counting(BookNetwork1, names, theirs), training, test,
                                   capsys, epochs=2)
    net, lines = run_network(counting(network.Network, names, ours), training, test,
                             capsys, epochs=2)
    assert ours == theirs and set(ours) == set(names)
    assert lines == book_lines and lines.count("\n") == 2
    assert_same_parameters(net, book)


def test_the_issues_counts_one_epoch_of_100_examples():
    """The issue's figures: 10 / 100 / 100 / 1 / 50 calls, where nndl made none before."""
    training, _, test = mnist_loader.load_data_wrapper("sample")
    calls = Counter()
    seed(7)
    net = counting(network.Network, NETWORK, calls)([784, 20, 10])
    net.SGD(list(training[:100]), 1, 10, 3.0, test_data=test[:50])
    assert calls == {"update_mini_batch": 10, "backprop": 100, "cost_derivative": 100,
                     "evaluate": 1, "feedforward": 50}


def test_an_override_on_the_instance_counts_too(data, capsys):
    training, _, test = data
    theirs, ours = Counter(), Counter()
    seed(7)
    book = BookNetwork1([784, 20, 10])
    book.feedforward = counted(book.feedforward, theirs, "feedforward")
    book.SGD(list(training[:100]), 1, 10, 3.0, test_data=test[:50])
    seed(7)
    net = network.Network([784, 20, 10])
    net.feedforward = counted(net.feedforward, ours, "feedforward")
    net.SGD(list(training[:100]), 1, 10, 3.0, test_data=test[:50])
    assert ours == theirs == {"feedforward": 50}
    out = capsys.readouterr().out.splitlines()
    assert out[0] == out[1]


@pytest.mark.parametrize("names", [["sigmoid"], ["sigmoid_prime"], ["sigmoid", "sigmoid_prime"]])
def test_patched_module_functions_are_called_as_in_the_book(data, capsys, monkeypatch, names):
    training, _, test = data
    theirs, ours = Counter(), Counter()
    for name in names:
        monkeypatch.setattr(reference, name, counted(getattr(reference, name), theirs, name))
        monkeypatch.setattr(network, name, counted(getattr(network, name), ours, name))
    book, book_lines = run_network(BookNetwork1, training, test, capsys)
    net, lines = run_network(network.Network, training, test, capsys)
    assert ours == theirs and set(ours) == set(names)
    # per example: σ in each of 2 layers forward, σ' in each; σ' calls σ twice (the book's)
    assert ours["sigmoid_prime"] in (0, 2 * 100)
    assert lines == book_lines
    assert_same_parameters(net, book)


def test_an_unmodified_network_takes_the_engine_path(data, monkeypatch):
    training, _, test = data
    calls = Counter()
    for name in ("update_mini_batch", "backprop", "feedforward"):
        monkeypatch.setattr(BookNetwork1, name, counted(getattr(BookNetwork1, name), calls, name))
    seed(7)
    net = network.Network([784, 20, 10])
    assert net._modified() == set()
    publish = net._publish
    monkeypatch.setattr(net, "_publish", counted(publish, calls, "publish"))
    net.SGD(list(training[:100]), 2, 10, 3.0, test_data=test[:50])
    assert calls == {"publish": 1}  # one vectorised run, the lists rebound once at its end
    sub = counting(network.Network, ["evaluate"], calls)([784, 20, 10])
    assert sub._modified() == {"evaluate"}


# -- network2.py ---------------------------------------------------------------------------
def run_network2(cls, cost, training, validation, capsys, **kwargs):
    seed(8)
    net = cls([784, 20, 10], cost=cost)
    results = net.SGD(list(training[:100]), 2, 10, 0.5, lmbda=0.5,
                      evaluation_data=validation[:50], **MONITORS, **kwargs)
    capsys.readouterr()
    return net, results


def assert_same_results(ours, theirs):
    assert ours[1] == theirs[1] and ours[3] == theirs[3]  # accuracies
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)  # costs
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-9)


@pytest.mark.parametrize("names", [[name] for name in NETWORK2] + [NETWORK2],
                         ids=NETWORK2 + ["all"])
def test_network2_overrides_are_called_as_in_the_book(data, capsys, names):
    training, validation, _ = data
    ours, theirs = Counter(), Counter()
    book, book_results = run_network2(counting(BookNetwork2, names, theirs),
                                      BookCrossEntropyCost, training, validation, capsys)
    net, results = run_network2(counting(network2.Network, names, ours),
                                network2.CrossEntropyCost, training, validation, capsys)
    assert ours == theirs and set(ours) == set(names)
    assert_same_results(results, book_results)
    assert_same_parameters(net, book)
    if "accuracy" in names:  # the book measures the evaluation accuracy twice an epoch
        assert ours["accuracy"] == 2 * 3


class CountingCrossEntropy:
    """A reader's cost class: the book's cross-entropy, counting its calls."""

    calls: Counter = Counter()

    @staticmethod
    def fn(a, y):
        CountingCrossEntropy.calls["fn"] += 1
        return BookCrossEntropyCost.fn(a, y)

    @staticmethod
    def delta(z, a, y):
        CountingCrossEntropy.calls["delta"] += 1
        return a - y


def test_a_cost_class_is_called_as_in_the_book(data, capsys):
    training, validation, _ = data
    calls = CountingCrossEntropy.calls
    calls.clear()
    book, book_results = run_network2(BookNetwork2, CountingCrossEntropy, training,
                                      validation, capsys, early_stopping_n=5)
    theirs = Counter(calls)
    calls.clear()
    net, results = run_network2(network2.Network, CountingCrossEntropy, training, validation,
                                capsys, early_stopping_n=5)
    assert calls == theirs == {"delta": 2 * 100, "fn": 2 * (100 + 50)}
    assert_same_results(results, book_results)
    assert_same_parameters(net, book)


def test_patched_network2_functions_reach_its_quadratic_cost(data, capsys, monkeypatch):
    training, validation, _ = data
    theirs, ours = Counter(), Counter()
    monkeypatch.setattr(book_helpers, "book_sigmoid_prime",
                        counted(book_helpers.book_sigmoid_prime, theirs, "sigmoid_prime"))
    monkeypatch.setattr(network2, "sigmoid_prime",
                        counted(network2.sigmoid_prime, ours, "sigmoid_prime"))
    book, book_results = run_network2(BookNetwork2, book_helpers.BookQuadraticCost, training,
                                      validation, capsys)
    net, results = run_network2(network2.Network, network2.QuadraticCost, training,
                                validation, capsys)
    assert ours == theirs == {"sigmoid_prime": 2 * 100 * 2}  # δᴸ and the hidden layer
    assert_same_results(results, book_results)
    assert_same_parameters(net, book)


# -- the weights: the book's lists, rebound at each step --------------------------------------
@pytest.mark.parametrize("names", [[], ["backprop"]], ids=["engine path", "book's path"])
def test_a_held_reference_keeps_the_old_values(data, capsys, names):
    training, _, test = data
    net = counting(network.Network, names, Counter())([784, 20, 10])
    w0, b0 = net.weights[0], net.biases[0]
    before = w0.copy(), b0.copy()
    net.SGD(list(training[:100]), 1, 10, 3.0)
    assert np.array_equal(w0, before[0]) and np.array_equal(b0, before[1])  # as in the book
    assert net.weights[0] is not w0 and not np.allclose(net.weights[0], w0)
    assert net.weights is net.weights and net.biases is net.biases
    assert net.weights[0].shape == (20, 784) and net.biases[1].shape == (10, 1)


def test_each_step_rebinds_the_lists_as_the_books_does(data):
    training, _, _ = data
    held = []

    class Watching(network.Network):
        def update_mini_batch(self, mini_batch, eta):
            held.append((self.weights, self.weights[1], self.weights[1].copy()))
            super().update_mini_batch(mini_batch, eta)

    seed(3)
    net = Watching([784, 20, 10])
    net.SGD(list(training[:30]), 1, 10, 3.0)
    assert len(held) == 3
    for weights, w, copy in held:
        assert np.array_equal(w, copy) and weights is not net.weights
    assert len({id(w) for _, w, _ in held}) == 3


def test_list_operations_reach_the_model_or_raise(data):
    training, _, test = data
    seed(4)
    net = network.Network([784, 20, 10])
    given = [np.zeros((20, 784)), np.zeros((10, 20))]
    net.weights = given
    assert net.weights is given  # a plain attribute: the list you assigned
    net.weights[1] = np.ones((10, 20))  # an item: reaches the model
    net.biases[0][:] = 0.5  # in place: reaches it too
    assert net.model.weights[1].sum() == 200 and (net.model.biases[0] == 0.5).all()
    book = BookNetwork1([784, 20, 10])
    book.weights = [w.copy() for w in net.weights]
    book.biases = [b.copy() for b in net.biases]
    assert net.evaluate(test) == book.evaluate(test)
    net.weights.append(np.zeros((10, 10)))
    with pytest.raises(ValueError, match="weights must be a list of 2 arrays, got 3"):
        net.SGD(list(training[:20]), 1, 10, 3.0)
    with pytest.raises(ValueError, match="weights must be a list of 2 arrays, got 3"):
        net.evaluate(test)
    net.weights.pop()
    net.biases[1] = np.zeros((3, 1))
    with pytest.raises(ValueError, match=r"biases\[1\] must have shape \(10, 1\), got \(3, 1\)"):
        net.SGD(list(training[:20]), 1, 10, 3.0)
    with pytest.raises(ValueError, match=r"weights\[0\] must have shape"):
        net.weights = [np.zeros((784, 20)), np.zeros((10, 20))]
