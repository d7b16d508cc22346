"""Hostile files for the book's loaders: one clear error, bounded memory, nothing hangs.

``network2.load`` (the book's JSON) is read as nndl's own model files are:
a size and nesting guard, shapes checked, NaN and infinities refused.  The
book's pickle reader charges what a file makes it allocate against
:data:`nndl.data.pickled.MAX_PICKLE_BYTES`, so a small file that declares a
huge string or array, or unpacks into millions of objects, is refused before
the memory is taken; a gzip stream of zeros stops at its first byte.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import struct
import time
import tracemalloc

import numpy as np
import pytest

from fuzz_helpers import no_hang
from nndl.book import network2
from nndl.data import pickled
from nndl.data.pickled import SafeUnpickler, load_pickle, read_mnist_pkl
from nndl.errors import DataError, ModelFileError


def book_json(weights=None, biases=None, sizes=(3, 2)) -> dict:
    return {"sizes": list(sizes), "cost": "CrossEntropyCost",
            "weights": weights if weights is not None else [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]],
            "biases": biases if biases is not None else [[[0.1], [0.2]]]}


@pytest.mark.parametrize(("text", "message"), [
    (json.dumps(book_json()).replace("0.5", "NaN"), r"weights\[0\] holds NaN or infinite"),
    (json.dumps(book_json()).replace("0.5", "Infinity"), r"weights\[0\] holds NaN or infinite"),
    (json.dumps(book_json()).replace("[0.2]", "[1e999]"), r"biases\[0\] holds NaN or infinite"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"sizes": [3, 2], "cost": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
    (json.dumps({**book_json(), "cost": ["CrossEntropyCost"]}), "unknown cost"),
    (json.dumps(book_json(weights=[[[0.1, 0.2], [0.4, 0.5]]])), r"weights\[0\] must have shape"),
    (json.dumps(book_json(weights=[[["a", "b", "c"], [1, 2, 3]]])), "could not convert"),
    (json.dumps(book_json(weights=[[{"a": 1}]])), r"weights\[0\]: float\(\) argument"),
    (json.dumps(book_json(sizes=(784, 10**6, 10**6))), "parameters"),
    (json.dumps(book_json(sizes="32")), "sizes"),
], ids=["nan", "infinity", "1e999", "deep-list", "deep-cost", "cost-list", "shape", "strings",
        "dict", "huge-sizes", "string-sizes"])
def test_hostile_network2_files_get_one_clear_error(tmp_path, text, message):
    path = tmp_path / "net.json"
    path.write_text(text)
    with pytest.raises(ModelFileError, match=message) as info:
        network2.load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_huge_network2_file_is_refused_before_it_is_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr(network2, "MAX_JSON_BYTES", 1000)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(book_json()) + " " * 1000)
    monkeypatch.setattr(json, "loads", lambda *a, **k: pytest.fail("parsed anyway"))
    with pytest.raises(ModelFileError, match="larger than 1,000 bytes"):
        network2.load(path)


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_a_network2_path_that_is_not_a_file_neither_blocks_nor_crashes(tmp_path, kind):
    path = tmp_path / "net.json"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    with no_hang(10), pytest.raises(ModelFileError, match="not a regular file"):
        network2.load(path)


def test_a_valid_network2_file_still_loads(tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(book_json()))
    net = network2.load(path)
    np.testing.assert_array_equal(net.weights[0], [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    np.testing.assert_array_equal(net.biases[0], [[0.1], [0.2]])


# -- the book's pickles --------------------------------------------------------------------
def gz(tmp_path, data: bytes, name: str = "mnist.pkl.gz"):
    path = tmp_path / name
    path.write_bytes(gzip.compress(data))
    return path


@pytest.mark.parametrize(("stream", "why"), [
    # BINBYTES8 / BINUNICODE8 / BYTEARRAY8 declaring 1 TiB, with a few bytes behind
    (b"\x80\x04\x8e" + struct.pack("<Q", 2**40) + b"\0" * 64, "declares a huge string"),
    (b"\x80\x04\x8d" + struct.pack("<Q", 2**40) + b"\0" * 64, "declares a huge text"),
    (b"\x80\x05\x96" + struct.pack("<Q", 2**40), "declares a huge bytearray"),
    # a protocol-4 frame of 1 TiB
    (b"\x80\x04\x95" + struct.pack("<Q", 2**40) + b"N.", "declares a huge frame"),
    # _reconstruct(ndarray, (2**40,), b"b"): an array of 1 TiB
    (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n\x8a\x06\0\0\0\0\0\x01"
     b"\x85C\x01b\x87R.", "asks for a huge array"),
], ids=["binbytes8", "binunicode8", "bytearray8", "frame", "reconstruct"])
def test_a_bomb_is_refused_before_the_memory_is_taken(tmp_path, stream, why):
    path = gz(tmp_path, stream)
    tracemalloc.start()
    try:
        with pytest.raises(DataError, match="refused: it would make the reader allocate"):
            load_pickle(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"{why}: {peak:,} bytes allocated"


def test_numpy_ndarray_itself_cannot_be_called_to_allocate(tmp_path):
    # numpy.ndarray((2**40,)) through REDUCE
    stream = b"\x80\x02cnumpy\nndarray\n\x8a\x06\0\0\0\0\0\x01\x85\x85R."
    with pytest.raises(DataError, match="not a readable pickle"):
        load_pickle(gz(tmp_path, stream))


def test_millions_of_tiny_objects_are_charged_too(tmp_path, monkeypatch):
    monkeypatch.setattr(pickled, "MAX_PICKLE_BYTES", 10 * 2**20)
    path = gz(tmp_path, b"\x80\x02" + b"]" * 1_000_000)  # a million empty lists: ~3 KB
    assert path.stat().st_size < 10_000
    with pytest.raises(DataError, match="more than 10,485,760 bytes"):
        load_pickle(path)


def test_a_gzip_stream_of_zeros_stops_at_once(tmp_path):
    path = gz(tmp_path, bytes(64 * 2**20))  # 64 MB of zeros, 64 KB on disk
    start = time.perf_counter()
    with pytest.raises(DataError, match=r"invalid load key, b'\\x00'"):
        read_mnist_pkl(path)
    assert time.perf_counter() - start < 2


def test_a_pickle_fifo_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "mnist.pkl.gz")
    with no_hang(10), pytest.raises(DataError, match="no such file"):
        read_mnist_pkl(tmp_path / "mnist.pkl.gz")


def test_the_ceiling_is_what_the_file_makes_the_reader_allocate(tmp_path):
    """A file within the ceiling loads; the same file under a smaller ceiling does not."""
    x = np.random.default_rng(0).random((200, 784), dtype=np.float32)
    split = (x, np.arange(200))
    data = pickle.dumps((split, split, split), protocol=2)
    assert read_mnist_pkl(gz(tmp_path, data))[0][0].shape == (200, 784)
    needed = x.nbytes  # the three splits share one array: it is pickled once
    with pytest.raises(DataError, match="refused"):
        SafeUnpickler(io.BytesIO(data), "small", max_bytes=needed // 2).load()
    loaded = SafeUnpickler(io.BytesIO(data), "enough", max_bytes=2 * needed).load()
    np.testing.assert_array_equal(loaded[0][0], x)


def test_a_python_2_style_text_pickle_is_charged_as_decoded():
    """The book's own expanded file is a text pickle (protocol 0) of a list of rows: its
    escaped lines are about 3.6 times its arrays, but what stays is the arrays."""
    x = (np.random.default_rng(1).integers(0, 256, (300, 784)) / 256).astype(np.float32)
    split = (list(x), np.arange(300))
    data = pickle.dumps((split, split, split), protocol=0)
    unpickler = SafeUnpickler(io.BytesIO(data), "p", max_bytes=2**31)
    loaded = unpickler.load()
    np.testing.assert_array_equal(np.stack(loaded[0][0]), x)
    used = unpickler.budget.limit - unpickler.budget.left
    assert len(data) > 3 * x.nbytes and x.nbytes < used < 2 * x.nbytes


@pytest.mark.parametrize("protocol", [2, 5])
def test_a_binary_pickle_is_charged_about_its_size(protocol):
    x = np.random.default_rng(1).random((3000, 784), dtype=np.float32)
    data = pickle.dumps(((x, np.arange(3000)),) * 3, protocol=protocol)
    unpickler = SafeUnpickler(io.BytesIO(data), "p", max_bytes=2**31)
    np.testing.assert_array_equal(unpickler.load()[0][0], x)
    used = unpickler.budget.limit - unpickler.budget.left
    assert len(data) <= used < 1.01 * len(data)


@pytest.mark.slow
def test_a_file_the_size_of_the_books_mnist_loads_under_the_ceiling(tmp_path):
    """The real mnist.pkl.gz holds 70,000 float32 rows: about 220 MB unpacked."""
    rng = np.random.default_rng(0)
    x = (rng.random((70_000, 784), dtype=np.float32) < 0.2).astype(np.float32)
    y = rng.integers(0, 10, 70_000)
    splits = ((x[:50_000], y[:50_000]), (x[50_000:60_000], y[50_000:60_000]),
              (x[60_000:], y[60_000:]))
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(splits, protocol=2), 1))
    training, validation, test = read_mnist_pkl(path)
    np.testing.assert_array_equal(training[0], x[:50_000])
    assert len(validation[1]) == len(test[1]) == 10_000
