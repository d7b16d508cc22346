"""Several trained networks classifying together: the book's chapter-6 ensemble.

*Neural Networks and Deep Learning*, chapter 6, "Using an ensemble of
networks": train several networks the same way (they differ only in their
random initialisation and shuffling), then "get them to vote to determine the
best classification"; five of its dropout networks vote their way from about
99.6% each to 99.67%.  :class:`Ensemble` does that with saved nndl models.

Two rules combine the members' output activations ``a⁽ᵏ⁾`` (k = 1..K):

``"vote"`` (the book's, the default)
    each member votes for its most active output, ``argmaxⱼ a⁽ᵏ⁾ⱼ``; the class
    with the most votes wins.  A tie is broken by the mean activation
    ``(1/K) Σₖ a⁽ᵏ⁾ⱼ`` of the tied classes (then by the lower class).
``"average"``
    the class with the largest mean activation ``argmaxⱼ (1/K) Σₖ a⁽ᵏ⁾ⱼ``
    (for softmax outputs: the mean of the members' probabilities).

Examples
--------
>>> import numpy as np
>>> from nndl import Ensemble, Network
>>> members = [Network([4, 3, 2], seed=s) for s in range(3)]
>>> ensemble = Ensemble(members)
>>> x = np.random.default_rng(0).random((5, 4))
>>> ensemble.predict(x).shape, ensemble.feedforward(x).shape
((5,), (5, 2))
>>> votes = np.stack([m.predict(x) for m in members])   # (K, m): each member's vote
>>> bool(np.all(ensemble.predict(x) == (votes.sum(axis=0) >= 2)))   # majority of 3
True
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate

#: The ways of combining the members' outputs; the first is the default (the book's).
RULES = ("vote", "average")


class Ensemble:
    """Trained models that classify together, by vote (the book's rule) or by mean output.

    Parameters
    ----------
    models : sequence of models
        At least one trained nndl model (:class:`~nndl.Network`,
        :class:`~nndl.Sequential`, ...), all with the same number of inputs
        and of outputs.
    rule : {"vote", "average"}, default "vote"
        How the members' outputs are combined (see :mod:`nndl.model.ensemble`).
    names : sequence of str, optional
        One name per member (e.g. its file), used in error messages and reports.

    Raises
    ------
    ValueError
        If there are no models, the rule is unknown, or the members' input or
        output sizes differ (the message names the first member that differs).
    """

    def __init__(self, models: Sequence[Any], *, rule: str = "vote",
                 names: Sequence[str] | None = None) -> None:
        members = list(models)
        if not members:
            raise ValueError("an ensemble needs at least one model, got none")
        if rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
        labels = [str(n) for n in names] if names is not None else [
            f"model {i}" for i in range(len(members))]
        if len(labels) != len(members):
            raise ValueError(f"names gives {len(labels)} names for {len(members)} models")
        first = members[0]
        for label, model in zip(labels[1:], members[1:], strict=True):
            for what in ("n_inputs", "n_outputs"):
                if getattr(model, what) != getattr(first, what):
                    word = what[2:]
                    raise ValueError(
                        f"{label} has {getattr(model, what)} {word} but {labels[0]} has "
                        f"{getattr(first, what)}: an ensemble's members must all have "
                        f"the same {word}")
        self.members = members
        self.names = labels
        self.rule = rule

    @classmethod
    def load(cls, paths: Sequence[str | os.PathLike[str]], *, rule: str = "vote") -> Ensemble:
        """Load the saved models at ``paths`` (``nndl train --save`` files) as an ensemble."""
        from nndl.model.io import load_model

        return cls([load_model(p) for p in paths], rule=rule, names=[str(p) for p in paths])

    @property
    def n_inputs(self) -> int:
        """Numbers in one (flat) input example, the same for every member."""
        return int(self.members[0].n_inputs)

    @property
    def n_outputs(self) -> int:
        """Output neurons (classes), the same for every member."""
        return int(self.members[0].n_outputs)

    def _batch(self, x: Any, name: str = "x") -> tuple[NDArray, bool]:
        return _validate.inputs(x, self.n_inputs, self.members[0].dtype, name)

    def member_outputs(self, x: Any) -> NDArray:
        """Every member's output activations for a batch ``x``: shape ``(K, m, n_outputs)``."""
        arr, _ = self._batch(x)
        return np.stack([np.asarray(m.feedforward(arr), dtype=np.float64)
                         for m in self.members])

    def feedforward(self, a: Any) -> NDArray:
        """The mean output activations ``(1/K) Σₖ a⁽ᵏ⁾``, for one input or a batch."""
        arr, was_1d = self._batch(a, "a")
        mean = self.member_outputs(arr).mean(axis=0)
        return mean[0] if was_1d else mean

    def combine(self, outputs: NDArray) -> NDArray[np.intp]:
        """The ensemble's class for each example from ``member_outputs``, by :attr:`rule`."""
        mean = outputs.mean(axis=0)                          # (m, n): (1/K) Σₖ a⁽ᵏ⁾
        if self.rule == "average":
            return np.argmax(mean, axis=1)
        n = outputs.shape[2]
        ballots = np.argmax(outputs, axis=2)                 # (K, m): each member's vote
        votes = (ballots[:, :, None] == np.arange(n)).sum(axis=0)   # (m, n) votes per class
        tied = votes == votes.max(axis=1, keepdims=True)
        return np.argmax(np.where(tied, mean, -np.inf), axis=1)     # tie: larger mean wins

    def predict(self, x: Any) -> NDArray[np.intp]:
        """The ensemble's class for each input (one input gives one class)."""
        arr, was_1d = self._batch(x)
        labels = self.combine(self.member_outputs(arr))
        return labels[0] if was_1d else labels

    def evaluate(self, x: Any, y: Any) -> int:
        """How many inputs the ensemble classifies correctly (``y``: labels or one-hot rows)."""
        arr, _ = self._batch(x)
        labels = _validate.labels(y, len(arr), self.n_outputs, "y")
        return int(np.count_nonzero(self.predict(arr) == labels))

    def accuracy(self, x: Any, y: Any) -> float:
        """The fraction of inputs classified correctly (as a model's ``score``)."""
        arr, _ = self._batch(x)
        if len(arr) == 0:
            raise ValueError("x is empty: cannot score 0 examples")
        return self.evaluate(arr, y) / len(arr)

    score = accuracy

    def member_correct(self, x: Any, y: Any) -> list[int]:
        """How many inputs each member alone classifies correctly, in member order."""
        arr, _ = self._batch(x)
        labels = _validate.labels(y, len(arr), self.n_outputs, "y")
        outputs = self.member_outputs(arr)
        return [int(np.count_nonzero(np.argmax(o, axis=1) == labels)) for o in outputs]

    def __len__(self) -> int:
        return len(self.members)

    def __repr__(self) -> str:
        return (f"Ensemble({len(self.members)} models, {self.n_inputs} inputs, "
                f"{self.n_outputs} outputs, rule={self.rule!r})")
