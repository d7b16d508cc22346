"""MNIST loading: the bundled sample, the book's split on MNIST-shaped folders, fallbacks."""

from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

from data_helpers import make_folder
from nndl.data import MNIST_FILES, load_data, load_mnist, load_sample, write_idx
from nndl.errors import DataError

SAMPLE = Path(__file__).resolve().parent.parent / "src" / "nndl" / "data" / "mnist_sample.npz"


# -- the bundled sample ------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float64", "float32", np.float32])
def test_sample_shapes_and_types(dtype: object) -> None:
    data = load_sample(dtype=dtype)
    assert data.source == "sample"
    assert data.validation is None
    (x, y), (xt, yt) = data.training, data.test
    assert x.shape == (1000, 784) and y.shape == (1000,)
    assert xt.shape == (100, 784) and yt.shape == (100,)
    assert x.dtype == xt.dtype == np.dtype(dtype)
    assert y.dtype == yt.dtype == np.int64
    for arr in (x, xt):
        assert arr.min() == 0.0 and arr.max() == 1.0
    assert set(y.tolist()) == set(range(10))
    assert set(yt.tolist()) == set(range(10))
    assert y[:5].tolist() == [5, 0, 4, 1, 9]  # MNIST's famous first digits
    assert yt[:5].tolist() == [7, 2, 1, 0, 4]


def test_sample_file_is_small_and_pickle_free() -> None:
    assert SAMPLE.stat().st_size < 300 * 1024
    with np.load(SAMPLE, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["test_images", "test_labels", "train_images", "train_labels"]
        assert all(npz[k].dtype == np.uint8 for k in npz.files)
    with zipfile.ZipFile(SAMPLE) as zf:  # savez_compressed: deflated members
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in zf.infolist())


def test_bad_dtype() -> None:
    with pytest.raises(ValueError, match="dtype must be 'float64' or 'float32'"):
        load_sample(dtype="int32")


def test_repr_is_short() -> None:
    text = repr(load_sample())
    assert text.startswith("MNIST(source='sample', training=1000, validation=None, test=100")
    assert len(text) < 300


# -- MNIST-shaped folders ----------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_split_arithmetic_on_a_small_folder(tmp_path: Path, gz: bool) -> None:
    arrays = make_folder(tmp_path, gz=gz)
    data = load_mnist(tmp_path, fetch=False)
    assert data.source == "mnist" and data.path == tmp_path
    (x, y), (xv, yv), (xt, yt) = data.training, data.validation, data.test
    assert x.shape == (50, 16) and xv.shape == (10_000, 16) and xt.shape == (20, 16)
    assert x.dtype == np.float64 and y.dtype == np.int64
    images = arrays["train-images-idx3-ubyte"].reshape(10_050, 16)
    labels = arrays["train-labels-idx1-ubyte"]
    np.testing.assert_array_equal(x, images[:50] / 255)
    np.testing.assert_array_equal(xv, images[50:] / 255)
    np.testing.assert_array_equal(y, labels[:50])
    np.testing.assert_array_equal(yv, labels[50:])
    np.testing.assert_array_equal(yt, arrays["t10k-labels-idx1-ubyte"])
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_full_train_and_validation_size(tmp_path: Path) -> None:
    make_folder(tmp_path)
    full = load_mnist(tmp_path, fetch=False, full_train=True, dtype="float32")
    assert full.validation is None
    assert full.training[0].shape == (10_050, 16) and full.training[0].dtype == np.float32
    small = load_mnist(tmp_path, fetch=False, validation_size=40)
    assert len(small.training[1]) == 10_010 and len(small.validation[1]) == 40


def test_too_few_training_images_says_so(tmp_path: Path) -> None:
    make_folder(tmp_path, n_train=10_000)
    with pytest.raises(DataError, match="leaves none to train on") as info:
        load_mnist(tmp_path, fetch=False)
    assert "10,000 training images" in str(info.value)
    assert "full_train=True" in str(info.value)
    assert len(load_mnist(tmp_path, fetch=False, full_train=True).training[1]) == 10_000


def test_missing_files_are_listed(tmp_path: Path) -> None:
    make_folder(tmp_path, n_train=10_001)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataError) as info:
        load_mnist(tmp_path, fetch=False)
    message = str(info.value)
    assert f"{tmp_path} lacks t10k-labels-idx1-ubyte" in message
    assert all(name in message for name in MNIST_FILES)
    assert "NNDL_DATA_DIR" in message


def test_count_mismatch_names_both_files(tmp_path: Path) -> None:
    make_folder(tmp_path, n_train=10_001)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(19, np.uint8))
    with pytest.raises(DataError) as info:
        load_mnist(tmp_path, fetch=False)
    message = str(info.value)
    assert "t10k-images-idx3-ubyte holds 20 images" in message
    assert "t10k-labels-idx1-ubyte holds 19 labels" in message


def test_image_shapes_must_agree(tmp_path: Path) -> None:
    make_folder(tmp_path, n_train=10_001)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((20, 5, 5), np.uint8))
    with pytest.raises(DataError, match=r"shape \(4, 4\).*shape \(5, 5\)"):
        load_mnist(tmp_path, fetch=False)


def test_labels_must_be_one_dimensional(tmp_path: Path) -> None:
    make_folder(tmp_path, n_train=10_001)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros((10_001, 2), np.uint8))
    with pytest.raises(DataError, match="train-labels-idx1-ubyte: expected labels"):
        load_mnist(tmp_path, fetch=False)


def test_malformed_file_in_folder(tmp_path: Path) -> None:
    make_folder(tmp_path, n_train=10_001)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DataError, match="train-images-idx3-ubyte: truncated"):
        load_mnist(tmp_path, fetch=False)


def test_any_image_size_works(tmp_path: Path) -> None:
    make_folder(tmp_path, n_train=10_003, n_test=2, shape=(7, 3))
    data = load_mnist(tmp_path, fetch=False)
    assert data.training[0].shape == (3, 21)


def test_bad_validation_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="validation_size"):
        load_mnist(tmp_path, fetch=False, validation_size=0)


# -- fetching and falling back -------------------------------------------------


def test_load_mnist_fetches_missing_files(tmp_path: Path, no_network: None) -> None:
    with pytest.raises(DataError, match="could not fetch MNIST") as info:
        load_mnist(tmp_path / "cache", log=None)
    assert "test-source: no network in tests" in str(info.value)


def test_load_data_uses_folder_when_present(tmp_path: Path, no_network: None) -> None:
    make_folder(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_data(tmp_path)
    assert data.source == "mnist"


def test_load_data_falls_back_to_sample(
    tmp_path: Path, no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NNDL_DATA_DIR", str(tmp_path / "cache"))
    with pytest.warns(UserWarning) as record:
        data = load_data(dtype="float32", log=None)
    assert data.source == "sample" and data.training[0].dtype == np.float32
    message = str(record[0].message)
    assert message.startswith("full MNIST unavailable (could not fetch MNIST into")
    assert message.endswith("falling back to the bundled 1,000-image sample")


def test_load_data_without_sample_raises(tmp_path: Path, no_network: None) -> None:
    with pytest.raises(DataError, match="could not fetch MNIST"):
        load_data(tmp_path, allow_sample=False, log=None)


@pytest.mark.skipif(
    not os.environ.get("NNDL_MNIST_DIR"), reason="set NNDL_MNIST_DIR to a folder of real MNIST"
)
def test_real_mnist() -> None:
    data = load_mnist(os.environ["NNDL_MNIST_DIR"], fetch=False, dtype="float32")
    assert [len(split[1]) for split in (data.training, data.validation, data.test)] == [
        50_000,
        10_000,
        10_000,
    ]
    assert data.training[0].shape == (50_000, 784)
    assert data.training[1][:5].tolist() == [5, 0, 4, 1, 9]


def test_folder_of_other_data_is_never_completed_with_mnist(
    tmp_path: Path, no_network: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_folder(tmp_path, n_train=10_001)
    (tmp_path / "t10k-images-idx3-ubyte").unlink()
    called = []
    monkeypatch.setattr("nndl.data.mnist.fetch_mnist", lambda *a, **k: called.append(a))
    with pytest.raises(DataError, match="not downloading MNIST into it") as info:
        load_mnist(tmp_path)
    assert not called
    assert "t10k-labels-idx1-ubyte are not MNIST's" in str(info.value)
