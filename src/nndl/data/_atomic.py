"""Atomic file writes: a file either appears complete under its name or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

#: Suffix of the temporary files written next to their destination.
PART_SUFFIX = ".part"


def _naming(exc: OSError, target: Path) -> OSError:
    """``exc`` about ``target``, the file asked for, rather than the temporary file."""
    if exc.errno is None or exc.strerror is None:
        return OSError(f"{target}: {exc}")
    return OSError(exc.errno, exc.strerror, str(target))


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; move it onto ``path`` when the block succeeds.

    The temporary file lives in the destination's folder (so that
    :func:`os.replace` is atomic) under a hidden name ending in ``.part``.  If
    the ``with`` block raises, the temporary file is removed and ``path`` is
    left untouched.  An ``OSError`` creating or renaming the file names
    ``path``, not the temporary file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "hello.bin"
    >>> with atomic_writer(target) as f:
    ...     _ = f.write(b"hi")
    >>> target.read_bytes()
    b'hi'
    >>> with atomic_writer(target.parent / "missing" / "x.bin") as f:
    ...     pass
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] No such file or directory: '.../missing/x.bin'
    """
    target = Path(path)
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=PART_SUFFIX
        )
    except OSError as exc:
        raise _naming(exc, target) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file readable by its owner only; give it the
        # permissions any new file gets (0o666 less the umask).
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o666 & ~_umask())
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _naming(exc, target) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "x.bin"
    >>> atomic_write_bytes(target, b"abc")
    >>> target.read_bytes()
    b'abc'
    """
    with atomic_writer(path) as f:
        f.write(data)
