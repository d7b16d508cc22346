"""A model is checked against the data's classes; "digit" is said only of 10-class models."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl import Network
from nndl.cli import main
from nndl.data import load_sample
from nndl.data.preprocess import save_png
from nndl.model.io import save_model


def model_with(tmp_path, n_outputs: int):
    return save_model(Network([784, 10, n_outputs], seed=0), tmp_path / f"out{n_outputs}.npz")


@pytest.mark.parametrize("command", [["evaluate"], ["plot", "--out", "{tmp}/figs"]])
def test_model_with_fewer_outputs_than_classes_is_refused(command, tmp_path, capsys):
    model = model_with(tmp_path, 5)
    argv = [command[0], str(model), *[a.format(tmp=tmp_path) for a in command[1:]], "--sample"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"nndl: error: {model}: the model has 5 outputs but the data has "
                          "10 classes (labels up to 9)")
    assert not (tmp_path / "figs").exists()


def test_evaluate_a_20_class_model_speaks_of_classes(tmp_path, capsys):
    model = model_with(tmp_path, 20)
    assert main(["evaluate", str(model), "--sample"]) == 0
    out = capsys.readouterr().out
    assert "class  images  correct  accuracy" in out and "digit" not in out
    assert main(["evaluate", str(model), "--sample", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "per_digit" not in result and len(result["per_class"]) == 20
    assert np.array(result["confusion"]).shape == (20, 20)


def test_predict_with_a_20_output_model_gives_classes_not_digits(tmp_path, capsys):
    model = model_with(tmp_path, 20)
    image = tmp_path / "seven.png"
    save_png(load_sample().test[0][0], image)
    assert main(["predict", str(model), str(image), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert "digit" not in result and 0 <= result["class"] < 20
    assert result["class"] == int(np.argmax(result["activations"]))
    assert main(["predict", str(model), str(image)]) == 0
    captured = capsys.readouterr()
    assert f"{image}: class {result['class']}" in captured.out
    assert "20 outputs, not 10 digits" in captured.err


def test_predict_with_a_10_output_model_still_gives_digits(tmp_path, capsys):
    image = tmp_path / "seven.png"
    save_png(load_sample().test[0][0], image)
    assert main(["predict", str(model_with(tmp_path, 10)), str(image), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert "class" not in result and 0 <= result["digit"] < 10
