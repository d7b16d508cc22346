"""``nndl train`` presets and the options beyond the seed, on the bundled sample."""

from __future__ import annotations

import pytest
from PIL import Image

from nndl.cli import main
from nndl.model.io import load_model
from nndl.train import presets as _presets


def test_preset_values_and_explicit_override():
    opts = _presets.resolve("network2", {"eta": 0.25, "sizes": None})
    assert opts["cost"] == "cross_entropy" and opts["lmbda"] == 5.0
    assert opts["init"] == "scaled_normal"
    assert opts["eta"] == 0.25  # explicit beats the preset
    assert _presets.resolve("seed", {}) == _presets.SEED
    assert _presets.resolve("network2-100", {})["sizes"] == [784, 100, 10]
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        _presets.resolve("nope", {})


def test_preset_is_used_and_saved(tmp_path, capsys):
    path = tmp_path / "n2.npz"
    code = main(["train", "--sample", "--preset", "network2", "--epochs", "2",
                 "--sizes", "784,20,10", "--save", str(path)])
    assert code == 0
    model = load_model(path)
    assert model.sizes == [784, 20, 10]
    assert model.cost.name == "cross_entropy"
    meta = model.metadata
    assert meta["preset"] == "network2"
    assert meta["training"]["lmbda"] == 5.0 and meta["training"]["epochs"] == 2
    assert "(preset network2)" in capsys.readouterr().out


def test_monitor_prints_costs(capsys):
    code = main(["train", "--sample", "--epochs", "2", "--sizes", "784,10,10",
                 "--cost", "cross_entropy", "--monitor"])
    assert code == 0
    out = capsys.readouterr().out
    assert "training cost" in out and "training accuracy" in out


@pytest.mark.slow
def test_plot_writes_png(tmp_path):
    png = tmp_path / "curves.png"
    code = main(["train", "--sample", "--epochs", "2", "--sizes", "784,10,10", "--plot", str(png)])
    assert code == 0
    with Image.open(png) as img:
        assert img.format == "PNG" and img.size[0] > 100


def test_diverging_training_stops_with_advice(tmp_path, capsys):
    path = tmp_path / "div.npz"
    code = main(["train", "--sample", "--epochs", "5", "--sizes", "784,30,10",
                 "--activation", "relu", "--init", "he", "--cost", "log_likelihood",
                 "--eta", "1e300", "--monitor", "--save", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "diverged at epoch 0" in err and "smaller eta" in err
    assert not path.exists()  # no epoch completed: nothing half-made is saved


@pytest.mark.parametrize("argv", [
    ["--dropout", "1.5"], ["--lmbda", "-1"], ["--momentum", "2"], ["--schedule", "0"],
    ["--optimizer", "rmsprop"], ["--init", "zeros"], ["--preset", "huge"],
])
def test_bad_option_values(argv):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--sample", *argv])
    assert exc.value.code == 2


def test_adam_dropout_early_stopping_run(tmp_path, capsys):
    code = main(["train", "--sample", "--epochs", "3", "--sizes", "784,40,10",
                 "--activation", "relu", "--init", "he", "--cost", "log_likelihood",
                 "--optimizer", "adam", "--eta", "0.001", "--dropout", "0.2",
                 "--mini-batch-size", "32", "--dtype", "float32"])
    assert code == 0
    assert "Best epoch" in capsys.readouterr().out


def test_schedule_needs_validation_data(capsys):
    # The sample has no validation split: a preset's schedule is switched off, with a note...
    code = main(["train", "--sample", "--preset", "best", "--epochs", "1", "--sizes",
                 "784,20,10"])
    assert code == 0
    out = capsys.readouterr().out
    assert "note: the preset's --schedule is off" in out
    assert "note: the preset's --early-stopping is off" in out
    # ...but asking for one explicitly is an error that says why.
    assert main(["train", "--sample", "--schedule", "3", "--epochs", "1"]) == 1
    assert "--schedule watches the validation accuracy" in capsys.readouterr().err
