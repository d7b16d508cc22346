"""The one writer of nndl's files: a file either appears complete under its name or not at all.

Every file nndl writes (models, exports, figures, data files, the book's
JSON and pickles, logs of its scripts) goes through :func:`atomic_writer`,
which guarantees:

* **links are followed**: a symbolic link is kept and the file it points to
  is replaced (a dangling link gets its target created);
* **only regular files are replaced**: a device (``/dev/null``), a FIFO, a
  socket or a directory is refused with :class:`NotARegularFile` before
  anything is opened, so nothing blocks and no device node is renamed over;
* **atomic**: the data go to a temporary file beside the target (same
  folder, so same file system), are flushed and ``fsync``-ed, then renamed
  over it; any error — a full disk included — removes the temporary file,
  leaves the previous file intact and is raised naming the target;
* **permissions kept**: a replaced file keeps its mode (and, where allowed,
  its owner); a new one gets ``0o666`` less the umask.

:func:`write_target` makes the same checks without writing, for checking an
output path before long work.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

#: Suffix of the temporary files written next to their destination.
PART_SUFFIX = ".part"

#: File type → how a refusal names it.
_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFIFO: "a FIFO",
          stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link that does not resolve"}


class NotARegularFile(OSError):
    """An output path names something other than a regular file (or a new one)."""


def _naming(exc: OSError, target: str | os.PathLike[str]) -> OSError:
    """``exc`` about ``target``, the file asked for, rather than the temporary file."""
    if isinstance(exc, NotARegularFile):
        return exc
    if exc.errno is None or exc.strerror is None:
        return OSError(f"{os.fspath(target)}: {exc}")
    return type(exc)(exc.errno, exc.strerror, os.fspath(target))


def _refuse_odd(real: Path, given: str) -> os.stat_result | None:
    """``real``'s status if it is a regular file, None if absent; else refuse it."""
    try:
        st = os.lstat(real)
    except (FileNotFoundError, NotADirectoryError):
        return None  # a new file (a missing folder is reported when it is created)
    if stat.S_ISREG(st.st_mode):
        return st
    kind = _KINDS.get(stat.S_IFMT(st.st_mode), "not a file")
    via = f"{real}, " if os.fspath(real) != os.path.abspath(given) else ""
    raise NotARegularFile(f"{given}: not a regular file ({via}{kind})")


def write_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` replaces: links resolved, anything but a regular file refused.

    Raises :class:`NotARegularFile` (an ``OSError``) naming ``path`` when it
    is, or leads to, a device, FIFO, socket, directory or a link loop.  The
    file need not exist (its folder is not checked here).

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "runs").mkdir()
    >>> os.symlink("runs/42.npz", d / "latest.npz")
    >>> write_target(d / "latest.npz") == (d / "runs" / "42.npz").resolve()
    True
    >>> write_target(d / "runs")
    Traceback (most recent call last):
    ...
    nndl.data._atomic.NotARegularFile: .../runs: not a regular file (a directory)
    """
    given = os.fspath(path)
    real = Path(os.path.realpath(given))
    _refuse_odd(real, given)
    return real


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _keep_permissions(tmp: Path, old: os.stat_result | None) -> None:
    """Give ``tmp`` the replaced file's mode and owner, or a new file's mode."""
    with contextlib.suppress(OSError):
        if old is None:
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp made it 0o600
            return
        os.chmod(tmp, stat.S_IMODE(old.st_mode))
        if hasattr(os, "chown") and (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
            os.chown(tmp, old.st_uid, old.st_gid)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``'s target; rename it onto the target at the end.

    See the module's notes for the guarantees.  An ``OSError`` creating,
    writing, syncing or renaming the file names ``path``, not the temporary
    file.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_writer(d / "hello.bin") as f:
    ...     _ = f.write(b"hi")
    >>> (d / "hello.bin").read_bytes()
    b'hi'
    >>> os.mkfifo(d / "pipe")
    >>> with atomic_writer(d / "pipe") as f:
    ...     pass
    Traceback (most recent call last):
    ...
    nndl.data._atomic.NotARegularFile: .../pipe: not a regular file (a FIFO)
    >>> with atomic_writer(d / "missing" / "x.bin") as f:
    ...     pass
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] No such file or directory: '.../missing/x.bin'
    """
    target = write_target(path)
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=PART_SUFFIX
        )
    except OSError as exc:
        raise _naming(exc, path) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # Checked again just before the rename: the target may have changed since.
        _keep_permissions(tmp, _refuse_odd(target, os.fspath(path)))
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        # A write, flush or fsync error names no file; one about the temporary file should
        # name the target.  (An error naming another file the block read is left alone.)
        if isinstance(exc, OSError) and exc.filename in (None, tmp_name):
            raise _naming(exc, path) from None
        raise
    _fsync_folder(target.parent)


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
