"""Checks a command makes before any work: optional extras installed, output paths writable.

A command that loads data or trains for minutes must not fail at the end
because matplotlib is missing or ``--save`` names a folder that does not
exist, so these run first.  Every message names the path the user gave.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from nndl._extras import require_extra

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

    Nothing is left behind.  Returns the path.

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
    """
    given = os.fspath(path)
    target = Path(given).expanduser()
    if not given or target.is_dir():
        raise OSError(f"{option} {given!r}: expected a file name, got a folder")
    folder = target.parent
    if not folder.exists():
        raise OSError(f"{option} {given}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise OSError(f"{option} {given}: {folder} is not a folder")
    _probe(folder, option, given)
    return target


def check_output_dir(path: str | os.PathLike[str], option: str) -> Path:
    """Make sure the folder ``path`` exists or can be created, and is writable.

    Nothing is created.  Returns the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_dir(d / "new" / "figures", "--out").name
    'figures'
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
    return target
