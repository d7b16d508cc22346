"""A scikit-learn classifier around :class:`~nndl.model.network.Network`.

:class:`NNClassifier` takes every option as a constructor argument, builds
the network in :meth:`~NNClassifier.fit` from the shape of the data, and
accepts any class labels (integers, strings, ...).  When scikit-learn is
installed (``pip install "nndl[sklearn]"``) it derives from scikit-learn's
``ClassifierMixin`` and ``BaseEstimator`` and validates its input with
scikit-learn's own functions, so it works in ``cross_val_score``,
``GridSearchCV``, ``Pipeline`` and ``clone`` and passes scikit-learn's
estimator checks.  Without scikit-learn it works the same on its own (see
:mod:`nndl.sklearn._base`).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.random((200, 2))
>>> y = np.where(x[:, 0] > x[:, 1], "above", "below")
>>> clf = NNClassifier(hidden=(8,), epochs=20, eta=1.0, random_state=0).fit(x, y)
>>> clf.classes_.tolist(), clf.score(x, y) > 0.9
(['above', 'below'], True)
>>> clf.predict_proba(x[:3]).sum(axis=1).round(6).tolist()
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.errors import NotFittedError
from nndl.model.network import Network
from nndl.sklearn import _input as check
from nndl.train import Splits, TrainConfig, train
from nndl.train.history import History
from nndl.train.optimizers import get_optimizer

#: The parameters that are training options (:class:`~nndl.train.config.TrainConfig`'s fields).
TRAINING = frozenset(TrainConfig.__dataclass_fields__)

try:  # scikit-learn is optional: the [sklearn] extra
    from sklearn.base import BaseEstimator as _Estimator
    from sklearn.base import ClassifierMixin as _Classifier
except ImportError:
    from nndl.sklearn._base import StandaloneClassifier as _Classifier  # type: ignore[assignment]
    from nndl.sklearn._base import StandaloneEstimator as _Estimator  # type: ignore[assignment]


class NNClassifier(_Classifier, _Estimator):
    """A feed-forward classifier trained by mini-batch gradient descent.

    Parameters
    ----------
    hidden : tuple of int, default (30,)
        Neurons per hidden layer; the input and output sizes come from the data.
    epochs, mini_batch_size, eta : int, int, float
        As in :meth:`Network.SGD` (defaults 30, 10, 0.5: the book's chapter 3).
    cost, activation, output_activation, init, dropout, dtype
        As in :class:`Network` (defaults: cross-entropy, sigmoid, the book's
        N(0, 1/n_in) ``"scaled_normal"`` init).
    lmbda, regularizer, optimizer, schedule, early_stopping
        As the keyword options of :meth:`Network.SGD` (the fields of
        :class:`~nndl.train.config.TrainConfig`; every parameter named like
        one is passed on).  ``schedule`` and
        ``early_stopping`` need ``validation_data`` in :meth:`fit`.
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        Seeds the network (initial weights, dropout masks, shuffling); an int
        makes :meth:`fit` repeatable.  A RandomState or Generator gives a new
        seed at each fit (scikit-learn's convention).
    verbose : bool, default False
        Print a line per epoch.

    Attributes
    ----------
    classes_ : ndarray
        The class labels, sorted; output neuron j stands for ``classes_[j]``.
    network_ : Network
        The trained network.
    history_ : History
        The record of the last :meth:`fit` (or of all :meth:`partial_fit` epochs).
    optimizer_ : Optimizer
        The optimiser with its state (momentum, Adam moments), which
        :meth:`partial_fit` carries from call to call.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a table with string column names (scikit-learn installed).

    Notes
    -----
    It passes every check of scikit-learn's
    ``sklearn.utils.estimator_checks.parametrize_with_checks`` (scikit-learn
    1.9, see ``tests/test_sklearn.py``) with no expected failure.  Not run:
    ``check_array_api_input``, which scikit-learn itself skips unless
    ``SCIPY_ARRAY_API`` is set (nndl computes with NumPy only, so array-API
    inputs such as torch tensors are not supported), and the pandas checks
    when pandas is not installed.  It takes no ``sample_weight``, so the
    sample-weight checks do not apply.  Learned state lives only in the
    attributes that end in ``_``.
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (30,),
        *,
        epochs: int = 30,
        mini_batch_size: int = 10,
        eta: float = 0.5,
        cost: str = "cross_entropy",
        activation: Any = "sigmoid",
        output_activation: str | None = None,
        init: str = "scaled_normal",
        dropout: Any = 0.0,
        lmbda: float = 0.0,
        regularizer: Any = "l2",
        optimizer: Any = "sgd",
        schedule: Any = None,
        early_stopping: int | None = None,
        dtype: str = "float64",
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.mini_batch_size = mini_batch_size
        self.eta = eta
        self.cost = cost
        self.activation = activation
        self.output_activation = output_activation
        self.init = init
        self.dropout = dropout
        self.lmbda = lmbda
        self.regularizer = regularizer
        self.optimizer = optimizer
        self.schedule = schedule
        self.early_stopping = early_stopping
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    # -- training -----------------------------------------------------------
    def fit(self, X: Any, y: Any, validation_data: tuple[Any, Any] | None = None) -> NNClassifier:  # noqa: N803
        """Build a fresh network for ``(X, y)`` and train it for ``epochs``; return ``self``.

        ``y`` holds one class label per row of ``X`` (continuous targets are
        refused: this is a classifier).  ``validation_data`` ``(X_val, y_val)``
        is watched each epoch (accuracy in ``history_``, and the
        ``schedule``/``early_stopping`` if set); its labels must be among those of ``y``.
        """
        x2, labels = check.data(self, X, y, reset=True)
        self._start(x2.shape[1], np.unique(labels))
        self.history_ = self._train(x2, labels, self.epochs, validation_data)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> NNClassifier:  # noqa: N803
        """Train one epoch on ``(X, y)``, building the network on the first call.

        The first call needs ``classes``, every label that will ever be seen
        (as in scikit-learn), unless :meth:`fit` was called before.  The
        optimiser's state (momentum, Adam moments) carries over between calls;
        the regulariser's n is the size of each call's ``X``.
        """
        first = not hasattr(self, "network_")
        if first and classes is None:
            raise ValueError("classes must be given on the first call of partial_fit, "
                             "e.g. classes=np.arange(10)")
        x2, labels = check.data(self, X, y, reset=first)
        if first:
            self._start(x2.shape[1], np.unique(np.asarray(classes)))
            self.history_ = History()
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes {np.unique(classes).tolist()} differ from those of the first call "
                f"{self.classes_.tolist()}"
            )
        history = self._train(x2, labels, 1, None)
        for record in history:
            self.history_.append({**record, "epoch": len(self.history_)})
        return self

    def _start(self, n_features: int, classes: NDArray) -> None:
        """Build the network and the optimiser; only then set the fitted attributes."""
        hidden = self.hidden
        if isinstance(hidden, Integral):
            hidden = (hidden,)
        try:
            sizes = [n_features, *hidden, len(classes)]
        except TypeError:
            raise ValueError(
                f"hidden must be a tuple of positive integers, got {hidden!r}"
            ) from None
        if len(classes) < 2:
            raise ValueError(
                f"y must hold at least 2 classes to learn from, got 1 class: {classes.tolist()}"
            )
        network = Network(
            sizes, cost=self.cost, activation=self.activation,
            output_activation=self.output_activation, init=self.init, dropout=self.dropout,
            seed=check.seed(self.random_state), dtype=self.dtype,
        )
        optimizer = get_optimizer(self.optimizer)
        self.classes_, self.network_, self.optimizer_ = classes, network, optimizer
        self.n_features_in_ = n_features

    def _encode(self, y: Any, name: str) -> NDArray[np.intp]:
        labels = np.asarray(y)
        idx = np.searchsorted(self.classes_, labels)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = labels[self.classes_[idx] != labels] if labels.size else labels
        if unknown.size:
            raise ValueError(
                f"{name} holds labels not seen in training: {np.unique(unknown)[:5].tolist()}; "
                f"known classes are {self.classes_.tolist()}"
            )
        return idx

    def _train(self, x: NDArray, y: NDArray, epochs: int, validation_data: Any) -> History:
        val = None
        if validation_data is not None:
            try:
                vx, vy = validation_data
            except (TypeError, ValueError):
                raise ValueError("validation_data must be an (X, y) pair of arrays") from None
            val = (check.data(self, vx, None, reset=False)[0],
                   self._encode(vy, "validation_data y"))
        return train(self.network_, Splits((x, self._encode(y, "y")), val),
                     self._config(epochs))

    def _config(self, epochs: int) -> TrainConfig:
        """The training options among the parameters, for ``epochs`` with the kept optimiser."""
        options = {k: v for k, v in self.get_params(deep=False).items() if k in TRAINING}
        return TrainConfig(**{**options, "epochs": epochs, "optimizer": self.optimizer_})

    # -- prediction -----------------------------------------------------------
    def _inputs(self, X: Any) -> NDArray:  # noqa: N803
        if not hasattr(self, "network_"):
            raise check.not_fitted_error(type(self).__name__)
        return check.data(self, X, None, reset=False)[0]

    def predict_proba(self, X: Any) -> NDArray:  # noqa: N803
        """Class probabilities, one row per input, columns in the order of ``classes_``.

        With a softmax output layer these are its outputs.  Otherwise each
        output is mapped to [0, ∞) (sigmoid/ReLU outputs as they are, tanh
        via (a + 1)/2) and each row is divided by its sum, so rows always sum
        to 1; a row of all zeros becomes uniform.
        """
        x2 = self._inputs(X)
        out = self.network_.feedforward(x2)
        name = self.network_.output_activation.name
        if name == "softmax":
            return out
        scores = (out + 1.0) / 2.0 if name == "tanh" else np.maximum(out, 0.0)
        total = scores.sum(axis=1, keepdims=True)
        empty = total[:, 0] == 0
        scores[empty], total[empty] = 1.0, scores.shape[1]
        return scores / total

    def predict(self, X: Any) -> NDArray:  # noqa: N803
        """The most likely class of each row of ``X``."""
        x2 = self._inputs(X)
        return self.classes_[self.network_.predict(x2)]


__all__ = ["NNClassifier", "NotFittedError"]
