"""IDX files: round trips, gzip detection, and every malformed-file error."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from nndl.data import _atomic, parse_idx, read_idx, write_idx
from nndl.errors import DataError


def header(type_code: int, *shape: int) -> bytes:
    return struct.pack(f">BBBB{len(shape)}I", 0, 0, type_code, len(shape), *shape)


@pytest.fixture
def images() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(5, 3, 4), dtype=np.uint8)


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_round_trip(tmp_path: Path, images: np.ndarray, name: str) -> None:
    path = tmp_path / name
    write_idx(path, images)
    back = read_idx(path)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, images)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    assert back.flags.writeable


def test_round_trip_labels_from_int_array(tmp_path: Path) -> None:
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, [3, 1, 4, 1, 5])
    np.testing.assert_array_equal(read_idx(path), [3, 1, 4, 1, 5])
    assert path.read_bytes() == header(8, 5) + bytes([3, 1, 4, 1, 5])


def test_gzip_detected_by_content_not_name(tmp_path: Path, images: np.ndarray) -> None:
    compressed = tmp_path / "no-suffix"
    write_idx(compressed, images, compress=True)
    np.testing.assert_array_equal(read_idx(compressed), images)
    plain = tmp_path / "misleading.gz"
    write_idx(plain, images, compress=False)
    np.testing.assert_array_equal(read_idx(plain), images)


def test_write_leaves_no_temporary_files(tmp_path: Path, images: np.ndarray) -> None:
    write_idx(tmp_path / "a-idx3-ubyte", images)
    write_idx(tmp_path / "a-idx3-ubyte", images[:2])  # overwrite
    assert [p.name for p in tmp_path.iterdir()] == ["a-idx3-ubyte"]
    assert read_idx(tmp_path / "a-idx3-ubyte").shape == (2, 3, 4)


def test_failed_write_keeps_old_file_and_cleans_up(
    tmp_path: Path, images: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a-idx3-ubyte"
    write_idx(path, images)
    before = path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_atomic.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, images[:1])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a-idx3-ubyte"]


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((2, 2)), "dtype float64"),
        (np.array([1, 256]), "0..255"),
        (np.array([-1, 2]), "0..255"),
        (np.uint8(3), "dimensions"),
    ],
)
def test_write_rejects_what_idx_ubyte_cannot_hold(
    tmp_path: Path, array: np.ndarray, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        write_idx(tmp_path / "x", array)
    assert list(tmp_path.iterdir()) == []


def bad(tmp_path: Path, name: str, data: bytes, *, gz: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\x00\x00", "too short"),
        (b"\x08\x03\x00\x00" + bytes(20), "not an IDX file: magic number starts with 0x08 0x03"),
        (header(0x0D, 2) + bytes(8), r"unsupported IDX element type 0x0d \(float\)"),
        (header(0x08) + b"", "0 dimensions"),
        (header(0x08, 10, 28, 28)[:9], "truncated: header declares 3 dimensions"),
        (header(0x08, 10, 4) + bytes(39), "truncated: header promises 40 bytes of data"),
        (header(0x08, 10, 4) + bytes(43), "3 trailing bytes after the data"),
    ],
)
def test_malformed_files_name_file_and_problem(
    tmp_path: Path, data: bytes, problem: str, gz: bool
) -> None:
    path = bad(tmp_path, "t10k-images-idx3-ubyte", data, gz=gz)
    with pytest.raises(DataError, match=problem) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ")


def test_truncated_message_reports_counts(tmp_path: Path) -> None:
    path = bad(tmp_path, "t10k-images-idx3-ubyte", header(0x08, 10000, 28, 28) + bytes(1234))
    with pytest.raises(DataError) as info:
        read_idx(path)
    message = str(info.value)
    assert "t10k-images-idx3-ubyte: truncated: header promises 7840000 bytes of data" in message
    assert "found 1234" in message


def test_corrupt_gzip(tmp_path: Path, images: np.ndarray) -> None:
    path = tmp_path / "train-images-idx3-ubyte.gz"
    write_idx(path, images)
    path.write_bytes(path.read_bytes()[:-12])  # cut off the gzip trailer
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz: corrupt gzip data"):
        read_idx(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nothing-here: file not found"):
        read_idx(tmp_path / "nothing-here")


def test_data_error_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        parse_idx(b"\x01\x02\x03\x04", name="x")


def test_parse_idx_bytes() -> None:
    np.testing.assert_array_equal(parse_idx(header(8, 2, 1) + b"\x07\x09"), [[7], [9]])
