"""Fuzz: IDX headers and payloads, raw and gzipped, alone and in an MNIST-style folder.

Contract: a ``uint8`` array of the declared shape, or :class:`nndl.errors.DataError`
naming the file; never another exception, never a hang, never a write.
"""

from __future__ import annotations

import gzip
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from data_helpers import Unreachable, make_folder  # noqa: E402
from fuzz_helpers import no_hang, snapshot  # noqa: E402
from nndl.data import MNIST_FILES, is_verified, load_data, load_mnist, parse_idx  # noqa: E402
from nndl.errors import DataError  # noqa: E402

TYPE_CODES = st.sampled_from([0x08, 0x08, 0x08, 0x09, 0x0B, 0x0D, 0x0E, 0x00, 0xFF])


@st.composite
def idx_files(draw: st.DrawFn) -> bytes:
    """IDX-like bytes: a header (sometimes wrong), a payload (sometimes the wrong size),
    sometimes gzipped (and sometimes that damaged)."""
    zeros = draw(st.sampled_from([b"\x00\x00", b"\x00\x00", b"\x00\x01", b"\x1f\x8b"]))
    ndim = draw(st.integers(0, 4))
    dims = draw(st.lists(st.one_of(st.integers(0, 6), st.integers(0, 2**32 - 1)),
                         min_size=ndim, max_size=ndim))
    header = zeros + bytes([draw(TYPE_CODES), ndim]) + struct.pack(f">{ndim}I", *dims)
    size = int(np.prod(dims, dtype=object)) if dims else 0
    exact = size if size <= 512 else draw(st.integers(0, 512))
    length = draw(st.one_of(st.just(exact), st.integers(0, 600)))
    data = header[: draw(st.integers(0, len(header)))] if draw(st.booleans()) else header
    data += draw(st.binary(min_size=length, max_size=length))
    if draw(st.booleans()):
        data = gzip.compress(data, mtime=0)
        damage = draw(st.sampled_from(["none", "garble", "garble", "cut"]))
        if damage == "garble":  # random bytes over part of the deflate stream
            i = draw(st.integers(10, len(data) - 9))
            junk = draw(st.binary(min_size=1, max_size=8))
            data = data[:i] + junk + data[i + len(junk):]
        elif damage == "cut":
            data = data[: draw(st.integers(0, len(data) - 1))]
    return data


def check_parse(data: bytes) -> None:
    with no_hang():
        try:
            arr = parse_idx(data, name="fuzz.idx")
        except DataError as exc:
            assert str(exc).startswith("fuzz.idx: ")
            return
    assert arr.dtype == np.uint8 and arr.ndim >= 1 and arr.flags.writeable


@given(st.binary(max_size=300))
def test_parse_idx_on_arbitrary_bytes(data):
    check_parse(data)


@given(idx_files())
def test_parse_idx_on_idx_like_bytes(data):
    check_parse(data)


@given(st.lists(st.integers(0, 20), min_size=1, max_size=3))
def test_valid_files_round_trip(shape):
    """The positive half of the contract: well-formed files always parse, exactly."""
    arr = np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)
    data = struct.pack(f">BBBB{len(shape)}I", 0, 0, 8, len(shape), *shape) + arr.tobytes()
    for blob in (data, gzip.compress(data)):
        np.testing.assert_array_equal(parse_idx(blob), arr)


@pytest.fixture(scope="module")
def good_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("idx")
    make_folder(folder, n_train=12, n_test=3, shape=(2, 2))
    return folder


@given(name=st.sampled_from(MNIST_FILES), data=idx_files(), gz=st.booleans())
def test_a_damaged_file_in_a_folder(good_folder, name, data, gz):
    """One of the four files replaced by fuzz: load_mnist/load_data raise DataError naming
    it (or load), is_verified answers False; nothing in the folder changes."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for other in MNIST_FILES:
            (folder / other).write_bytes((good_folder / other).read_bytes())
        (folder / name).unlink()
        target = folder / (name + (".gz" if gz else ""))
        target.write_bytes(data)
        before = snapshot(folder)
        with pytest.MonkeyPatch.context() as mp, no_hang():
            mp.setattr("nndl.data.fetch.default_sources", lambda: [Unreachable()])
            assert is_verified(folder, name) is False
            for load in (lambda: load_mnist(folder, fetch=False, validation_size=2),
                         lambda: load_data(folder, allow_sample=False, validation_size=2,
                                           log=None)):
                try:
                    data_set = load()
                except DataError as exc:
                    assert str(folder) in str(exc)
                else:
                    assert data_set.source == "mnist"
        assert snapshot(folder) == before
