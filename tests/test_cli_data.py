"""Data the user names must load; only the default cache falls back to the bundled sample."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from data_helpers import make_folder
from nndl import Network
from nndl.cli import main
from nndl.data import load_data
from nndl.errors import DataError, DataUnavailable
from nndl.model.io import save_model

TRAIN_IMAGES = "train-images-idx3-ubyte"


def broken_folder(folder: Path) -> Path:
    """A valid MNIST-shaped folder of 2x2 images, then its training images truncated."""
    make_folder(folder, shape=(2, 2))
    path = folder / TRAIN_IMAGES
    path.write_bytes(path.read_bytes()[:100])
    return folder


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return save_model(Network([4, 3, 10], seed=0), tmp_path / "m.npz")


@pytest.mark.parametrize("command", [["train", "--sizes", "4,3,10", "--epochs", "1"],
                                     ["evaluate", "{model}"]])
def test_broken_data_dir_is_an_error_naming_the_file(command, tmp_path, model, no_network,
                                                     capsys):
    folder = broken_folder(tmp_path / "data")
    argv = [a.format(model=model) for a in command] + ["--data-dir", str(folder)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith(f"nndl: error: {folder / TRAIN_IMAGES}: truncated")
    assert "sample" not in captured.err and "Epoch" not in captured.out


def test_data_dir_without_the_files_is_an_error(tmp_path, no_network, capsys):
    folder = tmp_path / "empty"
    assert main(["train", "--epochs", "1", "--data-dir", str(folder)]) == 1
    err = capsys.readouterr().err
    assert f"could not fetch MNIST into {folder}" in err and "falling back" not in err


def test_default_cache_falls_back_to_the_sample_and_says_so(tmp_path, no_network, monkeypatch,
                                                           capsys):
    monkeypatch.setenv("NNDL_DATA_DIR", str(tmp_path / "cache"))
    assert main(["train", "--epochs", "1", "--sizes", "784,10,10"]) == 0
    captured = capsys.readouterr()
    assert "falling back to the bundled 1,000-image sample" in captured.err
    assert "the bundled sample" in captured.out


def test_damaged_default_cache_is_an_error_not_a_fallback(tmp_path, no_network, monkeypatch,
                                                         capsys):
    folder = broken_folder(tmp_path / "cache")
    monkeypatch.setenv("NNDL_DATA_DIR", str(folder))
    assert main(["train", "--epochs", "1", "--sizes", "4,3,10"]) == 1
    err = capsys.readouterr().err
    assert f"{folder / TRAIN_IMAGES}: truncated" in err and "run `nndl fetch`" in err


def test_load_data_falls_back_only_when_the_data_is_unavailable(tmp_path, no_network):
    folder = broken_folder(tmp_path / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning either
        with pytest.raises(DataError, match="truncated") as info:
            load_data(folder, log=None)
    assert not isinstance(info.value, DataUnavailable)
    with pytest.raises(DataUnavailable):
        load_data(tmp_path / "empty", allow_sample=False, log=None)
    with pytest.warns(UserWarning, match="falling back"):
        assert load_data(tmp_path / "empty2", log=None).source == "sample"
