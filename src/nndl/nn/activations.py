"""Activation functions σ and their derivatives σ'.

Each activation is a small object with two methods:

``fn(z)``
    aˡ = σ(zˡ), applied element-wise (softmax: row-wise).
``backward(z, a, grad_a)``
    Given ∂C/∂a, return ∂C/∂z.  For an element-wise σ this is the Hadamard
    product ``grad_a ⊙ σ'(z)`` of the book's equations BP1 and BP2.  It is
    given both ``z`` and ``a = σ(z)`` because σ' is cheapest to compute from
    whichever one is at hand: for the sigmoid σ'(z) = σ(z)(1 − σ(z)) re-uses
    the activation already computed in the forward pass instead of calling
    ``exp`` again.

Arrays are batch-first: ``z`` and ``a`` have shape ``(m, n)`` for a
mini-batch of ``m`` examples (the book's column vectors are the rows here).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


class Activation:
    """Base class: an element-wise activation with derivative ``prime``."""

    name: ClassVar[str] = ""

    def fn(self, z: Array) -> Array:
        """Return σ(z)."""
        raise NotImplementedError

    def prime(self, z: Array, a: Array) -> Array:
        """Return σ'(z); ``a`` is σ(z), already computed by the forward pass."""
        raise NotImplementedError

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        """Return ∂C/∂z = ∂C/∂a ⊙ σ'(z) (the Hadamard product of BP1/BP2)."""
        return grad_a * self.prime(z, a)

    def config(self) -> str | dict:
        """JSON-ready spec for :func:`get_activation`: the name, or a dict with parameters."""
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Sigmoid(Activation):
    """The logistic function σ(z) = 1 / (1 + e^(−z)) of the seed, computed as written.

    Exact in both tails: e^(−z), the sum and the quotient are each correctly
    rounded to within an ulp or so, so σ(z) is within a few ulps of the true
    value wherever that is a normal number — 4.2e-18 at z = −40, 9.9e-305
    at z = −700 (½(1 + tanh(z/2)) cancels to 0 below z ≈ −38).  Below
    z ≈ −709.78 e^(−z) overflows to inf and σ = 1/inf = 0, the book's value,
    here without the book's overflow warning.  Four in-place NumPy calls, as
    many as the tanh form, and one ``errstate``.

    Examples
    --------
    >>> import numpy as np
    >>> Sigmoid().fn(np.array([-800.0, -40.0, 0.0, 40.0])).tolist()
    [0.0, 4.24835425529159e-18, 0.5, 1.0]
    """

    name = "sigmoid"

    def fn(self, z: Array) -> Array:
        a = np.negative(z)
        _sigmoid_of_minus(a)
        return a

    def fn_into(self, z: Array, out: Array) -> None:
        np.negative(z, out=out)
        _sigmoid_of_minus(out)

    def prime(self, z: Array, a: Array) -> Array:
        # σ'(z) = σ(z)(1 − σ(z)): no second exp, re-use a = σ(z).
        return a * (1.0 - a)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        # grad_a ⊙ a(1 − a), computed in one buffer: this runs twice per
        # mini-batch in the seed's network, where call overhead dominates.
        delta = np.subtract(1.0, a)
        delta *= a
        delta *= grad_a
        return delta


@np.errstate(over="ignore")  # e^(−z) = inf below z ≈ −709.78: σ = 1/inf = 0, as in the book
def _sigmoid_of_minus(a: Array) -> None:
    """Turn ``a`` = −z into σ(z) = 1/(1 + e^(−z)), in place (decorated: cheaper than ``with``)."""
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


class Tanh(Activation):
    """Hyperbolic tangent, σ(z) = tanh z, with σ'(z) = 1 − tanh² z."""

    name = "tanh"

    def fn(self, z: Array) -> Array:
        return np.tanh(z)

    def prime(self, z: Array, a: Array) -> Array:
        return 1.0 - a * a


class ReLU(Activation):
    """Rectified linear unit, σ(z) = max(0, z), with σ'(z) = 1 for z > 0 else 0."""

    name = "relu"

    def fn(self, z: Array) -> Array:
        return np.maximum(z, 0.0)

    def prime(self, z: Array, a: Array) -> Array:
        return (z > 0).astype(z.dtype)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        return np.where(z > 0, grad_a, 0.0).astype(grad_a.dtype, copy=False)


class Linear(Activation):
    """The identity, σ(z) = z, with σ'(z) = 1 (network3's ``linear`` neurons).

    ``fn`` returns z itself, not a copy: nothing writes into an activation.
    """

    name = "linear"

    def fn(self, z: Array) -> Array:
        return z

    def prime(self, z: Array, a: Array) -> Array:
        return np.ones_like(z)

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        return grad_a


class LeakyReLU(Activation):
    """Leaky ReLU, σ(z) = z for z > 0 else αz (α = 0.01 by default)."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01) -> None:
        if not (np.isfinite(alpha) and 0.0 <= alpha < 1.0):
            raise ValueError(f"LeakyReLU alpha must be a number in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def fn(self, z: Array) -> Array:
        return np.where(z > 0, z, self.alpha * z)

    def prime(self, z: Array, a: Array) -> Array:
        return np.where(z > 0, 1.0, self.alpha).astype(z.dtype)

    def config(self) -> str | dict:
        return self.name if self.alpha == 0.01 else {"name": self.name, "alpha": self.alpha}

    def __repr__(self) -> str:
        return f"LeakyReLU(alpha={self.alpha})"


class Softmax(Activation):
    """Softmax output layer, aⱼ = e^(zⱼ) / Σₖ e^(zₖ), applied to each row.

    Unlike the others it is not element-wise: its Jacobian is
    ∂aⱼ/∂zₖ = aⱼ(δⱼₖ − aₖ), so ``backward`` returns a ⊙ (g − Σₖ aₖgₖ).
    Paired with the log-likelihood cost this collapses to δᴸ = a − y.
    """

    name = "softmax"

    def fn(self, z: Array) -> Array:
        # Subtracting the row maximum changes nothing mathematically and keeps
        # exp() from overflowing for large logits.
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def prime(self, z: Array, a: Array) -> Array:  # pragma: no cover - not element-wise
        raise TypeError("softmax is not element-wise; use backward()")

    def backward(self, z: Array, a: Array, grad_a: Array) -> Array:
        return a * (grad_a - np.sum(a * grad_a, axis=-1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Sigmoid, Tanh, ReLU, LeakyReLU, Linear, Softmax)
}

#: The element-wise activations: those a hidden or convolutional layer can use.
ELEMENTWISE: tuple[str, ...] = tuple(
    name for name, cls in ACTIVATIONS.items() if cls is not Softmax
)


def get_activation(spec: str | dict | Activation) -> Activation:
    """Return an :class:`Activation` from its name (``"sigmoid"``, ``"relu"``, ...), a
    config dict such as ``{"name": "leaky_relu", "alpha": 0.1}``, or itself."""
    if isinstance(spec, Activation):
        return spec
    params: dict = {}
    if isinstance(spec, dict):
        params = dict(spec)
        spec = params.pop("name", None)
    try:
        return ACTIVATIONS[spec](**params)  # type: ignore[index]  # KeyError: not a name
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {spec!r}; expected one of {sorted(ACTIVATIONS)}"
        ) from None


#: The output layer a cost implies when none is named.
NATURAL_OUTPUT = {"log_likelihood": "softmax", "cross_entropy": "sigmoid"}


def layer_activations(
    activation: Any, output: Any, cost_name: str, n_hidden: int
) -> tuple[list[Activation], Activation, Any]:
    """Resolve a network's activations: ``(hidden list, output, JSON spec of activation)``.

    ``activation`` is one spec for every hidden layer or a list of one per
    hidden layer.  Without ``output``: the cost's natural output layer
    (softmax for log-likelihood, sigmoid for cross-entropy), else the hidden
    activation (sigmoid when ``activation`` is a list).
    """
    if isinstance(activation, list | tuple):
        hidden = [get_activation(a) for a in activation]
        if len(hidden) != n_hidden:
            raise ValueError(
                f"activation lists {len(hidden)} activations but the network has "
                f"{n_hidden} hidden layer(s); give one per hidden layer or a single one"
            )
        spec: Any = [a.config() for a in hidden]
        fallback: Any = "sigmoid"
    else:
        one = get_activation(activation)
        hidden, spec, fallback = [one] * n_hidden, one.config(), one
    if output is None:
        output = NATURAL_OUTPUT.get(cost_name, fallback)
    return hidden, get_activation(output), spec
