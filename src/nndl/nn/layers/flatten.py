"""Flatten: feature maps ``(m, C, H, W)`` → vectors ``(m, C·H·W)`` for dense layers."""

from __future__ import annotations

import math

from nndl.nn.layers.base import Array, Layer, Shape


class Flatten(Layer):
    """Reshape each example to a vector (C order); no parameters.

    Examples
    --------
    >>> import numpy as np
    >>> flat = Flatten()
    >>> flat.setup((40, 4, 4), np.random.default_rng(0), np.float32)
    (640,)
    """

    kind = "flatten"

    def build(self, input_shape: Shape) -> Shape:
        return (math.prod(input_shape),)

    def forward(self, x: Array, train: bool) -> Array:
        return x.reshape(len(x), -1)

    def backward(self, delta: Array) -> Array | None:
        return delta.reshape(len(delta), *self.input_shape)  # type: ignore[misc]
