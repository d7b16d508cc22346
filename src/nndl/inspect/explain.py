"""Backpropagation for one example, step by step, with the shape of every symbol.

:func:`explain` runs one example through any network with one backward pass
of the engine (:meth:`~nndl.model.sequential.Sequential.gradients`, dropout off)
and reads what the layers kept of it: their weighted inputs zˡ, activations
aˡ and errors δˡ = ∂C/∂zˡ, and the gradients.  Nothing is re-derived, so the
numbers shown *are* the numbers training uses.

A fully connected network (:func:`is_fully_connected`) is shown in the
seed's five steps:

1. input a¹ = x;
2. feedforward: zˡ = wˡaˡ⁻¹ + bˡ and aˡ = σ(zˡ) for l = 2, …, L;
3. output error (BP1): δᴸ = ∇ₐC ⊙ σ'(zᴸ);
4. backpropagate the error (BP2): δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ) for l = L−1, …, 2;
5. the gradient (BP3, BP4): ∂C/∂bˡ = δˡ and ∂C/∂wˡ = δˡ(aˡ⁻¹)ᵀ,

every symbol with its shape in the book's *column* notation (one example is
a column vector, ``a¹`` is ``(784, 1)``) and in the *batch* form the code
uses (examples are rows, ``a¹`` is ``(1, 784)`` and ``z = a @ w.T + b``).
Layers are numbered as in the book: the input layer is 1, so
``net.weights[0]`` is w².  Only the factors shown beside δ — ∇ₐC, σ'(zˡ)
and (wˡ⁺¹)ᵀδˡ⁺¹ — are computed here, to show what δ is made of.

Any other (convolutional) network is shown layer by layer, numbered as
``model.layers`` (and the state dict: ``"0.w"``): each layer's input and
output shapes, its parameters and their gradients, its output a and its
error δ = ∂C/∂z (shape, min/mean/max and ‖δ‖).

For every model the explanation also gives each layer's *learning speed*,
the book's chapter-5 measure ‖∂C/∂bˡ‖ — for a dense layer that is ‖δˡ‖.

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
>>> [row["layer"] for row in ex.learning_speed()]
[2, 3]

A convolutional network, layer by layer:

>>> from nndl.model.sequential import Sequential
>>> conv = Sequential("conv:2x3x3,pool:2,softmax:3", input_shape=(1, 6, 6), seed=0,
...                   dtype="float64")
>>> ex = explain(conv, np.linspace(0, 1, 36), 2)
>>> [(v.label, v.input_shape, v.output_shape) for v in ex.layers]
[('conv 2×3×3 relu', (1, 6, 6), (2, 4, 4)), ('pool 2×2', (2, 4, 4), (2, 2, 2)), \
('flatten', (2, 2, 2), (8,)), ('dense 3 softmax', (8,), (3,))]
>>> ex.layers[0].delta.shape, {k: g.shape for k, g in ex.layers[0].grads.items()}
((1, 2, 4, 4), {'w': (2, 1, 3, 3), 'b': (2,)})
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.inspect.explain_text import format_text
from nndl.inspect.explanation import (
    Array,
    Explanation,
    LayerView,
    Quantity,
    Step,
    _predicted,
    sup,
)
from nndl.nn.activations import Softmax
from nndl.nn.layers.activated import ActivatedLayer


def is_fully_connected(model: Any) -> bool:
    """Whether ``model`` is a stack of dense layers (and dropout) on vector inputs.

    Such a network is explained in the book's five steps; any other
    (convolutional) one layer by layer.
    """
    return len(model.input_shape) == 1 and all(
        layer.kind in ("dense", "dropout") for layer in model.layers
    )


def explain(model: Any, x: Any, y: Any) -> Explanation:
    """Run one example through ``model`` (one backward pass, dropout off) and explain it.

    Parameters
    ----------
    model : Sequential
        Any network: a :class:`~nndl.model.network.Network` or a
        :class:`~nndl.model.sequential.Sequential` stack.
    x : array, shape (n_inputs,) or ``model.input_shape``
        One input.
    y : int or array, shape (n_outputs,)
        Its class label, or its target vector.

    Returns
    -------
    Explanation

    Raises
    ------
    ValueError
        If ``x`` is not one input of the model's shape, or ``y`` is not a
        label in range or a target vector.

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
    >>> bool(ex.learning_speed()[0]["norm"] == np.linalg.norm(nabla_b[0]))
    True
    """
    x2, y2 = _one_example(model, x, y)
    # One backward pass on the network as evaluated (dropout off): every
    # layer keeps its z, a and δ, and for one example the mean gradient is
    # the example's own.
    grads = model.gradients(x2, y2)
    fully_connected = is_fully_connected(model)
    views = _layer_views(model, grads, fully_connected)
    out = views[-1]
    steps = _five_steps(model, x2, y2, views) if fully_connected else []
    return Explanation(
        fully_connected=fully_connected,
        input_shape=tuple(model.input_shape),
        cost_name=model.cost.name,
        dtype=model.dtype.name,
        n_params=model.n_params,
        layers=views,
        steps=steps,
        target=y2,
        label=_true_label(y2),
        predicted=_predicted(out.a),
        cost=float(model.cost.fn(out.z, out.a, y2)),
    )


def _one_example(model: Any, x: Any, y: Any) -> tuple[Array, Array]:
    """``x`` as a row ``(1, n_inputs)`` and ``y`` as a target row ``(1, n_outputs)``."""
    x_arr = np.asarray(x, dtype=model.dtype)
    shapes = {(model.n_inputs,), tuple(model.input_shape)}
    if x_arr.shape not in shapes:
        raise ValueError(
            f"x must be one input of shape {' or '.join(map(str, sorted(shapes)))}, "
            f"got shape {x_arr.shape}"
        )
    n_out = model.n_outputs
    y_arr = np.asarray(y)
    if y_arr.ndim == 0:
        label = int(y_arr)
        if not 0 <= label < n_out:
            raise ValueError(f"label must be in [0, {n_out}), got {label}")
        y2 = np.zeros((1, n_out), dtype=model.dtype)
        y2[0, label] = 1.0
    elif y_arr.shape == (n_out,):
        y2 = y_arr.astype(model.dtype)[np.newaxis, :]
    else:
        raise ValueError(
            f"y must be a label or a target vector of shape ({n_out},), got shape {y_arr.shape}"
        )
    return x_arr.reshape(1, model.n_inputs), y2


def _true_label(y2: Array) -> int | None:
    """The class of a one-hot target (of a 0/1 target for one output), else None."""
    y = y2[0]
    if y.size == 1:
        return int(y[0] > 0.5) if y[0] in (0.0, 1.0) else None
    onehot = np.count_nonzero(y) == 1 and y.max() == 1.0
    return int(np.argmax(y)) if onehot else None


def _layer_views(model: Any, grads: dict[str, Array], fully_connected: bool) -> list[LayerView]:
    """Copy what each layer kept of the pass (and its gradients) into a :class:`LayerView`."""
    views, book = [], 2
    for i, layer in enumerate(model.layers):
        view = LayerView(
            index=i, number=i, label=layer.label(),
            input_shape=tuple(layer.input_shape), output_shape=tuple(layer.output_shape),
            params={name: p.copy() for name, p in layer.params.items()},
            grads={name: grads[f"{i}.{name}"] for name in layer.params},
        )
        if isinstance(layer, ActivatedLayer):
            view.activation = layer.activation
            view.z, view.a, view.delta = (np.array(v) for v in (layer.z, layer.a, layer.delta))
        if fully_connected:
            view.number = book if view.activation is not None else None
            book += view.activation is not None
        views.append(view)
    return views


# -- the five steps of a fully connected network -------------------------------------------
def _col(n: int) -> tuple[int, int]:
    return (n, 1)


def _five_steps(model: Any, x2: Array, y2: Array, views: list[LayerView]) -> list[Step]:
    dense = [v for v in views if v.activation is not None]
    sizes = [model.n_inputs] + [v.output_shape[0] for v in dense]
    return [
        Step(1, "Input", "a¹ = x", "a = x  (one row per example)",
             [Quantity("a¹", "the input x", _col(sizes[0]), x2.shape, x2)]),
        _feedforward(x2, dense, sizes),
        _output_error(model.cost, y2, dense[-1], len(sizes)),
        _backpropagate(dense, sizes),
        _gradient(dense, sizes),
    ]


def _feedforward(x2: Array, dense: list[LayerView], sizes: list[int]) -> Step:
    """Step 2: zˡ = wˡaˡ⁻¹ + bˡ and aˡ = σ(zˡ), layer by layer."""
    step = Step(2, "Feedforward", "zˡ = wˡaˡ⁻¹ + bˡ,  aˡ = σ(zˡ)", "z = a @ w.T + b;  a = σ(z)")
    for i, v in enumerate(dense):
        lay, n_in, n_out = i + 2, sizes[i], sizes[i + 1]
        w, b, s = v.params["w"], v.params["b"], sup(lay)
        step.quantities += [
            Quantity(f"w{s}", f"weights[{i}], into layer {lay}", (n_out, n_in), w.shape, w),
            Quantity(f"b{s}", f"biases[{i}] of layer {lay}", _col(n_out), b.shape, b),
            Quantity(f"z{s}", f"weighted input w{s}a{sup(lay - 1)} + b{s}",
                     _col(n_out), v.z.shape, v.z),  # type: ignore[union-attr,arg-type]
            Quantity(f"a{s}", f"activation {v.activation.name}(z{s})",  # type: ignore[union-attr,arg-type]
                     _col(n_out), v.a.shape, v.a),  # type: ignore[union-attr,arg-type]
        ]
    return step


def _output_error(cost: Any, y2: Array, out: LayerView, big_l: int) -> Step:
    """Step 3, BP1: δᴸ = ∇ₐC ⊙ σ'(zᴸ), with its two factors."""
    step = Step(
        3, "Output error (BP1)", "δᴸ = ∇ₐC ⊙ σ'(zᴸ)",
        "delta = cost.delta(z, a, y)  (= ∇ₐC * σ'(z), simplified by some costs)",
    )
    n_l, s, sigma = y2.shape[1], sup(big_l), out.activation
    grad_a = cost.derivative(out.a, y2)
    step.quantities += [
        Quantity("y", "the target", _col(n_l), y2.shape, y2),
        Quantity("∇ₐC", f"gradient of the {cost.name} cost in a{s}", _col(n_l), grad_a.shape,
                 grad_a),
    ]
    if isinstance(sigma, Softmax):
        step.equation += "   (softmax: δᴸ = a − y with log-likelihood)"
    else:
        prime = sigma.prime(out.z, out.a)  # type: ignore[union-attr,arg-type]
        step.quantities.append(Quantity(f"σ'(z{s})", f"{sigma.name}'",  # type: ignore[union-attr,arg-type]
                                        _col(n_l), prime.shape, prime))
    step.quantities.append(Quantity(f"δ{s}", f"error of layer {big_l} = L", _col(n_l),
                                    out.delta.shape, out.delta))  # type: ignore[union-attr,arg-type]
    return step


def _backpropagate(dense: list[LayerView], sizes: list[int]) -> Step:
    """Step 4, BP2: δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ), from layer L−1 down to 2."""
    step = Step(
        4, "Backpropagate the error (BP2)", "δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ)",
        "delta = (delta @ w) * σ'(z)  (rows: (wᵀδ)ᵀ = δ·w)",
    )
    for i in range(len(dense) - 2, -1, -1):
        v, above = dense[i], dense[i + 1]
        lay, n, up = i + 2, sizes[i + 1], sup(i + 3)
        back = above.delta @ above.params["w"]  # type: ignore[operator]
        prime = v.activation.prime(v.z, v.a)  # type: ignore[union-attr,arg-type]
        step.quantities += [
            Quantity(f"(w{up})ᵀδ{up}", f"error sent back to layer {lay}", _col(n), back.shape,
                     back),
            Quantity(f"σ'(z{sup(lay)})", f"{v.activation.name}'",  # type: ignore[union-attr,arg-type]
                     _col(n), prime.shape, prime),
            Quantity(f"δ{sup(lay)}", f"error of layer {lay}", _col(n),
                     v.delta.shape, v.delta),  # type: ignore[union-attr,arg-type]
        ]
    if not step.quantities:
        step.equation += "   (no hidden layer: nothing to backpropagate)"
    return step


def _gradient(dense: list[LayerView], sizes: list[int]) -> Step:
    """Step 5, BP3 and BP4: ∂C/∂bˡ = δˡ and ∂C/∂wˡ = δˡ(aˡ⁻¹)ᵀ, from layer L down."""
    step = Step(
        5, "Gradient (BP3, BP4)", "∂C/∂bˡ = δˡ,  ∂C/∂wˡ = δˡ(aˡ⁻¹)ᵀ",
        "nabla_b = delta.sum(axis=0);  nabla_w = delta.T @ a",
    )
    for i in range(len(dense) - 1, -1, -1):
        lay, n_in, n_out = i + 2, sizes[i], sizes[i + 1]
        nabla_b, nabla_w = dense[i].grads["b"], dense[i].grads["w"]
        step.quantities += [
            Quantity(f"∂C/∂b{sup(lay)}", f"nabla_b[{i}], like b{sup(lay)}", _col(n_out),
                     nabla_b.shape, nabla_b),
            Quantity(f"∂C/∂w{sup(lay)}", f"nabla_w[{i}], like w{sup(lay)}", (n_out, n_in),
                     nabla_w.shape, nabla_w),
        ]
    return step


# -- text ---------------------------------------------------------------------------------


__all__ = ["Explanation", "LayerView", "Quantity", "Step", "explain", "format_text",
           "is_fully_connected", "sup"]
