"""A scikit-learn-style classifier around :class:`~nndl.network.Network`.

:class:`NNClassifier` takes every option as a constructor argument, builds
the network in :meth:`~NNClassifier.fit` from the shape of the data, and
accepts any class labels (integers, strings, ...).  It does not depend on
scikit-learn, but follows its conventions (``fit`` returns the estimator,
learnt attributes end in ``_``, ``get_params``/``set_params``), so it can be
used in scikit-learn pipelines and grid searches.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.random((200, 2))
>>> y = np.where(x[:, 0] > x[:, 1], "above", "below")
>>> clf = NNClassifier(hidden=(8,), epochs=20, eta=1.0, seed=0).fit(x, y)
>>> clf.classes_.tolist(), clf.score(x, y) > 0.9
(['above', 'below'], True)
>>> clf.predict_proba(x[:3]).sum(axis=1).round(6).tolist()
[1.0, 1.0, 1.0]
"""

from __future__ import annotations

import inspect
from numbers import Integral
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.errors import NotFittedError
from nndl.history import History
from nndl.network import Network
from nndl.optimizers import get_optimizer


class NNClassifier:
    """A feed-forward classifier trained by mini-batch gradient descent.

    Parameters
    ----------
    hidden : tuple of int, default (30,)
        Neurons per hidden layer; the input and output sizes come from the data.
    epochs, mini_batch_size, eta : int, int, float
        As in :meth:`Network.SGD` (defaults 30, 10, 0.5: the book's chapter 3).
    cost, activation, output_activation, init, dropout, dtype, seed
        As in :class:`Network` (defaults: cross-entropy, sigmoid, the book's
        N(0, 1/n_in) ``"scaled_normal"`` init).
    lmbda, regularizer, optimizer, schedule, early_stopping
        As the keyword options of :meth:`Network.SGD`.  ``schedule`` and
        ``early_stopping`` need ``validation_data`` in :meth:`fit`.
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
    n_features_in_ : int
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
        seed: int | None = None,
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
        self.seed = seed
        self.verbose = verbose

    # -- scikit-learn protocol --------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, by name."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params: Any) -> NNClassifier:
        """Set constructor arguments; unknown names raise ``ValueError``."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"unknown parameter {name!r} for NNClassifier; "
                                 f"valid: {sorted(valid)}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = {k: v for k, v in self.get_params().items() if v != defaults[k]}
        return f"NNClassifier({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    # -- training -----------------------------------------------------------
    def fit(self, x: Any, y: Any, validation_data: tuple[Any, Any] | None = None) -> NNClassifier:
        """Build a fresh network for ``(x, y)`` and train it for ``epochs``; return ``self``.

        ``y`` holds one class label per row of ``x``.  ``validation_data``
        ``(x_val, y_val)`` is watched each epoch (accuracy in ``history_``, and
        the ``schedule``/``early_stopping`` if set); its labels must be among
        those of ``y``.
        """
        x2 = self._check_x(x, fitting=True)
        labels = np.asarray(y)
        if labels.ndim != 1 or len(labels) != len(x2):
            raise ValueError(
                f"y must be 1-D with one label per row of x ({len(x2)}), got shape {labels.shape}"
            )
        self.classes_ = np.unique(labels)
        self._build(x2.shape[1])
        self._optimizer = get_optimizer(self.optimizer)
        self.history_ = self._train(x2, labels, self.epochs, validation_data)
        return self

    def partial_fit(self, x: Any, y: Any, classes: Any = None) -> NNClassifier:
        """Train one epoch on ``(x, y)``, building the network on the first call.

        The first call needs ``classes``, every label that will ever be seen
        (as in scikit-learn), unless :meth:`fit` was called before.  The
        optimiser's state (momentum, Adam moments) carries over between calls;
        the regulariser's n is the size of each call's ``x``.
        """
        if not hasattr(self, "network_"):
            if classes is None:
                raise ValueError("classes must be given on the first call of partial_fit, "
                                 "e.g. classes=np.arange(10)")
            x2 = self._check_x(x, fitting=True)
            self.classes_ = np.unique(np.asarray(classes))
            self._build(x2.shape[1])
            self._optimizer = get_optimizer(self.optimizer)
            self.history_ = History()
        else:
            x2 = self._check_x(x)
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"classes {np.unique(classes).tolist()} differ from those of the first call "
                    f"{self.classes_.tolist()}"
                )
        history = self._train(x2, np.asarray(y), 1, None)
        for record in history:
            self.history_.append({**record, "epoch": len(self.history_)})
        return self

    def _build(self, n_features: int) -> None:
        hidden = self.hidden
        if isinstance(hidden, Integral):
            hidden = (hidden,)
        try:
            sizes = [n_features, *hidden, len(self.classes_)]
        except TypeError:
            raise ValueError(
                f"hidden must be a tuple of positive integers, got {hidden!r}"
            ) from None
        if len(self.classes_) < 2:
            raise ValueError(
                f"y must hold at least 2 classes to learn from, got {self.classes_.tolist()}"
            )
        self.n_features_in_ = n_features
        self.network_ = Network(
            sizes, cost=self.cost, activation=self.activation,
            output_activation=self.output_activation, init=self.init, dropout=self.dropout,
            seed=self.seed, dtype=self.dtype,
        )

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
        if y.ndim != 1 or len(y) != len(x):
            raise ValueError(f"y must be 1-D with one label per row of x ({len(x)}), "
                             f"got shape {y.shape}")
        val = None
        if validation_data is not None:
            try:
                vx, vy = validation_data
            except (TypeError, ValueError):
                raise ValueError("validation_data must be an (x, y) pair of arrays") from None
            val = (self._check_x(vx, "validation_data x"), self._encode(vy, "validation_data y"))
        return self.network_.SGD(
            (x, self._encode(y, "y")), epochs, self.mini_batch_size, self.eta,
            validation_data=val, lmbda=self.lmbda, regularizer=self.regularizer,
            optimizer=self._optimizer, schedule=self.schedule,
            early_stopping=self.early_stopping, verbose=self.verbose,
        )

    # -- prediction -----------------------------------------------------------
    def _check_x(self, x: Any, name: str = "x", *, fitting: bool = False) -> NDArray:
        if not fitting and not hasattr(self, "network_"):
            raise NotFittedError("this NNClassifier is not fitted yet: call fit(x, y) first")
        arr = np.asarray(x)
        if arr.ndim != 2 or arr.shape[0] == 0:
            raise ValueError(f"{name} must be a non-empty 2-D array (samples, features), "
                             f"got shape {arr.shape}")
        if not fitting and arr.shape[1] != self.n_features_in_:
            raise ValueError(f"{name} has {arr.shape[1]} features but the classifier was "
                             f"fitted with {self.n_features_in_}")
        return arr

    def predict_proba(self, x: Any) -> NDArray:
        """Class probabilities, one row per input, columns in the order of ``classes_``.

        With a softmax output layer these are its outputs.  Otherwise each
        output is mapped to [0, ∞) (sigmoid/ReLU outputs as they are, tanh
        via (a + 1)/2) and each row is divided by its sum, so rows always sum
        to 1; a row of all zeros becomes uniform.
        """
        out = self.network_.feedforward(self._check_x(x))
        name = self.network_.output_activation.name
        if name == "softmax":
            return out
        scores = (out + 1.0) / 2.0 if name == "tanh" else np.maximum(out, 0.0)
        total = scores.sum(axis=1, keepdims=True)
        empty = total[:, 0] == 0
        scores[empty], total[empty] = 1.0, scores.shape[1]
        return scores / total

    def predict(self, x: Any) -> NDArray:
        """The most likely class of each row of ``x``."""
        x2 = self._check_x(x)
        return self.classes_[self.network_.predict(x2)]

    def score(self, x: Any, y: Any) -> float:
        """Mean accuracy on ``(x, y)``."""
        y_arr = np.asarray(y)
        predicted = self.predict(x)
        if y_arr.shape != predicted.shape:
            raise ValueError(f"y must have one label per row of x ({len(predicted)}), "
                             f"got shape {y_arr.shape}")
        return float(np.mean(predicted == y_arr))
