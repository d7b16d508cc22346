"""The book's ``network2.py`` (chapter 3): cross-entropy, L2 regularisation, monitoring, saving.

The same classes, methods, printed lines, return values and JSON files as
the book's module, on nndl's vectorised engine (``net.model`` is the
:class:`nndl.Network` doing the work).  Initial weights come from NumPy's
global generator and the shuffling from Python's ``random``, in the book's
order, so with the same seeds it takes the book's own steps (equal up to the
order of floating-point sums; see docs/book.md).

Examples
--------
>>> import random
>>> import numpy as np
>>> from nndl.book import mnist_loader, network2
>>> training_data, validation_data, test_data = mnist_loader.load_data_wrapper("sample")
>>> np.random.seed(1); random.seed(1)
>>> net = network2.Network([784, 30, 10], cost=network2.CrossEntropyCost)
>>> results = net.SGD(training_data, 2, 10, 0.5, lmbda=5.0,
...                   evaluation_data=validation_data, monitor_evaluation_accuracy=True)
Epoch 0 training complete
Accuracy on evaluation data: ... / 200
<BLANKLINE>
Epoch 1 training complete
Accuracy on evaluation data: ... / 200
<BLANKLINE>
>>> evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = results
>>> len(evaluation_accuracy), training_cost
(2, [])
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from nndl import _validate
from nndl.book._network import (
    BookModel,
    as_arrays,
    sigmoid,
    sigmoid_prime,
    training_list,
)
from nndl.book.mnist_loader import vectorized_result
from nndl.costs import Cost
from nndl.data._atomic import atomic_write_bytes
from nndl.errors import ModelFileError
from nndl.pairs import materialize
from nndl.regularizers import get_regularizer

__all__ = [
    "CrossEntropyCost",
    "Network",
    "QuadraticCost",
    "load",
    "sigmoid",
    "sigmoid_prime",
    "vectorized_result",
]


class QuadraticCost:
    """C = ½‖a − y‖², with δᴸ = (a − y) ⊙ σ'(zᴸ) (the book's static methods, on columns)."""

    @staticmethod
    def fn(a: Any, y: Any) -> float:
        return float(0.5 * np.linalg.norm(np.asarray(a) - y) ** 2)

    @staticmethod
    def delta(z: Any, a: Any, y: Any) -> Any:
        return (np.asarray(a) - y) * sigmoid_prime(z)


class CrossEntropyCost:
    """C = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)], with δᴸ = a − y.

    ``fn`` uses 0·ln 0 = 0 where the book used ``np.nan_to_num``.
    """

    @staticmethod
    def fn(a: Any, y: Any) -> float:
        a, y = np.asarray(a, dtype=float), np.asarray(y, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            on = np.where(y > 0, y * np.log(a), 0.0)
            off = np.where(y < 1, (1 - y) * np.log1p(-a), 0.0)
        return float(-np.sum(on + off))

    @staticmethod
    def delta(z: Any, a: Any, y: Any) -> Any:
        return np.asarray(a) - y


#: The largest network2 file :func:`load` reads (a 784-1000-10 network's is about 16 MB).
MAX_JSON_BYTES = 64 * 2**20

#: The cost classes a saved file may name.
COSTS = {cls.__name__: cls for cls in (QuadraticCost, CrossEntropyCost)}


class BookCost(Cost):
    """Any cost class written the book's way, for the engine: columns are examples.

    ``fn(a, y)`` must sum over all the columns it is given and
    ``delta(z, a, y)`` work column by column, as the book's own costs do.
    """

    def __init__(self, cls: Any) -> None:
        self.cls = cls
        self.name = getattr(cls, "__name__", "book")  # type: ignore[misc]

    def fn(self, z: Any, a: Any, y: Any) -> float:
        return float(self.cls.fn(a.T, y.T)) / len(a)

    def delta(self, z: Any, a: Any, y: Any, activation: Any) -> Any:
        return np.asarray(self.cls.delta(z.T, a.T, y.T)).T

    def derivative(self, a: Any, y: Any) -> Any:
        raise NotImplementedError(f"{self.name} gives delta, not the derivative of the cost")


def _engine_cost(cost: Any) -> str | Cost:
    """The nndl cost for a book cost class (nndl's stable forms for the book's two)."""
    if cost is QuadraticCost:
        return "quadratic"
    if cost is CrossEntropyCost:
        return "cross_entropy"
    if callable(getattr(cost, "fn", None)) and callable(getattr(cost, "delta", None)):
        return BookCost(cost)
    raise ValueError(
        f"cost must be network2.CrossEntropyCost, network2.QuadraticCost or a class with the "
        f"book's static fn(a, y) and delta(z, a, y), got {cost!r}"
    )


class Network(BookModel):
    """The book's chapter-3 network: ``Network([784, 30, 10], cost=CrossEntropyCost)``.

    Weights start as N(0, 1/n_in) and biases as N(0, 1), drawn from
    ``np.random`` (biases first): :meth:`default_weight_initializer`.
    """

    def __init__(self, sizes: list[int], cost: Any = CrossEntropyCost) -> None:
        super().__init__(sizes, _engine_cost(cost))
        self.default_weight_initializer()
        self._cost = cost

    @property
    def cost(self) -> Any:
        """The cost class (fixed at construction: ``Network(sizes, cost=...)``)."""
        return self._cost

    @cost.setter
    def cost(self, value: Any) -> None:
        raise AttributeError("choose the cost when building the network: Network(sizes, cost=...)")

    def default_weight_initializer(self) -> None:
        """Weights from N(0, 1/n_in), biases from N(0, 1), drawn from ``np.random``."""
        self._initialize(scaled=True)

    def large_weight_initializer(self) -> None:
        """Weights and biases from N(0, 1), drawn from ``np.random`` (chapter 1's)."""
        self._initialize(scaled=False)

    def SGD(  # noqa: N802 - the book's name
        self, training_data: Any, epochs: int, mini_batch_size: int, eta: float,
        lmbda: float = 0.0,
        evaluation_data: Any = None,
        monitor_evaluation_cost: bool = False,
        monitor_evaluation_accuracy: bool = False,
        monitor_training_cost: bool = False,
        monitor_training_accuracy: bool = False,
        early_stopping_n: int = 0,
    ) -> tuple[list, list, list, list]:
        """Train by mini-batch SGD with L2 regularisation λ, printing the book's lines.

        Returns ``(evaluation_cost, evaluation_accuracy, training_cost,
        training_accuracy)``, one number per epoch in each monitored list.
        ``early_stopping_n > 0`` stops once the monitored accuracy (on the
        evaluation data if monitored, else on the training data) has not
        improved for that many epochs.
        """
        training_data = training_list(training_data)
        n = len(training_data)
        x, y = as_arrays(training_data, "training_data")
        evaluation_data = materialize(evaluation_data)
        watched = _check_monitors(evaluation_data, early_stopping_n, {
            "monitor_evaluation_cost": monitor_evaluation_cost,
            "monitor_evaluation_accuracy": monitor_evaluation_accuracy,
            "monitor_training_accuracy": monitor_training_accuracy,
        })
        if evaluation_data:
            ex, ey = as_arrays(evaluation_data, "evaluation_data")
        step = self._step(eta, lmbda, n)
        results: tuple[list, list, list, list] = ([], [], [], [])
        evaluation_cost, evaluation_accuracy, training_cost, training_accuracy = results
        best_accuracy, no_accuracy_change = 0, 0
        for j in self._epochs(training_data, x, y, epochs, mini_batch_size, step):
            print(f"Epoch {j} training complete")
            if monitor_training_cost:
                training_cost.append(self._total_cost(x, y, lmbda))
                print(f"Cost on training data: {training_cost[-1]}")
            if monitor_training_accuracy:
                training_accuracy.append(self.model.evaluate(x, y))
                print(f"Accuracy on training data: {training_accuracy[-1]} / {n}")
            if monitor_evaluation_cost:
                evaluation_cost.append(self._total_cost(ex, ey, lmbda))
                print(f"Cost on evaluation data: {evaluation_cost[-1]}")
            if monitor_evaluation_accuracy:
                evaluation_accuracy.append(self.model.evaluate(ex, ey))
                print(f"Accuracy on evaluation data: {evaluation_accuracy[-1]} / {len(ex)}")
            print()
            if watched is not None:
                watch = evaluation_accuracy if watched == "evaluation" else training_accuracy
                accuracy = watch[-1]
                if accuracy > best_accuracy:
                    best_accuracy, no_accuracy_change = accuracy, 0
                else:
                    no_accuracy_change += 1
                if no_accuracy_change == early_stopping_n:
                    break
        return results

    def _step(self, eta: float, lmbda: float, n: int) -> Any:
        """One step on stacked ``(x, y)``: w → (1 − ηλ/n) w − (η/m) Σₓ ∇w Cₓ."""
        eta = _validate.positive_float(eta, "eta")
        model = self.model
        decay = get_regularizer("l2", _validate.positive_float(lmbda, "lmbda", allow_zero=True))
        if decay is None:
            return lambda x, y: model.update_mini_batch(x, y, eta)

        def step(x: Any, y: Any) -> None:
            nabla_b, nabla_w = model.backprop(x, y)  # mean gradient at the current weights
            for w, nw in zip(model.weights, nabla_w, strict=True):
                decay.decay(w, eta, n)
                nw *= eta
                w -= nw
            for b, nb in zip(model.biases, nabla_b, strict=True):
                nb *= eta
                b -= nb

        return step

    def update_mini_batch(self, mini_batch: Any, eta: float, lmbda: float, n: int) -> None:
        """One step on the list of pairs ``mini_batch``; ``n`` is the training-set size."""
        x, y = as_arrays(mini_batch, "mini_batch")
        self._step(eta, lmbda, _validate.positive_int(n, "n"))(x, y)

    def accuracy(self, data: Any, convert: bool = False) -> int:
        """Return how many of the pairs in ``data`` the network classifies correctly.

        ``convert`` is accepted for the book's sake: labels and one-hot
        columns are both recognised from the data.
        """
        return self._count(data, "data")

    def total_cost(self, data: Any, lmbda: float, convert: bool = False) -> float:
        """Return the mean cost over ``data`` plus (λ/2n) Σ w², with n = ``len(data)``.

        ``convert`` is accepted for the book's sake (see :meth:`accuracy`).
        """
        x, y = as_arrays(data, "data")
        return self._total_cost(x, y, lmbda)

    def _total_cost(self, x: Any, y: Any, lmbda: float) -> float:
        penalty = get_regularizer("l2", lmbda)
        return self.model.total_cost(x, y, regularizer=penalty, n=len(x))

    def save(self, filename: str | os.PathLike[str]) -> None:
        """Save the network as the book's JSON (``sizes``, ``weights``, ``biases``, ``cost``)."""
        data = {
            "sizes": [int(s) for s in self.sizes],
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "cost": str(self.cost.__name__),
        }
        atomic_write_bytes(filename, json.dumps(data).encode("utf-8"))


def _check_monitors(evaluation_data: Any, early_stopping_n: int, flags: dict) -> str | None:
    """Refuse monitors without their data; return which accuracy early stopping watches."""
    for name in ("monitor_evaluation_cost", "monitor_evaluation_accuracy"):
        if flags[name] and not evaluation_data:
            raise ValueError(f"{name}=True needs evaluation_data (the data it measures)")
    if _validate.positive_int(early_stopping_n, "early_stopping_n", minimum=0) == 0:
        return None
    if flags["monitor_evaluation_accuracy"]:
        return "evaluation"
    if flags["monitor_training_accuracy"]:
        return "training"
    raise ValueError(
        "early_stopping_n needs an accuracy to watch: monitor_evaluation_accuracy=True "
        "(or monitor_training_accuracy=True)"
    )


def load(filename: str | os.PathLike[str]) -> Network:
    """Load a network saved by :meth:`Network.save` — or by the book's own ``network2``.

    The file is read as nndl's own model files are: at most
    :data:`MAX_JSON_BYTES`, nesting refused beyond what JSON allows here,
    every array checked against the sizes, NaN and infinite values refused.

    Raises
    ------
    nndl.errors.ModelFileError
        If the file is not the book's JSON, is too large or too deeply
        nested, names another cost, or its arrays do not fit its sizes or
        hold NaN or infinite values.
    """
    data = _read_json(filename)
    if not isinstance(data, dict) or not {"sizes", "weights", "biases", "cost"} <= data.keys():
        raise ModelFileError(
            f"{filename}: not a network2 file (a JSON object with sizes, weights, biases, cost)"
        )
    cost = COSTS.get(data["cost"]) if isinstance(data["cost"], str) else None
    if cost is None:
        raise ModelFileError(
            f"{filename}: unknown cost {data['cost']!r:.80}; expected one of {sorted(COSTS)}"
        )
    try:
        net = Network(data["sizes"], cost=cost)
        net.weights = data["weights"]
        net.biases = data["biases"]
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{filename}: {exc}") from None
    for what, arrays in (("weights", net.weights), ("biases", net.biases)):
        for i, arr in enumerate(arrays):
            if not np.isfinite(arr).all():
                raise ModelFileError(f"{filename}: {what}[{i}] holds NaN or infinite values "
                                     "(a diverged training?); refusing to load it")
    return net


def _read_json(filename: str | os.PathLike[str]) -> Any:
    """The JSON of a regular file of at most :data:`MAX_JSON_BYTES`, parsed."""
    path = Path(filename)
    if not path.is_file():
        what = "not a regular file" if path.exists() else "no such file"
        raise ModelFileError(f"{filename}: cannot read a network2 file: {what}")
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise ModelFileError(f"{filename}: cannot read a network2 file: {exc}") from None
    if len(raw) > MAX_JSON_BYTES:
        raise ModelFileError(f"{filename}: larger than {MAX_JSON_BYTES:,} bytes, more than a "
                             "network2 file of any network that fits here; refusing it")
    try:
        return json.loads(raw)
    except RecursionError:
        raise ModelFileError(f"{filename}: not a network2 file: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ModelFileError(f"{filename}: cannot read a network2 file: {exc}") from None
