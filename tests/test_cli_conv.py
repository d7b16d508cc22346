"""``nndl train --layers/--expand/--preset``, then evaluate, predict and explain a conv model."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from nndl.cli import _conv, main
from nndl.data import load_sample
from nndl.io import load_model
from nndl.preprocess import save_png
from nndl.sequential import Sequential

SPEC = "conv:6x5x5,pool:2,dense:30:relu,dropout:0.2,softmax:10"


@pytest.fixture(scope="module")
def conv_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("conv") / "conv.npz"
    code = main(["train", "--sample", "--layers", SPEC, "--epochs", "2", "--eta", "0.002",
                 "--optimizer", "adam", "--mini-batch-size", "20", "--dtype", "float32",
                 "--lmbda", "0.1", "--expand", "--seed", "1", "--quiet", "--save", str(path)])
    assert code == 0
    return path


def test_train_saves_a_sequential_model_with_its_settings(conv_model):
    model = load_model(conv_model)
    assert isinstance(model, Sequential) and model.dtype == np.float32
    meta = model.metadata["training"]
    assert meta["layers"] == SPEC and meta["expand"] is True and meta["optimizer"] == "adam"
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
    assert "layer 0: conv 6×5×5 relu   a_in (1,28,28) -> a_out (6,24,24)" in out
    assert "w (6,1,5,5)" in out and "w (30,864)" in out and "predicted" in out
    assert main(["explain", str(conv_model), "--sample", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["layers"][0]["params"]["w"] == [6, 1, 5, 5]


def test_a_bad_layer_spec_is_a_clear_error(capsys):
    code = main(["train", "--sample", "--layers", "conv:20x30x30,softmax:10", "--epochs", "1"])
    assert code != 0
    err = capsys.readouterr().err
    assert "layer 0" in err and "(1,28,28)" in err


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--mini-batch-size", type=int, default=10)
    p.add_argument("--eta", type=float, default=3.0)
    p.add_argument("--cost", default="quadratic")
    p.add_argument("--dtype", default="float64")
    p.add_argument("--seed", type=int, default=2)
    _conv.add_conv_arguments(p)
    return p


@pytest.mark.parametrize("name", sorted(_conv.CONV_PRESETS))
def test_presets_fill_in_options_and_explicit_ones_win(name):
    p = _parser()
    args = p.parse_args(["--preset", name, "--epochs", "3"])
    _conv.apply_conv_preset(args)
    preset = _conv.CONV_PRESETS[name]
    assert args.epochs == 3  # given explicitly
    assert args.layers == preset["layers"] and args.eta == preset["eta"]
    assert _conv.sgd_options(args) == {
        "expand": preset["expand"], "lmbda": preset["lmbda"], "optimizer": preset["optimizer"]
    }
    net = _conv.build_model_from_args(args)
    assert isinstance(net, Sequential) and net.cost.name == "log_likelihood"


def test_without_layers_there_is_no_conv_model_and_existing_options_are_kept():
    p = argparse.ArgumentParser()
    p.add_argument("--preset", choices=["x", "conv"])
    p.add_argument("--lmbda", type=float, default=0.0)
    _conv.add_conv_arguments(p)
    args = p.parse_args([])
    assert _conv.build_model_from_args(args) is None
    assert _conv.sgd_options(args) == {"expand": False, "optimizer": "sgd"}
