"""Fuzz: model files -- headers, configs, metadata, array members, shapes, dtypes, values.

Contract: :func:`nndl.model.io.load_model` gives a model whose outputs on a test
input are finite, or raises :class:`~nndl.errors.ModelFileError` (or
``FileNotFoundError``) naming the file; never another exception, never a
hang, and the file is never changed.

The generated files cover format 2 (state-dict member names) and junk of
every kind; :mod:`nndl.model.io` checks the header first and each member's size,
shape and dtype before reading it.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fuzz_helpers import no_hang  # noqa: E402
from nndl import Network  # noqa: E402
from nndl.errors import ModelFileError  # noqa: E402
from nndl.model.io import META_KEY, load_model, save_model  # noqa: E402


def _valid_parts() -> tuple[dict, dict[str, np.ndarray]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = save_model(Network([6, 4, 3], seed=0), Path(tmp) / "m.npz",
                          metadata={"test_accuracy": 0.5, "history": []})
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    header = json.loads(arrays.pop(META_KEY).tobytes())
    return header, arrays


HEADER, ARRAYS = _valid_parts()
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 10), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def headers(draw: st.DrawFn) -> object:
    """The valid header with one or two parts replaced (or not a dict at all)."""
    if draw(st.integers(0, 5)) == 0:
        return draw(JSONISH)
    header = json.loads(json.dumps(HEADER))
    for _ in range(draw(st.integers(1, 2))):
        key = draw(st.sampled_from(["format", "format_version", "kind", "config", "metadata",
                                    "config.sizes", "config.cost", "metadata.history"]))
        value = draw(st.one_of(JSONISH, st.sampled_from([[6, 4, 3], [6, 0, 3], [6, 3],
                                                          [-1, 4, 3], [6, 4, 3, 2]])))
        top, _, sub = key.partition(".")
        if sub and isinstance(header.get(top), dict):
            header[top][sub] = value
        elif not sub:
            header[top] = value
    return header


@st.composite
def member_arrays(draw: st.DrawFn) -> dict[str, np.ndarray]:
    """The valid arrays, with some dropped, renamed, reshaped, retyped or poisoned."""
    arrays = dict(ARRAYS)
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(sorted(arrays) + ["9.w", "extra"]))
        action = draw(st.sampled_from(["drop", "shape", "dtype", "nan", "inf", "scalar"]))
        base = arrays.get(name, np.zeros((2, 2)))
        if action == "drop":
            arrays.pop(name, None)
        elif action == "shape":
            arrays[name] = np.zeros(draw(st.lists(st.integers(0, 7), max_size=3)))
        elif action == "dtype":
            arrays[name] = base.astype(draw(st.sampled_from(["int8", "complex64", "U3",
                                                             "bool", "float16"])))
        elif action in ("nan", "inf"):
            poisoned = base.astype(np.float64)
            if poisoned.size:
                poisoned.flat[0] = np.nan if action == "nan" else np.inf
            arrays[name] = poisoned
        else:
            arrays[name] = np.float64(1.0)
    return arrays


def write(path: Path, header: object, arrays: dict[str, np.ndarray]) -> None:
    meta = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays, **{META_KEY: meta})


def check(path: Path) -> None:
    before = path.read_bytes()
    with no_hang():
        try:
            model = load_model(path)
        except (ModelFileError, FileNotFoundError) as exc:
            assert str(path) in str(exc)
        else:
            out = np.asarray(model.feedforward(np.zeros(model.n_inputs)))
            assert np.isfinite(out).all()
            assert isinstance(model.metadata, dict)
    assert path.read_bytes() == before


# Reporting a failure, Hypothesis imports libcst, which warns about its own dependency.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

@given(header=headers(), arrays=member_arrays())
def test_generated_model_files(tmp_path_factory, header, arrays):
    path = tmp_path_factory.mktemp("model") / "m.npz"
    write(path, header, arrays)
    check(path)


@given(st.binary(max_size=300))
def test_arbitrary_bytes(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("model") / "m.npz"
    path.write_bytes(data)
    check(path)


@given(st.binary(max_size=300))
def test_archives_of_junk_members(tmp_path_factory, data):
    """A zip archive whose members are not .npy arrays (NumPy hands them over as bytes)."""
    path = tmp_path_factory.mktemp("model") / "m.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{META_KEY}.npy", data)
        zf.writestr("0.w.npy", data[::-1])
    check(path)
