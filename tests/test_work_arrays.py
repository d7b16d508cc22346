"""Training passes of conv and pool layers reuse their scratch arrays: same numbers."""

from __future__ import annotations

import numpy as np

from nndl.model.sequential import Sequential


def test_training_passes_reuse_their_work_arrays_and_give_the_same_numbers():
    rng = np.random.default_rng(1)
    spec = "conv:4x3x3,pool:2,conv:5x3x3,pool:2,dense:10:softmax"
    net = Sequential(spec, input_shape=(1, 14, 14), seed=2, cost="log_likelihood")
    x, y = rng.random((16, 196)), rng.integers(0, 10, 16)
    evaluated = net.feedforward(x[:3])
    kept = evaluated.copy()
    first = net.gradients(x, y, dropout=True)  # training passes (no dropout in this net)
    cols = net.layers[2]._work["cols"]
    net.gradients(x[:7], y[:7], dropout=True)  # another batch size: new work arrays, then back
    second = net.gradients(x, y, dropout=True)
    assert net.layers[2]._work["cols"] is not cols  # replaced for the batch of 7 ...
    cols = net.layers[2]._work["cols"]
    again = net.gradients(x, y, dropout=True)
    assert net.layers[2]._work["cols"] is cols  # ... and kept while the shape stays
    fresh = Sequential(spec, input_shape=(1, 14, 14), seed=2, cost="log_likelihood")
    for name, g in fresh.gradients(x, y).items():
        assert np.array_equal(first[name], g)
        assert np.array_equal(second[name], g)
        assert np.array_equal(again[name], g)
    assert np.array_equal(evaluated, kept)  # an evaluation's output is never a work array
