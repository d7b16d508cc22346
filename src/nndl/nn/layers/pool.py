"""Max-pooling: each non-overlapping p×p block of a feature map → its maximum."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl._validate import positive_int
from nndl.nn.layers._scratch import work_array
from nndl.nn.layers.base import Array, Layer, Shape, image_input


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

    **Speed.**  Both passes work on the p² strided views ``x[:, :, dp::p,
    dq::p]`` (element-wise maxima forward, masked products backward): no
    gather, no argmax, and the output keeps the input's memory layout (the
    convolution's batch-innermost one), so the layers around it read long
    contiguous runs.  Directly above a ReLU convolution the network runs the
    pair as one fused layer that applies ReLU's derivative, [y > 0], on the
    pool's small output side (max and ReLU commute), sparing the convolution
    a pass over its full-size z (:mod:`nndl.nn.layers._fused`).

    Parameters
    ----------
    pool : int, default 2
        Block size p (the stride is p too).

    Examples
    --------
    >>> import numpy as np
    >>> pool = MaxPool2D(2)
    >>> pool.setup((1, 4, 5), np.random.default_rng(0), np.float64)
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
        self._work: dict[str, Array] = {}  # scratch arrays of the training pass

    def label(self) -> str:
        return f"pool {self.pool}×{self.pool}"

    def _config(self) -> dict[str, Any]:
        return {"pool": self.pool}

    def build(self, input_shape: Shape) -> Shape:
        p = self.pool
        c, h, w = image_input(input_shape, "pool", (p, p), "map")
        return (c, h // p, w // p)

    def _offsets(self) -> list[tuple[slice, ...]]:
        """For each offset (dp, dq) of a block, in row-major order, the index ``at`` of
        the strided view ``x[at][n, c, i, j] = x[n, c, i·p + dp, j·p + dq]``."""
        _, ho, wo = self.output_shape  # type: ignore[misc]
        p = self.pool
        return [
            (slice(None), slice(None), slice(dp, ho * p, p), slice(dq, wo * p, p))
            for dp in range(p)
            for dq in range(p)
        ]

    def forward(self, x: Array, train: bool) -> Array:
        # y[n, c, i, j] = max over (dp, dq) of x[n, c, i·p + dp, j·p + dq]      (m, C, Ho, Wo)
        first, *rest = self._offsets()
        view = x[first]
        if train:
            y = work_array(self._work, "y", view.shape, self.dtype, like=view)
        else:
            y = np.empty_like(view)
        np.copyto(y, view)
        for at in rest:
            np.maximum(y, x[at], out=y)
        self._x, self._y = x, y
        return y

    def backward(self, delta: Array) -> Array | None:
        """From ∂C/∂y ``(m, C, Ho, Wo)``: ∂C/∂x ``(m, C, H, W)``."""
        return self.route(self.in_output_layout(delta))

    def in_output_layout(self, delta: Array) -> Array:
        """``delta`` in the memory layout of the last output (a copy only if it differs)."""
        if self._y is None:
            raise RuntimeError("pool: backward() needs a forward() first")
        if delta.strides != self._y.strides:  # e.g. from flatten: one small copy
            return _copy_like(self._y, delta)
        return delta

    def route(self, grad_out: Array) -> Array:
        """∂C/∂x: ``grad_out`` (in the output's layout) at each block's first maximum."""
        x, y = self._x, self._y
        if x is None or y is None:
            raise RuntimeError("pool: backward() needs a forward() first")
        # ∂C/∂x is ∂C/∂y at each block's first maximum, 0 elsewhere         (m, C, H, W)
        _, ho, wo = self.output_shape  # type: ignore[misc]
        p = self.pool
        covered = x.shape[2] == ho * p and x.shape[3] == wo * p
        grad_in = work_array(self._work, "grad_in", x.shape, self.dtype, like=x)  # x's layout
        if not covered:
            grad_in[...] = 0.0
        *others, last = self._offsets()
        unclaimed = np.ones_like(y, dtype=bool)  # blocks whose maximum is still to place
        for at in others:
            winner = x[at] == y
            winner &= unclaimed
            unclaimed &= ~winner
            np.multiply(grad_out, winner, out=grad_in[at])
        np.multiply(grad_out, unclaimed, out=grad_in[last])  # the last offset: the rest
        return grad_in


def _copy_like(template: Array, values: Array) -> Array:
    """A copy of ``values`` in the memory layout of ``template`` (same shape)."""
    out = np.empty_like(template)
    out[...] = values
    return out
