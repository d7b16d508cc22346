"""``SGD(average=K)``: the model ends with the mean of the last K epochs' weights."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.train.averaging import WeightAverage
from nndl.train.optimizers import Momentum


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4))
    return x, (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)


def _train(net, epochs, **options):
    """Train; return the history, every epoch's weights as on_epoch saw them, and (with a
    Momentum optimizer) its velocities then."""
    x, y = _data()
    seen: list[list[np.ndarray]] = []
    velocities: list[list[np.ndarray]] = []
    opt = options.get("optimizer")

    def on_epoch(record):
        seen.append(net.snapshot())
        if isinstance(opt, Momentum):
            velocities.append([v.copy() for v in opt.velocity])

    history = net.SGD((x[:60], y[:60]), epochs, 10, 0.5, test_data=(x[60:], y[60:]),
                      verbose=False, on_epoch=on_epoch, **options)
    return history, seen, velocities


def _mean(snapshots):
    """The mean, computed here one parameter at a time with Python's own sum."""
    return [sum(s[i] for s in snapshots) / len(snapshots) for i in range(len(snapshots[0]))]


@pytest.mark.parametrize("k", [1, 3, 9])
def test_the_model_ends_with_the_mean_of_the_last_k_epochs(k, capsys):
    net = Network([4, 5, 2], seed=0, dropout=0.2)
    opt = Momentum(0.9)
    x, y = _data()
    history, seen, velocities = _train(net, 5, average=k, schedule="cosine", optimizer=opt,
                           validation_data=(x[60:], y[60:]))
    kept = seen[-k:]
    for got, want in zip(net.parameters(), _mean(kept), strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    averaged = history.averaged
    assert averaged["epochs"] == list(range(5 - len(kept), 5))
    assert averaged["test_correct"] == net.evaluate(x[60:], y[60:])
    assert averaged["validation_accuracy"] == net.score(x[60:], y[60:])
    assert history.summary()["averaged"] == averaged
    # The optimiser's state is not averaged: its velocities are those of the last epoch.
    for v, before in zip(opt.velocity, velocities[-1], strict=True):
        np.testing.assert_array_equal(v, before)


def test_verbose_training_prints_the_averaged_line(capsys):
    x, y = _data()
    Network([4, 5, 2], seed=0).SGD((x, y), 2, 10, 0.5, test_data=(x, y), average=2)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("Averaged weights of epochs 0-1: test ") and "%" in last


class Scripted(Network):
    """Validation accuracy follows a script, so early stopping picks a known epoch."""

    script: list[int] = []

    def count_correct(self, x, labels):
        if len(x) == 15 and self.script:  # the validation set
            return self.script.pop(0)
        return super().count_correct(x, labels)


def test_with_early_stopping_the_average_ends_at_the_best_epoch():
    net = Scripted([4, 5, 2], seed=0)
    net.script = [5, 9, 6, 7, 6, 8]  # best at epoch 1; patience 3 stops after epoch 4
    x, y = _data()
    history, seen, _ = _train(net, 10, average=2, early_stopping=3,
                              validation_data=(x[60:75], y[60:75]))
    assert history.stop_reason == "early_stopping" and history.best_epoch == 1
    assert history.averaged["epochs"] == [0, 1]
    for got, want in zip(net.parameters(), _mean(seen[0:2]), strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_float32_weights_stay_float32_and_k_is_checked():
    avg = WeightAverage(2)
    avg.add(0, [np.array([1.0], np.float32)])
    avg.add(1, [np.array([2.0], np.float32)])
    assert avg.mean()[0].dtype == np.float32 and avg.mean()[0][0] == 1.5
    with pytest.raises(ValueError, match="average must be an integer >= 1, got 0"):
        Network([4, 3, 2]).SGD(_data(), 1, 10, 0.5, average=0)
    with pytest.raises(ValueError, match="no epoch to average"):
        WeightAverage(3).mean()


def test_batch_normalisation_statistics_are_averaged_with_the_weights():
    from nndl.model.sequential import Sequential

    net = Sequential("dense:6:linear,bn:relu,softmax:2", input_shape=(4,), seed=0,
                     cost="log_likelihood")
    history, seen, _ = _train(net, 4, average=2)
    state = net.state_arrays()
    assert len(state) > len(net.parameters())  # the running mean and variance too
    for got, want in zip(state, _mean(seen[-2:]), strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert history.averaged["epochs"] == [2, 3]
