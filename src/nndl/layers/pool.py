"""Max-pooling: each non-overlapping p×p block of a feature map → its maximum."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.layers.base import Array, Layer, Shape, format_shape, positive_int


class MaxPool2D(Layer):
    """Non-overlapping max-pooling ``(m, C, H, W)`` → ``(m, C, H // p, W // p)``.

    When H or W is not a multiple of p, the last ``H % p`` rows and ``W % p``
    columns are dropped (they receive zero gradient).  A pool larger than the
    map is an error.

    **Gradient and ties.**  The output is max of the block, so ∂C/∂x is
    ∂C/∂y at the position of the maximum and 0 elsewhere.  When several
    positions tie for the maximum, the whole gradient goes to exactly one of
    them — the *first* in row-major order within the block.  That is a valid
    subgradient (the gradient summed over the block is conserved), and on
    tie-free inputs it is the exact gradient.

    Parameters
    ----------
    pool : int, default 2
        Block size p (the stride is p too).

    Examples
    --------
    >>> import numpy as np
    >>> pool = MaxPool2D(2)
    >>> pool.build((1, 4, 5), np.random.default_rng(0), np.float64)
    (1, 2, 2)
    >>> x = np.arange(20.0).reshape(1, 1, 4, 5)
    >>> pool.forward(x, train=False)[0, 0]
    array([[ 6.,  8.],
           [16., 18.]])
    """

    kind = "pool"

    def __init__(self, pool: int = 2) -> None:
        super().__init__()
        self.pool = positive_int(pool, "pool size")
        self._x: Array | None = None

    def label(self) -> str:
        return f"pool {self.pool}×{self.pool}"

    def _config(self) -> dict[str, Any]:
        return {"pool": self.pool}

    def _build(self, input_shape: Shape, rng: np.random.Generator) -> Shape:
        if len(input_shape) != 3:
            raise ValueError(
                "pool needs inputs shaped (channels, height, width), "
                f"got {format_shape(input_shape)}"
            )
        c, h, w = input_shape
        p = self.pool
        if p > h or p > w:
            raise ValueError(
                f"the {p}×{p} pool is larger than the {h}×{w} map {format_shape(input_shape)}"
            )
        return (c, h // p, w // p)

    def _blocks(self, x: Array) -> Array:
        """View ``(m, C, Ho, p, Wo, p)`` of the pooled part of x."""
        m, c = x.shape[:2]
        _, ho, wo = self.output_shape  # type: ignore[misc]
        p = self.pool
        return x[:, :, : ho * p, : wo * p].reshape(m, c, ho, p, wo, p)

    def forward(self, x: Array, train: bool) -> Array:
        if train:
            self._x = x
        return self._blocks(x).max(axis=(3, 5))

    def backward(self, grad_out: Array) -> Array | None:
        x = self._x
        if x is None:
            raise RuntimeError("pool: backward() needs a forward(x, train=True) first")
        if not self.needs_input_grad:
            return None
        m, c = x.shape[:2]
        _, ho, wo = self.output_shape  # type: ignore[misc]
        p = self.pool
        # Each block's p·p values in row-major order; argmax takes the first maximum.
        blocks = self._blocks(x).transpose(0, 1, 2, 4, 3, 5).reshape(m, c, ho, wo, p * p)
        winner = np.argmax(blocks, axis=-1)  # (m, C, Ho, Wo)
        grad_in = np.zeros_like(x)
        for k in range(p * p):  # route ∂C/∂y to the winning offset (p² iterations)
            dp, dq = divmod(k, p)
            grad_in[:, :, dp : ho * p : p, dq : wo * p : p] = np.where(winner == k, grad_out, 0)
        return grad_in
