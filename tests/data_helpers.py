"""Helpers of the data tests: small MNIST-shaped folders, and fetching with no network."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nndl.data import write_idx


def make_folder(
    folder: Path,
    n_train: int = 10_050,
    n_test: int = 20,
    shape: tuple[int, ...] = (4, 4),
    *,
    gz: bool = False,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Write a small MNIST-shaped dataset of random pixels; return its arrays by file name."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        write_idx(folder / (name + (".gz" if gz else "")), arr)
    return arrays


class Unreachable:
    """A fetch source that fails at once, as with no network."""

    label = "test-source"

    def get(self, name: str, *, timeout: float) -> bytes:
        raise ConnectionError("no network in tests")

    def close(self) -> None:
        pass
