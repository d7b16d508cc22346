"""``nndl.Ensemble`` and ``nndl evaluate`` with several models: the book's chapter-6 vote."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from nndl import Ensemble, Network
from nndl.cli import main
from nndl.data import load_sample
from nndl.model.io import save_model


def reference_vote(outputs: np.ndarray) -> list[int]:
    """Plurality vote example by example, ties to the larger mean output (a plain loop)."""
    chosen = []
    for i in range(outputs.shape[1]):
        ballots = Counter(int(np.argmax(o[i])) for o in outputs)
        top = max(ballots.values())
        tied = sorted(c for c, v in ballots.items() if v == top)
        means = {c: sum(float(o[i, c]) for o in outputs) / len(outputs) for c in tied}
        chosen.append(max(tied, key=lambda c: (means[c], -c)))
    return chosen


def test_vote_and_average_on_hand_made_outputs():
    # 3 members, 2 examples, 3 classes.
    outputs = np.array([
        [[0.9, 0.1, 0.0], [0.2, 0.5, 0.3]],
        [[0.1, 0.8, 0.1], [0.1, 0.2, 0.7]],
        [[0.6, 0.3, 0.1], [0.4, 0.35, 0.25]],
    ])
    ens = Ensemble([Network([2, 3], seed=0)] * 3)
    # Example 0: votes 0, 1, 0 -> class 0; mean (0.533, 0.4, 0.067) -> also 0.
    # Example 1: votes 1, 2, 0 (a three-way tie) -> the larger mean:
    # means (0.233, 0.35, 0.417) -> class 2.
    assert ens.combine(outputs).tolist() == [0, 2]
    ens.rule = "average"
    assert ens.combine(outputs).tolist() == [0, 2]
    # Where vote and average disagree: two weak votes for 1 beat one strong vote for 0.
    split = np.array([[[0.40, 0.60]], [[0.45, 0.55]], [[1.0, 0.0]]])
    assert ens.combine(split).tolist() == [0]          # mean (0.617, 0.383)
    ens.rule = "vote"
    assert ens.combine(split).tolist() == [1]          # votes 1, 1, 0


def test_predictions_match_a_loop_over_the_members():
    x, y = load_sample().test
    members = [Network([784, 12, 10], seed=s) for s in range(4)]
    for m in members:
        m.SGD(load_sample().training, 1, 10, 3.0, verbose=False)
    outputs = np.stack([m.feedforward(x) for m in members])
    vote = Ensemble(members)
    assert vote.predict(x).tolist() == reference_vote(outputs)
    average = Ensemble(members, rule="average")
    assert average.predict(x).tolist() == np.argmax(outputs.mean(axis=0), axis=1).tolist()
    np.testing.assert_allclose(average.feedforward(x), outputs.mean(axis=0), rtol=0, atol=1e-15)
    voted = reference_vote(outputs)
    assert vote.evaluate(x, y) == sum(int(p == t) for p, t in zip(voted, y, strict=True))
    assert vote.accuracy(x, y) == vote.evaluate(x, y) / len(y)
    assert vote.member_correct(x, y) == [m.evaluate(x, y) for m in members]
    assert int(vote.predict(x[0])) == reference_vote(outputs[:, :1])[0]   # one example


def test_one_member_is_that_model():
    x, _ = load_sample().test
    net = Network([784, 10, 10], seed=3)
    assert np.array_equal(Ensemble([net]).predict(x), net.predict(x))


@pytest.mark.parametrize("models, message", [
    ([], "at least one model"),
    ([Network([4, 3, 2]), Network([5, 3, 2])], "model 1 has 5 inputs but model 0 has 4"),
    ([Network([4, 2]), Network([4, 3, 3])], "model 1 has 3 outputs but model 0 has 2"),
])
def test_members_must_fit_together(models, message):
    with pytest.raises(ValueError, match=message):
        Ensemble(models)


def test_bad_rule_and_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="rule must be one of vote, average"):
        Ensemble([Network([4, 2])], rule="majority")
    ens = Ensemble([Network([4, 2], seed=0), Network([4, 2], seed=1)])
    with pytest.raises(ValueError, match="shape"):
        ens.predict(np.zeros((3, 5)))


@pytest.fixture(scope="module")
def three_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ensemble")
    paths = []
    for seed in (1, 2, 3):
        path = folder / f"net{seed}.npz"
        assert main(["train", "--sample", "--epochs", "2", "--sizes", "784,20,10",
                     "--seed", str(seed), "--quiet", "--save", str(path)]) == 0
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("rule", ["vote", "average"])
def test_evaluate_reports_the_ensemble_and_each_member(three_models, rule, capsys):
    x, y = load_sample().test
    ens = Ensemble.load(three_models, rule=rule)
    capsys.readouterr()
    assert main(["evaluate", *three_models, "--sample", "--json", "--rule", rule]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["correct"] == ens.evaluate(x, y) and result["total"] == len(y)
    assert result["rule"] == rule and result["model"] == f"ensemble of 3 ({rule})"
    assert [m["correct"] for m in result["members"]] == ens.member_correct(x, y)
    assert np.trace(np.array(result["confusion"])) == result["correct"]
    assert main(["evaluate", *three_models, "--sample", "--rule", rule]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{three_models[0]}: ") and "test images correct" in lines[2]
    assert lines[3].startswith(f"ensemble of 3 ({rule}): {result['correct']} / 100 ")


def test_evaluate_refuses_models_that_do_not_fit_together(three_models, tmp_path, capsys):
    small = save_model(Network([784, 5, 9]), tmp_path / "nine.npz")
    capsys.readouterr()
    assert main(["evaluate", three_models[0], str(small), "--sample"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nndl: error: ") and "has 9 outputs" in err and "Traceback" not in err
