"""The sample of real MNIST shipped inside the package (1,000 training, 100 test images)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from nndl.data.dataset import MNIST, float_dtype, to_xy
from nndl.errors import DataError

__all__ = ["SAMPLE_FILE", "load_sample"]

#: File name of the sample inside the ``nndl.data`` package.
SAMPLE_FILE = "mnist_sample.npz"

_KEYS = {
    "train_images": 3,
    "train_labels": 1,
    "test_images": 3,
    "test_labels": 1,
}


def load_sample(dtype: Any = "float64") -> MNIST:
    """Load the bundled sample of real MNIST: the first 1,000 training and 100 test images.

    It needs no download, so examples, tests and first runs work offline.
    There is no validation split.

    Parameters
    ----------
    dtype : {"float64", "float32"}
        Floating type of the inputs.

    Returns
    -------
    MNIST
        ``training`` of 1,000 and ``test`` of 100 images, ``source="sample"``.

    Examples
    --------
    >>> data = load_sample(dtype="float32")
    >>> x, y = data.training
    >>> x.shape, x.dtype, y[:5].tolist()
    ((1000, 784), dtype('float32'), [5, 0, 4, 1, 9])
    """
    dt = float_dtype(dtype)
    ref = resources.files("nndl.data").joinpath(SAMPLE_FILE)
    with resources.as_file(ref) as path:
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in _KEYS if key in npz.files}
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: cannot read the bundled sample: {exc}") from exc
        location = Path(path)
    for key, ndim in _KEYS.items():
        arr = arrays.get(key)
        if arr is None or arr.ndim != ndim or arr.dtype != np.uint8:
            raise DataError(f"{location}: bundled sample lacks a {ndim}-d uint8 array {key!r}")
    for part in ("train", "test"):
        if len(arrays[f"{part}_images"]) != len(arrays[f"{part}_labels"]):
            raise DataError(f"{location}: bundled sample has mismatched {part} arrays")
    return MNIST(
        training=to_xy(arrays["train_images"], arrays["train_labels"], dt),
        validation=None,
        test=to_xy(arrays["test_images"], arrays["test_labels"], dt),
        source="sample",
        path=location,
    )
