"""``nndl train --schedule cosine|onecycle|constant``, ``--warmup`` and ``--average``."""

from __future__ import annotations

import pytest

from nndl.cli import _options, build_parser, main
from nndl.data import load_sample
from nndl.model.io import load_model
from nndl.train import presets as _presets
from nndl.train.schedule import STEP_SCHEDULES


def options(*argv: str) -> _options.TrainOptions:
    return _options.from_args(build_parser().parse_args(["train", *argv]))


def test_schedule_names_a_patience_or_a_per_step_schedule():
    assert options("--schedule", "3").schedule_spec() == 3
    assert options("--schedule", "onecycle").schedule_spec() == "onecycle"
    assert options("--schedule", "cosine", "--warmup", "0.05").schedule_spec() == {
        "kind": "cosine", "warmup": 0.05}
    opts = options("--schedule", "constant", "--warmup", "2", "--average", "3")
    assert opts.schedule_spec() == {"kind": "constant", "warmup": 2.0} and opts.average == 3
    help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
    for name in STEP_SCHEDULES:  # the registry is what the CLI offers
        assert name in help_text


@pytest.mark.parametrize("argv", [
    ["--schedule", "cosinus"], ["--schedule", "0"], ["--schedule", ""], ["--warmup", "-1"],
    ["--warmup", "nan"], ["--average", "0"], ["--average", "1.5"],
])
def test_bad_values_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--sample", *argv])
    assert exc.value.code == 2
    assert f"argument {argv[0]}: expected" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "message"), [
    (["--warmup", "0.1"], "--warmup needs --schedule cosine or constant, not no --schedule"),
    (["--schedule", "2", "--warmup", "0.1"], "not --schedule 2"),
    (["--schedule", "onecycle", "--warmup", "0.1"], "not --schedule onecycle"),
    (["--schedule", "cosine", "--warmup", "3"], "warmup of 3 epochs (300 steps) leaves nothing"),
])
def test_bad_combinations_are_one_line_errors(argv, message, capsys):
    assert main(["train", "--sample", "--epochs", "2", "--sizes", "784,5,10", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and err.startswith("nndl: error: ") and err.count("\n") == 1


def test_a_onecycle_run_with_averaging_saves_the_averaged_weights(tmp_path, capsys):
    path = tmp_path / "avg.npz"
    code = main(["train", "--sample", "--epochs", "3", "--sizes", "784,10,10",
                 "--cost", "cross_entropy", "--eta", "1.0", "--schedule", "onecycle",
                 "--average", "2", "--save", str(path)])
    assert code == 0
    out = capsys.readouterr().out
    epochs = [line for line in out.splitlines() if line.startswith("Epoch ")]
    assert len(epochs) == 3 and all("  eta " in line for line in epochs)
    assert epochs[-1].split("  eta ")[1].startswith("0.0001 ")  # η/1e4 at the last step
    assert "Averaged weights of epochs 1-2: test " in out
    assert "Saved the model of the averaged weights of epochs 1-2" in out
    model = load_model(path)
    meta = model.metadata
    assert meta["averaged"]["epochs"] == [1, 2]
    assert meta["training"]["schedule"] == "onecycle" and meta["training"]["average"] == 2
    x, y = load_sample().test
    assert model.evaluate(x, y) == meta["averaged"]["test_correct"]
    assert meta["test_accuracy"] == meta["averaged"]["test_accuracy"]
    assert [r["eta"] for r in meta["history"]] == sorted(r["eta"] for r in meta["history"])[::-1]


def test_a_preset_can_name_a_per_step_schedule_warmup_and_average(monkeypatch, capsys):
    # A preset-like combination (the lead's future presets): it survives the sample's lack
    # of a validation split, since a cosine schedule watches nothing.
    monkeypatch.setitem(_presets.PRESETS, "swa-test", {
        "sizes": [784, 10, 10], "epochs": 2, "eta": 0.5, "cost": "cross_entropy",
        "schedule": "cosine", "warmup": 0.25, "average": 2})
    opts, notes = options("--preset", "swa-test").without_validation("sample")
    assert (opts.schedule, opts.warmup, opts.average, notes) == ("cosine", 0.25, 2, [])
    assert main(["train", "--sample", "--preset", "swa-test"]) == 0
    out = capsys.readouterr().out
    assert "schedule cosine, warmup 0.25, average 2" in out
    assert "Averaged weights of epochs 0-1" in out


def test_without_average_or_schedule_the_output_is_unchanged(capsys):
    assert main(["train", "--sample", "--epochs", "1", "--sizes", "784,5,10"]) == 0
    out = capsys.readouterr().out
    assert " eta " not in out.split("\n", 1)[1] and "Averaged" not in out
