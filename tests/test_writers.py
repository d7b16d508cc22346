"""nndl's one writer, through every function that writes a file.

Each writer must (nndl.data._atomic): follow a symbolic link and replace its
target (a dangling link gets its target created); refuse a device, FIFO,
socket or directory without opening it (so nothing blocks and no device node
is renamed over); report a failed write or fsync (a full disk) naming the
file, leaving the previous file intact and no temporary file behind; keep a
replaced file's permissions.  The command-line writers are in
test_cli_writers.py.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from fuzz_helpers import no_hang
from nndl import Network
from nndl.data._atomic import PART_SUFFIX, NotARegularFile, atomic_write_bytes, write_target
from nndl.model.io import load_model, model_bytes, save_model
from writer_helpers import KIND_WORDS, ODD_TARGETS, enospc, file_type, fill, small_tmpfs

PREVIOUS = b"the previous file, which must survive"


def _save_model(path: Path) -> None:
    save_model(Network([784, 30, 10], seed=0), path)


def _network2(path: Path) -> None:
    from nndl.book import network2

    network2.Network([20, 5, 3]).save(path)


def _idx(path: Path) -> None:
    from nndl.data import write_idx

    write_idx(path, np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8))


def _pickle(path: Path) -> None:
    from nndl.data.pickled import write_mnist_pkl

    split = (np.random.default_rng(0).random((30, 784), dtype=np.float32), np.arange(30))
    write_mnist_pkl(path, (split, split, split))


def _figure(path: Path) -> None:
    pytest.importorskip("matplotlib")
    from nndl.inspect.plots import curves_figure, save_png

    save_png(curves_figure([]), path)


def _digit_png(path: Path) -> None:
    pytest.importorskip("PIL")
    from nndl.data.preprocess import save_png

    save_png(np.random.default_rng(0).random(784), path, scale=4)


def _onnx(path: Path) -> None:
    pytest.importorskip("onnx")
    from nndl.export.onnx import save_onnx

    save_onnx(Network([784, 10, 10], seed=0), path)


def _safetensors(path: Path) -> None:
    pytest.importorskip("safetensors")
    from nndl.export.torch_arch import save

    save(Network([784, 10, 10], seed=0), path)


def _bytes(path: Path) -> None:
    atomic_write_bytes(path, os.urandom(50_000))


#: Every library function that writes a file (the CLI's writers call these).
WRITERS = {"save_model": _save_model, "network2.save": _network2, "write_idx": _idx,
           "write_mnist_pkl": _pickle, "plots.save_png": _figure,
           "preprocess.save_png": _digit_png, "save_onnx": _onnx, "torch_arch.save": _safetensors,
           "atomic_write_bytes": _bytes}


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(PART_SUFFIX)]


@pytest.mark.parametrize("kind", sorted(ODD_TARGETS))
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_what_is_not_a_regular_file_is_refused_and_left_alone(writer, kind, tmp_path):
    target = ODD_TARGETS[kind](tmp_path)
    before = {p.name: file_type(p) for p in tmp_path.iterdir()}
    with no_hang(10), pytest.raises(NotARegularFile) as info:
        WRITERS[writer](target)
    message = str(info.value)
    assert message.startswith(f"{target}: not a regular file (") and KIND_WORDS[kind] in message
    assert "\n" not in message
    assert {p.name: file_type(p) for p in tmp_path.iterdir()} == before  # nothing replaced
    assert not leftovers(tmp_path)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_link_is_kept_and_the_file_it_points_to_replaced(writer, tmp_path):
    (tmp_path / "runs").mkdir()
    real = tmp_path / "runs" / "42.out"
    real.write_bytes(PREVIOUS)
    link = tmp_path / "latest.out"
    os.symlink("runs/42.out", link)
    WRITERS[writer](link)
    assert link.is_symlink() and os.readlink(link) == "runs/42.out"
    assert real.read_bytes() != PREVIOUS and real.stat().st_size > 0
    assert not leftovers(tmp_path) and not leftovers(tmp_path / "runs")


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_dangling_link_gets_the_file_it_points_to(writer, tmp_path):
    (tmp_path / "runs").mkdir()
    link = tmp_path / "latest.out"
    os.symlink("runs/new.out", link)
    WRITERS[writer](link)
    assert link.is_symlink() and (tmp_path / "runs" / "new.out").stat().st_size > 0
    assert not leftovers(tmp_path / "runs")


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_full_disk_is_an_error_and_the_previous_file_survives(writer, tmp_path):
    with small_tmpfs(tmp_path / "disk") as disk:
        target = disk / "out.file"
        target.write_bytes(PREVIOUS)
        fill(disk)
        with pytest.raises(OSError) as info:
            WRITERS[writer](target)
        assert info.value.errno == errno.ENOSPC
        assert str(target) in str(info.value) and PART_SUFFIX not in str(info.value)
        assert target.read_bytes() == PREVIOUS
        assert not leftovers(disk)


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_failed_fsync_is_an_error_and_the_previous_file_survives(writer, tmp_path,
                                                                   monkeypatch):
    target = tmp_path / "out.file"
    target.write_bytes(PREVIOUS)
    monkeypatch.setattr("nndl.data._atomic.os.fsync", enospc)
    with pytest.raises(OSError, match="No space left on device") as info:
        WRITERS[writer](target)
    assert str(target) in str(info.value)
    assert target.read_bytes() == PREVIOUS and not leftovers(tmp_path)


def test_a_replaced_file_keeps_its_mode_and_owner(tmp_path):
    target = tmp_path / "m.npz"
    target.write_bytes(PREVIOUS)
    os.chmod(target, 0o640)
    if os.getuid() == 0:
        os.chown(target, 4321, 4322)
    _save_model(target)
    st = target.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.getuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4322)
    load_model(target)


def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path):
    old = os.umask(0o027)
    try:
        _bytes(tmp_path / "new.bin")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.bin").stat().st_mode) == 0o640


def test_a_link_loop_is_refused(tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(OSError, match="a/?: not a regular file|Too many levels"):
        write_target(tmp_path / "a")
    with pytest.raises(OSError):
        _bytes(tmp_path / "a")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_a_target_turned_into_a_fifo_while_writing_is_not_renamed_over(tmp_path):
    from nndl.data._atomic import atomic_writer

    target = tmp_path / "m.bin"
    with pytest.raises(NotARegularFile), atomic_writer(target) as f:
        f.write(b"data")
        os.mkfifo(target)  # appears between the check and the rename
    assert stat.S_ISFIFO(os.lstat(target).st_mode) and not leftovers(tmp_path)


def test_the_watch_pages_download_is_the_model_file_made_in_memory(tmp_path):
    net = Network([6, 4, 3], seed=1)
    path = tmp_path / "download.npz"
    path.write_bytes(model_bytes(net, metadata={"written_by": "test"}))
    loaded = load_model(path)
    x = np.random.default_rng(0).random((5, 6))
    np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))
    assert loaded.metadata == {"written_by": "test"}
    assert list(tmp_path.iterdir()) == [path]  # nothing else was written


def test_the_writers_checks_open_nothing(tmp_path, monkeypatch):
    """write_target only looks (lstat): a FIFO is never opened, so nothing can block."""
    os.mkfifo(tmp_path / "pipe")
    opened = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    with pytest.raises(NotARegularFile):
        write_target(tmp_path / "pipe")
    assert opened == []
    assert write_target(tmp_path / "new") == (tmp_path / "new").resolve()


def test_the_servers_default_model_cache_is_checked_before_training(tmp_path, monkeypatch):
    from nndl.web import default_model

    monkeypatch.setattr(default_model, "train_default_model",
                        lambda *a, **k: pytest.fail("trained before checking the cache path"))
    os.mkfifo(tmp_path / "default.npz")
    with no_hang(10), pytest.raises(NotARegularFile, match="not a regular file"):
        default_model.load_or_train_default(tmp_path / "default.npz", log=lambda line: None)


def test_fetch_refuses_a_fifo_in_the_data_folder_without_blocking(tmp_path):
    import hashlib

    from nndl.data.fetch import fetch_mnist
    from nndl.data.files import MNIST_FILES
    from nndl.errors import DataError

    files = {name: os.urandom(64) for name in MNIST_FILES}

    class Source:
        label = "in-memory"

        def get(self, name: str, *, timeout: float) -> bytes:
            return files[name]

    os.mkfifo(tmp_path / MNIST_FILES[0])
    with no_hang(10), pytest.raises(DataError, match="not a regular file \\(a FIFO\\)"):
        fetch_mnist(tmp_path, sources=[Source()], log=None,
                    checksums={n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    assert stat.S_ISFIFO(os.lstat(tmp_path / MNIST_FILES[0]).st_mode)
    assert not leftovers(tmp_path)
