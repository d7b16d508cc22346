"""Training-data expansion by one-pixel shifts: the shifts, the virtual epoch, SGD(expand=True)."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.data import load_sample
from nndl.data.expand import (
    N_VERSIONS,
    SHIFTS,
    expanded_batch,
    expanded_index,
    image_shape_of,
    shift_images,
)
from nndl.model.sequential import Sequential


def test_shifted_digit_is_the_original_moved_by_one_pixel():
    x = load_sample(dtype="float64").training[0][:3]
    imgs = x.reshape(3, 28, 28)
    for k, (dy, dx) in enumerate(SHIFTS):
        out = shift_images(x, k, (28, 28)).reshape(3, 28, 28)
        expected = np.roll(imgs, (dy, dx), axis=(1, 2))
        if dy:
            expected[:, 0 if dy > 0 else -1, :] = 0
        if dx:
            expected[:, :, 0 if dx > 0 else -1] = 0
        assert np.array_equal(out, expected), k
        assert out.dtype == x.dtype
    up = shift_images(x, 1, (28, 28)).reshape(3, 28, 28)
    assert np.array_equal(up[:, :-1], imgs[:, 1:]) and not up[:, -1].any()
    right = shift_images(x, 4, (28, 28)).reshape(3, 28, 28)
    assert np.array_equal(right[:, :, 1:], imgs[:, :, :-1]) and not right[:, :, 0].any()


def test_mixed_shifts_in_one_batch_and_channels():
    rng = np.random.default_rng(0)
    x = rng.random((7, 2 * 5 * 4))
    shifts = np.array([0, 1, 2, 3, 4, 2, 0])
    out = shift_images(x, shifts, (5, 4))
    for i, s in enumerate(shifts):
        assert np.array_equal(out[i], shift_images(x[i : i + 1], s, (5, 4))[0])
    with pytest.raises(ValueError, match="0..4"):
        shift_images(x, 5, (5, 4))
    with pytest.raises(ValueError, match="flat images"):
        shift_images(x, 0, (3, 3))


def test_expanded_epoch_visits_each_example_shift_pair_once():
    n = 13
    order = np.random.default_rng(2).permutation(N_VERSIONS * n)
    examples, shifts = expanded_index(order, n)
    pairs = set(zip(examples.tolist(), shifts.tolist(), strict=True))
    assert pairs == {(e, s) for e in range(n) for s in range(N_VERSIONS)}
    x = np.arange(n * 4.0).reshape(n, 4)
    y = np.arange(n)
    xb, yb = expanded_batch(x, y, np.array([2, n + 2, 4 * n + 12]), (2, 2))
    assert yb.tolist() == [2, 2, 12]
    assert np.array_equal(xb[0], x[2])


def test_image_shape_of():
    assert image_shape_of(784) == (28, 28)
    assert image_shape_of(2 * 7 * 6, (2, 7, 6)) == (7, 6)
    with pytest.raises(ValueError, match="not square"):
        image_shape_of(10)


def test_sgd_with_expand_runs_five_times_the_batches():
    data = load_sample(dtype="float32")
    x, y = data.training[0][:50], data.training[1][:50]
    net = Sequential("conv:2x5x5,pool:4,softmax:10", seed=0)
    calls = []
    net.SGD((x, y), 1, 10, 0.1, verbose=False, expand=True,
            on_batch=lambda done, total: calls.append(total))
    assert len(calls) == 25 and calls[0] == 25
    with pytest.raises(ValueError, match="expand must be True or False"):
        net.SGD((x, y), 1, 10, 0.1, verbose=False, expand="yes")


def test_network_with_expand_equals_training_on_the_stored_expanded_data():
    """An expanded epoch is one epoch over the book's 5·n stored images, in the same order.

    Virtual index k is example k % n under shift k // n, which is row k of the
    five shifted copies stacked; both runs draw the same permutation of 5·n
    from the same seed, so they take identical steps.
    """
    data = load_sample(dtype="float64")
    x, y = data.training[0][:40], data.training[1][:40]
    stored_x = np.concatenate([shift_images(x, k, (28, 28)) for k in range(N_VERSIONS)])
    stored_y = np.concatenate([y] * N_VERSIONS)
    virtual, stored = Network([784, 10, 10], seed=0), Network([784, 10, 10], seed=0)
    before = [w.copy() for w in virtual.weights]
    calls = []
    virtual.SGD((x, y), 2, 10, 1.0, verbose=False, expand=True,
                on_batch=lambda done, total: calls.append(total))
    stored.SGD((stored_x, stored_y), 2, 10, 1.0, verbose=False)
    assert calls == [20] * 40  # 5 · 40 examples / 10 per mini-batch, twice
    for a, b in zip(virtual.parameters(), stored.parameters(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    assert not np.array_equal(virtual.weights[0], before[0])  # it did train
