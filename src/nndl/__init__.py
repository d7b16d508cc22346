"""nndl — the feed-forward network of *Neural Networks and Deep Learning*, exact and fast.

The network learns by backpropagation and mini-batch stochastic gradient
descent, computed matrix-wise over each mini-batch with NumPy.

Examples
--------
>>> import numpy as np
>>> from nndl import Network
>>> net = Network([2, 3, 1], seed=0)
>>> net.feedforward(np.array([0.0, 1.0])).shape
(1,)
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any  # noqa: E402

from nndl.errors import DataError, ModelFileError, NNDLError, TrainingDiverged  # noqa: E402
from nndl.model.ensemble import Ensemble  # noqa: E402
from nndl.model.network import Network  # noqa: E402
from nndl.model.sequential import Sequential  # noqa: E402

if TYPE_CHECKING:
    from nndl.sklearn.estimator import NNClassifier


def __getattr__(name: str) -> Any:
    # NNClassifier is imported on first use: with scikit-learn installed its
    # module imports scikit-learn (and SciPy), which the CLI and the core never need.
    if name == "NNClassifier":
        from nndl.sklearn.estimator import NNClassifier

        return NNClassifier
    raise AttributeError(f"module 'nndl' has no attribute {name!r}")

__all__ = [
    "DataError",
    "Ensemble",
    "ModelFileError",
    "NNDLError",
    "NNClassifier",
    "Network",
    "Sequential",
    "TrainingDiverged",
    "__version__",
]
