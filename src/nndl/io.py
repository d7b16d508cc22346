"""Saving and loading models: ``.npz`` arrays plus JSON metadata, never pickle.

A model file is a NumPy ``.npz`` archive holding

``__nndl__``
    The metadata as UTF-8 JSON bytes (a ``uint8`` array): the format name
    and version, the model kind and its constructor ``config``, and free
    ``metadata`` (training settings, accuracy, history).
``weights_0, biases_0, …``
    The parameter arrays of a :class:`~nndl.network.Network` (kind ``"network"``);
    ``layer0_w, layer0_b, layer3_w, …`` those of a
    :class:`~nndl.sequential.Sequential` (kind ``"sequential"``): layer index,
    then the parameter's name in the layer's ``params``.

It is read with ``np.load(..., allow_pickle=False)``, so loading a file can
never execute code, and written to a temporary file that is renamed over the
target only once complete, so an interrupted save never leaves a broken file
(or destroys the previous one).

Examples
--------
>>> import tempfile, os
>>> from nndl import Network
>>> net = Network([4, 3, 2], seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "net.npz")
>>> _ = save_model(net, path, metadata={"note": "untrained"})
>>> loaded = load_model(path)
>>> loaded.sizes, loaded.metadata["note"]
([4, 3, 2], 'untrained')
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nndl.errors import ModelFileError
from nndl.network import Network
from nndl.sequential import Sequential

FORMAT_NAME = "nndl-model"
#: Version of the file layout written now; every older version stays readable.
FORMAT_VERSION = 1
META_KEY = "__nndl__"


def _network_arrays(net: Network) -> dict[str, np.ndarray]:
    arrays = {f"weights_{i}": w for i, w in enumerate(net.weights)}
    arrays.update({f"biases_{i}": b for i, b in enumerate(net.biases)})
    return arrays


def _network_from(config: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> Network:
    try:
        net = Network(**config)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: invalid network configuration {config!r}: {exc}") from None
    for name, params in (("weights", net.weights), ("biases", net.biases)):
        for i, param in enumerate(params):
            key = f"{name}_{i}"
            if key not in arrays:
                raise ModelFileError(
                    f"{path}: missing array {key!r} for sizes {net.sizes} "
                    f"(file has {sorted(arrays)})"
                )
            if arrays[key].shape != param.shape:
                raise ModelFileError(
                    f"{path}: array {key!r} has shape {arrays[key].shape}, "
                    f"expected {param.shape} for sizes {net.sizes}"
                )
            param[...] = arrays[key]
    return net


def _sequential_arrays(net: Sequential) -> dict[str, np.ndarray]:
    return {
        f"layer{i}_{name}": p
        for i, layer in enumerate(net.layers)
        for name, p in layer.params.items()
    }


def _sequential_from(
    config: dict[str, Any], arrays: dict[str, np.ndarray], path: Path
) -> Sequential:
    try:
        net = Sequential.from_config(config)
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(
            f"{path}: invalid sequential configuration {config!r}: {exc}"
        ) from None
    expected = _sequential_arrays(net)
    extra = sorted(set(arrays) - set(expected))
    if extra:
        raise ModelFileError(
            f"{path}: arrays {extra} belong to no layer of this network "
            f"(expected {sorted(expected)})"
        )
    for key, param in expected.items():
        i = int(key[len("layer") :].split("_", 1)[0])
        where = f"layer {i} ({net.layers[i].label()})"
        if key not in arrays:
            raise ModelFileError(
                f"{path}: missing array {key!r} for {where} (file has {sorted(arrays)})"
            )
        if arrays[key].shape != param.shape:
            raise ModelFileError(
                f"{path}: array {key!r} of {where} has shape {arrays[key].shape}, "
                f"expected {param.shape}"
            )
        param[...] = arrays[key]
    return net


#: kind -> (the model's class, arrays of a model, rebuild from config + arrays)
KINDS: dict[str, tuple[type, Callable[[Any], dict[str, np.ndarray]], Callable[..., Any]]] = {
    "network": (Network, _network_arrays, _network_from),
    "sequential": (Sequential, _sequential_arrays, _sequential_from),
}


def _kind_of(model: Any) -> str:
    for kind, (cls, _, _) in KINDS.items():
        if type(model) is cls:
            return kind
    raise ValueError(f"cannot save a {type(model).__name__}; expected one of {sorted(KINDS)}")


def save_model(model: Any, path: str | os.PathLike[str], *, metadata: dict | None = None) -> Path:
    """Write ``model`` to ``path`` (``.npz``) atomically; return the path.

    ``metadata`` must be JSON-serialisable; it comes back as ``model.metadata``.
    """
    path = Path(path)
    kind = _kind_of(model)
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "config": model.config(),
        "metadata": metadata or {},
    }
    try:
        meta_bytes = json.dumps(header, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must be JSON-serialisable: {exc}") from None
    arrays = KINDS[kind][1](model)
    arrays[META_KEY] = np.frombuffer(meta_bytes, dtype=np.uint8)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_header(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Return ``(header, arrays)`` of a model file, checking its format."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelFileError(f"{path}: not an nndl model file (.npz archive): {exc}") from None
    if not isinstance(arrays, dict) or META_KEY not in arrays:
        raise ModelFileError(f"{path}: not an nndl model file (no {META_KEY!r} metadata entry)")
    try:
        header = json.loads(arrays.pop(META_KEY).tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: unreadable metadata: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not an nndl model file (format {header.get('format')!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: unsupported model format version {version!r}; this nndl reads "
            f"versions 1 to {FORMAT_VERSION} (a newer nndl may have written it)"
        )
    if header.get("kind") not in KINDS:
        raise ModelFileError(
            f"{path}: unknown model kind {header.get('kind')!r}; expected one of {sorted(KINDS)}"
        )
    if not isinstance(header.get("config"), dict):
        raise ModelFileError(f"{path}: metadata has no model 'config'")
    return header, arrays


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model saved by :func:`save_model`; its ``metadata`` attribute holds the rest."""
    path = Path(path)
    header, arrays = read_header(path)
    model = KINDS[header["kind"]][2](header["config"], arrays, path)
    model.metadata = header.get("metadata", {})
    return model
