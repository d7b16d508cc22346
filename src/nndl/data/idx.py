"""Read and write IDX files, the format MNIST is distributed in.

An IDX file is a 4-byte magic number ``00 00 TT NN`` (``TT`` the element type,
``NN`` the number of dimensions), then ``NN`` big-endian 32-bit sizes, then the
elements in C order.  Only type ``0x08`` (unsigned byte), the type of every
MNIST-style file, is supported.  Files may be gzip-compressed; compression is
recognised by its magic bytes ``1f 8b``, not by the file name.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nndl.data._atomic import atomic_writer
from nndl.errors import DataError

__all__ = ["parse_idx", "read_idx", "write_idx"]

GZIP_MAGIC = b"\x1f\x8b"
_UBYTE = 0x08
_TYPE_NAMES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}


def read_idx(path: str | os.PathLike[str]) -> NDArray[np.uint8]:
    """Read an IDX file (raw or gzip-compressed) into a ``uint8`` array.

    Parameters
    ----------
    path : str or path-like
        The file.  Gzip compression is detected from the content.

    Returns
    -------
    numpy.ndarray
        A ``uint8`` array with the shape the header declares.

    Raises
    ------
    nndl.errors.DataError
        If the file is missing or unreadable, is not an IDX file, holds a type
        other than unsigned bytes, or is truncated or has trailing bytes.  The
        message names the file and the problem.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> write_idx(p, np.array([3, 1, 4], dtype=np.uint8))
    >>> read_idx(p)
    array([3, 1, 4], dtype=uint8)
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{p}: file not found") from None
    except OSError as exc:
        raise DataError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    return parse_idx(raw, name=str(p))


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: corrupt gzip data: {exc}") from exc


def parse_idx(data: bytes, name: str = "<bytes>") -> NDArray[np.uint8]:
    """Parse the bytes of an IDX file (raw or gzip-compressed).

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        What to call the data in error messages (normally the file name).

    Returns
    -------
    numpy.ndarray
        A ``uint8`` array (a fresh, writable copy).

    Examples
    --------
    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]))
    array([7, 9], dtype=uint8)
    """
    if data[:2] == GZIP_MAGIC:
        data = _gunzip(data, name)
    shape, header_len = _header(data, name)
    expected, found = math.prod(shape), len(data) - header_len
    if found < expected:
        raise DataError(
            f"{name}: truncated: header promises {expected} bytes of data "
            f"(shape {shape}), found {found}"
        )
    if found > expected:
        raise DataError(
            f"{name}: {found - expected} trailing bytes after the data: header promises "
            f"{expected} bytes of data (shape {shape}), found {found}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_len).reshape(shape).copy()


def _header(data: bytes, name: str) -> tuple[tuple[int, ...], int]:
    """The shape an IDX header declares, and the header's length in bytes."""
    if len(data) < 4:
        raise DataError(
            f"{name}: not an IDX file: {len(data)} bytes is too short for the 4-byte magic number"
        )
    zero1, zero2, type_code, ndim = struct.unpack(">BBBB", data[:4])
    if zero1 != 0 or zero2 != 0:
        raise DataError(
            f"{name}: not an IDX file: magic number starts with "
            f"0x{zero1:02x} 0x{zero2:02x}, expected 0x00 0x00"
        )
    if type_code != _UBYTE:
        kind = _TYPE_NAMES.get(type_code, "unknown")
        raise DataError(
            f"{name}: unsupported IDX element type 0x{type_code:02x} ({kind}); "
            "only 0x08 (unsigned byte) is supported"
        )
    if ndim == 0:
        raise DataError(f"{name}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise DataError(
            f"{name}: truncated: header declares {ndim} dimensions "
            f"({header_len} header bytes), file has only {len(data)} bytes"
        )
    return struct.unpack(f">{ndim}I", data[4:header_len]), header_len


def write_idx(
    path: str | os.PathLike[str], array: ArrayLike, *, compress: bool | None = None
) -> None:
    """Write ``array`` as an IDX file of unsigned bytes, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination.  The file is written under a temporary name in the same
        folder and then renamed, so it never exists half-written.
    array : array_like
        At least one dimension; ``uint8``, or integers all within 0..255.
    compress : bool, optional
        Gzip the file.  By default, compress when ``path`` ends in ``.gz``.

    Raises
    ------
    ValueError
        If ``array`` cannot be stored as unsigned bytes or has no dimensions.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "images-idx3-ubyte.gz"
    >>> write_idx(p, np.zeros((2, 3, 3), dtype=np.uint8))
    >>> read_idx(p).shape
    (2, 3, 3)
    """
    arr = np.asarray(array)
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"array must have 1 to 255 dimensions, got shape {arr.shape}")
    if any(n >= 2**32 for n in arr.shape):
        raise ValueError(f"IDX dimensions must be < 2**32, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        if arr.dtype.kind not in "iub":
            raise ValueError(f"array must hold integers in 0..255 (uint8), got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise ValueError(
                f"array values must lie in 0..255, got range {arr.min()}..{arr.max()}"
            )
        arr = arr.astype(np.uint8)
    header = struct.pack(f">BBBB{arr.ndim}I", 0, 0, _UBYTE, arr.ndim, *arr.shape)
    payload = header + np.ascontiguousarray(arr).tobytes()
    if compress is None:
        compress = str(path).endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    with atomic_writer(path) as f:
        f.write(payload)
