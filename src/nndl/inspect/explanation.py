"""What :func:`nndl.inspect.explain.explain` returns: each symbol of backprop with its shape.

:class:`Explanation` holds the five steps (:class:`Step`, each a list of
:class:`Quantity`: a symbol, its value, its shape in the book's column notation
and in the batch form the code uses) or, for any other network, one
:class:`LayerView` per layer; :func:`nndl.inspect.explain.explain` computes it and
:func:`nndl.inspect.explain_text.format_text` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.nn.activations import Activation

Array = NDArray[np.floating]

#: Vectors with at most this many entries are shown whole.
SHORT = 10

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

_BOOK_NUMBERING = "book: the input layer is 1; weights[0] is w²"
_LAYER_NUMBERING = "model.layers[i] is layer i (its parameters are 'i.w', 'i.b')"
_PARAM_NAMES = {"w": "weights", "b": "biases"}



def sup(n: int | str) -> str:
    """Return ``n`` in superscript digits: ``sup(12) == '¹²'``."""
    return str(n).translate(_SUPERSCRIPTS)


def _stats(value: Array) -> dict[str, float]:
    v = np.asarray(value, dtype=np.float64)
    return {"min": float(v.min()), "mean": float(v.mean()), "max": float(v.max())}


@dataclass
class Quantity:
    """One symbol of the computation, e.g. ``z²``.

    Attributes
    ----------
    symbol : str
        The book's symbol with the layer as a superscript (``"w²"``, ``"∂C/∂b³"``).
    meaning : str
        A few words on what it is.
    shape_column : tuple of int
        Its shape in the book's notation, where one example is a column vector.
    shape_batch : tuple of int
        The shape of the array the code holds for a batch of one example.
    value : ndarray
        The numbers, in the batch form (shape ``shape_batch``).
    """

    symbol: str
    meaning: str
    shape_column: tuple[int, ...]
    shape_batch: tuple[int, ...]
    value: Array

    @property
    def stats(self) -> dict[str, float]:
        """``min``, ``mean`` and ``max`` of the entries."""
        return _stats(self.value)

    @property
    def short(self) -> bool:
        """True when the whole vector is small enough to show (≤ :data:`SHORT` entries)."""
        return self.value.size <= SHORT

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``values`` (nested like ``shape_batch``) only when :attr:`short`."""
        d: dict[str, Any] = {
            "symbol": self.symbol,
            "meaning": self.meaning,
            "shape_column": list(self.shape_column),
            "shape_batch": list(self.shape_batch),
            "stats": self.stats,
        }
        if self.short:
            d["values"] = np.asarray(self.value, dtype=np.float64).tolist()
        return d


@dataclass
class Step:
    """One of the five steps: its equation(s) and the symbols it produces."""

    number: int
    title: str
    equation: str
    code: str
    quantities: list[Quantity] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "title": self.title,
            "equation": self.equation,
            "code": self.code,
            "quantities": [q.as_dict() for q in self.quantities],
        }


@dataclass
class LayerView:
    """One layer on the example, as the backward pass left it (copies).

    Attributes
    ----------
    index : int
        Position in ``model.layers`` (the prefix of its state-dict names).
    number : int or None
        The number the explanation shows: the book's l (2, …, L) for the
        dense layers of a fully connected network (None for its dropout
        layers), else :attr:`index`.
    params, grads : dict of str to ndarray
        The parameters and ∂C/∂ of each, by name (``"w"``, ``"b"``).
    activation : Activation or None
        σ of a layer computing a = σ(z) (dense, convolution); None otherwise.
    z, a, delta : ndarray or None
        zˡ, aˡ and δˡ = ∂C/∂zˡ, shaped ``(1, *output_shape)``; None for layers
        without a σ (pooling, flatten, dropout).
    """

    index: int
    number: int | None
    label: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: dict[str, Array]
    grads: dict[str, Array]
    activation: Activation | None = None
    z: Array | None = None
    a: Array | None = None
    delta: Array | None = None

    @property
    def delta_norm(self) -> float | None:
        """‖δˡ‖, the Euclidean norm of the layer's whole error map."""
        return None if self.delta is None else float(np.linalg.norm(self.delta))

    @property
    def learning_speed(self) -> float | None:
        """‖∂C/∂bˡ‖, the book's chapter-5 learning speed (= ‖δˡ‖ for a dense layer)."""
        return float(np.linalg.norm(self.grads["b"])) if "b" in self.grads else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: shapes, gradient statistics, output and δ statistics."""
        d: dict[str, Any] = {
            "index": self.index,
            "layer": self.label,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape),
            "params": {name: {"shape": list(p.shape), "stats": _stats(p)}
                       for name, p in self.params.items()},
            "grads": {name: _stats(g) for name, g in self.grads.items()},
            "learning_speed": self.learning_speed,
        }
        if self.a is not None:
            d["output"] = _stats(self.a)
        if self.delta is not None:
            d["delta"] = {"shape": list(self.delta.shape[1:]), "stats": _stats(self.delta),
                          "norm": self.delta_norm}
        return d


@dataclass
class Explanation:
    """One example through a network: its layers, the five steps (if dense), the verdict.

    Attributes
    ----------
    fully_connected : bool
        Whether :attr:`steps` holds the book's five steps (else it is empty).
    layers : list of LayerView
        Every layer of the model, first to last.
    steps : list of Step
        In the seed's order, numbered 1 to 5.
    target : ndarray
        y as a row ``(1, n_L)``.
    label : int or None
        The true class, when the target is one-hot (or a single 0/1 output).
    predicted : int
        The network's answer: the most active output (for one output, 1 if a > ½).
    cost : float
        C for this example.
    """

    fully_connected: bool
    input_shape: tuple[int, ...]
    cost_name: str
    dtype: str
    n_params: int
    layers: list[LayerView]
    steps: list[Step]
    target: Array
    label: int | None
    predicted: int
    cost: float

    @property
    def activated(self) -> list[LayerView]:
        """The layers computing a = σ(z), in order (a fully connected net's dense layers)."""
        return [v for v in self.layers if v.activation is not None]

    @property
    def sizes(self) -> list[int]:
        """Neurons per layer, input first (meaningful for a fully connected network)."""
        return [int(np.prod(self.input_shape))] + [v.output_shape[0] for v in self.activated]

    @property
    def activations(self) -> list[str]:
        return [v.activation.name for v in self.activated]  # type: ignore[union-attr,arg-type]

    @property
    def output(self) -> Array:
        """aᴸ for the example, shape ``(n_L,)``."""
        return self.activated[-1].a[0]  # type: ignore[index]

    def quantity(self, symbol: str) -> Quantity:
        """The quantity called ``symbol`` (first match), e.g. ``"δ³"``."""
        for step in self.steps:
            for q in step.quantities:
                if q.symbol == symbol:
                    return q
        raise KeyError(f"no quantity {symbol!r}")

    def learning_speed(self) -> list[dict[str, Any]]:
        """``layer`` (its number), ``label`` and ``norm`` = ‖∂C/∂bˡ‖ of each layer with biases."""
        return [
            {"layer": v.number, "label": v.label, "norm": v.learning_speed}
            for v in self.layers
            if v.learning_speed is not None
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form of the whole explanation."""
        verdict = {
            "label": self.label,
            "target": [float(v) for v in np.ravel(self.target)],
            "predicted": self.predicted,
            "cost": self.cost,
        }
        if self.fully_connected:
            return {
                "sizes": self.sizes, "cost_function": self.cost_name,
                "activations": self.activations, "layer_numbering": _BOOK_NUMBERING,
                **verdict, "steps": [s.as_dict() for s in self.steps],
                "learning_speed": self.learning_speed(),
            }
        return {
            "input_shape": list(self.input_shape), "cost_function": self.cost_name,
            "dtype": self.dtype, "n_params": self.n_params, "layer_numbering": _LAYER_NUMBERING,
            **verdict, "output": [float(v) for v in self.output],
            "layers": [v.as_dict() for v in self.layers],
            "learning_speed": self.learning_speed(),
        }

def _predicted(a: Array | None) -> int:
    """The answer: the most active output (for one output, 1 if a > ½)."""
    assert a is not None
    return int(a[0, 0] > 0.5) if a.size == 1 else int(np.argmax(a))
