"""Convolutional networks end to end: optimiser hooks, L2, save/load, expansion, CLI."""

from __future__ import annotations

import numpy as np
import pytest

from nndl.data import load_sample
from nndl.data.expand import (
    N_VERSIONS,
    SHIFTS,
    expanded_batch,
    expanded_index,
    image_shape_of,
    shift_images,
)
from nndl.errors import ModelFileError
from nndl.gradcheck import gradcheck
from nndl.io import load_model, save_model
from nndl.regularizers import get_regularizer
from nndl.sequential import Sequential

TOL = 1e-6


def conv_net(seed: int = 0, dtype: str = "float64") -> Sequential:
    return Sequential(
        "conv:3x3x3:tanh,pool:2,dense:5:sigmoid,softmax:4",
        input_shape=(2, 7, 6), seed=seed, dtype=dtype,
    )


# -- the Model hooks ---------------------------------------------------------------
def test_hooks_list_every_parameter_and_regularise_only_weights():
    net = conv_net()
    params = net.parameters()
    assert len(params) == 6
    assert net.regularized() == [True, False, True, False, True, False]
    assert params[0] is net.layers[0].params["w"]
    assert sum(p.size for p in params) == net.n_params


def test_gradients_plus_l2_penalty_match_finite_differences():
    net = conv_net()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, net.n_inputs))
    y = np.eye(4)[[0, 3, 1]]
    report = gradcheck(net, x, y, regularizer=get_regularizer("l2", 0.7), n=5, tolerance=TOL)
    assert report.passed, str(report)
    assert len(report.checks) == len(net.parameters())


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_optimizers_and_l2_train_a_conv_net(optimizer):
    data = load_sample(dtype="float32")
    x, y = data.training
    net = Sequential("conv:4x5x5,pool:2,dense:30:relu,softmax:10", seed=3)
    eta = 0.001 if optimizer == "adam" else 0.05
    history = net.SGD((x[:600], y[:600]), 3, 20, eta, data.test, lmbda=0.1,
                      optimizer=optimizer, verbose=False, monitor_training_cost=True)
    costs = history["training_cost"]
    assert costs[-1] < costs[0]
    assert history["test_accuracy"][-1] > 0.6


def test_snapshot_and_restore_work_on_sequential():
    net = conv_net()
    snap = net.snapshot()
    for p in net.parameters():
        p += 1.0
    net.restore(snap)
    assert all(np.array_equal(p, s) for p, s in zip(net.parameters(), snap, strict=True))


# -- save / load -------------------------------------------------------------------
def test_save_load_round_trip_gives_identical_predictions(tmp_path):
    net = Sequential("conv:4x5x5,pool:2,conv:6x3x3,dense:12:relu,dropout:0.5,softmax:10",
                     seed=5)
    x = load_sample(dtype="float32").test[0]
    path = save_model(net, tmp_path / "conv.npz", metadata={"note": "x"})
    with np.load(path) as archive:
        assert {"0.w", "0.b", "2.w", "4.w", "6.b"} <= set(archive.files)
    loaded = load_model(path)
    assert isinstance(loaded, Sequential)
    assert loaded.metadata == {"note": "x"}
    assert loaded.config() == net.config()
    assert np.array_equal(loaded.feedforward(x), net.feedforward(x))


def _rewrite(path, out, change):
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    change(arrays)
    np.savez(out, **arrays)
    return out


def test_mismatched_arrays_raise_model_file_error(tmp_path):
    net = conv_net(dtype="float32")
    path = save_model(net, tmp_path / "c.npz")

    def wrong_shape(a):
        a["0.w"] = np.zeros((3, 2, 2, 2), np.float32)

    def missing(a):
        del a["3.b"]

    def extra(a):
        a["9.w"] = np.zeros(3, np.float32)

    with pytest.raises(ModelFileError, match=r"'0.w' of layer 0 \(conv 3×3×3 tanh\).*"
                       r"\(3, 2, 2, 2\).*expected \(3, 2, 3, 3\)"):
        load_model(_rewrite(path, tmp_path / "a.npz", wrong_shape))
    with pytest.raises(ModelFileError, match="missing array '3.b'"):
        load_model(_rewrite(path, tmp_path / "b.npz", missing))
    with pytest.raises(ModelFileError, match="9.w"):
        load_model(_rewrite(path, tmp_path / "c2.npz", extra))


# -- data expansion ------------------------------------------------------------------
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


def test_network_can_use_expand_too():
    from nndl import Network

    data = load_sample(dtype="float64")
    net = Network([784, 10, 10], seed=0)
    net.SGD((data.training[0][:40], data.training[1][:40]), 1, 10, 1.0, verbose=False,
            expand=True)
