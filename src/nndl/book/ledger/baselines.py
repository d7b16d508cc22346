"""The book's two chapter-1 baselines: average darkness and scikit-learn's SVM.

``python3 -m nndl.book.ledger baseline darkness|svm [--sample]`` prints
``darkness baseline: correct / total`` (or ``svm ...``), the line the ledger
reads.  Both train on the 50,000 training images and score the 10,000 test
images, as the book's ``mnist_average_darkness.py`` and ``mnist_svm.py`` do.

Examples
--------
>>> import numpy as np
>>> x = np.array([[0.0, 0.1], [0.9, 1.0], [0.1, 0.1], [1.0, 1.0]])
>>> y = np.array([0, 1, 0, 1])
>>> darkness_predict(average_darkness(x, y, 2), np.array([[0.0, 0.2], [0.8, 0.8]])).tolist()
[0, 1]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def average_darkness(x: NDArray, y: NDArray, n_classes: int = 10) -> NDArray:
    """The mean total darkness Σ pixels of the training images of each digit: shape (n,)."""
    darkness = x.sum(axis=1)
    counts = np.bincount(y, minlength=n_classes)
    return np.bincount(y, weights=darkness, minlength=n_classes) / np.maximum(counts, 1)


def darkness_predict(averages: NDArray, x: NDArray) -> NDArray[np.intp]:
    """The digit whose average darkness is nearest each image's darkness."""
    return np.argmin(np.abs(x.sum(axis=1)[:, None] - averages[None, :]), axis=1)


def darkness(data) -> tuple[int, int]:
    """``(correct, total)`` of the average-darkness baseline on ``data.test``."""
    x, y = data.training
    xt, yt = data.test
    guesses = darkness_predict(average_darkness(x, y), xt)
    return int(np.count_nonzero(guesses == yt)), len(yt)


def svm(data) -> tuple[int, int]:
    """``(correct, total)`` of scikit-learn's ``SVC()`` with its default settings."""
    from nndl._extras import require

    svm_module = require("sklearn.svm", "the SVM baseline")
    clf = svm_module.SVC()
    clf.fit(*data.training)
    xt, yt = data.test
    return int(np.count_nonzero(clf.predict(xt) == yt)), len(yt)


BASELINES = {"darkness": darkness, "svm": svm}
