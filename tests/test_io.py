"""Model files: round trip, atomic writes, and clear errors for bad files."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nndl import ModelFileError, Network
from nndl.data import load_sample
from nndl.model.io import FORMAT_VERSION, META_KEY, load_model, read_header, save_model
from nndl.model.sequential import Sequential

DATA = Path(__file__).parent / "data"


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
    assert names == sorted(["0.w.npy", "0.b.npy", f"{META_KEY}.npy"])
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
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left


def test_files_get_the_permissions_the_umask_gives(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_model(Network([3, 2], seed=0), tmp_path / "m.npz")
        assert path.stat().st_mode & 0o777 == 0o644
        os.umask(0o077)
        path = save_model(Network([3, 2], seed=0), tmp_path / "private.npz")
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


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
    _rewrite(path, lambda arrays, header: arrays.pop("1.w"))
    with pytest.raises(ModelFileError, match=r"missing array '1.w' for this Network\(\[4, 3, 2\]"):
        load_model(path)
    path = save_model(Network([4, 3, 2]), tmp_path / "m2.npz")
    _rewrite(path, lambda arrays, header: arrays.update({"0.b": np.zeros(7)}))
    with pytest.raises(ModelFileError,
                       match=r"'0.b' of layer 0 \(dense 3 sigmoid\) has shape \(7,\), "
                             r"expected \(3,\)"):
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


# -- files written by nndl 0.1 (format 1) --------------------------------------------
@pytest.mark.parametrize("kind", ["network", "sequential"])
def test_format_1_files_load_and_predict_the_same_numbers(kind):
    """Fixtures written by nndl 0.1 (before the one engine), with its outputs."""
    model = load_model(DATA / f"v1-{kind}.npz")
    assert read_header(DATA / f"v1-{kind}.npz")["format_version"] == 1
    assert model.metadata == {"written_by": "nndl 0.1"}
    assert type(model) is {"network": Network, "sequential": Sequential}[kind]
    expected = np.load(DATA / "v1-expected.npz")
    # The outputs were recorded on another machine: its BLAS sums the products in another
    # order, so the last bits may differ (1e-16 seen between an AMD and an Intel kernel).
    # The claim is "the same model, the same computation": float64 agreement to 1e-12.
    # (nndl 0.1's σ was ½(1 + tanh(z/2)); it is 1/(1 + e^(−z)) since issue 27: ~1e-16 too.)
    np.testing.assert_allclose(model.feedforward(expected[f"x_{kind}"]),
                               expected[f"out_{kind}"], rtol=1e-12, atol=0)


def test_a_format_1_file_saved_again_is_format_2(tmp_path):
    model = load_model(DATA / "v1-network.npz")
    again = load_model(save_model(model, tmp_path / "again.npz"))
    assert read_header(tmp_path / "again.npz")["format_version"] == 2
    for a, b in zip(model.parameters(), again.parameters(), strict=True):
        np.testing.assert_array_equal(a, b)


# -- hostile or damaged files: checked before they cost anything --------------------
def _write_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _npy(array):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(array), allow_pickle=True)
    return buf.getvalue()


def _header_bytes(header):
    return _npy(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))


def _good_header(**change):
    header = {"format": "nndl-model", "format_version": 2, "kind": "network",
              "config": Network([4, 2]).config(), "metadata": {}}
    header.update(change)
    return header


@pytest.mark.parametrize(("header", "message"), [
    ([1, 2, 3], "header is a list, not a JSON object"),
    ("just a string", "header is a str, not a JSON object"),
    (_good_header(metadata=[1, 2]), "'metadata' must be a JSON object, got list"),
    (_good_header(format_version=True), "unsupported model format version True"),
    (_good_header(config=[4, 2]), "no model 'config' object"),
])
def test_malformed_headers_are_refused_with_a_message(tmp_path, header, message):
    path = _write_zip(tmp_path / "bad.npz", {f"{META_KEY}.npy": _header_bytes(header)})
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_a_huge_declared_array_is_refused_before_decompression(tmp_path):
    """A 16 KB file that would expand to 16 MB for a 64-byte array: refused unread."""
    header = _good_header()
    bomb = np.lib.format.header_data_from_array_1_0(np.zeros((2, 4)))
    members = {f"{META_KEY}.npy": _header_bytes(header), "0.b.npy": _npy(np.zeros(2))}
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        with zf.open("0.w.npy", "w", force_zip64=True) as fh:
            np.lib.format.write_array_header_1_0(fh, bomb)
            chunk = bytes(2**20)
            for _ in range(16):
                fh.write(chunk)
    assert path.stat().st_size < 64 * 2**10
    with pytest.raises(ModelFileError, match=r"'0.w' of layer 0 .* declares 16,777,\d+ bytes"):
        load_model(path)


def test_declared_shape_and_dtype_are_checked_before_the_data(tmp_path):
    path = save_model(Network([4, 2], seed=0), tmp_path / "m.npz")
    _rewrite(path, lambda arrays, header: arrays.update({"0.w": np.zeros((2, 4), np.int64)}))
    with pytest.raises(ModelFileError, match="has dtype int64, expected floating-point"):
        load_model(path)
    objects = np.empty((2, 4), dtype=object)
    members = {f"{META_KEY}.npy": _header_bytes(_good_header()), "0.w.npy": _npy(objects),
               "0.b.npy": _npy(np.zeros(2))}
    with pytest.raises(ModelFileError, match="Python objects"):
        load_model(_write_zip(tmp_path / "obj.npz", members))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_are_refused(tmp_path, bad):
    net = Network([4, 2], seed=0)
    net.weights[0][0, 0] = bad
    path = save_model(net, tmp_path / "nan.npz")
    with pytest.raises(ModelFileError, match="'0.w' holds NaN or infinite values"):
        load_model(path)


def test_a_config_asking_for_huge_layers_is_refused_with_an_estimate(tmp_path):
    header = _good_header(config={"sizes": [784, 100_000_000, 10]})
    path = _write_zip(tmp_path / "huge.npz", {f"{META_KEY}.npy": _header_bytes(header)})
    with pytest.raises(ModelFileError,
                       match=r"refused: .* parameters: .* needs about [\d,.]+ GiB"):
        load_model(path)


def test_truncated_member_is_a_clear_error(tmp_path):
    members = {f"{META_KEY}.npy": _header_bytes(_good_header()),
               "0.w.npy": _npy(np.zeros((2, 4)))[:-16], "0.b.npy": _npy(np.zeros(2))}
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(_write_zip(tmp_path / "cut.npz", members))


# -- convolutional models --------------------------------------------------------------
def test_conv_round_trip_gives_identical_predictions(tmp_path):
    net = Sequential("conv:4x5x5,pool:2,conv:6x3x3,dense:12:relu,dropout:0.5,softmax:10",
                     seed=5)
    x = load_sample(dtype="float32").test[0]
    path = save_model(net, tmp_path / "conv.npz", metadata={"note": "x"})
    with np.load(path) as archive:
        assert {"0.w", "0.b", "2.w", "4.w", "6.b"} <= set(archive.files)
    loaded = load_model(path)
    assert isinstance(loaded, Sequential)
    assert loaded.metadata == {"note": "x"}
    assert loaded.config() == net.config()
    assert np.array_equal(loaded.feedforward(x), net.feedforward(x))


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda arrays, header: arrays.update({"0.w": np.zeros((3, 2, 2, 2), np.float32)}),
     r"'0.w' of layer 0 \(conv 3×3×3 tanh\).*\(3, 2, 2, 2\).*expected \(3, 2, 3, 3\)"),
    (lambda arrays, header: arrays.pop("3.b"), "missing array '3.b'"),
    (lambda arrays, header: arrays.update({"9.w": np.zeros(3, np.float32)}), "9.w"),
], ids=["wrong shape", "missing", "extra"])
def test_mismatched_conv_arrays_are_named(tmp_path, mutate, message):
    net = Sequential("conv:3x3x3:tanh,pool:2,dense:5:sigmoid,softmax:4",
                     input_shape=(2, 7, 6), seed=0, dtype="float32")
    path = save_model(net, tmp_path / "c.npz")
    _rewrite(path, mutate)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)
