"""The parts of scikit-learn's estimator API that :class:`~nndl.NNClassifier` needs standalone.

When scikit-learn is installed, :class:`~nndl.NNClassifier` derives from its
``ClassifierMixin`` and ``BaseEstimator`` instead (see :mod:`nndl.sklearn.estimator`);
these two small classes stand in for them without it, with the same
behaviour for ``get_params``, ``set_params``, ``repr`` and ``score``, and the
same messages for bad input, so the class works the same either way.

Examples
--------
>>> class Toy(StandaloneEstimator):
...     def __init__(self, a=1, b=(2,)):
...         self.a, self.b = a, b
>>> Toy(b=(3,)), Toy().get_params()
(Toy(b=(3,)), {'a': 1, 'b': (2,)})
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from numpy.typing import NDArray


class StandaloneEstimator:
    """``get_params``, ``set_params`` and ``repr`` from the constructor's signature.

    Parameters are listed in alphabetical order, as scikit-learn lists them.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        return sorted(
            name for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        )

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Any:
        """Set constructor arguments; unknown names raise ``ValueError``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {sorted(valid)!r}."
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        # The arguments that differ from the defaults, compared by repr, so
        # that NumPy arrays (whose == is element-wise) need no special case.
        signature = inspect.signature(type(self).__init__)
        defaults = {name: p.default for name, p in signature.parameters.items()}
        changed = {k: v for k, v in self.get_params().items() if repr(v) != repr(defaults[k])}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"


class StandaloneClassifier:
    """``score``: the mean accuracy, as scikit-learn's ``ClassifierMixin`` gives it."""

    _estimator_type = "classifier"

    def predict(self, x: Any) -> NDArray:  # pragma: no cover - provided by the estimator
        raise NotImplementedError

    def score(self, x: Any, y: Any, sample_weight: Any = None) -> float:
        """Mean accuracy of ``predict(x)`` against ``y`` (weighted by ``sample_weight``)."""
        predicted = self.predict(x)
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] == 1:
            y_arr = y_arr[:, 0]
        if y_arr.shape != predicted.shape:
            raise ValueError(
                f"y must have one label per row of X ({len(predicted)}), got shape {y_arr.shape}"
            )
        return float(np.average(predicted == y_arr, weights=sample_weight))
