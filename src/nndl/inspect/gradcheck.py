"""Check backpropagation against the definition of the derivative, for any network.

Backpropagation is only a fast way to compute ∂C/∂w; the slow way is to
nudge each weight and watch the cost:

    ∂C/∂w ≈ (C(w + ε) − C(w − ε)) / 2ε      (central difference, error O(ε²)).

:func:`gradcheck` does this for every parameter array of a (small) network —
dense or convolutional alike, through the engine's public API: the gradient
:meth:`~nndl.model.sequential.Sequential.gradients` by state-dict name against
:meth:`~nndl.model.sequential.Sequential.total_cost`, both with dropout off — and
reports, per array, the relative error

    ‖g_backprop − g_numeric‖ / max(‖g_backprop‖ + ‖g_numeric‖, tiny).

With float64 and ε = 1e-6 a correct backprop gives errors around 1e-9 or
smaller; a wrong one gives errors near 1.

Examples
--------
>>> import numpy as np
>>> from nndl import Network
>>> from nndl.inspect.gradcheck import gradcheck
>>> net = Network([3, 4, 2], seed=0)
>>> x = np.random.default_rng(0).random((5, 3))
>>> report = gradcheck(net, x, np.array([0, 1, 1, 0, 1]))
>>> report.passed, [(c.layer, c.name) for c in report.checks][:2]
(True, [(2, 'weights'), (2, 'biases')])

A convolutional network is numbered as ``model.layers``:

>>> from nndl.model.sequential import Sequential
>>> conv = Sequential("conv:2x3x3:tanh,pool:2,softmax:3", input_shape=(1, 6, 6), seed=0,
...                   dtype="float64")
>>> report = gradcheck(conv, np.random.default_rng(1).random((2, 36)), [0, 2])
>>> report.passed, [(c.layer, c.name, c.label) for c in report.checks][:2]
(True, [(0, 'weights', 'conv 2×3×3 tanh'), (0, 'biases', 'conv 2×3×3 tanh')])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.inspect.explain import is_fully_connected

#: Relative error above which a layer fails the check (float64).
DEFAULT_TOLERANCE = 1e-7


#: What :attr:`LayerCheck.name` calls each parameter (others keep their own name).
PARAMETER_NAMES = {"w": "weights", "b": "biases"}


@dataclass
class LayerCheck:
    """Result of the check for one parameter array.

    ``layer`` is the book's number (the input layer is 1, ``weights[0]`` is
    w²) in a fully connected network, else the index in ``model.layers``;
    ``param`` is the state-dict name (``"0.w"``), ``label`` the layer's.
    """

    layer: int
    name: str  # "weights" or "biases" (or a layer's own parameter name)
    shape: tuple[int, ...]
    rel_error: float
    passed: bool
    label: str = ""
    param: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "label": self.label,
            "param": self.param,
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
    numbering: str = ""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def max_rel_error(self) -> float:
        return max((c.rel_error for c in self.checks), default=0.0)

    def __str__(self) -> str:
        width = max((len(c.label) for c in self.checks), default=5) + 2
        lines = [f"{'layer':>5}  {'parameter':<9}  {'shape':<12}  {'kind':<{width}}"
                 f"{'rel. error':>10}  verdict"]
        for c in self.checks:
            verdict = "ok" if c.passed else "FAIL"
            shape = "x".join(map(str, c.shape))
            lines.append(f"{c.layer:>5}  {c.name:<9}  {shape:<12}  {c.label:<{width}}"
                         f"{c.rel_error:>10.2e}  {verdict}")
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
    model: Any,
    x: Any,
    y: Any,
    *,
    eps: float = 1e-6,
    tolerance: float = DEFAULT_TOLERANCE,
    gradients: Callable[[Any, Any], dict[str, NDArray]] | None = None,
    regularizer: Any = None,
    n: int | None = None,
) -> GradcheckReport:
    """Compare ``model.gradients(x, y)`` with central differences of ``model.total_cost(x, y)``.

    Both are of the network as evaluated (dropout off); one report row per
    parameter array, in state-dict order.

    Parameters
    ----------
    model : Sequential
        Any network, dense or convolutional.  Use float64 and a small one:
        the check evaluates the cost twice per parameter.
    x, y : arrays
        A batch of inputs and labels/targets.
    eps : float
        The nudge ε.
    tolerance : float
        Largest relative error that passes.
    gradients : callable, optional
        The gradient to check, ``gradients(x, y) -> {state-dict name: array}``;
        defaults to ``model.gradients`` (tests inject a broken one here).
    regularizer : Regularizer, optional
        Check the gradient of the regularised cost C₀ + Ω(w) instead (Ω's
        gradient is added to the regularised arrays, ``model.regularized()``).
    n : int, optional
        Training-set size in Ω (default: the rows of ``x``).
    """
    if (dtype := np.dtype(model.dtype)) != np.float64:
        raise ValueError(f"gradcheck needs a float64 network (finite differences in {dtype} "
                         f"are too coarse), got dtype {dtype}")
    n = n or len(np.atleast_2d(x))
    grads = (gradients or model.gradients)(x, y)
    if regularizer is not None:  # + ∂Ω/∂w on the regularised arrays (the weights)
        model.add_penalty_gradient([grads[name] for name in model.named_parameters()],
                                   regularizer, n)

    def cost() -> float:
        return model.total_cost(x, y, regularizer=regularizer, n=n)

    numbers = _layer_numbers(model)
    report = GradcheckReport(tolerance=tolerance, numbering=_numbering(model))
    for name, param in model.named_parameters().items():
        err = relative_error(np.asarray(grads[name]), numerical_gradient(cost, param, eps))
        index, key = name.split(".", 1)
        report.checks.append(LayerCheck(
            numbers[int(index)], PARAMETER_NAMES.get(key, key), tuple(param.shape), err,
            err <= tolerance, label=model.layers[int(index)].label(), param=name,
        ))
    return report


def _layer_numbers(model: Any) -> list[int]:
    """The number each layer is reported under (see :class:`LayerCheck`)."""
    if not is_fully_connected(model):
        return list(range(len(model.layers)))
    numbers, book = [], 1
    for layer in model.layers:
        book += bool(layer.params)  # dropout is no layer of the book's
        numbers.append(book)
    return numbers


def _numbering(model: Any) -> str:
    if is_fully_connected(model):
        return "layers numbered as in the book: the input layer is 1, weights[0] is w²"
    return "layers numbered as model.layers (state-dict names 'i.w', 'i.b')"
