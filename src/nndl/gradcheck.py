"""Check backpropagation against the definition of the derivative.

Backpropagation is only a fast way to compute ∂C/∂w; the slow way is to
nudge each weight and watch the cost:

    ∂C/∂w ≈ (C(w + ε) − C(w − ε)) / 2ε      (central difference, error O(ε²)).

:func:`gradcheck` does this for every parameter of a (small) network and
reports, per layer, the relative error

    ‖g_backprop − g_numeric‖ / max(‖g_backprop‖ + ‖g_numeric‖, tiny).

With float64 and ε = 1e-6 a correct backprop gives errors around 1e-9 or
smaller; a wrong one gives errors near 1.

Examples
--------
>>> import numpy as np
>>> from nndl import Network
>>> from nndl.gradcheck import gradcheck
>>> net = Network([3, 4, 2], seed=0)
>>> x = np.random.default_rng(0).random((5, 3))
>>> report = gradcheck(net, x, np.array([0, 1, 1, 0, 1]))
>>> report.passed
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Relative error above which a layer fails the check (float64).
DEFAULT_TOLERANCE = 1e-7


@dataclass
class LayerCheck:
    """Result of the check for one parameter array."""

    layer: int
    name: str  # "weights" or "biases" (or a layer's own parameter name)
    shape: tuple[int, ...]
    rel_error: float
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "name": self.name,
            "shape": list(self.shape),
            "rel_error": self.rel_error,
            "passed": self.passed,
        }


@dataclass
class GradcheckReport:
    """Per-parameter results; ``passed`` is true when every one passed."""

    checks: list[LayerCheck] = field(default_factory=list)
    tolerance: float = DEFAULT_TOLERANCE

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def max_rel_error(self) -> float:
        return max((c.rel_error for c in self.checks), default=0.0)

    def __str__(self) -> str:
        lines = [f"{'layer':>5}  {'parameter':<9}  {'shape':<12}  {'rel. error':>10}  verdict"]
        for c in self.checks:
            verdict = "ok" if c.passed else "FAIL"
            shape = "x".join(map(str, c.shape))
            lines.append(
                f"{c.layer:>5}  {c.name:<9}  {shape:<12}  {c.rel_error:>10.2e}  {verdict}"
            )
        lines.append(
            f"{'PASS' if self.passed else 'FAIL'}: largest relative error "
            f"{self.max_rel_error:.2e} (tolerance {self.tolerance:.0e})"
        )
        return "\n".join(lines)


def relative_error(a: NDArray, b: NDArray) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1e-300): 0 when equal, near 1 when unrelated."""
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), 1e-300)
    return float(np.linalg.norm(a - b) / denom)


def numerical_gradient(cost: Callable[[], float], param: NDArray, eps: float = 1e-6) -> NDArray:
    """Central-difference gradient of ``cost()`` with respect to ``param``, nudged in place.

    Every entry of ``param`` is restored exactly after it is nudged.  ``param``
    may be any writable array, a non-contiguous view included.
    """
    grad = np.zeros(param.shape, dtype=np.float64)
    for idx in np.ndindex(param.shape):
        old = param[idx]
        param[idx] = old + eps
        plus = cost()
        param[idx] = old - eps
        minus = cost()
        param[idx] = old
        grad[idx] = (plus - minus) / (2.0 * eps)
    return grad


def gradcheck(
    net: Any,
    x: Any,
    y: Any,
    *,
    eps: float = 1e-6,
    tolerance: float = DEFAULT_TOLERANCE,
    backprop: Callable[[Any, Any], tuple[list[NDArray], list[NDArray]]] | None = None,
    regularizer: Any = None,
    n: int | None = None,
) -> GradcheckReport:
    """Compare ``net.backprop(x, y)`` with central differences of ``net.total_cost(x, y)``.

    Parameters
    ----------
    net : Network
        Use float64 and a small network: the check evaluates the cost twice
        per parameter.
    x, y : arrays
        A batch of inputs and labels/targets.
    eps : float
        The nudge ε.
    tolerance : float
        Largest relative error that passes.
    backprop : callable, optional
        The gradient to check, ``backprop(x, y) -> (nabla_b, nabla_w)``;
        defaults to ``net.backprop`` (tests inject a broken one here).
    regularizer : Regularizer, optional
        Check the gradient of the regularised cost C₀ + Ω(w) instead.
    n : int, optional
        Training-set size in Ω (default: the rows of ``x``).
    """
    if np.dtype(net.dtype) != np.float64:
        raise ValueError(
            f"gradcheck needs a float64 network (finite differences in {np.dtype(net.dtype)} "
            "are too coarse), got dtype " + str(np.dtype(net.dtype))
        )
    if backprop is not None:
        nabla_b, nabla_w = backprop(x, y)
    elif regularizer is not None:
        nabla_b, nabla_w = net.backprop(x, y, regularizer=regularizer, n=n)
    else:
        nabla_b, nabla_w = net.backprop(x, y)

    def cost() -> float:
        if regularizer is None:
            return net.total_cost(x, y)
        return net.total_cost(x, y, regularizer=regularizer, n=n)

    report = GradcheckReport(tolerance=tolerance)
    for i, (b, w) in enumerate(zip(net.biases, net.weights, strict=True)):
        for name, param, analytic in (("weights", w, nabla_w[i]), ("biases", b, nabla_b[i])):
            err = relative_error(np.asarray(analytic), numerical_gradient(cost, param, eps))
            report.checks.append(
                LayerCheck(i + 2, name, tuple(param.shape), err, err <= tolerance)
            )
    return report
