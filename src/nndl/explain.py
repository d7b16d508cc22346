"""Backpropagation for one example, step by step, with the dimension of every symbol.

The seed walks through backpropagation in five steps:

1. input a¹ = x;
2. feedforward: zˡ = wˡaˡ⁻¹ + bˡ and aˡ = σ(zˡ) for l = 2, …, L;
3. output error (BP1): δᴸ = ∇ₐC ⊙ σ'(zᴸ);
4. backpropagate the error (BP2): δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ) for l = L−1, …, 2;
5. the gradient (BP3, BP4): ∂C/∂bˡ = δˡ and ∂C/∂wˡ = δˡ(aˡ⁻¹)ᵀ.

:func:`explain` runs one example through a :class:`~nndl.network.Network`
and returns every symbol of those steps with its shape in the book's
*column* notation (one example is a column vector, ``a¹`` is ``(784, 1)``)
and in the *batch* form the code uses (examples are rows, ``a¹`` is
``(1, 784)`` and ``z = a @ w.T + b``).  Layers are numbered as in the book:
the input layer is 1, so ``net.weights[0]`` is w².

The numbers are not re-derived: zˡ, aˡ, δˡ, ∂C/∂bˡ and ∂C/∂wˡ are those
of :meth:`Network.backprop`'s pass (the dense layers keep zˡ and aˡ; for one
example ∂C/∂bˡ = δˡ, so δˡ is read from it).  Only the factors shown
beside them, ∇ₐC, σ'(zˡ) and (wˡ⁺¹)ᵀδˡ⁺¹, are computed here, to show what
δ is made of.

Examples
--------
>>> import numpy as np
>>> from nndl import Network
>>> net = Network([2, 3, 1], seed=0)
>>> ex = explain(net, np.array([0.0, 1.0]), np.array([1.0]))
>>> [s.number for s in ex.steps], ex.steps[2].title
([1, 2, 3, 4, 5], 'Output error (BP1)')
>>> q = ex.quantity("w²")
>>> q.shape_column, q.shape_batch
((3, 2), (3, 2))
>>> ex.quantity("a¹").shape_column, ex.quantity("a¹").shape_batch
((2, 1), (1, 2))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.activations import Softmax

#: Vectors with at most this many entries are shown whole.
SHORT = 10

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def sup(n: int | str) -> str:
    """Return ``n`` in superscript digits: ``sup(12) == '¹²'``."""
    return str(n).translate(_SUPERSCRIPTS)


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
    value: NDArray[np.floating]

    @property
    def stats(self) -> dict[str, float]:
        """``min``, ``mean`` and ``max`` of the entries."""
        v = np.asarray(self.value, dtype=np.float64)
        return {"min": float(v.min()), "mean": float(v.mean()), "max": float(v.max())}

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
class Explanation:
    """The five steps of backpropagation for one example, and the verdict.

    Attributes
    ----------
    sizes : list of int
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

    sizes: list[int]
    cost_name: str
    activations: list[str]
    steps: list[Step]
    target: NDArray[np.floating]
    label: int | None
    predicted: int
    cost: float

    def quantity(self, symbol: str) -> Quantity:
        """The quantity called ``symbol`` (first match), e.g. ``"δ³"``."""
        for step in self.steps:
            for q in step.quantities:
                if q.symbol == symbol:
                    return q
        raise KeyError(f"no quantity {symbol!r}")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form of the whole explanation."""
        return {
            "sizes": list(self.sizes),
            "cost_function": self.cost_name,
            "activations": list(self.activations),
            "layer_numbering": "book: the input layer is 1; weights[0] is w²",
            "label": self.label,
            "target": [float(v) for v in np.ravel(self.target)],
            "predicted": self.predicted,
            "cost": self.cost,
            "steps": [s.as_dict() for s in self.steps],
        }


def _col(n: int) -> tuple[int, int]:
    return (n, 1)


def is_fully_connected(model: Any) -> bool:
    """Whether ``model`` is a stack of dense layers (and dropout) on vector inputs.

    Such a network is explained in the book's five steps (:func:`explain`);
    any other (convolutional) one layer by layer (:func:`nndl.explain_layers`).
    """
    return len(model.input_shape) == 1 and all(
        layer.kind == "dense" or layer.train_only for layer in model.layers
    )


def explain(net: Any, x: Any, y: Any) -> Explanation:
    """Run one example through ``net`` and return the five steps of backpropagation.

    Parameters
    ----------
    net : Network
        Any fully connected :class:`~nndl.network.Network`.
    x : array, shape (n_in,)
        One input.
    y : int or array, shape (n_out,)
        Its class label, or its target vector.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> import numpy as np
    >>> from nndl import Network
    >>> net = Network([4, 3, 2], seed=0)
    >>> ex = explain(net, np.full(4, 0.5), 1)
    >>> [q.symbol for q in ex.steps[4].quantities]
    ['∂C/∂b³', '∂C/∂w³', '∂C/∂b²', '∂C/∂w²']
    >>> nabla_b, nabla_w = net.backprop(np.full((1, 4), 0.5), np.array([1]))
    >>> bool(np.array_equal(ex.quantity("∂C/∂w²").value, nabla_w[0]))
    True
    """
    x_arr = np.asarray(x, dtype=net.dtype)
    if x_arr.ndim != 1 or x_arr.shape[0] != net.n_inputs:
        raise ValueError(
            f"x must be one input of shape ({net.n_inputs},), got shape {x_arr.shape}"
        )
    x2 = x_arr[np.newaxis, :]
    y_arr = np.asarray(y)
    if y_arr.ndim == 0:
        label_in = int(y_arr)
        if not 0 <= label_in < net.n_outputs:
            raise ValueError(f"label must be in [0, {net.n_outputs}), got {label_in}")
        y2 = np.zeros((1, net.n_outputs), dtype=net.dtype)
        y2[0, label_in] = 1.0
    elif y_arr.shape == (net.n_outputs,):
        y2 = y_arr.astype(net.dtype)[np.newaxis, :]
    else:
        raise ValueError(
            f"y must be a label or a target vector of shape ({net.n_outputs},), "
            f"got shape {y_arr.shape}"
        )

    # One backward pass on the network as evaluated (dropout off): the dense
    # layers keep their zˡ, aˡ and δˡ, and for one example the mean gradient
    # of backprop() is the example's own.
    nabla_b, nabla_w = net.backprop(x2, y2)
    dense = [layer for layer in net.eval_layers if "w" in layer.params]
    zs = [layer.z for layer in dense]
    acts = [x2] + [layer.a for layer in dense]
    activations = [layer.activation for layer in dense]

    sizes = [net.n_inputs] + [layer.n for layer in dense]
    big_l = len(sizes)  # L, the book's number of the output layer
    steps: list[Step] = []

    # (1) Input
    n1 = sizes[0]
    steps.append(Step(
        1, "Input", "a¹ = x", "a = x  (one row per example)",
        [Quantity("a¹", "the input x", _col(n1), (1, n1), acts[0])],
    ))

    # (2) Feedforward
    forward = Step(
        2, "Feedforward", "zˡ = wˡaˡ⁻¹ + bˡ,  aˡ = σ(zˡ)", "z = a @ w.T + b;  a = σ(z)"
    )
    for i, (w, b) in enumerate(zip(net.weights, net.biases, strict=True)):
        lay, n_in, n_out = i + 2, sizes[i], sizes[i + 1]
        sigma = activations[i].name
        forward.quantities += [
            Quantity(f"w{sup(lay)}", f"weights[{i}], into layer {lay}", (n_out, n_in),
                     w.shape, w),
            Quantity(f"b{sup(lay)}", f"biases[{i}] of layer {lay}", _col(n_out), b.shape, b),
            Quantity(f"z{sup(lay)}", f"weighted input w{sup(lay)}a{sup(lay - 1)} + b{sup(lay)}",
                     _col(n_out), zs[i].shape, zs[i]),
            Quantity(f"a{sup(lay)}", f"activation {sigma}(z{sup(lay)})", _col(n_out),
                     acts[i + 1].shape, acts[i + 1]),
        ]
    steps.append(forward)

    # (3) Output error, BP1
    out_act = activations[-1]
    n_l = sizes[-1]
    bp1 = Step(
        3, "Output error (BP1)", "δᴸ = ∇ₐC ⊙ σ'(zᴸ)",
        "delta = cost.delta(z, a, y)  (= ∇ₐC * σ'(z), simplified by some costs)",
    )
    grad_a = net.cost.derivative(acts[-1], y2)
    bp1.quantities.append(Quantity("y", "the target", _col(n_l), y2.shape, y2))
    bp1.quantities.append(Quantity("∇ₐC", f"gradient of the {net.cost.name} cost in a{sup(big_l)}",
                                   _col(n_l), grad_a.shape, grad_a))
    if not isinstance(out_act, Softmax):
        prime = out_act.prime(zs[-1], acts[-1])
        bp1.quantities.append(Quantity(f"σ'(z{sup(big_l)})", f"{out_act.name}'", _col(n_l),
                                       prime.shape, prime))
    else:
        bp1.equation += "   (softmax: δᴸ = a − y with log-likelihood)"
    delta_l = nabla_b[-1][np.newaxis, :]
    bp1.quantities.append(Quantity(f"δ{sup(big_l)}", f"error of layer {big_l} = L", _col(n_l),
                                   delta_l.shape, delta_l))
    steps.append(bp1)

    # (4) Backpropagate, BP2
    bp2 = Step(
        4, "Backpropagate the error (BP2)", "δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ)",
        "delta = (delta @ w) * σ'(z)  (rows: (wᵀδ)ᵀ = δ·w)",
    )
    for i in range(len(net.weights) - 2, -1, -1):
        lay, n = i + 2, sizes[i + 1]
        delta_next = nabla_b[i + 1][np.newaxis, :]
        back = delta_next @ net.weights[i + 1]
        prime = activations[i].prime(zs[i], acts[i + 1])
        delta = nabla_b[i][np.newaxis, :]
        bp2.quantities += [
            Quantity(f"(w{sup(lay + 1)})ᵀδ{sup(lay + 1)}", f"error sent back to layer {lay}",
                     _col(n), back.shape, back),
            Quantity(f"σ'(z{sup(lay)})", f"{activations[i].name}'", _col(n), prime.shape,
                     prime),
            Quantity(f"δ{sup(lay)}", f"error of layer {lay}", _col(n), delta.shape, delta),
        ]
    if not bp2.quantities:
        bp2.equation += "   (no hidden layer: nothing to backpropagate)"
    steps.append(bp2)

    # (5) Gradient, BP3 and BP4
    grad = Step(
        5, "Gradient (BP3, BP4)", "∂C/∂bˡ = δˡ,  ∂C/∂wˡ = δˡ(aˡ⁻¹)ᵀ",
        "nabla_b = delta.sum(axis=0);  nabla_w = delta.T @ a",
    )
    for i in range(len(net.weights) - 1, -1, -1):
        lay, n_in, n_out = i + 2, sizes[i], sizes[i + 1]
        grad.quantities += [
            Quantity(f"∂C/∂b{sup(lay)}", f"nabla_b[{i}], like b{sup(lay)}", _col(n_out),
                     nabla_b[i].shape, nabla_b[i]),
            Quantity(f"∂C/∂w{sup(lay)}", f"nabla_w[{i}], like w{sup(lay)}", (n_out, n_in),
                     nabla_w[i].shape, nabla_w[i]),
        ]
    steps.append(grad)

    # The verdict.
    output = acts[-1][0]
    if n_l == 1:
        predicted = int(output[0] > 0.5)
        label = int(y2[0, 0] > 0.5) if y2[0, 0] in (0.0, 1.0) else None
    else:
        predicted = int(np.argmax(output))
        onehot = np.count_nonzero(y2[0]) == 1 and y2[0].max() == 1.0
        label = int(np.argmax(y2[0])) if onehot else None
    cost = float(net.cost.fn(zs[-1], acts[-1], y2))
    return Explanation(
        sizes=sizes,
        cost_name=net.cost.name,
        activations=[a.name for a in activations],
        steps=steps,
        target=y2,
        label=label,
        predicted=predicted,
        cost=cost,
    )
