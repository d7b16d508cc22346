"""Output paths are checked before any work, and a failed plot never costs the trained model."""

from __future__ import annotations

import sys

import pytest

import nndl.cli._common as common
import nndl.train
from nndl import Network
from nndl.cli import main
from nndl.model.io import load_model


@pytest.fixture
def no_data(monkeypatch):
    """Fail the test if a command gets as far as loading data."""

    def refuse(*args, **kwargs):
        raise AssertionError("the command loaded data before checking its outputs")

    monkeypatch.setattr(common, "load_dataset", refuse)


def test_save_into_a_missing_folder_is_refused_before_training(tmp_path, no_data, capsys):
    target = tmp_path / "missing" / "m.npz"
    assert main(["train", "--sample", "--epochs", "1", "--save", str(target)]) == 1
    captured = capsys.readouterr()
    assert f"--save {target}: the folder {target.parent} does not exist" in captured.err
    assert ".tmp" not in captured.err and "Epoch" not in captured.out
    assert not target.parent.exists()


def test_save_under_a_file_is_refused_before_training(tmp_path, no_data, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    target = tmp_path / "notes.txt" / "m.npz"
    assert main(["train", "--sample", "--save", str(target)]) == 1
    assert f"--save {target}: {tmp_path / 'notes.txt'} is not a folder" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_save_onto_a_folder_is_refused(tmp_path, no_data, capsys):
    assert main(["train", "--sample", "--save", str(tmp_path)]) == 1
    assert "expected a file name, got a folder" in capsys.readouterr().err


def test_plot_into_a_missing_folder_is_refused_before_training(tmp_path, no_data, capsys):
    target = tmp_path / "nowhere" / "curves.png"
    assert main(["train", "--sample", "--plot", str(target)]) == 1
    assert f"--plot {target}: the folder" in capsys.readouterr().err


def test_plot_without_matplotlib_is_refused_before_training(tmp_path, monkeypatch, no_data,
                                                            capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    code = main(["train", "--sample", "--plot", str(tmp_path / "c.png"),
                 "--save", str(tmp_path / "m.npz")])
    err = capsys.readouterr().err
    assert code == 1 and 'pip install "nndl[plot]"' in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_plot_and_save_on_the_same_file_is_refused(tmp_path, no_data, capsys):
    same = str(tmp_path / "out")
    assert main(["train", "--sample", "--plot", same, "--save", same]) == 1
    assert "name the same file" in capsys.readouterr().err


def test_a_failing_plot_does_not_cost_the_model(tmp_path, monkeypatch, capsys):
    def broken_png(fig, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nndl.inspect.plots.save_png", broken_png)
    model, plot = tmp_path / "m.npz", tmp_path / "c.png"
    code = main(["train", "--sample", "--epochs", "1", "--sizes", "784,10,10",
                 "--save", str(model), "--plot", str(plot)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"--plot {plot}: cannot draw the learning curves: No space left on device" in err
    assert f"the model was saved to {model}" in err
    assert load_model(model).metadata["training"]["epochs_completed"] == 1


def test_a_failed_save_names_the_users_path_not_a_temporary_file(tmp_path, monkeypatch,
                                                                 capsys):
    import shutil

    folder = tmp_path / "out"
    folder.mkdir()
    real_train = nndl.train.train

    def train_then_folder_vanishes(*args, **kwargs):
        history = real_train(*args, **kwargs)
        shutil.rmtree(folder)
        return history

    monkeypatch.setattr(nndl.train, "train", train_then_folder_vanishes)
    target = folder / "m.npz"
    code = main(["train", "--sample", "--epochs", "1", "--sizes", "784,10,10",
                 "--save", str(target)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"--save {target}: cannot write the model: No such file or directory" in err
    assert ".tmp" not in err


@pytest.mark.parametrize("argv", [
    ["digits", "--out", "{tmp}/missing/d.png"],
    ["plot", "{model}", "--out", "{tmp}/file.txt/figures"],
])
def test_plot_commands_check_their_outputs_first(argv, tmp_path, no_data, capsys):
    from nndl.model.io import save_model

    (tmp_path / "file.txt").write_text("")
    model = save_model(Network([784, 10, 10], seed=0), tmp_path / "m.npz")
    argv = [a.format(tmp=tmp_path, model=model) for a in argv]
    assert main(argv) == 1
    assert "--out " in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["digits", "--out", "{tmp}/d.png"],
    ["plot", "{model}", "--out", "{tmp}/figures"],
])
def test_plot_commands_without_matplotlib_name_the_extra_first(argv, tmp_path, monkeypatch,
                                                              no_data, capsys):
    from nndl.model.io import save_model

    model = save_model(Network([784, 10, 10], seed=0), tmp_path / "m.npz")
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main([a.format(tmp=tmp_path, model=model) for a in argv]) == 1
    err = capsys.readouterr().err
    assert 'needs the plot extra (matplotlib is not installed): pip install "nndl[plot]"' in err
    assert "Traceback" not in err


def test_atomic_write_errors_name_the_target_not_the_temporary_file(tmp_path):
    from nndl.data import write_idx

    target = tmp_path / "missing" / "labels-idx1-ubyte"
    with pytest.raises(FileNotFoundError) as info:
        write_idx(target, [1, 2])
    assert str(target) in str(info.value) and ".part" not in str(info.value)
