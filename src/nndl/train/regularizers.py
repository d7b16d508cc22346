"""Weight penalties: L2 (weight decay) and L1, in the book's convention.

The regularised cost is C = C₀ + Ω(w), with n the size of the *training
set* (not of the mini-batch):

* L2: Ω = (λ/2n) Σ w²,  so ∂Ω/∂w = (λ/n) w and plain SGD becomes
  w → (1 − ηλ/n) w − (η/m) Σₓ ∇w Cₓ  (the book's equation (93));
* L1: Ω = (λ/n) Σ ``|w|``,  so ∂Ω/∂w = (λ/n) sgn(w) and
  w → w − (ηλ/n) sgn(w) − (η/m) Σₓ ∇w Cₓ.

Biases are not regularised.  A regulariser works on plain arrays, so any
model can use it: :meth:`Regularizer.decay` applies the penalty's part of a
plain SGD step in place, :meth:`Regularizer.add_gradient` adds ∂Ω/∂w to a
gradient for the other optimisers.

Examples
--------
>>> import numpy as np
>>> w = np.ones((2, 2))
>>> L2(5.0).penalty([w], n=10)
1.0
>>> L2(5.0).decay(w, eta=0.5, n=10); w[0, 0]
np.float64(0.75)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from nndl import _validate


def acts_on(name: str) -> bool:
    """Whether a regulariser acts on a layer's parameter of this name: the weights ``w``
    (not biases, nor batch normalisation's γ and β)."""
    return name == "w"


class Regularizer:
    """Base class: a penalty Ω(w) of strength ``lmbda`` (λ ≥ 0)."""

    name: ClassVar[str] = ""

    def __init__(self, lmbda: float) -> None:
        self.lmbda = _validate.positive_float(lmbda, "lmbda", allow_zero=True)

    def penalty(self, weights: list[NDArray], n: int) -> float:
        """Return Ω for the weight arrays, with n the training-set size."""
        raise NotImplementedError

    def gradient(self, w: NDArray, n: int) -> NDArray:
        """Return ∂Ω/∂w."""
        raise NotImplementedError

    def add_gradient(self, w: NDArray, grad: NDArray, n: int) -> None:
        """Add ∂Ω/∂w to ``grad`` in place."""
        grad += self.gradient(w, n)

    def decay(self, w: NDArray, eta: float, n: int) -> None:
        """Apply the penalty's part of a plain SGD step, w → w − η ∂Ω/∂w, in place."""
        w -= eta * self.gradient(w, n)

    def config(self) -> dict[str, Any]:
        """JSON-ready description: ``{"name": ..., "lmbda": ...}``."""
        return {"name": self.name, "lmbda": self.lmbda}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.lmbda})"


class L2(Regularizer):
    """L2 regularisation (weight decay), Ω = (λ/2n) Σ w²."""

    name = "l2"

    def penalty(self, weights: list[NDArray], n: int) -> float:
        return 0.5 * self.lmbda / n * float(sum(np.vdot(w, w) for w in weights))

    def gradient(self, w: NDArray, n: int) -> NDArray:
        return (self.lmbda / n) * w

    def decay(self, w: NDArray, eta: float, n: int) -> None:
        w *= 1.0 - eta * self.lmbda / n  # one pass over w: the book's (1 − ηλ/n)w


class L1(Regularizer):
    """L1 regularisation, Ω = (λ/n) Σ ``|w|``; drives small weights to exactly 0 faster."""

    name = "l1"

    def penalty(self, weights: list[NDArray], n: int) -> float:
        return self.lmbda / n * float(sum(np.abs(w).sum() for w in weights))

    def gradient(self, w: NDArray, n: int) -> NDArray:
        g = np.sign(w)
        g *= self.lmbda / n
        return g


REGULARIZERS: dict[str, type[Regularizer]] = {"l2": L2, "l1": L1}


def get_regularizer(spec: Any, lmbda: float = 0.0) -> Regularizer | None:
    """Return a :class:`Regularizer` or ``None`` (no regularisation).

    ``spec`` is a name (``"l2"``, ``"l1"``) used with ``lmbda``, a config
    dict ``{"name": "l2", "lmbda": 5.0}``, a :class:`Regularizer`, or
    ``None``/``"none"``.  A name with λ = 0 means no regularisation.
    """
    if isinstance(spec, Regularizer):
        if lmbda:
            raise ValueError(
                f"lmbda={lmbda!r} conflicts with regularizer={spec!r}, which has its own "
                "lmbda; give one or the other"
            )
        return spec if spec.lmbda > 0 else None
    if isinstance(spec, dict):
        spec = dict(spec)
        name = spec.pop("name", None)
        return get_regularizer(name, **spec) if name not in (None, "none") else None
    if spec is None or spec == "none":
        return None
    if not isinstance(spec, str) or spec not in REGULARIZERS:
        raise ValueError(
            f"unknown regularizer {spec!r}; expected one of {sorted(REGULARIZERS)} or None"
        )
    reg = REGULARIZERS[spec](lmbda)
    return reg if reg.lmbda > 0 else None
