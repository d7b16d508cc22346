"""The book's ``mnist.pkl.gz``: read with a restricted unpickler, written the same way.

*Neural Networks and Deep Learning* ships MNIST as ``mnist.pkl.gz``, a
gzipped Python 2 pickle of ``((x, y), (x, y), (x, y))``: training (50,000),
validation and test images as float32 rows of 784 pixels in [0, 1), with
int64 labels.  Python 3 reads it only with ``encoding="latin1"`` (else the
famous ``UnicodeDecodeError``), and ``pickle.load`` on its own would run any
code a tampered file names.  :func:`read_mnist_pkl` therefore unpickles with
:class:`SafeUnpickler`, which resolves only the globals that rebuild NumPy
arrays (:data:`SAFE_GLOBALS`); any other global — ``os.system``,
``builtins.eval``, a class — is refused with :class:`~nndl.errors.DataError`
before anything is called.

:func:`write_mnist_pkl` writes the same structure (pickle protocol 5, so no
extra copy of the pixels is made), which :func:`read_mnist_pkl` — and the
book's own ``network3`` under Python 3 — can read.

Examples
--------
>>> import pathlib, tempfile
>>> import numpy as np
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny.pkl.gz"
>>> split = (np.zeros((2, 4), np.float32), np.array([3, 1]))
>>> write_mnist_pkl(path, (split, split, split))
>>> training, validation, test = read_mnist_pkl(path)
>>> training[0].shape, training[0].dtype, training[1].tolist()
((2, 4), dtype('float32'), [3, 1])
"""

from __future__ import annotations

import codecs
import functools
import gzip
import math
import os
import pickle
import struct
import sys
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.data._atomic import atomic_writer
from nndl.data.idx import GZIP_MAGIC
from nndl.errors import DataError

__all__ = ["SAFE_GLOBALS", "SafeUnpickler", "load_pickle", "read_mnist_pkl", "write_mnist_pkl"]

Split = tuple[NDArray[np.float32], NDArray[np.int64]]

# The functions NumPy's pickles call, taken from NumPy itself (their module is
# numpy.core in NumPy 1 and Python 2's files, numpy._core in NumPy 2).
_RECONSTRUCT: Any = np.empty(0).__reduce__()[0]  # ndarray: _reconstruct(ndarray, shape, b"b")
_SCALAR: Any = np.float64(0).__reduce__()[0]  # a NumPy scalar: scalar(dtype, raw bytes)
_FROMBUFFER: Any = np.empty(1).__reduce_ex__(5)[0]  # protocol 5: _frombuffer(buffer, ...)


def _latin1_encode(text: Any, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode``, as Python 3 pickles bytes at protocol 2, for latin1 only."""
    if str(encoding).lower().replace("_", "-") not in ("latin1", "latin-1", "iso-8859-1"):
        raise pickle.UnpicklingError(f"_codecs.encode(..., {encoding!r}): only latin1 is allowed")
    if not isinstance(text, str):
        raise pickle.UnpicklingError("_codecs.encode: only text is allowed")
    return codecs.encode(text, "latin1", "strict")


class _ArrayType:
    """What ``numpy.ndarray`` resolves to: :func:`_reconstruct`'s first argument.

    (Called by a pickle, ``numpy.ndarray(shape)`` would allocate any size;
    this takes no arguments and makes nothing.)
    """


class _Budget:
    """Bytes a pickle may still make the reader allocate (see :data:`MAX_PICKLE_BYTES`)."""

    def __init__(self, limit: int, source: str) -> None:
        self.left, self.limit, self.source = limit, limit, source

    def charge(self, n: int) -> None:
        if n > self.left:
            raise DataError(
                f"{self.source}: refused: it would make the reader allocate more than "
                f"{self.limit:,} bytes (a compression bomb?); the book's mnist.pkl.gz "
                "needs about 220 MB"
            )
        self.left -= n


def _reconstruct(budget: _Budget, subtype: Any, shape: Any, dtype: Any) -> Any:
    """NumPy's ``_reconstruct``, for arrays only, charged for the memory it allocates."""
    if subtype is not _ArrayType:
        raise pickle.UnpicklingError("_reconstruct: only numpy.ndarray is allowed")
    shape = tuple(int(n) for n in shape)
    budget.charge(math.prod(shape) * np.dtype(dtype).itemsize)
    return _RECONSTRUCT(np.ndarray, shape, dtype)


def _scalar(budget: _Budget, dtype: Any, *data: Any) -> Any:
    """NumPy's ``scalar``, charged for the scalar's size."""
    budget.charge(np.dtype(dtype).itemsize)
    return _SCALAR(dtype, *data)


#: NumPy's functions that allocate what their arguments ask → their charged versions.
_CHARGED: dict[Any, Any] = {_RECONSTRUCT: _reconstruct, _SCALAR: _scalar}

#: ``(module, name)`` → the object an allowed pickle global resolves to.
SAFE_GLOBALS: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): _ArrayType,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _latin1_encode,
}
for _core in ("numpy.core", "numpy._core"):
    SAFE_GLOBALS[(f"{_core}.multiarray", "_reconstruct")] = _RECONSTRUCT
    SAFE_GLOBALS[(f"{_core}.multiarray", "scalar")] = _SCALAR
    SAFE_GLOBALS[(f"{_core}.numeric", "_frombuffer")] = _FROMBUFFER

#: The most a pickle may make :class:`SafeUnpickler` allocate, about: every
#: byte it reads (a text pickle's strings as decoded), :data:`OPCODE_BYTES`
#: per opcode and the arrays it asks for.  The book's mnist.pkl.gz needs
#: about 220 MB, an expanded set (nndl's or the book's) about 0.9 GB.
MAX_PICKLE_BYTES = 2 * 2**30
#: What each opcode is charged (the object it may make, its place on the stack).
OPCODE_BYTES = 64


class _Metered:
    """A stream whose reads are charged to the budget before they are made."""

    def __init__(self, stream: Any, budget: _Budget) -> None:
        self.stream, self.budget = stream, budget

    def read(self, n: int) -> bytes:
        self.budget.charge(n)
        return self.stream.read(n)

    def readline(self) -> bytes:
        line = self.stream.readline(self.budget.left + 1)
        self.budget.charge(len(line))
        return line


def _metered(load: Any) -> Any:
    """``load`` (an opcode's method), charged :data:`OPCODE_BYTES` first."""
    def run(self: Any) -> None:
        self.budget.charge(OPCODE_BYTES)
        load(self)

    return run


def _keeping_decoded(load: Any) -> Any:
    """A text opcode's ``load``, charged for the string it makes rather than its escaped line."""
    def run(self: Any) -> None:
        left = self.budget.left
        load(self)
        self.budget.left = left  # the line read is gone...
        self.budget.charge(sys.getsizeof(self.stack[-1]))  # ...the string it made stays

    return run


def _load_bytearray8(self: Any) -> None:
    """``BYTEARRAY8``: refused before the bytearray is made if it cannot be afforded.

    Read from the file, its bytes are charged by the read; copied out of a
    frame (charged when the frame was read), the copy is charged here.
    """
    (size,) = struct.unpack("<Q", self.read(8))
    if self._unframer.current_frame is not None or size > self.budget.left:
        self.budget.charge(size)
    buffer = bytearray(size)
    self.readinto(buffer)
    self.append(buffer)


class _Opcodes(dict):
    """The opcode table; an unknown opcode is a clear error, not a ``KeyError``."""

    def __missing__(self, code: int) -> Any:
        raise pickle.UnpicklingError(f"invalid load key, {bytes([code])!r}")


def _dispatch() -> dict[int, Any]:
    """Python's opcode table, every entry charged (see :data:`MAX_PICKLE_BYTES`)."""
    base: Any = pickle._Unpickler
    table = dict(base.dispatch)
    table[pickle.BYTEARRAY8[0]] = _load_bytearray8
    table[pickle.STRING[0]] = _keeping_decoded(base.load_string)
    table[pickle.UNICODE[0]] = _keeping_decoded(base.load_unicode)
    return _Opcodes((code, _metered(load)) for code, load in table.items())


class SafeUnpickler(pickle._Unpickler):
    """An unpickler that rebuilds NumPy arrays and plain containers, and nothing else.

    ``find_class`` is the only way a pickle reaches a callable; here it
    answers from :data:`SAFE_GLOBALS` and raises :class:`DataError` for any
    other name, so a hostile file stops before its payload is called.
    Strings of Python 2 files are decoded as latin1, which NumPy turns back
    into the arrays' bytes.  What the file may make it allocate is bounded
    by ``max_bytes`` (:data:`MAX_PICKLE_BYTES`): a small file that declares
    a huge string or array, or unpacks to millions of objects, is refused
    with :class:`DataError` before the memory is taken.  (It is Python's own
    pure-Python unpickler, whose every opcode can be charged.)
    """

    dispatch = _dispatch()

    def __init__(self, file: Any, source: str = "the pickle", *,
                 max_bytes: int | None = None) -> None:
        self.budget = _Budget(MAX_PICKLE_BYTES if max_bytes is None else max_bytes, source)
        super().__init__(_Metered(file, self.budget), encoding="latin1")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            found = SAFE_GLOBALS[(module, name)]
        except KeyError:
            raise DataError(
                f"{self.source}: refusing to unpickle {module}.{name}: the book's MNIST "
                "files hold only NumPy arrays, and loading any other object from a pickle "
                "could run code (nothing was run)"
            ) from None
        charged = _CHARGED.get(found)
        return found if charged is None else functools.partial(charged, self.budget)


def load_pickle(path: str | os.PathLike[str]) -> Any:
    """Unpickle ``path`` (gzipped or not) with :class:`SafeUnpickler`.

    Raises
    ------
    DataError
        If the file is missing, not a pickle, truncated, or names a global
        other than NumPy's array reconstruction.
    """
    source = Path(path).expanduser()
    if not source.is_file():
        raise DataError(f"{source}: no such file (the book keeps it as ../data/mnist.pkl.gz)")
    try:
        with open(source, "rb") as raw:
            packed = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if packed else raw
            return SafeUnpickler(stream, str(source)).load()
    except DataError:
        raise
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError,
            AttributeError, IndexError, KeyError, MemoryError) as exc:
        raise DataError(f"{source}: not a readable pickle of NumPy arrays: {exc}") from None


def _split(obj: Any, which: str, source: Path) -> Split:
    """Check one ``(x, y)`` split and return it as float32 rows and int64 labels."""
    where = f"{source}: the {which} data"
    if not isinstance(obj, tuple | list) or len(obj) != 2:
        raise DataError(f"{where} must be an (images, labels) pair, got {type(obj).__name__}")
    try:
        x = np.stack(obj[0]) if isinstance(obj[0], list) else np.asarray(obj[0])
        y = np.asarray(obj[1])
    except (TypeError, ValueError) as exc:
        raise DataError(f"{where} is not a set of arrays: {exc}") from None
    if x.dtype.kind not in "fiu" or x.ndim < 2 or len(x) == 0:
        raise DataError(f"{where}: images must be numbers, one per row, got {x.dtype} {x.shape}")
    if y.dtype.kind not in "iu" or y.shape != (len(x),):
        raise DataError(
            f"{where}: labels must be {len(x)} integers, got {y.dtype} of shape {y.shape}"
        )
    x = x.reshape(len(x), -1).astype(np.float32, copy=False)
    if not np.isfinite(x).all():
        raise DataError(f"{where}: images contain NaN or infinite values")
    return x, y.astype(np.int64, copy=False)


def read_mnist_pkl(path: str | os.PathLike[str]) -> tuple[Split, Split, Split]:
    """Read the book's ``mnist.pkl.gz`` (or ``mnist_expanded.pkl.gz``) safely.

    Returns
    -------
    training, validation, test : (x, y) pairs
        ``x`` float32 of shape ``(n, pixels)``, ``y`` int64 of shape ``(n,)``.
        The book's expanded file stores its images as a list of rows: they
        are stacked here.

    Raises
    ------
    DataError
        If the file is unreadable, refused (see :class:`SafeUnpickler`) or
        not three ``(images, labels)`` pairs of matching sizes.
    """
    source = Path(path).expanduser()
    obj = load_pickle(source)
    if not isinstance(obj, tuple | list) or len(obj) != 3:
        raise DataError(
            f"{source}: expected the book's (training, validation, test) data, "
            f"got {type(obj).__name__}"
        )
    training, validation, test = (
        _split(part, which, source)
        for part, which in zip(obj, ("training", "validation", "test"), strict=True)
    )
    return training, validation, test


def write_mnist_pkl(
    path: str | os.PathLike[str], splits: tuple[Split, Split, Split], *, compresslevel: int = 6
) -> None:
    """Write ``(training, validation, test)`` as a gzipped pickle in the book's structure.

    The file appears complete or not at all (an interrupted write leaves
    nothing behind).  Protocol 5 lets the pickler write each array's
    memory directly, so no second copy of the pixels is made.
    """
    target = Path(path).expanduser()
    payload = tuple(
        (np.ascontiguousarray(x, dtype=np.float32), np.ascontiguousarray(y, dtype=np.int64))
        for x, y in splits
    )
    with atomic_writer(target) as f, gzip.GzipFile(
        fileobj=f, mode="wb", compresslevel=compresslevel, mtime=0
    ) as gz:
        pickle.dump(payload, gz, protocol=5)
