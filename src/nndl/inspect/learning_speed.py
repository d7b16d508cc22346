"""How fast each layer learns: the book's ‖δˡ‖, chapter 5's measure of learning speed.

The gradient of the cost with respect to the biases of layer l is the error
of its neurons, δˡ_j = ∂C/∂bˡ_j (BP3), and it is how much a gradient step
moves them.  The book therefore takes as the *speed of learning* of layer l
the length of that vector averaged over the training examples,

    ‖δˡ‖ = ‖(1/n) Σ_x ∂C_x/∂bˡ‖,

and shows (chapter 5, "The vanishing gradient problem") that in deeper
sigmoid networks it shrinks layer by layer towards the input: early layers
learn far slower than late ones.

Here the average is taken over the first :data:`GRADIENT_EXAMPLES` training
examples (all of them when there are fewer), the same images every epoch,
with dropout off and without the weight penalty (which does not touch the
biases).  It is one vectorised backpropagation per chunk of rows
(:meth:`~nndl.model.sequential.Sequential.backprop`), the book's per-example loop
in matrix form.  For a convolutional layer ∂C/∂b sums over the positions
each filter is applied at.

Examples
--------
>>> import numpy as np
>>> from nndl import Network
>>> net = Network([4, 3, 3, 2], cost="cross_entropy", init="scaled_normal", seed=0)
>>> x = np.random.default_rng(1).random((20, 4))
>>> norms = gradient_norms(net, x, np.arange(20) % 2)
>>> len(norms), layer_labels(net)
(3, ['hidden layer 1', 'hidden layer 2', 'output layer'])
>>> format_norms([0.0031, 0.0172, 0.285])
'0.0031 0.0172 | 0.285'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.nn.layers.base import EVAL_BATCH

__all__ = ["GRADIENT_EXAMPLES", "bias_gradients", "format_norms", "gradient_norms",
           "layer_labels"]

#: Training examples the monitor averages over: the first this many (the book used 1,000).
GRADIENT_EXAMPLES = 1000
def bias_gradients(model: Any, x: Any, y: Any, *, chunk: int = EVAL_BATCH) -> list[np.ndarray]:
    """The mean ∂C/∂bˡ over the rows of ``x``, one array per layer with parameters.

    ``y`` holds labels or target rows.  Computed ``chunk`` rows at a time and
    weighted by the rows of each chunk, so the result is the mean over all
    rows whatever ``chunk`` is.
    """
    n = len(x)
    if n == 0:
        raise ValueError("x is empty: the mean gradient of 0 examples is undefined")
    total: list[np.ndarray] | None = None
    for k in range(0, n, chunk):
        nabla_b, _ = model.backprop(x[k : k + chunk], y[k : k + chunk])
        part = [len(x[k : k + chunk]) * g.astype(np.float64) for g in nabla_b]
        total = part if total is None else [t + p for t, p in zip(total, part, strict=True)]
    assert total is not None
    return [t / n for t in total]


def gradient_norms(model: Any, x: Any, y: Any, *,
                   examples: int | None = GRADIENT_EXAMPLES) -> list[float]:
    """‖δˡ‖ for every layer with parameters, first to last (the output layer last).

    The average is over the first ``examples`` rows of ``x`` (all rows if
    ``None`` or if there are fewer).
    """
    if examples is not None:
        x, y = x[:examples], y[:examples]
    return [float(np.linalg.norm(g)) for g in bias_gradients(model, x, y)]


def layer_labels(model: Any) -> list[str]:
    """Names of the layers :func:`gradient_norms` measures, in its order.

    ``"hidden layer 1"``, … and ``"output layer"`` for a fully connected
    network (the book's names); each layer's own label for a layered one.
    """
    layers = [layer for layer in model.layers if "w" in layer.params]
    if all(type(layer).__name__ == "Dense" for layer in layers):
        return [f"hidden layer {i}" for i in range(1, len(layers))] + ["output layer"]
    return [f"{i}: {layer.label()}" for i, layer in enumerate(model.layers)
            if "w" in layer.params]


def format_norms(norms: list[float]) -> str:
    """One compact line: the hidden layers' ‖δˡ‖, then ``|`` and the output layer's."""
    shown = [f"{v:.3g}" for v in norms]
    return " ".join(shown[:-1]) + " | " + shown[-1] if len(shown) > 1 else " ".join(shown)
