"""Fully connected layer: the layer of the book's ``Network``, and of every dense net here."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl._validate import positive_int
from nndl.nn.activations import Activation
from nndl.nn.layers.activated import ActivatedLayer
from nndl.nn.layers.base import Array, Shape, format_shape


class Dense(ActivatedLayer):
    """Fully connected layer ``(m, n_in)`` → ``(m, n)``: a = σ(x·wᵀ + b).

    This is where the book's equations BP3–BP4 and BP2's first factor are
    computed (BP1 is the cost's, :mod:`nndl.nn.costs`; BP2's σ' is
    :meth:`ActivatedLayer.backward`); see :meth:`backward_delta`.

    Parameters
    ----------
    n : int
        Number of neurons.
    activation : str or Activation, default "sigmoid"
        Any activation of :mod:`nndl.nn.activations`, "softmax" included
        (a softmax output layer, the book's network3 ``SoftmaxLayer``).
    init : str, default "auto"
        A scheme of :mod:`nndl.nn.init` with fan-in n_in and fan-out n, or
        ``"auto"`` ("he" for ReLU-like activations, else "lecun").

    Attributes
    ----------
    params : {"w": (n, n_in), "b": (n,)}
        Row j of ``w`` holds the weights *into* neuron j, so z = w·a + b.

    Examples
    --------
    >>> import numpy as np
    >>> dense = Dense(10, "softmax")
    >>> dense.setup((100,), np.random.default_rng(0), np.float32)
    (10,)
    >>> dense.describe(), dense.params["w"].shape
    ('dense 10 softmax (100)→(10)', (10, 100))
    """

    kind = "dense"

    def __init__(
        self, n: int, activation: str | Activation = "sigmoid", *, init: str = "auto"
    ) -> None:
        super().__init__(activation, init)
        self.n = positive_int(n, "dense size")
        self.x: Array | None = None

    def label(self) -> str:
        return f"dense {self.n} {self.activation.name}"

    def _config(self) -> dict[str, Any]:
        return {"n": self.n, "activation": self.activation.config(), "init": self.init}

    def shapes(self, input_shape: Shape) -> tuple[dict[str, Shape], dict[str, Shape], Shape]:
        if len(input_shape) != 1:
            raise ValueError(
                f"dense needs vector inputs, got {format_shape(input_shape)}; "
                "put a flatten layer before it"
            )
        (n_in,) = input_shape
        return {"w": (self.n, n_in), "b": (self.n,)}, {}, (self.n,)

    def _fans(self) -> tuple[int, int]:
        return self.params["w"].shape[1], self.n

    def linear(self, x: Array, train: bool) -> Array:
        self.x = x  # aˡ⁻¹, for BP4
        # (2) Forward: zˡ = wˡaˡ⁻¹ + bˡ; rows are examples, so wa is a·wᵀ    (m, n)
        z = x @ self.params["w"].T
        z += self.params["b"]
        return z

    def backward_delta(self, delta: Array) -> Array | None:
        """From δˡ = ∂C/∂zˡ ``(m, n)``: the gradients, and ∂C/∂aˡ⁻¹ ``(m, n_in)``."""
        x = self.x
        if x is None:
            raise RuntimeError("dense: backward() needs a forward() first")
        self.delta = delta
        # (5) BP3: ∂C/∂bˡⱼ = δˡⱼ, summed over the m rows                   (n,)
        np.add.reduce(delta, axis=0, out=self.grads["b"])
        # (5) BP4: ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ, summed over the rows: δᵀ·aˡ⁻¹        (n, n_in)
        np.matmul(delta.T, x, out=self.grads["w"])
        if not self.needs_input_grad:
            return None
        # (4) BP2, first factor for the layer below: (wˡ)ᵀδˡ; rows: δ·w      (m, n_in)
        return delta @ self.params["w"]
