"""The four files of an MNIST-style dataset, MNIST's checksums, and finding them in a folder."""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from nndl.data.idx import GZIP_MAGIC

__all__ = [
    "MNIST_FILES",
    "MNIST_SHA256",
    "TEST_IMAGES",
    "TEST_LABELS",
    "TRAIN_IMAGES",
    "TRAIN_LABELS",
    "find_file",
    "missing_files",
    "uncompressed_sha256",
]

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

#: The four files every MNIST-style folder holds (each may also end in ``.gz``).
MNIST_FILES: tuple[str, ...] = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

#: SHA-256 of the *uncompressed* MNIST files.
MNIST_SHA256: Mapping[str, str] = {
    TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def find_file(folder: str | os.PathLike[str], name: str) -> Path | None:
    """Return ``folder/name`` if it exists, else ``folder/name.gz``, else ``None``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> find_file(d, TRAIN_LABELS) is None
    True
    >>> _ = (d / (TRAIN_LABELS + ".gz")).write_bytes(b"")
    >>> find_file(d, TRAIN_LABELS).name
    'train-labels-idx1-ubyte.gz'
    """
    base = Path(folder)
    for candidate in (base / name, base / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def missing_files(folder: str | os.PathLike[str]) -> list[str]:
    """Names of the :data:`MNIST_FILES` that ``folder`` lacks (raw and ``.gz`` both count).

    Examples
    --------
    >>> import tempfile
    >>> missing_files(tempfile.mkdtemp()) == list(MNIST_FILES)
    True
    """
    return [name for name in MNIST_FILES if find_file(folder, name) is None]


def uncompressed_sha256(data: bytes) -> str:
    """SHA-256 (hex) of ``data``, after gunzipping it if it starts with the gzip magic.

    Examples
    --------
    >>> import gzip
    >>> uncompressed_sha256(gzip.compress(b"abc")) == uncompressed_sha256(b"abc")
    True
    """
    if data[:2] == GZIP_MAGIC:
        data = gzip.decompress(data)
    return hashlib.sha256(data).hexdigest()
