"""Checks a command makes before any work: optional extras installed, output paths writable.

A command that loads data or trains for minutes must not fail at the end
because matplotlib is missing or ``--save`` names a folder that does not
exist, so these run first.  Every message names the path the user gave.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from nndl._extras import require_extra
from nndl.data._atomic import write_target

__all__ = ["check_output_dir", "check_output_file", "require_extra"]


def _probe(folder: Path, option: str, given: str) -> None:
    """Create and delete a temporary file in ``folder`` to prove it is writable."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".nndl-check.", suffix=".tmp")
    except OSError as exc:
        raise OSError(f"{option} {given}: cannot write into {folder}: "
                      f"{exc.strerror or exc}") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)


def check_output_file(path: str | os.PathLike[str], option: str) -> Path:
    """Make sure a file can be written at ``path``: its folder exists and is writable.

    The checks of nndl's one writer (:func:`nndl.data._atomic.write_target`)
    come first: a device, FIFO or socket, or a link to one, is refused; a
    link's target must be in a writable folder.  Nothing is left behind.
    Returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_file(d / "model.npz", "--save").name
    'model.npz'
    >>> check_output_file(d / "missing" / "model.npz", "--save")
    Traceback (most recent call last):
    ...
    OSError: --save .../missing/model.npz: the folder .../missing does not exist
    >>> import os
    >>> os.mkfifo(d / "pipe")
    >>> check_output_file(d / "pipe", "--save")
    Traceback (most recent call last):
    ...
    OSError: --save .../pipe: not a regular file (a FIFO)
    """
    given = os.fspath(path)
    target = Path(given).expanduser()
    if not given or target.is_dir():
        raise OSError(f"{option} {given!r}: expected a file name, got a folder")
    try:  # what the writer would replace: a link's target, never a device or FIFO
        real = write_target(target)
    except OSError as exc:
        raise OSError(f"{option} {exc}") from None
    folder = real.parent if target.is_symlink() else target.parent
    if not folder.exists():
        raise OSError(f"{option} {given}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise OSError(f"{option} {given}: {folder} is not a folder")
    _probe(folder, option, given)
    return target


def check_output_dir(path: str | os.PathLike[str], option: str,
                     names: Iterable[str] = ()) -> Path:
    """Make sure the folder ``path`` exists or can be created, and is writable.

    Each of ``names`` (the files to be written into it) that exists must be a
    regular file or a link to one (see :func:`check_output_file`).  Nothing
    is created.  Returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_dir(d / "new" / "figures", "--out").name
    'figures'
    >>> (d / "curves.png").mkdir()
    >>> check_output_dir(d, "--out", ["curves.png"])
    Traceback (most recent call last):
    ...
    OSError: --out .../curves.png: not a regular file (a directory)
    """
    given = os.fspath(path)
    target = Path(given).expanduser()
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == target else f" ({existing} is a file)"
        raise OSError(f"{option} {given}: not a folder{where}")
    _probe(existing, option, given)
    for name in names if existing == target else ():
        try:
            write_target(target / name)
        except OSError as exc:
            raise OSError(f"{option} {exc}") from None
    return target
