"""Helpers for the tests of nndl.book: files in the book's Python 2 format, the sample split."""

from __future__ import annotations

import gzip
import io
import pickle
import struct

import numpy as np


class Py2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote: strings as BINSTRING, ``numpy.core`` globals.

    Python 2 had no ``bytes``: an array's raw data and the dtype's ``'f4'``
    were ``str`` objects, pickled with the (SHORT_)BINSTRING opcodes, which
    Python 3 can only read with ``encoding="latin1"``; and NumPy 1 lived in
    ``numpy.core``.  Python 3's own protocol 2 writes ``_codecs.encode``
    calls instead, so this pickler writes those opcodes itself.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def save_py2_str(self, obj):
        data = obj if isinstance(obj, bytes) else obj.encode("latin1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str

    def save_global(self, obj, name=None):
        module = obj.__module__.replace("numpy._core", "numpy.core")
        if module == "posix":
            module = "os"
        name = name or obj.__qualname__
        self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.memoize(obj)

    dispatch[type(len)] = save_global  # builtin functions such as _reconstruct
    dispatch[type] = save_global


def py2_pickle(obj, protocol=2):
    """Return ``obj`` pickled the way Python 2 (cPickle, NumPy 1) would have."""
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


def write_py2_mnist(path, splits, protocol=2):
    """Write ``splits`` as the book's ``mnist.pkl.gz``: gzip of a Python 2 pickle."""
    with gzip.open(path, "wb") as f:
        f.write(py2_pickle(tuple(splits), protocol))
