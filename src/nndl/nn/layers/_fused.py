"""The network's pass: the layers as run, with fused pairs substituted (a speed detail).

A ReLU convolution directly under a max-pool runs as one
:class:`ConvReLUPool`, which applies the ReLU's derivative on the pool's
small output side.  With a = max(z, 0) and y = max over a block of a, the
convolution's δ = ∂C/∂a ⊙ [z > 0] is ∂C/∂y at the block's first maximum
when y > 0 (that position has z = y > 0) and 0 everywhere else — the same
numbers as the unfused pair, ties included, from one product over the
output (p² times smaller than z).  The network's layers stay as they are
(their parameters, configs and descriptions); only the pass differs.
"""

from __future__ import annotations

from nndl.nn.activations import ReLU
from nndl.nn.layers.base import Array, Layer
from nndl.nn.layers.conv import Conv2D
from nndl.nn.layers.pool import MaxPool2D


class ConvReLUPool(Layer):
    """A ReLU :class:`Conv2D` and the :class:`MaxPool2D` above it, run as one layer.

    It owns no arrays: the convolution's ``grads`` (and its ``z``, ``a``,
    ``delta``) are filled as if the two had run one after the other.
    """

    def __init__(self, conv: Conv2D, pool: MaxPool2D) -> None:
        super().__init__()
        self.conv, self.pool = conv, pool

    def label(self) -> str:
        return f"{self.conv.label()} + {self.pool.label()}"

    def forward(self, x: Array, train: bool) -> Array:
        return self.pool.forward(self.conv.forward(x, train), train)

    def backward(self, delta: Array) -> Array | None:
        pool = self.pool
        grad_y = pool.in_output_layout(delta)
        # σ'(z) of the ReLU below, at the maxima: ∂C/∂y ⊙ [y > 0]          (m, C, Ho, Wo)
        grad_y = grad_y * (pool._y > 0)  # type: ignore[operator]
        # δ of the convolution, ∂C/∂z, routed to the first maximum of each block
        return self.conv.backward_delta(pool.route(grad_y))


def fuses(below: Layer, above: Layer) -> bool:
    """Whether ``below`` then ``above`` run as one :class:`ConvReLUPool`."""
    return (isinstance(below, Conv2D) and type(below.activation) is ReLU
            and isinstance(above, MaxPool2D))


def plan_pass(layers: list[Layer]) -> list[Layer]:
    """The layers as the network runs them: each fusable pair replaced by its fused layer."""
    run: list[Layer] = []
    i = 0
    while i < len(layers):
        if i + 1 < len(layers) and fuses(layers[i], layers[i + 1]):
            run.append(ConvReLUPool(layers[i], layers[i + 1]))  # type: ignore[arg-type]
            i += 2
        else:
            run.append(layers[i])
            i += 1
    return run
