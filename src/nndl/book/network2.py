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
    as_list,
    sigmoid,
    training_list,
)
from nndl.book.mnist_loader import vectorized_result
from nndl.book.pairs import materialize
from nndl.data._atomic import atomic_write_bytes
from nndl.errors import ModelFileError
from nndl.nn.costs import Cost
from nndl.train.regularizers import get_regularizer

__all__ = [
    "CrossEntropyCost",
    "Network",
    "QuadraticCost",
    "load",
    "sigmoid",
    "sigmoid_prime",
    "vectorized_result",
]



def sigmoid_prime(z: Any) -> Any:
    """Derivative of the sigmoid function, σ'(z) = σ(z)(1 − σ(z)), with this module's σ."""
    return sigmoid(z) * (1 - sigmoid(z))


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


#: The book's own cost methods: any other ``fn`` or ``delta`` is a reader's (the book's path).
ORIGINAL_COST_METHODS = {
    name: {getattr(cost, name) for cost in (QuadraticCost, CrossEntropyCost)}
    for name in ("fn", "delta")
}

#: The monitors of the book's ``SGD``, in the order it measures and prints them.
MONITORS = {
    "training_cost": "Cost on training data: {}",
    "training_accuracy": "Accuracy on training data: {} / {}",
    "evaluation_cost": "Cost on evaluation data: {}",
    "evaluation_accuracy": "Accuracy on evaluation data: {} / {}",
}


class Network(BookModel):
    """The book's chapter-3 network: ``Network([784, 30, 10], cost=CrossEntropyCost)``.

    Weights start as N(0, 1/n_in) and biases as N(0, 1), drawn from
    ``np.random`` (biases first): :meth:`default_weight_initializer`.  A
    subclass may override ``update_mini_batch``, ``backprop``,
    ``feedforward``, ``total_cost`` or ``accuracy``, a cost class bring its
    own ``fn``/``delta``, or a reader patch ``network2.sigmoid`` /
    ``sigmoid_prime``: ``SGD`` then calls them as the book's does (see
    :mod:`nndl.book._network`).
    """

    EXTENSION_POINTS = ("update_mini_batch", "backprop", "feedforward", "total_cost", "accuracy")

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

    @staticmethod
    def _functions() -> tuple[Any, Any]:
        return sigmoid, sigmoid_prime  # this module's, looked up now: a reader may patch them

    def _patched(self) -> set[str]:
        changed = super()._patched()
        for name, originals in ORIGINAL_COST_METHODS.items():
            if getattr(self.cost, name, None) not in originals:
                changed.add(f"cost.{name}")
        return changed

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
        evaluation_data = materialize(evaluation_data)
        monitors = {
            "training_cost": monitor_training_cost,
            "training_accuracy": monitor_training_accuracy,
            "evaluation_cost": monitor_evaluation_cost,
            "evaluation_accuracy": monitor_evaluation_accuracy,
        }
        watched = _check_monitors(evaluation_data, early_stopping_n, monitors)
        if evaluation_data:
            evaluation_data = as_list(evaluation_data, "evaluation_data")
        eta = _validate.positive_float(eta, "eta")
        lmbda = _validate.positive_float(lmbda, "lmbda", allow_zero=True)
        book = bool(self._modified())  # decided once: the book's loop, or the engine's
        measure, epochs_run = self._plan(book, training_data, evaluation_data, epochs,
                                         mini_batch_size, eta, lmbda)
        totals = {"training": n, "evaluation": len(evaluation_data or ())}
        results: dict[str, list] = {key: [] for key in MONITORS}
        best_accuracy, no_accuracy_change = 0, 0
        try:
            for j in epochs_run:
                print(f"Epoch {j} training complete")
                _measure_epoch(monitors, measure, results, totals, again=book)
                if watched is not None:
                    accuracy = results[f"{watched}_accuracy"][-1]
                    if accuracy > best_accuracy:
                        best_accuracy, no_accuracy_change = accuracy, 0
                    else:
                        no_accuracy_change += 1
                    if no_accuracy_change == early_stopping_n:
                        break
        finally:
            if not book:
                self._publish()
        return (results["evaluation_cost"], results["evaluation_accuracy"],
                results["training_cost"], results["training_accuracy"])

    def _plan(self, book: bool, training_data: list, evaluation_data: Any, epochs: int,
              mini_batch_size: int, eta: float, lmbda: float) -> tuple[dict[str, Any], Any]:
        """The monitors and the epochs to run: the book's loop, calling the reader's
        methods as the book does, or the engine's (one call per mini-batch)."""
        n = len(training_data)
        if book:
            measure = {
                "training_cost": lambda: self.total_cost(training_data, lmbda),
                "training_accuracy": lambda: self.accuracy(training_data, convert=True),
                "evaluation_cost": lambda: self.total_cost(evaluation_data, lmbda, convert=True),
                "evaluation_accuracy": lambda: self.accuracy(evaluation_data),
            }
            def book_step(batch: Any) -> None:
                self.update_mini_batch(batch, eta, lmbda, n)

            return measure, self._epochs(training_data, epochs, mini_batch_size, book_step)
        measure, arrays = self._engine_measures(training_data, evaluation_data, lmbda)
        self._sync()
        return measure, self._epochs(training_data, epochs, mini_batch_size,
                                     self._step(eta, lmbda, n), arrays)

    def _engine_measures(
        self, training_data: list, evaluation_data: Any, lmbda: float
    ) -> tuple[dict[str, Any], tuple[Any, Any]]:
        """The fast path's monitors (on stacked arrays), and the stacked training data."""
        x, y = as_arrays(training_data, "training_data")
        ex, ey = as_arrays(evaluation_data, "evaluation_data") if evaluation_data else (x, y)
        model = self._model
        measure = {
            "training_cost": lambda: self._total_cost(x, y, lmbda),
            "training_accuracy": lambda: model.evaluate(x, y),
            "evaluation_cost": lambda: self._total_cost(ex, ey, lmbda),
            "evaluation_accuracy": lambda: model.evaluate(ex, ey),
        }
        return measure, (x, y)

    def _step(self, eta: float, lmbda: float, n: int) -> Any:
        """One step of the model on stacked ``(x, y)``: w → (1 − ηλ/n) w − (η/m) Σₓ ∇w Cₓ."""
        model = self._model
        decay = get_regularizer("l2", lmbda)
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
        eta = _validate.positive_float(eta, "eta")
        lmbda = _validate.positive_float(lmbda, "lmbda", allow_zero=True)
        n = _validate.positive_int(n, "n")
        self._update(mini_batch, eta, 1 - eta * (lmbda / n), self._step(eta, lmbda, n))

    def _output_delta(self, z: Any, a: Any, y: Any) -> Any:
        return self.cost.delta(z, a, y)  # δᴸ from the cost class (BP1)

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
        data = as_list(data, "data")
        if self._modified() & {"feedforward", "sigmoid", "cost.fn"}:  # the book's loop
            cost = 0.0
            for x, y in data:
                a = self.feedforward(x)
                cost += self.cost.fn(a, self._target(y)) / len(data)
            weights = sum(np.linalg.norm(w) ** 2 for w in self.weights)
            return float(cost + 0.5 * (lmbda / len(data)) * weights)
        x, y = as_arrays(data, "data")
        self._sync()
        return self._total_cost(x, y, lmbda)

    def _target(self, y: Any) -> Any:
        """The column the cost compares with: ``y`` itself, or a label as a one-hot column."""
        if np.ndim(y) != 0:
            return y
        e = np.zeros((self.sizes[-1], 1))
        e[y] = 1.0
        return e

    def _total_cost(self, x: Any, y: Any, lmbda: float) -> float:
        penalty = get_regularizer("l2", lmbda)
        return self._model.total_cost(x, y, regularizer=penalty, n=len(x))

    def save(self, filename: str | os.PathLike[str]) -> None:
        """Save the network as the book's JSON (``sizes``, ``weights``, ``biases``, ``cost``)."""
        data = {
            "sizes": [int(s) for s in self.sizes],
            "weights": [np.asarray(w).tolist() for w in self.weights],
            "biases": [np.asarray(b).tolist() for b in self.biases],
            "cost": str(self.cost.__name__),
        }
        atomic_write_bytes(filename, json.dumps(data).encode("utf-8"))


def _measure_epoch(monitors: dict, measure: dict, results: dict, totals: dict,
                   again: bool) -> None:
    """Measure and print the monitored quantities of one epoch, as the book does (which
    measures the evaluation accuracy ``again`` to print it)."""
    for key, line in MONITORS.items():
        if monitors[key]:
            results[key].append(measure[key]())
            shown = measure[key]() if again and key == "evaluation_accuracy" else results[key][-1]
            print(line.format(shown, totals[key.split("_")[0]]))
    print()


def _check_monitors(evaluation_data: Any, early_stopping_n: int, flags: dict) -> str | None:
    """Refuse monitors without their data; return which accuracy early stopping watches."""
    for name in ("evaluation_cost", "evaluation_accuracy"):
        if flags[name] and not evaluation_data:
            raise ValueError(f"monitor_{name}=True needs evaluation_data (the data it measures)")
    if _validate.positive_int(early_stopping_n, "early_stopping_n", minimum=0) == 0:
        return None
    if flags["evaluation_accuracy"]:
        return "evaluation"
    if flags["training_accuracy"]:
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
