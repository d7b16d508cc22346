"""The :class:`MNIST` container returned by the loaders, and pixel scaling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nndl._validate import float_dtype

__all__ = ["MNIST", "Split", "float_dtype", "to_xy"]

#: ``(x, y)``: inputs of shape ``(n, pixels)`` in [0, 1] and ``int64`` labels of shape ``(n,)``.
Split = tuple[NDArray[np.floating], NDArray[np.int64]]


@dataclass(frozen=True, eq=False)
class MNIST:
    """A dataset split the way *Neural Networks and Deep Learning* splits MNIST.

    Attributes
    ----------
    training : tuple of (x, y)
        ``x`` has shape ``(n, pixels)`` with values in [0, 1]; ``y`` holds
        ``int64`` labels of shape ``(n,)``.
    validation : tuple of (x, y) or None
        Held-out part of the training files; ``None`` when training on all
        of them (or for the bundled sample).
    test : tuple of (x, y)
        The ``t10k`` files.
    source : str
        ``"mnist"`` (a folder of IDX files) or ``"sample"`` (the bundled sample).
    path : pathlib.Path or None
        The folder (or sample file) the data came from.

    Examples
    --------
    >>> from nndl.data import load_sample
    >>> data = load_sample()
    >>> data.training[0].shape, data.source
    ((1000, 784), 'sample')
    """

    training: Split
    validation: Split | None
    test: Split
    source: str
    path: Path | None = None

    def __repr__(self) -> str:
        def n(split: Split | None) -> str:
            return "None" if split is None else f"{len(split[1])}"

        return (
            f"MNIST(source={self.source!r}, training={n(self.training)}, "
            f"validation={n(self.validation)}, test={n(self.test)}, "
            f"features={self.training[0].shape[1]}, dtype={self.training[0].dtype}, "
            f"path={str(self.path) if self.path is not None else None!r})"
        )


def to_xy(images: NDArray[np.uint8], labels: NDArray[np.integer], dtype: np.dtype) -> Split:
    """Flatten ``images`` to rows scaled to [0, 1] and make ``labels`` ``int64``.

    Examples
    --------
    >>> x, y = to_xy(np.full((2, 2, 2), 255, np.uint8), np.array([1, 2], np.uint8),
    ...              np.dtype("float32"))
    >>> x.shape, x.max(), y.dtype
    ((2, 4), np.float32(1.0), dtype('int64'))
    """
    x = images.reshape(len(images), -1).astype(dtype)
    x /= 255
    return x, labels.astype(np.int64)
