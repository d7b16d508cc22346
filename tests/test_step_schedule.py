"""Per-step learning-rate schedules against their closed forms, and their use in training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nndl import Network
from nndl.train.optimizers import get_optimizer
from nndl.train.schedule import (
    STEP_SCHEDULES,
    Constant,
    Cosine,
    HalvingSchedule,
    OneCycle,
    get_schedule,
)

T = 100


@pytest.mark.parametrize("floor", [0.0, 0.1])
def test_cosine_is_the_closed_form(floor):
    etas = Cosine(floor=floor).etas(eta=0.4, steps=T, steps_per_epoch=10)
    assert etas.shape == (T,)
    low = 0.4 * floor
    for t in (0, 1, 37, 50, T - 1):
        want = low + (0.4 - low) * 0.5 * (1 + math.cos(math.pi * t / T))
        assert etas[t] == pytest.approx(want, rel=1e-15)
    assert etas[0] == 0.4 and etas[50] == pytest.approx(low + (0.4 - low) / 2)
    assert np.all(np.diff(etas) < 0)


@pytest.mark.parametrize(("warmup", "w"), [(0.1, 10), (2, 20), (1.5, 15), (0.004, 1)])
def test_warmup_is_a_line_then_the_cosine_over_the_rest(warmup, w):
    # warmup < 1: a fraction of the run; >= 1: epochs (10 steps each here); at least one step.
    etas = Cosine(warmup=warmup).etas(eta=2.0, steps=T, steps_per_epoch=10)
    for t in range(w):
        assert etas[t] == pytest.approx(2.0 * (t + 1) / (w + 1), rel=1e-15)
    rest = T - w
    for t in (0, 1, rest // 2, rest - 1):
        want = 2.0 * 0.5 * (1 + math.cos(math.pi * t / rest))
        assert etas[w + t] == pytest.approx(want, rel=1e-15)
    assert etas[w] == 2.0 and np.all(np.diff(etas[: w + 1]) > 0)


def test_constant_with_and_without_warmup():
    np.testing.assert_array_equal(Constant().etas(0.3, 5, 5), [0.3] * 5)
    assert Constant(warmup=0.4).etas(0.3, 5, 5).tolist() == pytest.approx(
        [0.1, 0.2, 0.3, 0.3, 0.3], rel=1e-15)


def test_onecycle_is_the_closed_form_with_the_usual_defaults():
    s = OneCycle()
    assert (s.pct, s.div, s.div_final) == (0.3, 25.0, 1e4)
    eta, up = 0.1, 30  # U = round(0.3 * 100)
    etas = s.etas(eta, T, 10)
    for t in (0, 1, 15, up):
        assert etas[t] == pytest.approx(eta / 25 + (eta - eta / 25) * t / up, rel=1e-15)
    end = eta / 1e4
    for t in (up, up + 1, 60, T - 2, T - 1):
        want = end + (eta - end) * 0.5 * (1 + math.cos(math.pi * (t - up) / (T - 1 - up)))
        assert etas[t] == pytest.approx(want, rel=1e-15)
    assert etas[0] == pytest.approx(eta / 25) and etas[up] == pytest.approx(eta)
    assert etas[T - 1] == pytest.approx(end, rel=1e-12) and etas.argmax() == up


def test_registry_and_specs():
    assert sorted(STEP_SCHEDULES) == ["constant", "cosine", "onecycle"]
    assert isinstance(get_schedule("onecycle", 0.1), OneCycle)
    spec = get_schedule({"kind": "cosine", "warmup": 0.05, "floor": 0.01}, 0.1)
    assert isinstance(spec, Cosine) and (spec.warmup, spec.floor) == (0.05, 0.01)
    mine = Cosine(warmup=1)
    assert get_schedule(mine, 0.1) is mine
    assert get_schedule(spec.config(), 0.1).config() == spec.config()
    halving = get_schedule({"patience": 4}, 0.5)
    assert isinstance(halving, HalvingSchedule) and halving.patience == 4 and halving.eta == 0.5
    assert get_schedule(None, 0.1) is None


@pytest.mark.parametrize(("spec", "message"), [
    ("cosinus", r"unknown schedule 'cosinus'; expected one of \['constant', 'cosine', "),
    ({"kind": "cosine", "patience": 3}, r"'cosine' sets eta every step; it cannot be mixed "
     r"with the halving schedule's options \['patience'\]"),
    ({"patience": 3, "warmup": 0.1}, r"the halving schedule \(a dict without 'kind'.*not "
     r"\['warmup'\]"),
    ({"kind": "onecycle", "warmup": 0.1}, r"'onecycle' takes the options \['pct', 'div', "
     r"'div_final'\], not \['warmup'\]"),
    ({"kind": "cosine", "warmup": -0.5}, r"schedule warmup must be a number >= 0"),
    ({"kind": "cosine", "floor": 1.0}, r"schedule floor must be a number in \[0, 1\), got 1.0"),
    ({"kind": "onecycle", "pct": 0}, r"schedule pct must be a number in \(0, 1\), got 0"),
    ({"kind": "onecycle", "div": True}, r"schedule div must be a number >= 1, got True"),
    (0, r"schedule must be None, a patience .* or a StepSchedule, got 0"),
])
def test_bad_schedules_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        get_schedule(spec, 0.1)


def test_a_warmup_as_long_as_the_run_is_refused():
    with pytest.raises(ValueError, match=r"warmup of 3 epochs \(30 steps\) leaves nothing of the "
                                         r"run of 20 steps"):
        Cosine(warmup=3).etas(0.1, 20, 10)


def _data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 4))
    return x, (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)


class Recording(Network):
    """A network whose training step records the η it is given."""

    def make_step(self, optimizer=None, regularizer=None, n=1):
        inner = super().make_step(optimizer, regularizer, n)
        self.seen: list[float] = []

        def step(x, y, eta):
            self.seen.append(eta)
            inner(x, y, eta)

        return step


@pytest.mark.parametrize("schedule", ["cosine", {"kind": "cosine", "warmup": 1},
                                      "onecycle", {"kind": "constant", "warmup": 0.2}])
def test_training_steps_with_the_schedules_eta(schedule):
    x, y = _data(58)  # 6 mini-batches of 10 per epoch, the last one of 8
    net = Recording([4, 5, 2], seed=1)
    history = net.SGD((x, y), 3, 10, 0.5, schedule=schedule, verbose=False)
    want = get_schedule(schedule, 0.5).etas(0.5, 18, 6)
    assert net.seen == want.tolist()
    assert history["eta"] == [want[5], want[11], want[17]]  # the η at each epoch's end


def test_one_epoch_matches_a_manual_loop_with_the_same_etas():
    x, y = _data(50)
    net = Network([4, 6, 2], cost="cross_entropy", seed=3)
    net.SGD((x, y), 2, 10, 1.0, schedule={"kind": "cosine", "warmup": 0.3}, verbose=False)
    etas = Cosine(warmup=0.3).etas(1.0, 10, 5)
    manual = Network([4, 6, 2], cost="cross_entropy", seed=3)
    step = manual.make_step(get_optimizer("sgd"), None, 50)
    targets = np.eye(2)[y]
    for j in range(2):
        order = manual.rng.permutation(50)
        for b in range(5):
            idx = order[10 * b : 10 * b + 10]
            step(x[idx], targets[idx], float(etas[5 * j + b]))
    for got, want in zip(net.parameters(), manual.parameters(), strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_a_per_step_schedule_needs_no_validation_data_but_halving_does():
    x, y = _data()
    Network([4, 3, 2], seed=0).SGD((x, y), 1, 10, 0.5, schedule="cosine", verbose=False)
    with pytest.raises(ValueError, match="schedule needs validation_data"):
        Network([4, 3, 2], seed=0).SGD((x, y), 1, 10, 0.5, schedule=2, verbose=False)


def test_zero_epochs_with_a_schedule_does_nothing():
    x, y = _data()
    history = Network([4, 3, 2], seed=0).SGD((x, y), 0, 10, 0.5, schedule="onecycle",
                                             average=2, verbose=False)
    assert len(history) == 0 and history.averaged is None
