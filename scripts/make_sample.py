"""Build ``src/nndl/data/mnist_sample.npz`` from the four MNIST IDX files.

The sample is the first 1,000 training images and the first 100 ``t10k`` test
images, as ``uint8`` pixels and labels, saved with ``np.savez_compressed``.
The MNIST files are checked against their known SHA-256 first, so the sample
is reproducible::

    python scripts/make_sample.py /path/to/mnist-folder

(the folder holds ``train-images-idx3-ubyte`` etc., raw or ``.gz``; ``nndl
fetch`` puts them in the default cache, which is used when no folder is given).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from nndl.data._atomic import atomic_write_bytes  # noqa: E402
from nndl.data.fetch import default_data_dir  # noqa: E402
from nndl.data.files import (  # noqa: E402
    MNIST_FILES,
    MNIST_SHA256,
    TEST_IMAGES,
    TEST_LABELS,
    TRAIN_IMAGES,
    TRAIN_LABELS,
    find_file,
    uncompressed_sha256,
)
from nndl.data.idx import read_idx  # noqa: E402

N_TRAIN = 1000
N_TEST = 100
OUTPUT = ROOT / "src" / "nndl" / "data" / "mnist_sample.npz"
MAX_KB = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mnist_dir", nargs="?", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    folder = args.mnist_dir or default_data_dir()

    paths = {}
    for name in MNIST_FILES:
        path = find_file(folder, name)
        if path is None:
            parser.error(f"{folder} has no {name} (or {name}.gz)")
        if uncompressed_sha256(path.read_bytes()) != MNIST_SHA256[name]:
            parser.error(f"{path} is not the official MNIST file (SHA-256 mismatch)")
        paths[name] = path

    arrays = {
        "train_images": read_idx(paths[TRAIN_IMAGES])[:N_TRAIN],
        "train_labels": read_idx(paths[TRAIN_LABELS])[:N_TRAIN],
        "test_images": read_idx(paths[TEST_IMAGES])[:N_TEST],
        "test_labels": read_idx(paths[TEST_LABELS])[:N_TEST],
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    data = buffer.getvalue()
    if len(data) > MAX_KB * 1024:
        parser.error(f"sample is {len(data) / 1024:.0f} KB, over the {MAX_KB} KB limit")
    atomic_write_bytes(args.output, data)
    print(f"wrote {args.output} ({len(data) / 1024:.1f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
