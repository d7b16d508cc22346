"""L2 and L1 in the book's convention, n = the size of the training set."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.train.regularizers import L1, L2, get_regularizer


def test_penalties_and_gradients():
    w = [np.array([[1.0, -2.0]]), np.array([[3.0]])]
    assert L2(4.0).penalty(w, n=8) == pytest.approx(0.5 * 4 / 8 * 14)
    assert L1(4.0).penalty(w, n=8) == pytest.approx(4 / 8 * 6)
    np.testing.assert_allclose(L2(4.0).gradient(w[0], 8), [[0.5, -1.0]])
    np.testing.assert_allclose(L1(4.0).gradient(w[0], 8), [[0.5, -0.5]])


@pytest.mark.parametrize("reg", [L2(3.0), L1(3.0)])
def test_decay_is_the_penalty_gradient_step(reg):
    w = np.array([[1.0, -2.0, 0.5]])
    expected = w - 0.1 * reg.gradient(w, 20)
    reg.decay(w, eta=0.1, n=20)
    np.testing.assert_allclose(w, expected)


@pytest.mark.parametrize("reg", ["l2", "l1"])
def test_network_step_is_the_books_update(reg):
    """w → (1 − ηλ/n)w − (η/m)Σ∇w (L2), w → w − (ηλ/n)sgn(w) − (η/m)Σ∇w (L1); biases plain."""
    rng = np.random.default_rng(0)
    x, y = rng.random((7, 3)), rng.integers(0, 2, 7)
    net = Network([3, 4, 2], seed=1)
    eta, lmbda, n = 0.5, 5.0, 50
    nb, nw = net.backprop(x, y)  # mean gradient over the batch
    shrink = {"l2": lambda w: (1 - eta * lmbda / n) * w,
              "l1": lambda w: w - eta * lmbda / n * np.sign(w)}[reg]
    want_w = [shrink(w) - eta * g for w, g in zip(net.weights, nw, strict=True)]
    want_b = [b - eta * g for b, g in zip(net.biases, nb, strict=True)]
    step = net.make_step(None, get_regularizer(reg, lmbda), n)
    step(x, np.eye(2)[y], eta)
    for got, want in zip(net.weights + net.biases, want_w + want_b, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_fused_sgd_path_equals_the_generic_optimizer_path():
    rng = np.random.default_rng(0)
    x, y = rng.random((9, 3)), np.eye(2)[rng.integers(0, 2, 9)]
    a, b = Network([3, 4, 2], seed=1), Network([3, 4, 2], seed=1)
    reg = L2(2.0)
    a.make_step(None, reg, 30)(x, y, 0.7)
    from nndl.train.optimizers import Momentum

    b.make_step(Momentum(mu=0.0), reg, 30)(x, y, 0.7)  # the generic path, no momentum
    for p, q in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12)


def test_l2_shrinks_weights_in_training():
    rng = np.random.default_rng(0)
    x, y = rng.random((100, 4)), rng.integers(0, 2, 100)
    plain, reg = Network([4, 6, 2], seed=0), Network([4, 6, 2], seed=0)
    plain.SGD((x, y), 5, 10, 0.5, verbose=False)
    reg.SGD((x, y), 5, 10, 0.5, lmbda=20.0, verbose=False)
    norm = [sum(float((w**2).sum()) for w in net.weights) for net in (plain, reg)]
    assert norm[1] < 0.5 * norm[0]


def test_get_regularizer():
    assert get_regularizer("l2", 0.0) is None
    assert get_regularizer(None, 3.0) is None
    assert isinstance(get_regularizer({"name": "l1", "lmbda": 2.0}), L1)
    assert get_regularizer("l2", 1.5).config() == {"name": "l2", "lmbda": 1.5}
    with pytest.raises(ValueError, match=r"unknown regularizer .l3.; expected one of"):
        get_regularizer("l3", 1.0)
    with pytest.raises(ValueError, match="lmbda must be a finite number >= 0, got -1"):
        get_regularizer("l2", -1)
    with pytest.raises(ValueError, match="lmbda=2.0 conflicts with regularizer=L2"):
        get_regularizer(L2(1.0), 2.0)
