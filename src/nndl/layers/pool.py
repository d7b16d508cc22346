"""Max-pooling: each non-overlapping p×p block of a feature map → its maximum."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.layers.base import Array, Layer, Shape, image_input, positive_int


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
        self._y: Array | None = None

    def label(self) -> str:
        return f"pool {self.pool}×{self.pool}"

    def _config(self) -> dict[str, Any]:
        return {"pool": self.pool}

    def _shapes(self, input_shape: Shape) -> tuple[dict[str, Shape], Shape]:
        p = self.pool
        c, h, w = image_input(input_shape, "pool", (p, p), "map")
        return {}, (c, h // p, w // p)

    def _offsets(self, x: Array) -> list[tuple[slice, ...]]:
        """Index of the strided view ``x[at]`` ``(m, C, Ho, Wo)`` for each of the p² offsets
        ``(dp, dq)`` of a block, in row-major order: ``x[at][n, c, i, j] = x[n, c, ip+dp, jq+dq]``."""
        _, ho, wo = self.output_shape  # type: ignore[misc]
        p = self.pool
        return [
            (slice(None), slice(None), slice(dp, ho * p, p), slice(dq, wo * p, p))
            for dp in range(p)
            for dq in range(p)
        ]

    def forward(self, x: Array, train: bool) -> Array:
        # y[n, c, i, j] = max over the block's offsets of x[n, c, ip+dp, jq+dq]    (m, C, Ho, Wo)
        # Element-wise maxima of strided views: no gather, and y keeps x's
        # memory layout (the convolution's batch-innermost one).
        first, *rest = self._offsets(x)
        y = x[first].copy(order="K")
        for at in rest:
            np.maximum(y, x[at], out=y)
        if train:
            self._x, self._y = x, y
        return y

    def backward(self, grad_out: Array) -> Array | None:
        x, y = self._x, self._y
        if x is None or y is None:
            raise RuntimeError("pool: backward() needs a forward(x, train=True) first")
        if not self.needs_input_grad:
            return None
        _, ho, wo = self.output_shape  # type: ignore[misc]
        p = self.pool
        # ∂C/∂x is ∂C/∂y at each block's maximum and 0 elsewhere            (m, C, H, W)
        # (keeps x's memory layout; only rows and columns outside every block need zeros).
        whole = x.shape[2] == ho * p and x.shape[3] == wo * p
        grad_in = np.empty_like(x) if whole else np.zeros_like(x)
        # Visit the p² offsets of the blocks in row-major order; each block's
        # gradient goes to the first offset that holds its maximum.  Strided
        # views only: no copy of x, no argmax.
        if grad_out.strides != y.strides:  # e.g. from flatten: one small copy into y's layout
            grad_out = _like(y, grad_out)
        *others, last = self._offsets(x)
        unclaimed = np.ones_like(y, dtype=bool)  # (m, C, Ho, Wo), y's layout
        for at in others:
            winner = x[at] == y
            winner &= unclaimed
            unclaimed &= ~winner
            np.multiply(grad_out, winner, out=grad_in[at])
        np.multiply(grad_out, unclaimed, out=grad_in[last])  # the last offset takes the rest
        return grad_in


def _like(template: Array, values: Array) -> Array:
    """A copy of ``values`` in the memory layout of ``template`` (same shape)."""
    out = np.empty_like(template)
    out[...] = values
    return out
