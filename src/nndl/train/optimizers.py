"""Optimisers: how a gradient becomes a step.  They work on any model.

An optimiser's :meth:`Optimizer.step` takes two parallel lists, the
parameter arrays and their (mean, mini-batch) gradients ∂C/∂θ, and updates
the parameters **in place**; the gradients are left as they are.  Every
model's training step goes through it, plain SGD included.  State such as
velocities — and one scratch array per parameter, so that a step allocates
nothing — is allocated lazily on the first step, in the parameter's dtype.

``SGD``
    p → p − η g  (the seed's update).
``Momentum(mu)``
    The book's momentum-based gradient descent (chapter 3):
    v → μv − η g,  p → p + v.   μ = 0 is plain SGD.
``Adam(beta1, beta2, eps)``
    Kingma & Ba (2015): m → β₁m + (1 − β₁)g,  v → β₂v + (1 − β₂)g²,
    p → p − η m̂ / (√v̂ + ε) with the bias-corrected m̂ = m/(1 − β₁ᵗ),
    v̂ = v/(1 − β₂ᵗ).  Typical η is 1e-3, not the 0.5–3.0 of SGD.

Examples
--------
>>> import numpy as np
>>> p, opt = [np.array([1.0, 2.0])], Momentum(mu=0.9)
>>> for _ in range(2):
...     opt.step(p, [np.array([0.5, -0.5])], eta=0.1)
>>> p[0]
array([0.855, 2.145])
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

Arrays = list[NDArray]


class Optimizer:
    """Base class.  Subclasses implement :meth:`step`; ``reset`` forgets the state."""

    name: ClassVar[str] = ""

    def step(self, params: Arrays, grads: Arrays, eta: float) -> None:
        """Update every ``params[i]`` in place from ``grads[i]`` with learning rate η."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the state (velocities, moments, step count)."""

    def config(self) -> dict[str, Any]:
        """JSON-ready description; ``get_optimizer(config)`` rebuilds it (without state)."""
        return {"name": self.name}

    def _state(self, attr: str, params: Arrays) -> Arrays:
        """The list of state arrays ``attr``, (re)allocated as zeros if the shapes changed."""
        state = getattr(self, attr, None)
        checked: dict[str, Arrays] = self.__dict__.setdefault("_checked", {})
        if state is not None and checked.get(attr) is params:
            return state  # the same list of parameters as last step: shapes checked then
        if state is None or [s.shape for s in state] != [p.shape for p in params]:
            state = [np.zeros_like(p) for p in params]
            setattr(self, attr, state)
        checked[attr] = params
        return state

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "name")
        return f"{type(self).__name__}({args})"


class SGD(Optimizer):
    """Plain gradient descent, p → p − η g."""

    name = "sgd"

    def step(self, params: Arrays, grads: Arrays, eta: float) -> None:
        for p, g, s in zip(params, grads, self._state("scratch", params), strict=True):
            np.multiply(g, eta, out=s)  # η g
            p -= s


class Momentum(Optimizer):
    """Momentum: v → μv − η g, p → p + v (the book's chapter 3), 0 ≤ μ < 1."""

    name = "momentum"

    def __init__(self, mu: float = 0.9) -> None:
        self.mu = _fraction(mu, "mu")
        self.velocity: Arrays | None = None

    def reset(self) -> None:
        self.velocity = None

    def step(self, params: Arrays, grads: Arrays, eta: float) -> None:
        velocity, scratch = self._state("velocity", params), self._state("scratch", params)
        for p, g, v, s in zip(params, grads, velocity, scratch, strict=True):
            v *= self.mu
            np.multiply(g, eta, out=s)  # η g
            v -= s
            p += v

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "mu": self.mu}


class Adam(Optimizer):
    """Adam with bias correction; ``t`` counts the steps taken."""

    name = "adam"

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1 = _fraction(beta1, "beta1")
        self.beta2 = _fraction(beta2, "beta2")
        if not (isinstance(eps, int | float) and math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be a positive finite number, got {eps!r}")
        self.eps = float(eps)
        self.reset()

    def reset(self) -> None:
        self.t = 0
        self.m: Arrays | None = None
        self.v: Arrays | None = None

    def step(self, params: Arrays, grads: Arrays, eta: float) -> None:
        ms, vs = self._state("m", params), self._state("v", params)
        scratch = self._state("scratch", params)
        self.t += 1
        # Fold both bias corrections into the step size and ε (exactly equal):
        # m̂/(√v̂ + ε) = [√(1−β₂ᵗ)/(1−β₁ᵗ)] · m / (√v + ε√(1−β₂ᵗ)).
        c2 = math.sqrt(1.0 - self.beta2**self.t)
        lr = eta * c2 / (1.0 - self.beta1**self.t)
        eps = self.eps * c2
        for p, g, m, v, s in zip(params, grads, ms, vs, scratch, strict=True):
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            np.multiply(g, g, out=s)  # (1 − β₂)g²
            s *= 1.0 - self.beta2
            v += s
            denom = np.sqrt(v)
            denom += eps
            np.divide(m, denom, out=denom)
            denom *= lr
            p -= denom

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}


def _fraction(value: Any, name: str) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not (ok and 0.0 <= value < 1.0):
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def get_optimizer(spec: Any) -> Optimizer:
    """Return an :class:`Optimizer` from a name, a config dict or itself.

    >>> get_optimizer({"name": "momentum", "mu": 0.5})
    Momentum(mu=0.5)
    """
    if isinstance(spec, Optimizer):
        return spec
    params: dict[str, Any] = {}
    if isinstance(spec, dict):
        params = dict(spec)
        spec = params.pop("name", None)
    if not isinstance(spec, str) or spec not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {spec!r}; expected one of {sorted(OPTIMIZERS)}")
    try:
        return OPTIMIZERS[spec](**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for optimizer {spec!r}: {exc}") from None
