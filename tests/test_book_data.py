"""nndl.book's data: the book's mnist.pkl.gz read safely, load_data(_wrapper), expand_mnist."""

from __future__ import annotations

import gzip
import os
import pickle
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from book_helpers import py2_pickle, write_py2_mnist
from nndl.book import expand_mnist, mnist_loader, network3
from nndl.book.pairs import is_pairs, pairs_to_arrays
from nndl.data.pickled import read_mnist_pkl, write_mnist_pkl
from nndl.errors import DataError

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _splits(n=(12, 4, 3), seed=0):
    """Three small (x, y) splits like the book's: float32 rows of 784 pixels in [0, 1)."""
    rng = np.random.default_rng(seed)
    return tuple(
        (rng.integers(0, 256, (k, 784)).astype(np.float32) / 256, rng.integers(0, 10, k))
        for k in n
    )


@pytest.fixture
def book_file(tmp_path):
    """A mnist.pkl.gz written the way the book's was: a Python 2 pickle, gzipped."""
    splits = _splits()
    path = tmp_path / "mnist.pkl.gz"
    write_py2_mnist(path, splits)
    return path, splits


# -- the file format -------------------------------------------------------------------------
def test_the_test_file_has_the_python2_problem(book_file):
    """Plain Python 3 unpickling fails on it, as on the book's file; latin1 reads it."""
    path, splits = book_file
    raw = gzip.decompress(path.read_bytes())
    assert raw[:2] == b"\x80\x02" and b"cnumpy.core.multiarray\n_reconstruct\n" in raw
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(raw)
    assert np.array_equal(pickle.loads(raw, encoding="latin1")[0][0], splits[0][0])


def test_reads_the_books_file(book_file):
    path, splits = book_file
    data = read_mnist_pkl(path)
    for (x, y), (x0, y0) in zip(data, splits, strict=True):
        assert x.dtype == np.float32 and y.dtype == np.int64
        assert np.array_equal(x, x0) and np.array_equal(y, y0)


def test_reads_an_uncompressed_pickle_and_python3_protocols(tmp_path):
    splits = _splits()
    plain = tmp_path / "mnist.pkl"
    plain.write_bytes(py2_pickle(splits))
    assert np.array_equal(read_mnist_pkl(plain)[2][1], splits[2][1])
    for protocol in (2, 4, 5):
        path = tmp_path / f"p{protocol}.pkl.gz"
        path.write_bytes(gzip.compress(pickle.dumps(splits, protocol=protocol)))
        assert np.array_equal(read_mnist_pkl(path)[0][0], splits[0][0])


def test_reads_the_books_expanded_layout(tmp_path):
    """The book's expand_mnist stores lists of image rows and of NumPy integer labels."""
    (x, y), va, te = _splits()
    path = tmp_path / "mnist_expanded.pkl.gz"
    write_py2_mnist(path, ([list(x), list(y)], va, te))
    (x2, y2), _, _ = read_mnist_pkl(path)
    assert np.array_equal(x2, x) and np.array_equal(y2, y)


class Payload:
    """Unpickling this would run a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_hostile_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "mnist.pkl.gz"
    x, y = _splits()[0]
    write_py2_mnist(path, ((x, y), (x, Payload(marker)), (x, y)))
    assert b"cos\nsystem\n" in gzip.decompress(path.read_bytes())
    with pytest.raises(DataError, match=r"refusing to unpickle os\.system.*nothing was run"):
        mnist_loader.load_data(path)
    assert not marker.exists()
    # the control: an unrestricted unpickler would have run it
    pickle.loads(gzip.decompress(path.read_bytes()), encoding="latin1")
    assert marker.exists()


@pytest.mark.parametrize("target", [eval, getattr, pickle.loads, random.Random, Path])
def test_any_other_global_is_refused(tmp_path, target):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps((target, 1, 2), protocol=2)))
    with pytest.raises(DataError, match="refusing to unpickle"):
        read_mnist_pkl(path)


def test_codecs_encode_is_only_allowed_for_latin1(tmp_path):
    path = tmp_path / "bad.pkl"
    # _codecs.encode("x", "rot13") built by hand: the same global, another codec
    path.write_bytes(b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x05\x00\x00\x00rot13\x86R.")
    with pytest.raises(DataError, match="only latin1"):
        read_mnist_pkl(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a pickle at all", "not a readable pickle"),
        (gzip.compress(b"\x80\x02K\x01"), "not a readable pickle"),  # truncated
        (gzip.compress(pickle.dumps([1, 2], protocol=2)), "training, validation, test"),
        (gzip.compress(pickle.dumps(((np.zeros((2, 3)), np.zeros(3, int)),) * 3)),
         "labels must be 2 integers"),
        (gzip.compress(pickle.dumps(((np.array(["a", "b"]), np.zeros(2, int)),) * 3)),
         "images must be numbers"),
    ],
    # gzip stamps the time: ids from the bytes would differ between xdist workers
    ids=["not-a-pickle", "truncated", "a-list", "bad-labels", "text-images"],
)
def test_malformed_files_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_mnist_pkl(path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        mnist_loader.load_data(tmp_path / "mnist.pkl.gz")


def test_write_then_read_round_trip(tmp_path):
    splits = _splits()
    path = tmp_path / "out.pkl.gz"
    write_mnist_pkl(path, splits)
    assert [p.name for p in tmp_path.iterdir()] == ["out.pkl.gz"]  # no temporary left over
    for (x, y), (x0, y0) in zip(read_mnist_pkl(path), splits, strict=True):
        assert np.array_equal(x, x0) and np.array_equal(y, y0)


# -- mnist_loader --------------------------------------------------------------------------------
def test_load_data_and_wrapper_from_the_books_file(book_file):
    path, splits = book_file
    training, validation, test = mnist_loader.load_data(path)
    assert np.array_equal(training[0], splits[0][0])
    tr, va, te = mnist_loader.load_data_wrapper(path)
    assert [type(d) for d in (tr, va, te)] == [list, list, list]
    assert len(tr[:5]) == 5  # a list, not a zip: the book's chapter 3 slices it
    x, y = tr[3]
    assert x.shape == (784, 1) and x.dtype == np.float32 and y.shape == (10, 1)
    assert np.array_equal(x[:, 0], splits[0][0][3])
    assert y.ravel().tolist() == mnist_loader.vectorized_result(splits[0][1][3]).ravel().tolist()
    x, label = te[2]
    assert x.shape == (784, 1) and isinstance(label, np.integer) and label == splits[2][1][2]


def test_the_sample_through_the_environment(monkeypatch):
    monkeypatch.setenv(mnist_loader.ENV_VAR, "sample")
    training, validation, test = mnist_loader.load_data()
    assert [len(y) for _, y in (training, validation, test)] == [800, 200, 100]
    assert training[0].dtype == np.float32 and 0 <= training[0].min() <= training[0].max() <= 1


def test_the_default_is_nndls_mnist_cache(monkeypatch):
    """Without a file the data come from nndl.data.load_data (the verified cache)."""
    from nndl.data import MNIST, load_sample

    sample = load_sample("float32")
    x, y = sample.training
    fake = MNIST(training=(x[:600], y[:600]), validation=(x[600:], y[600:]), test=sample.test,
                 source="mnist")
    calls = []
    monkeypatch.delenv(mnist_loader.ENV_VAR, raising=False)
    monkeypatch.setattr(mnist_loader, "_load_nndl_data",
                        lambda **kw: calls.append(kw) or fake)
    training, validation, test = mnist_loader.load_data()
    assert calls == [{"dtype": "float32"}]
    assert len(training[1]) == 600 and len(validation[1]) == 400
    # when nndl.data falls back to its sample (no validation split), the book's split is made
    monkeypatch.setattr(mnist_loader, "_load_nndl_data", lambda **kw: sample)
    assert [len(s[1]) for s in mnist_loader.load_data()] == [800, 200, 100]


def test_load_data_shared_gives_what_network3_takes(book_file):
    path, splits = book_file
    training, validation, test = network3.load_data_shared(path)
    assert training[0].dtype == np.float32 and training[1].dtype == np.int32
    assert network3.size(validation) == len(splits[1][1])


# -- the book's format as arrays --------------------------------------------------------------
def test_pairs_round_trip_and_zip():
    x = np.arange(12.0).reshape(3, 4)
    labels = np.array([1, 0, 2])
    pairs = list(zip(list(x.reshape(3, 4, 1)), labels, strict=True))
    assert is_pairs(pairs) and not is_pairs((x, labels)) and not is_pairs([])
    x2, y2 = pairs_to_arrays(zip(list(x.reshape(3, 4, 1)), labels, strict=True))
    assert np.array_equal(x2, x) and np.array_equal(y2, labels)
    with pytest.raises(ValueError, match="book's format.*differ in shape"):
        pairs_to_arrays([(np.zeros((4, 1)), 1), (np.zeros((3, 1)), 1)])
    with pytest.raises(ValueError, match="not every item is an \\(x, y\\) pair"):
        pairs_to_arrays([(np.zeros((4, 1)), 1, 2)])


# -- expand_mnist --------------------------------------------------------------------------------
def book_expand(x, y):
    """expand_mnist.py, transcribed: one image and one shift at a time."""
    pairs = []
    for xi, yi in zip(x, y, strict=True):
        pairs.append((xi, yi))
        image = np.reshape(xi, (-1, 28))
        for d, axis, index_position, index in [
                (1, 0, "first", 0), (-1, 0, "first", 27), (1, 1, "last", 0), (-1, 1, "last", 27)]:
            new_img = np.roll(image, d, axis)
            if index_position == "first":
                new_img[index, :] = np.zeros(28)
            else:
                new_img[:, index] = np.zeros(28)
            pairs.append((np.reshape(new_img, 784), yi))
    random.shuffle(pairs)
    return [list(d) for d in zip(*pairs, strict=True)]


def test_expand_equals_the_books_expansion():
    x, y = _splits((30, 1, 1))[0]
    random.seed(7)
    book_x, book_y = book_expand(x, y)
    random.seed(7)
    big_x, big_y = expand_mnist.expand((x, y))
    assert big_x.shape == (150, 784) and big_x.dtype == np.float32
    assert np.array_equal(big_x, np.stack(book_x)) and np.array_equal(big_y, book_y)


def _run_expand(cwd, *args, data="sample"):
    env = {**os.environ, "PYTHONPATH": SRC, mnist_loader.ENV_VAR: data}
    return subprocess.run([sys.executable, "-m", "nndl.book.expand_mnist", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


def test_expand_program_writes_the_books_path(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "data").mkdir()
    done = _run_expand(tmp_path / "src", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Expanding the MNIST training set",
        "Saving expanded data. This may take a few minutes.",
    ]
    monkeypatch.chdir(tmp_path / "src")
    training, validation, test = network3.load_data_shared("../data/mnist_expanded.pkl.gz")
    assert [len(y) for _, y in (training, validation, test)] == [4000, 200, 100]
    again = _run_expand(tmp_path / "src")
    assert again.returncode == 0 and "already exists.  Exiting." in again.stdout


def test_expand_program_checks_the_output_folder_first(tmp_path):
    done = _run_expand(tmp_path, "--output", str(tmp_path / "no" / "such.pkl.gz"))
    assert done.returncode == 2 and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    bad = _run_expand(tmp_path, "--output", str(tmp_path / "out.pkl.gz"),
                      data=str(tmp_path / "missing.pkl.gz"))
    assert bad.returncode == 2 and "no such file" in bad.stderr
    assert not (tmp_path / "out.pkl.gz").exists()
