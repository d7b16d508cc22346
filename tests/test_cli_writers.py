"""Every command-line writer: odd targets refused before any work, a full disk is exit 1.

The commands that write files (``train --save/--plot``, ``export``,
``digits``, ``plot``, the book's ``expand_mnist``) check their outputs with
nndl's one writer before loading data or a model: a device, FIFO, socket or
folder — or a link to one — is refused with one line naming the option and
the path, and is left as it was.  A write that fails (a full disk) is exit 1
with the reason, and the previous file is intact.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path

import pytest

from fuzz_helpers import no_hang
from nndl import Network
from nndl.cli import main
from nndl.data._atomic import PART_SUFFIX
from nndl.model.io import save_model
from writer_helpers import KIND_WORDS, ODD_TARGETS, file_type, fill, small_tmpfs

PREVIOUS = b"the previous file, which must survive"
TRAIN = ["train", "--sample", "--epochs", "1", "--sizes", "784,10,10", "--quiet"]

#: name -> (argv with {out} for the output, {model} for a saved model; the option named).
COMMANDS = {
    "train --save": ([*TRAIN, "--save", "{out}"], "--save", None),
    "train --plot": ([*TRAIN, "--plot", "{out}"], "--plot", "matplotlib"),
    "export onnx": (["export", "{model}", "--format", "onnx", "-o", "{out}"], "-o", "onnx"),
    "export torch": (["export", "{model}", "--format", "torch", "-o", "{out}"], "-o",
                     "safetensors"),
    "digits": (["digits", "--sample", "--count", "4", "--out", "{out}"], "--out", "matplotlib"),
    "plot": (["plot", "{model}", "--sample", "--out", "{out}"], "--out", "matplotlib"),
    "expand_mnist": (["--input", "sample", "--output", "{out}"], "--output", None),
}


def run(name: str, out: Path, model: Path) -> tuple[int, str]:
    """Run command ``name`` writing to ``out`` (for ``plot``: its folder); return code, stderr."""
    argv, _, needs = COMMANDS[name]
    if needs:
        pytest.importorskip(needs)
    where = out.parent if name == "plot" else out
    argv = [a.format(out=where, model=model) for a in argv]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
            no_hang(30):
        if name == "expand_mnist":
            from nndl.book.expand_mnist import main as expand

            code = expand(argv)
        else:
            code = main(argv)
    return code, err.getvalue()


def target_in(folder: Path, name: str, make) -> Path:
    """The odd target ``make`` creates, where command ``name`` writes (plot: its curves.png)."""
    if name == "plot":
        folder = folder / "figures"
        folder.mkdir()
        made = make(folder)
        os.rename(made, folder / "curves.png")
        return folder / "curves.png"
    return make(folder)


@pytest.fixture
def model(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    return save_model(Network([784, 10, 10], seed=0), folder / "m.npz")


@pytest.fixture
def no_work(monkeypatch):
    """Fail if a command loads data or a model before checking its outputs."""
    def refuse(*args, **kwargs):
        raise AssertionError("the command started work before checking its outputs")

    monkeypatch.setattr("nndl.cli._common.load_dataset", refuse)
    monkeypatch.setattr("nndl.model.io.load_model", refuse)
    monkeypatch.setattr("nndl.book.mnist_loader.load_data", refuse)


@pytest.mark.parametrize("kind", sorted(ODD_TARGETS))
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_odd_output_is_refused_before_any_work(name, kind, tmp_path, model, no_work):
    target = target_in(tmp_path, name, ODD_TARGETS[kind])
    before = {p.name: file_type(p) for p in target.parent.iterdir()}
    code, err = run(name, target, model)
    option = COMMANDS[name][1]
    assert code in (1, 2) and err.count("\n") == 1 and "Traceback" not in err, err
    if kind == "directory" and name != "plot":
        assert "expected a file name, got a folder" in err or "not a regular file" in err, err
    else:
        prefix = "error: cannot write " if name == "expand_mnist" else f"nndl: error: {option} "
        assert f"{prefix}{target}: not a regular file (" in err, err
        assert KIND_WORDS[kind] in err, err
    assert {p.name: file_type(p) for p in target.parent.iterdir()} == before


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_full_disk_is_exit_1_and_the_previous_file_survives(name, tmp_path, model):
    with small_tmpfs(tmp_path / "disk") as disk:
        folder = disk / "figures" if name == "plot" else disk
        folder.mkdir(exist_ok=True)
        target = folder / ("curves.png" if name == "plot" else "out.file")
        fresh = name == "expand_mnist"  # it keeps an existing file, as the book's does
        if not fresh:
            target.write_bytes(PREVIOUS)
        fill(disk)
        code, err = run(name, target, model)
        assert code == 1, err
        assert "No space left on device" in err and "Traceback" not in err, err
        assert PART_SUFFIX not in err
        assert not target.exists() if fresh else target.read_bytes() == PREVIOUS
        assert not [p for p in folder.iterdir() if p.name.endswith(PART_SUFFIX)]


def test_the_issues_repro_saving_to_a_device_copy_leaves_it_a_device(tmp_path, capsys):
    """``nndl train --save /dev/full`` replaced the device by a zip file; here on a copy."""
    from writer_helpers import make_char_device

    device = make_char_device(tmp_path / "full")
    code = main([*TRAIN, "--save", str(device)])
    assert code == 1
    assert capsys.readouterr().err == \
        f"nndl: error: --save {device}: not a regular file (a character device)\n"
    assert stat.S_ISCHR(os.lstat(device).st_mode)  # still the device, not a model file
