"""Input checks of :class:`~nndl.NNClassifier`: scikit-learn's if installed, else the same.

With scikit-learn, ``X`` and ``y`` go through its ``validate_data`` and
``check_classification_targets`` (so sparse matrices, data frames, complex or
object arrays, NaN and continuous targets get scikit-learn's own messages and
``n_features_in_``/``feature_names_in_`` are kept).  Without it, the checks
below give the same messages for plain arrays.

Examples
--------
>>> seed(7), seed(np.random.RandomState(0)) == seed(np.random.RandomState(0))
(7, True)
>>> _targets_standalone(np.array([0.5, 1.0]), 2)
Traceback (most recent call last):
...
ValueError: Unknown label type: continuous. A classifier needs class labels ...
"""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import errors

try:
    from sklearn.exceptions import NotFittedError as _SklearnNotFitted
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import validate_data

    HAVE_SKLEARN = True
except ImportError:
    HAVE_SKLEARN = False

#: The error raised before ``fit``: nndl's, and scikit-learn's too when it is installed.
NotFitted: type[errors.NotFittedError] = errors.NotFittedError
if HAVE_SKLEARN:
    NotFitted = type(
        "NotFittedError", (errors.NotFittedError, _SklearnNotFitted), {"__module__": __name__}
    )

#: Input dtypes kept as they are; anything else becomes float64.
FLOATS = (np.float64, np.float32)


def not_fitted_error(name: str) -> errors.NotFittedError:
    return NotFitted(
        f"This {name} instance is not fitted yet: call 'fit' with appropriate arguments "
        f"before using this estimator"
    )


def seed(random_state: Any) -> int | None:
    """The network's seed from ``random_state``: None, an int, a RandomState or a Generator."""
    if random_state is None:
        return None
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    raise ValueError(
        f"random_state must be None, an int, a numpy.random.RandomState or Generator, "
        f"got {random_state!r}"
    )


def data(est: Any, x: Any, y: Any, *, reset: bool) -> tuple[NDArray, NDArray]:
    """Return ``(X, y)`` checked for ``est`` (``y`` may be None: then X alone is checked).

    ``reset=True`` (fitting) records ``n_features_in_``; otherwise ``X`` must have
    that many features.
    """
    if HAVE_SKLEARN:
        if y is None and not reset:
            return validate_data(est, x, reset=False, dtype=FLOATS), np.empty(0)
        x2, y2 = validate_data(est, x, y, reset=reset, dtype=FLOATS)
        check_classification_targets(y2)
        return x2, y2
    x2 = _inputs_standalone(est, x, reset)
    if y is None and not reset:
        return x2, np.empty(0)
    return x2, _targets_standalone(y, len(x2))


def _inputs_standalone(est: Any, x: Any, reset: bool) -> NDArray:
    if type(x).__module__.startswith("scipy.sparse"):
        raise TypeError("Sparse data was passed for X, but dense data is required; "
                        "use X.toarray() to convert to a dense numpy array")
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise ValueError("Complex data not supported")
    if arr.dtype not in FLOATS:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"X must hold real numbers: {exc}") from None
    if arr.ndim != 2:
        raise ValueError(f"Expected 2D array, got {arr.ndim}D array instead: reshape your "
                         f"data to (samples, features)")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"Found array with shape {arr.shape}: X needs at least 1 sample "
                         f"and 1 feature")
    if not np.isfinite(arr).all():
        raise ValueError("Input X contains NaN or infinity")
    if reset:
        est.n_features_in_ = arr.shape[1]
    elif arr.shape[1] != est.n_features_in_:
        raise ValueError(f"X has {arr.shape[1]} features, but {type(est).__name__} is "
                         f"expecting {est.n_features_in_} features as input.")
    return arr


def _targets_standalone(y: Any, n: int) -> NDArray:
    if y is None:
        raise ValueError("this classifier requires y to be passed, but the target y is None")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected: "
                      "y.ravel() is used", stacklevel=4)
        arr = arr[:, 0]
    if arr.ndim != 1 or len(arr) != n:
        raise ValueError(f"y must be 1-D with one label per row of X ({n}), "
                         f"got shape {arr.shape}")
    if arr.dtype.kind in "fc" and not (np.isfinite(arr).all() and (arr == np.round(arr)).all()):
        raise ValueError(
            "Unknown label type: continuous. A classifier needs class labels (integers, "
            f"strings, ...), not real-valued targets; got {arr[:5].tolist()}"
        )
    return arr


__all__ = ["HAVE_SKLEARN", "NotFitted", "data", "not_fitted_error", "seed"]
