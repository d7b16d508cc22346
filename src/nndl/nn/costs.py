"""Cost functions C and the output error δᴸ they produce (equation BP1).

Each cost is a small object with

``fn(z, a, y)``
    The cost of a batch, averaged over its rows (examples).
``derivative(a, y)``
    ∇ₐC, the gradient of one example's cost with respect to the output
    activations.  This is the seed's ``cost_derivative``.
``delta(z, a, y, activation)``
    δᴸ = ∇ₐC ⊙ σ'(zᴸ) (BP1).  The default chains ``derivative`` through the
    output activation; a cost overrides it where the algebra simplifies.

Costs are computed from ``z`` (the weighted input) where that is more
stable than using ``a``: log σ(z) is −softplus(−z), which never takes the
logarithm of a number that has rounded to 0.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from numpy.typing import NDArray

from nndl.nn.activations import Activation, Sigmoid, Softmax

Array = NDArray[np.floating]


class Cost:
    """Base class of the cost functions."""

    name: ClassVar[str] = ""

    def fn(self, z: Array, a: Array, y: Array) -> float:
        """Return the cost averaged over the rows of the batch."""
        raise NotImplementedError

    def derivative(self, a: Array, y: Array) -> Array:
        """Return ∇ₐC for each row."""
        raise NotImplementedError

    def delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        """Return the output error δᴸ = ∇ₐC ⊙ σ'(zᴸ) (BP1), one row per example."""
        return activation.backward(z, a, self.derivative(a, y))

    def check_output(self, activation: Activation) -> None:
        """Raise ``ValueError`` if this cost cannot be used with ``activation`` as output."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class QuadraticCost(Cost):
    """The seed's cost, C = ½‖a − y‖², so that ∇ₐC = a − y.

    With sigmoid outputs, δᴸ = (a − y) ⊙ σ'(zᴸ): when an output neuron is
    saturated (σ'(z) ≈ 0) it learns slowly even when it is badly wrong.
    """

    name = "quadratic"

    def fn(self, z: Array, a: Array, y: Array) -> float:
        diff = a - y
        return float(0.5 * np.einsum("ij,ij->", diff, diff) / len(a))

    def derivative(self, a: Array, y: Array) -> Array:
        return a - y


class CrossEntropyCost(Cost):
    """Cross-entropy for sigmoid outputs, C = −Σⱼ [yⱼ ln aⱼ + (1 − yⱼ) ln(1 − aⱼ)].

    Its gradient ∇ₐC = (a − y) / (a(1 − a)) has exactly the sigmoid's
    derivative σ'(z) = a(1 − a) in its denominator, so in BP1 the two cancel:
    δᴸ = a − y.  The error no longer carries σ'(zᴸ), so a saturated output
    neuron that is wrong still learns quickly (the book's chapter 3).

    The cost is evaluated from z as Σⱼ [softplus(zⱼ) − yⱼzⱼ], which is the
    same number but never takes ln 0.
    """

    name = "cross_entropy"

    def fn(self, z: Array, a: Array, y: Array) -> float:
        return float(np.sum(np.logaddexp(0.0, z) - y * z) / len(z))

    def derivative(self, a: Array, y: Array) -> Array:
        return (a - y) / (a * (1.0 - a))

    def delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        return a - y

    def check_output(self, activation: Activation) -> None:
        if not isinstance(activation, Sigmoid):
            raise ValueError(
                f"cost 'cross_entropy' needs a sigmoid output layer, got {activation.name!r} "
                "(use cost 'log_likelihood' with a softmax output)"
            )


class LogLikelihoodCost(Cost):
    """Log-likelihood for softmax outputs, C = −Σⱼ yⱼ ln aⱼ.

    With aⱼ = softmax(z)ⱼ the softmax Jacobian and ∇ₐC = −y/a combine to
    δᴸ = a − y, just as for sigmoid with cross-entropy.  The cost uses the
    log-sum-exp form ln aⱼ = zⱼ − log Σₖ e^(zₖ), finite for any finite z.
    """

    name = "log_likelihood"

    def fn(self, z: Array, a: Array, y: Array) -> float:
        zmax = z.max(axis=1, keepdims=True)
        log_a = z - zmax - np.log(np.sum(np.exp(z - zmax), axis=1, keepdims=True))
        return float(-np.sum(y * log_a) / len(z))

    def derivative(self, a: Array, y: Array) -> Array:
        return -y / a

    def delta(self, z: Array, a: Array, y: Array, activation: Activation) -> Array:
        return a - y

    def check_output(self, activation: Activation) -> None:
        if not isinstance(activation, Softmax):
            raise ValueError(
                f"cost 'log_likelihood' needs a softmax output layer, got {activation.name!r}"
            )


COSTS: dict[str, type[Cost]] = {
    cls.name: cls for cls in (QuadraticCost, CrossEntropyCost, LogLikelihoodCost)
}


def get_cost(spec: str | Cost) -> Cost:
    """Return a :class:`Cost` from its name (``"quadratic"``, ...) or itself."""
    if isinstance(spec, Cost):
        return spec
    try:
        return COSTS[spec]()
    except (KeyError, TypeError):
        raise ValueError(f"unknown cost {spec!r}; expected one of {sorted(COSTS)}") from None
