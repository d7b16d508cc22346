"""Layers computing a = σ(z) from a linear pre-activation z: the base of dense and conv.

Not part of the layer contract (:mod:`nndl.nn.layers.base`): a helper that
splits a layer into its two halves, so that the book's equations sit where
they are computed —

``linear(x, train)``
    z = w·x + b (dense) or z = w ⋆ x + b (convolution);
``backward_delta(delta)``
    from δ = ∂C/∂z: BP3 and BP4 into ``grads``, and ∂C/∂x (BP2's first factor
    for the layer below);

and in between the activation, a = σ(z) forward and δ = ∂C/∂a ⊙ σ'(z)
backward (BP2's second factor).  The network enters its output layer at δᴸ,
from the cost (BP1, :meth:`nndl.nn.costs.Cost.delta`), by ``backward_delta``.
"""

from __future__ import annotations

from typing import Any

from nndl.nn import init
from nndl.nn.activations import Activation, get_activation
from nndl.nn.layers.base import Array, PlannedLayer


class ActivatedLayer(PlannedLayer):
    """A layer computing a = σ(z) from a linear pre-activation z (dense, convolution).

    Subclasses provide :meth:`shapes`, :meth:`linear`, :meth:`_fans` and
    :meth:`backward_delta`.  ``forward`` keeps ``z`` and ``a``;
    ``backward_delta`` keeps ``delta``: the values of the last pass, read by
    :mod:`nndl.inspect.explain` and the gradient monitors.

    Parameters
    ----------
    activation : str or Activation
    init : str
        A scheme of :mod:`nndl.nn.init`, or ``"auto"``.

    Attributes
    ----------
    needs_input_grad : bool
        When False, ``backward`` skips ∂C/∂x and returns None (the network
        sets it on its first layer, whose input is the data).
    """

    activation: Activation

    def __init__(self, activation: Any, init_scheme: str) -> None:
        super().__init__()
        self.activation = get_activation(activation)
        self.init = init.check_scheme(init_scheme, allow_auto=True)
        self.needs_input_grad = True
        self.z: Array | None = None
        self.a: Array | None = None
        self.delta: Array | None = None

    def linear(self, x: Array, train: bool) -> Array:
        """Return the pre-activation z, keeping what :meth:`backward_delta` needs."""
        raise NotImplementedError

    def _fans(self) -> tuple[int, int]:
        """``(fan_in, fan_out)`` of one neuron, for the initial weights' scale."""
        raise NotImplementedError

    def backward_delta(self, delta: Array) -> Array | None:
        """Fill :attr:`grads` from δ = ∂C/∂z; return ∂C/∂x (or None)."""
        raise NotImplementedError

    def init_target(self) -> tuple[str, Array, Array, int, int]:
        """``(scheme, w, b, fan_in, fan_out)``: what :func:`nndl.nn.init.draw` fills."""
        scheme = init.resolve(self.init, self.activation.name)
        return (scheme, self.params["w"], self.params["b"], *self._fans())

    def init_params(self) -> None:
        """Weights and biases drawn by the layer's ``init`` scheme (none without an rng:
        the network draws them)."""
        if self.rng is not None:
            init.draw(self.rng, [self.init_target()])

    def forward(self, x: Array, train: bool) -> Array:
        z = self.linear(x, train)  # zˡ = wˡaˡ⁻¹ + bˡ
        a = self.activation.fn(z)  # aˡ = σ(zˡ)
        self.z, self.a = z, a
        return a

    def backward(self, delta: Array) -> Array | None:
        if self.z is None or self.a is None:
            raise RuntimeError(f"{self.label()}: backward() needs a forward() first")
        # BP2's second factor: δˡ = ∂C/∂aˡ ⊙ σ'(zˡ)                    (m, *output_shape)
        return self.backward_delta(self.activation.backward(self.z, self.a, delta))
