"""The η-halving schedule and early stopping, on scripted validation accuracies."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network
from nndl.train.schedule import EarlyStopping, HalvingSchedule


def test_schedule_halves_after_patience_epochs_without_improvement():
    s = HalvingSchedule(eta=0.8, patience=3)
    accs = [0.90, 0.91, 0.91, 0.905, 0.91, 0.92, 0.92, 0.92, 0.92]
    etas = [s.update(a) for a in accs]
    # Best 0.91 at epoch 1; epochs 2, 3, 4 do not beat it -> halve after epoch 4.
    assert etas == [0.8, 0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.4, 0.2]
    assert not s.stop and s.best == 0.92 and s.best_epoch == 5


def test_schedule_stops_when_eta_reaches_one_128th():
    s = HalvingSchedule(eta=1.0, patience=1)
    etas = []
    while not s.stop:
        etas.append(s.update(0.5))
    assert etas == [1.0] + [2.0**-k for k in range(1, 8)]
    assert etas[-1] == 1.0 / 128 and len(etas) == 8


def test_early_stopping_tracks_the_best_epoch():
    e = EarlyStopping(patience=2)
    improved = [e.update(a) for a in [0.5, 0.7, 0.6, 0.7]]
    assert improved == [True, True, False, False]
    assert e.stop and e.best_epoch == 1 and e.best == 0.7


def test_validation():
    with pytest.raises(ValueError, match="patience must be an integer >= 1, got 0"):
        EarlyStopping(0)
    with pytest.raises(ValueError, match=r"schedule factor must be a number in \(0, 1\), got 2"):
        HalvingSchedule(1.0, factor=2)


class Scripted(Network):
    """A network whose validation accuracy follows a script (test data is unaffected)."""

    script: list[int] = []

    def count_correct(self, x, labels):
        if len(x) == 10:  # the validation set in these tests
            return self.script.pop(0)
        return super().count_correct(x, labels)


def _data():
    rng = np.random.default_rng(0)
    return (rng.random((40, 3)), rng.integers(0, 2, 40)), (rng.random((10, 3)), np.zeros(10, int))


def test_early_stopping_restores_the_weights_of_the_best_epoch():
    train, val = _data()
    net = Scripted([3, 4, 2], seed=0)
    net.script = [5, 7, 6, 7, 6, 9, 9]
    snapshots = []
    history = net.SGD(train, 10, 10, 1.0, validation_data=val, early_stopping=3, verbose=False,
                      on_epoch=lambda r: snapshots.append([w.copy() for w in net.weights]))
    assert history.stop_reason == "early_stopping"
    assert len(history) == 5 and history.best_epoch == 1
    assert history["validation_accuracy"] == [0.5, 0.7, 0.6, 0.7, 0.6]
    for w, best in zip(net.weights, snapshots[1], strict=True):
        np.testing.assert_array_equal(w, best)
    assert "restored the weights of epoch 1" in history.message


def test_schedule_in_training_records_eta_and_stops():
    train, val = _data()
    net = Scripted([3, 4, 2], seed=0)
    net.script = [5] * 20
    history = net.SGD(train, 20, 10, 2.0, validation_data=val, schedule=1, verbose=False)
    assert history.stop_reason == "schedule"
    # The eta each epoch trained with: halved after every epoch that failed to improve.
    assert history["eta"] == [2.0] + [2.0 / 2**k for k in range(7)]
    assert history.best_epoch is None


def test_options_needing_validation_data_say_so():
    train, _ = _data()
    net = Network([3, 4, 2])
    for option in ({"early_stopping": 3}, {"schedule": 10}, {"monitor_evaluation_cost": True}):
        name = next(iter(option))
        with pytest.raises(ValueError, match=f"{name} needs validation_data"):
            net.SGD(train, 1, 10, 1.0, **option)
    with pytest.raises(ValueError, match="schedule must be None, a patience"):
        net.SGD(train, 1, 10, 1.0, validation_data=train, schedule=0)
