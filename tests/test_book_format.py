"""nndl's own Network takes the book's data format where that is unambiguous."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.book.pairs import arrays_to_pairs
from nndl.data import load_sample


@pytest.fixture(scope="module")
def arrays():
    data = load_sample()
    (x, y), (tx, ty) = data.training, data.test
    return x[:200], y[:200], tx, ty


def test_sgd_takes_the_books_lists_of_pairs(arrays):
    x, y, tx, ty = arrays
    ours = Network([784, 20, 10], seed=1).SGD((x, y), 2, 10, 3.0, test_data=(tx, ty),
                                              verbose=False)
    training = arrays_to_pairs(x, np.eye(10)[y])  # one-hot (10, 1) columns, as the book
    test = arrays_to_pairs(tx, ty)  # integer labels
    assert training[0][0].shape == (784, 1) and training[0][1].shape == (10, 1)
    net = Network([784, 20, 10], seed=1)
    books = net.SGD(training, 2, 10, 3.0, test_data=test, verbose=False)
    assert books["test_correct"] == ours["test_correct"]
    zipped = Network([784, 20, 10], seed=1).SGD(
        zip(*zip(*training, strict=True), strict=True), 2, 10, 3.0,
        test_data=zip(*zip(*test, strict=True), strict=True),
        validation_data=arrays_to_pairs(tx, ty), verbose=False)
    assert zipped["test_correct"] == ours["test_correct"]
    assert zipped["validation_correct"] == ours["test_correct"]


def test_column_vectors_are_one_example(arrays):
    x, y, _, _ = arrays
    net = Network([784, 20, 10], seed=0)
    column = x[0].reshape(784, 1)
    assert np.array_equal(net.feedforward(column), net.feedforward(x[0]))
    assert net.predict(column) == net.predict(x[:1])[0]
    target = np.eye(10)[y[0]]
    got_b, got_w = net.backprop(column, target.reshape(10, 1))
    want_b, want_w = net.backprop(x[0], target)
    for got, want in zip(got_b + got_w, want_b + want_w, strict=True):
        assert np.array_equal(got, want)


def test_refusals_name_the_books_format_and_nndl_book(arrays):
    x, y, _, _ = arrays
    net = Network([784, 20, 10], seed=0)
    with pytest.raises(ValueError, match=r"book's column vectors \(784, 1\).*nndl\.book"):
        net.feedforward(x[:2].T)  # two columns side by side: ambiguous, refused
    with pytest.raises(ValueError, match=r"book's format.*nndl\.book"):
        net.SGD([x, y, y], 1, 10, 3.0)
    with pytest.raises(ValueError, match="book's format.*differ in shape"):
        net.SGD([(x[0].reshape(784, 1), 1), (x[1].reshape(392, 2), 1)], 1, 10, 3.0)
