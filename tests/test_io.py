"""Model files: round trip, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from nndl import ModelFileError, Network
from nndl.io import FORMAT_VERSION, META_KEY, load_model, save_model


def _rewrite(path, mutate):
    """Rewrite a model file's arrays/metadata with ``mutate(arrays, header)``."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    header = json.loads(arrays.pop(META_KEY).tobytes())
    mutate(arrays, header)
    arrays[META_KEY] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_round_trip_gives_identical_predictions(tmp_path, dtype):
    net = Network([6, 5, 3], seed=3, dtype=dtype, cost="cross_entropy")
    path = save_model(net, tmp_path / "net.npz", metadata={"accuracy": 0.5})
    loaded = load_model(path)
    assert loaded.sizes == net.sizes and loaded.dtype == net.dtype
    assert loaded.cost.name == "cross_entropy"
    assert loaded.metadata == {"accuracy": 0.5}
    for a, b in zip(net.parameters(), loaded.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)
    x = np.random.default_rng(0).random((10, 6))
    np.testing.assert_array_equal(net.feedforward(x), loaded.feedforward(x))


def test_file_is_a_plain_npz_without_pickles(tmp_path):
    path = save_model(Network([2, 2], seed=0), tmp_path / "m.npz")
    with zipfile.ZipFile(path) as zf:
        names = sorted(zf.namelist())
    assert names == sorted(["weights_0.npy", "biases_0.npy", f"{META_KEY}.npy"])
    header = json.loads(np.load(path, allow_pickle=False)[META_KEY].tobytes())
    assert header["format_version"] == FORMAT_VERSION
    assert header["config"]["sizes"] == [2, 2]


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save_model(Network([3, 2], seed=0), path)
    original = path.read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # interrupted mid-write

    monkeypatch.setattr(np, "savez_compressed", boom)
    with pytest.raises(KeyboardInterrupt):
        save_model(Network([3, 2], seed=1), path)
    assert path.read_bytes() == original  # the previous model survives
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_unserialisable_metadata_is_refused(tmp_path):
    with pytest.raises(ValueError, match="metadata must be JSON-serialisable"):
        save_model(Network([2, 2]), tmp_path / "m.npz", metadata={"x": object()})
    assert not list(tmp_path.iterdir())


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="model file not found: .*nope.npz"):
        load_model(tmp_path / "nope.npz")


def test_not_a_model_file(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_text("hello")
    with pytest.raises(ModelFileError, match=r"bad.npz: not an nndl model file"):
        load_model(bad)
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.zeros(3))
    with pytest.raises(ModelFileError, match="no '__nndl__' metadata"):
        load_model(plain)


def test_unknown_format_version(tmp_path):
    path = save_model(Network([2, 2]), tmp_path / "m.npz")
    _rewrite(path, lambda arrays, header: header.update(format_version=99))
    with pytest.raises(ModelFileError, match="unsupported model format version 99"):
        load_model(path)


def test_missing_and_misshaped_arrays(tmp_path):
    path = save_model(Network([4, 3, 2]), tmp_path / "m.npz")
    _rewrite(path, lambda arrays, header: arrays.pop("weights_1"))
    with pytest.raises(ModelFileError, match="missing array 'weights_1' for sizes"):
        load_model(path)
    path = save_model(Network([4, 3, 2]), tmp_path / "m2.npz")
    _rewrite(path, lambda arrays, header: arrays.update(biases_0=np.zeros(7)))
    with pytest.raises(ModelFileError, match=r"'biases_0' has shape \(7,\), expected \(3,\)"):
        load_model(path)


def test_bad_config_and_kind(tmp_path):
    path = save_model(Network([4, 2]), tmp_path / "m.npz")
    _rewrite(path, lambda arrays, header: header["config"].update(sizes=[4]))
    with pytest.raises(ModelFileError, match="invalid network configuration"):
        load_model(path)
    path = save_model(Network([4, 2]), tmp_path / "k.npz")
    _rewrite(path, lambda arrays, header: header.update(kind="transformer"))
    with pytest.raises(ModelFileError, match="unknown model kind 'transformer'"):
        load_model(path)


def test_every_network_option_survives_a_round_trip(tmp_path):
    net = Network(
        [6, 5, 4, 3], cost="log_likelihood", activation=["relu", "tanh"],
        output_activation="softmax", init="he", dropout=[0.2, 0.1], seed=9, dtype="float32",
    )
    loaded = load_model(save_model(net, tmp_path / "all.npz"))
    assert loaded.config() == net.config()
    x = np.random.default_rng(0).random((7, 6))
    np.testing.assert_array_equal(net.feedforward(x), loaded.feedforward(x))


def test_files_written_before_the_later_options_still_load(tmp_path):
    # The first format-1 files carried only these keys (no init, no dropout).
    net = Network([4, 3, 2], seed=1)
    path = save_model(net, tmp_path / "old.npz")

    def as_first_written(arrays, header):
        header["config"] = {
            "sizes": [4, 3, 2], "cost": "quadratic", "activation": "sigmoid",
            "output_activation": "sigmoid", "seed": 1, "dtype": "float64",
        }

    _rewrite(path, as_first_written)
    loaded = load_model(path)
    x = np.random.default_rng(1).random((5, 4))
    np.testing.assert_array_equal(loaded.feedforward(x), net.feedforward(x))
    assert loaded.config()["init"] == "normal" and loaded.config()["dropout"] == 0.0
