"""Fully connected layer: the ``Network``'s layer, as a building block."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.activations import Activation
from nndl.layers.base import (
    ActivatedLayer,
    Array,
    Shape,
    activation_config,
    activation_from_config,
    check_init,
    format_shape,
    init_weights,
    positive_int,
)


class Dense(ActivatedLayer):
    """Fully connected layer ``(m, n_in)`` → ``(m, n)``: a = σ(x·wᵀ + b).

    Parameters
    ----------
    n : int
        Number of neurons.
    activation : str or Activation, default "sigmoid"
        Any activation of :mod:`nndl.activations`, "softmax" included
        (a softmax output layer, the book's network3 ``SoftmaxLayer``).
    init : {"auto", "he", "lecun", "normal"}, default "auto"
        As for :class:`~nndl.layers.Conv2D`, with fan-in n_in.  Biases start at 0.

    Attributes
    ----------
    params : {"w": (n, n_in), "b": (n,)}
        Row j of ``w`` holds the weights into neuron j, as in ``Network``.

    Examples
    --------
    >>> import numpy as np
    >>> dense = Dense(10, "softmax")
    >>> dense.build((100,), np.random.default_rng(0), np.float32)
    (10,)
    >>> dense.describe(), dense.params["w"].shape
    ('dense 10 softmax (100)→(10)', (10, 100))
    """

    kind = "dense"

    def __init__(
        self, n: int, activation: str | Activation = "sigmoid", *, init: str = "auto"
    ) -> None:
        super().__init__()
        self.n = positive_int(n, "dense size")
        self.activation = activation_from_config(activation)
        self.init = check_init(init)
        self._x: Array | None = None

    def label(self) -> str:
        return f"dense {self.n} {self.activation.name}"

    def _config(self) -> dict[str, Any]:
        return {"n": self.n, "activation": activation_config(self.activation), "init": self.init}

    def _build(self, input_shape: Shape, rng: np.random.Generator) -> Shape:
        if len(input_shape) != 1:
            raise ValueError(
                f"dense needs vector inputs, got {format_shape(input_shape)}; "
                "put a flatten layer before it"
            )
        (n_in,) = input_shape
        self.params = {
            "w": init_weights(rng, (self.n, n_in), n_in, self.init, self.activation, self.dtype),
            "b": np.zeros(self.n, dtype=self.dtype),
        }
        return (self.n,)

    def _linear(self, x: Array, train: bool) -> Array:
        if train:
            self._x = x
        z = x @ self.params["w"].T  # zˡ = wˡaˡ⁻¹ + bˡ                     (m, n)
        z += self.params["b"]
        return z

    def backward_delta(self, delta: Array) -> Array | None:
        """Gradients from δ = ∂C/∂z ``(m, n)``; return ∂C/∂x ``(m, n_in)``."""
        x = self._x
        if x is None:
            raise RuntimeError("dense: backward() needs a forward(x, train=True) first")
        np.sum(delta, axis=0, out=self.grads["b"])  # BP3: ∂C/∂b = Σ_rows δ    (n,)
        np.matmul(delta.T, x, out=self.grads["w"])  # BP4: ∂C/∂w = δᵀ·aˡ⁻¹     (n, n_in)
        if not self.needs_input_grad:
            return None
        return delta @ self.params["w"]  # BP2 before ⊙σ': (wᵀδ)ᵀ = δ·w          (m, n_in)
