"""Helpers of the writer tests: things an output path may name that are not regular files.

Nothing here touches the machine's own ``/dev``: the character device is a
copy of ``/dev/null``'s numbers (1, 3) made with ``os.mknod`` in a test's
own folder, which only root may do (elsewhere its tests are skipped).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

#: ``os.makedev`` numbers of /dev/null.
NULL_DEVICE = (1, 3)


def make_char_device(path: Path) -> Path:
    """A character device node like /dev/null at ``path``; skips the test where not allowed."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(*NULL_DEVICE))
    except (PermissionError, AttributeError, OSError) as exc:
        pytest.skip(f"cannot make a device node here ({exc}): needs root")
    return path


def make_socket(path: Path) -> Path:
    """A Unix socket bound at ``path`` (its file stays after the socket is closed)."""
    if len(os.fsencode(path)) >= 100:
        pytest.skip("the temporary folder's path is too long for a Unix socket")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(os.fspath(path))
    return path


#: Kind of odd target → a maker ``(folder) -> path`` (the device one may skip the test).
ODD_TARGETS = {
    "char-device": lambda d: make_char_device(d / "null"),
    "fifo": lambda d: (os.mkfifo(d / "pipe"), d / "pipe")[1],
    "socket": lambda d: make_socket(d / "sock"),
    "directory": lambda d: (os.mkdir(d / "folder.npz"), d / "folder.npz")[1],
    "link-to-device": lambda d: (os.symlink(make_char_device(d / "null"), d / "link"),
                                 d / "link")[1],
    "link-to-fifo": lambda d: (os.mkfifo(d / "pipe"), os.symlink("pipe", d / "link"),
                               d / "link")[2],
}

#: What each odd kind is called in the refusal.
KIND_WORDS = {"char-device": "a character device", "fifo": "a FIFO", "socket": "a socket",
              "directory": "a directory", "link-to-device": "a character device",
              "link-to-fifo": "a FIFO"}


def file_type(path: Path) -> int:
    """``stat.S_IFMT`` of ``path`` itself (a link is not followed)."""
    return stat.S_IFMT(os.lstat(path).st_mode)


def snapshot_types(folder: Path) -> dict[str, int]:
    """Every entry of ``folder`` with its file type: a renamed-over device would show."""
    return {p.name: file_type(p) for p in folder.iterdir()}


def fill(folder: Path) -> None:
    """Take every free byte of the file system ``folder`` is on (a file ``filler``)."""
    with open(folder / "filler", "wb", buffering=0) as f:
        block = b"\0" * 4096
        with contextlib.suppress(OSError):
            while True:
                f.write(block)
        with contextlib.suppress(OSError):
            while True:
                f.write(b"\0")


@contextlib.contextmanager
def small_tmpfs(folder: Path, size: str = "256k") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` on ``folder`` (skips the test where mount is not allowed)."""
    folder.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                           os.fspath(folder)], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", os.fspath(folder)], check=False)


def enospc(*args: object, **kwargs: object) -> None:
    """A stand-in for ``os.fsync`` on a full disk."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
