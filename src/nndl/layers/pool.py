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

    def _blocks(self, x: Array) -> Array:
        """View ``(m, C, Ho, p, Wo, p)`` of the pooled part of x."""
        m, c = x.shape[:2]
        _, ho, wo = self.output_shape  # type: ignore[misc]
        p = self.pool
        return x[:, :, : ho * p, : wo * p].reshape(m, c, ho, p, wo, p)

    def forward(self, x: Array, train: bool) -> Array:
        y = self._blocks(x).max(axis=(3, 5))
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
        grad_in = np.zeros_like(x)  # keeps x's memory layout
        # Visit the p² offsets of the blocks in row-major order; each block's
        # gradient goes to the first offset that holds its maximum.  Strided
        # views only: no copy of x, no argmax.
        unclaimed = np.ones(y.shape, dtype=bool)  # (m, C, Ho, Wo)
        for k in range(p * p):
            dp, dq = divmod(k, p)
            at = (slice(None), slice(None), slice(dp, ho * p, p), slice(dq, wo * p, p))
            winner = x[at] == y
            if k < p * p - 1:
                winner &= unclaimed
                unclaimed &= ~winner
            else:
                winner = unclaimed  # the last offset takes whatever is left
            np.multiply(grad_out, winner, out=grad_in[at])
        return grad_in
