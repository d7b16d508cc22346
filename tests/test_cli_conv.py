"""``nndl train --layers/--expand/--preset``, then evaluate, predict and explain a conv model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl.cli import _conv, main
from nndl.data import load_sample
from nndl.data.preprocess import save_png
from nndl.model.io import load_model
from nndl.model.sequential import Sequential
from nndl.train import presets as _presets

#: Small enough to train in a fraction of a second, big enough to learn.
SPEC = "conv:2x5x5,pool:2,dense:10:relu,dropout:0.2,softmax:10"


def train_conv(path, spec: str, epochs: int):
    """``nndl train --layers spec`` on the sample, expanded data, Adam, L2; saved to ``path``."""
    code = main(["train", "--sample", "--layers", spec, "--epochs", str(epochs), "--eta", "0.002",
                 "--optimizer", "adam", "--mini-batch-size", "20", "--dtype", "float32",
                 "--lmbda", "0.1", "--expand", "--seed", "1", "--quiet", "--save", str(path)])
    assert code == 0
    return path


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory):
    return train_conv(tmp_path_factory.mktemp("conv") / "conv.npz", SPEC, 1)


def test_train_saves_a_sequential_model_with_its_settings(conv_model):
    model = load_model(conv_model)
    assert isinstance(model, Sequential) and model.dtype == np.float32
    meta = model.metadata["training"]
    assert meta["layers"] == SPEC and meta["expand"] is True and meta["optimizer"] == "adam"
    assert meta["lmbda"] == 0.1 and meta["mini_batch_size"] == 20
    x, y = load_sample(dtype="float32").test
    assert model.evaluate(x, y) >= 50  # chance is 10 / 100


def test_evaluate_and_predict_work_on_conv_models(conv_model, tmp_path, capsys):
    assert main(["evaluate", str(conv_model), "--sample", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    model = load_model(conv_model)
    x, y = load_sample(dtype="float32").test
    assert result["correct"] == model.evaluate(x, y)
    save_png(x[0], tmp_path / "d.png", scale=3)
    assert main(["predict", str(conv_model), str(tmp_path / "d.png"), "--json"]) == 0
    (r,) = json.loads(capsys.readouterr().out)
    assert len(r["activations"]) == 10 and r["digit"] == int(np.argmax(r["activations"]))


def test_explain_shows_each_layer_with_shapes(conv_model, capsys):
    assert main(["explain", str(conv_model), "--sample", "--index", "3"]) == 0
    out = capsys.readouterr().out
    assert "Layer 0 · conv 2×5×5 relu: input (1,28,28) → output (2,24,24)" in out
    rows = [line.split()[:2] for line in out.splitlines() if line.startswith("  ")]
    assert ["w", "(2,1,5,5)"] in rows and ["w", "(10,288)"] in rows and "predicted" in out
    assert ["δ", "(2,24,24)"] in rows
    assert main(["explain", str(conv_model), "--sample", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["layers"][0]["params"]["w"]["shape"] == [2, 1, 5, 5]
    assert doc["layers"][0]["delta"]["shape"] == [2, 24, 24]


def test_a_bad_layer_spec_is_a_clear_error(capsys):
    code = main(["train", "--sample", "--layers", "conv:20x30x30,softmax:10", "--epochs", "1"])
    assert code != 0
    err = capsys.readouterr().err
    assert "layer 0" in err and "(1,28,28)" in err


@pytest.mark.parametrize("name", ["conv", "conv-book"])
def test_conv_presets_fill_in_options_and_explicit_ones_win(name):
    opts = _presets.resolve(name, {"epochs": 3})
    preset = _presets.PRESETS[name]
    assert opts["epochs"] == 3  # given explicitly
    assert opts["layers"] == preset["layers"] and opts["eta"] == preset["eta"]
    assert opts["cost"] == "log_likelihood" and opts["dtype"] == "float32"
    net = _conv.build_sequential(opts["layers"], cost=opts["cost"], dtype=opts["dtype"], seed=0)
    assert isinstance(net, Sequential) and net.cost.name == "log_likelihood"
    assert net.describe().count("conv") == 2


def test_layers_without_a_conv_preset_get_conv_defaults():
    given = {"layers": SPEC}
    opts = _presets.conv_defaults(_presets.resolve("seed", given), given)
    assert opts["cost"] == "log_likelihood" and opts["dtype"] == "float32"
    conv = _presets.PRESETS["conv"]
    assert (opts["eta"], opts["optimizer"], opts["mini_batch_size"]) == (
        conv["eta"], conv["optimizer"], conv["mini_batch_size"])
    given = {"layers": SPEC, "eta": 0.5}
    assert _presets.conv_defaults(_presets.resolve("seed", given), given)["eta"] == 0.5
    given = {"layers": SPEC, "cost": "quadratic", "dtype": "float64"}
    opts = _presets.conv_defaults(_presets.resolve("seed", given), given)
    assert opts["cost"] == "quadratic" and opts["dtype"] == "float64"
