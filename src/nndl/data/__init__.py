"""MNIST and MNIST-style datasets: IDX files, a verified download cache, and a bundled sample.

Examples
--------
>>> from nndl.data import load_sample
>>> data = load_sample()
>>> x, y = data.training
>>> x.shape, y.shape, data.validation is None
((1000, 784), (1000,), True)
"""

from nndl.data.dataset import MNIST, Split
from nndl.data.fetch import (
    MIRRORS,
    NPM_SPEC,
    default_data_dir,
    default_sources,
    fetch_mnist,
    is_verified,
)
from nndl.data.files import MNIST_FILES, MNIST_SHA256, find_file
from nndl.data.idx import parse_idx, read_idx, write_idx
from nndl.data.mnist import load_data, load_mnist
from nndl.data.sample import load_sample
from nndl.data.sources import HttpSource, NpmSource, Source, SourceError

__all__ = [
    "MIRRORS",
    "MNIST",
    "MNIST_FILES",
    "MNIST_SHA256",
    "NPM_SPEC",
    "HttpSource",
    "NpmSource",
    "Source",
    "SourceError",
    "Split",
    "default_data_dir",
    "default_sources",
    "fetch_mnist",
    "find_file",
    "is_verified",
    "load_data",
    "load_mnist",
    "load_sample",
    "parse_idx",
    "read_idx",
    "write_idx",
]
