"""Saving and loading models: one ``.npz`` codec for every model, never pickle.

A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` members) holding

``__nndl__``
    The header as UTF-8 JSON bytes (a ``uint8`` array): the format name and
    version, the model ``kind`` (``"network"`` or ``"sequential"``), its
    constructor ``config`` and free ``metadata`` (training settings, accuracy,
    history).
one member per parameter
    Named as the model's :meth:`~nndl.model.sequential.Sequential.state_dict`:
    ``"<layer index>.<param>"``, e.g. ``0.w``, ``0.b``, ``1.w``.

**Format versions.**  Version 2 (written now) names arrays by state dict.
Version 1 (nndl 0.1) named them ``weights_i``/``biases_i`` (networks) or
``layer<i>_<param>`` (layered nets); such files still load and predict the
same numbers.

**Reading is defensive.**  The header is read and checked first (and the
network it describes must fit in memory); then each member's declared size
and its ``.npy`` header (shape, dtype) are checked against the network
*before* its data are decompressed, so a small file cannot expand into
gigabytes; arrays are read with ``allow_pickle=False`` (loading can never
execute code) and must hold finite numbers.

**Writing is atomic.**  The file is written to a temporary file beside the
target and renamed over it once complete (a link is kept and its target
replaced; a device, FIFO or folder is refused), so an interrupted or failed
save — a full disk included — leaves the previous file intact and no
temporary file behind.  A replaced file keeps its permissions; a new one
gets those the umask gives.

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

import io
import json
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

import numpy as np

from nndl.data._atomic import atomic_writer
from nndl.errors import ModelFileError, ModelTooLarge
from nndl.model.network import Network
from nndl.model.sequential import Sequential

FORMAT_NAME = "nndl-model"
#: Version of the file layout written now; every older version stays readable.
FORMAT_VERSION = 2
META_KEY = "__nndl__"
#: The largest header accepted (bytes of JSON).
MAX_HEADER = 16 * 2**20
#: Bytes an ``.npy`` member may hold beyond its array's data (its own header).
NPY_OVERHEAD = 4096

#: Model kind -> class (its ``from_config`` rebuilds the architecture).
KINDS: dict[str, type[Sequential]] = {"network": Network, "sequential": Sequential}


def _kind_of(model: Any) -> str:
    for kind, cls in KINDS.items():
        if type(model) is cls:
            return kind
    raise ValueError(f"cannot save a {type(model).__name__}; expected one of {sorted(KINDS)}")


def save_model(model: Any, path: str | os.PathLike[str], *, metadata: dict | None = None) -> Path:
    """Write ``model`` to ``path`` (``.npz``) atomically; return the path.

    ``metadata`` must be JSON-serialisable; it comes back as ``model.metadata``.
    The file is written by nndl's one writer
    (:func:`nndl.data._atomic.atomic_writer`): a link is followed, a device,
    FIFO or folder refused, a failed write leaves the previous file intact.
    """
    path = Path(path)
    arrays = _arrays(model, metadata)
    with atomic_writer(path) as fh:
        np.savez_compressed(fh, **arrays)
    return path


def model_bytes(model: Any, *, metadata: dict | None = None) -> bytes:
    """The bytes of the file :func:`save_model` writes, made in memory (for a download).

    Examples
    --------
    >>> from nndl import Network
    >>> model_bytes(Network([2, 2], seed=0))[:2]
    b'PK'
    """
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **_arrays(model, metadata))
    return buffer.getvalue()


def _arrays(model: Any, metadata: dict | None) -> dict[str, Any]:
    """The members of ``model``'s file: its state dict and the header."""
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": _kind_of(model),
        "config": model.config(),
        "metadata": metadata or {},
    }
    try:
        meta_bytes = json.dumps(header, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must be JSON-serialisable: {exc}") from None
    arrays = dict(model.state_dict())
    arrays[META_KEY] = np.frombuffer(meta_bytes, dtype=np.uint8)
    return arrays


def _open(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: not an nndl model file (.npz archive): {exc}") from None


def _read_member(zf: zipfile.ZipFile, name: str, path: Path, shape: tuple | None,
                 max_bytes: int, where: str = "") -> np.ndarray:
    """Read one ``.npy`` member, checking its size and header before its data."""
    info = zf.getinfo(name + ".npy")
    what = f"array {name!r}{where}"
    if info.file_size > max_bytes:
        raise ModelFileError(
            f"{path}: {what} declares {info.file_size:,} bytes, more than the "
            f"{max_bytes:,} its place in the model can hold"
        )
    try:
        with zf.open(info) as fh:
            return _read_npy(fh, shape)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ModelFileError(f"{path}: {what} {exc}") from None


def _read_npy(fh: IO[bytes], shape: tuple | None) -> np.ndarray:
    """An ``.npy`` stream's array; its header must declare ``shape`` (if given) and floats."""
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    declared, fortran, dtype = read_header(fh)
    if dtype.hasobject:
        raise ValueError("holds Python objects (pickles), which nndl never loads")
    if shape is not None and tuple(declared) != tuple(shape):
        raise ValueError(f"has shape {tuple(declared)}, expected {shape}")
    if shape is not None and dtype.kind != "f":
        raise ValueError(f"has dtype {dtype}, expected floating-point numbers")
    size = math.prod(declared) * dtype.itemsize
    data = fh.read(size)
    if len(data) != size:
        raise ValueError(f"is truncated ({len(data):,} of {size:,} bytes)")
    return np.frombuffer(data, dtype=dtype).reshape(declared, order="F" if fortran else "C")


def read_header(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the checked header of a model file (no parameter array is read)."""
    path = Path(path)
    with _open(path) as zf:
        return _header(zf, path)


def _header(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    if META_KEY + ".npy" not in zf.namelist():
        raise ModelFileError(f"{path}: not an nndl model file (no {META_KEY!r} metadata entry)")
    raw = _read_member(zf, META_KEY, path, None, MAX_HEADER)
    try:
        header = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: unreadable metadata: {exc}") from None
    if not isinstance(header, dict):
        raise ModelFileError(
            f"{path}: not an nndl model file (its {META_KEY!r} header is a "
            f"{type(header).__name__}, not a JSON object)"
        )
    if header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not an nndl model file (format {header.get('format')!r})")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or not (
        1 <= version <= FORMAT_VERSION
    ):
        raise ModelFileError(
            f"{path}: unsupported model format version {version!r}; this nndl reads "
            f"versions 1 to {FORMAT_VERSION} (a newer nndl may have written it)"
        )
    if not isinstance(header.get("kind"), str) or header["kind"] not in KINDS:
        raise ModelFileError(
            f"{path}: unknown model kind {header.get('kind')!r}; expected one of {sorted(KINDS)}"
        )
    if not isinstance(header.get("config"), dict):
        raise ModelFileError(f"{path}: metadata has no model 'config' object")
    header.setdefault("metadata", {})
    if not isinstance(header["metadata"], dict):
        raise ModelFileError(
            f"{path}: 'metadata' must be a JSON object, got {type(header['metadata']).__name__}"
        )
    return header


def _build(header: dict[str, Any], path: Path) -> Sequential:
    kind, config = header["kind"], header["config"]
    try:
        return KINDS[kind].from_config(config)
    except ModelTooLarge as exc:
        raise ModelFileError(f"{path}: refused: {exc}") from None
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ModelFileError(f"{path}: invalid {kind} configuration {config!r}: {exc}") from None


def _legacy_names(model: Sequential, kind: str) -> dict[str, str]:
    """Format 1's member names → state-dict names."""
    if kind == "sequential":
        return {
            f"layer{key.replace('.', '_', 1)}": key for key in model.state_dict()
        }
    names: dict[str, str] = {}
    dense = [i for i, layer in enumerate(model.layers) if "w" in layer.params]
    for j, i in enumerate(dense):
        names[f"weights_{j}"], names[f"biases_{j}"] = f"{i}.w", f"{i}.b"
    return names


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a model saved by :func:`save_model`; its ``metadata`` attribute holds the rest.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ModelFileError
        If the file is not a readable nndl model, or any check fails (the
        message names the file, the array and what is wrong).
    """
    path = Path(path)
    with _open(path) as zf:
        header = _header(zf, path)
        model = _build(header, path)
        state = model.state_dict()
        names = (
            {key: key for key in state}
            if header["format_version"] >= 2
            else _legacy_names(model, header["kind"])
        )
        members = {n[: -len(".npy")] for n in zf.namelist() if n.endswith(".npy")} - {META_KEY}
        described = repr(model)
        extra = sorted(members - set(names))
        if extra:
            raise ModelFileError(
                f"{path}: arrays {extra} belong to no layer of this {described} "
                f"(expected {sorted(names)})"
            )
        for member, key in names.items():
            param = state[key]
            if member not in members:
                raise ModelFileError(
                    f"{path}: missing array {member!r} for this {described} "
                    f"(file has {sorted(members)})"
                )
            i = int(key.split(".", 1)[0])
            where = f" of layer {i} ({model.layers[i].label()})"
            arr = _read_member(
                zf, member, path, param.shape, param.nbytes + NPY_OVERHEAD, where
            )
            if not np.isfinite(arr).all():
                raise ModelFileError(
                    f"{path}: array {member!r} holds NaN or infinite values "
                    "(a diverged training?); refusing to load it"
                )
            if key.endswith(".running_var") and (arr < 0).any():
                raise ModelFileError(
                    f"{path}: array {member!r}{where} holds negative variances; "
                    "refusing to load it"
                )
            param[...] = arr
    model.metadata = header["metadata"]
    return model
