"""A network as a stack of layers: convolutional networks (the book's chapter 6, network3).

Data arrive as flat rows ``(m, prod(input_shape))``, exactly as for
:class:`~nndl.network.Network` — the same MNIST arrays, ``feedforward``,
``evaluate`` and ``SGD`` work unchanged — and are viewed as
``(m, *input_shape)`` images inside.

Backpropagation is the book's, layer by layer: the output error δᴸ comes
from the cost (BP1; a − y for softmax with log-likelihood), scaled by 1/m so
that every gradient is the mean over the mini-batch, and each layer, from
the last to the first, turns ∂C/∂(its output) into its parameter gradients
and ∂C/∂(its input) (see :mod:`nndl.layers.base`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.costs import Cost, get_cost
from nndl.layers.base import ActivatedLayer, Layer, format_shape, layer_from_config
from nndl.layers.spec import parse_layers
from nndl.model import Model

Array = NDArray[np.floating]

#: Rows pushed through the layers at once when evaluating (bounds im2col's memory).
EVAL_BATCH = 512


class Sequential(Model):
    """A feed-forward network of layers, trained by mini-batch SGD.

    Parameters
    ----------
    layers : list of Layer, or str
        The layers, first to last, or a spec for :func:`~nndl.layers.parse_layers`
        such as ``"conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:100:relu,softmax:10"``.
        The last layer must be a :class:`~nndl.layers.Dense` layer (the output).
        The layer objects become part of the network (they are built here).
    input_shape : tuple of int, default (1, 28, 28)
        Shape of one example: ``(channels, height, width)`` for images.
    cost : str or Cost, default "log_likelihood"
        See :mod:`nndl.costs`; it must suit the output activation.
    n_outputs : int, optional
        If given, the output layer must have this many neurons.
    seed : int, optional
        Seeds the network's generator, from which each layer gets its own
        child generator (initial weights, dropout masks) and which shuffles
        the data in :meth:`SGD`.
    dtype : {"float32", "float64"}, default "float32"

    Raises
    ------
    ValueError
        If the stack does not fit together; the message names the layer (its
        index and description) and the shapes.

    Examples
    --------
    >>> import numpy as np
    >>> net = Sequential("conv:4x3x3,pool:2,softmax:3", input_shape=(1, 8, 8), seed=0)
    >>> print(net.describe())
    Sequential: input (1,8,8), cost log_likelihood, float32
       #  layer                    output        params
       0  conv 4×3×3 relu          (4,6,6)           40
       1  pool 2×2                 (4,3,3)            0
       2  flatten                  (36)               0
       3  dense 3 softmax          (3)              111
          total                                     151
    >>> net.feedforward(np.zeros((2, 64))).shape
    (2, 3)
    """

    def __init__(
        self,
        layers: list[Layer] | str,
        *,
        input_shape: tuple[int, ...] = (1, 28, 28),
        cost: str | Cost = "log_likelihood",
        n_outputs: int | None = None,
        seed: int | None = None,
        dtype: str | np.dtype = "float32",
    ) -> None:
        if isinstance(layers, str):
            layers = parse_layers(layers)
        self.layers: list[Layer] = list(layers)
        if not self.layers:
            raise ValueError("a Sequential network needs at least one layer")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise ValueError(f"layer {i} must be a Layer, got {type(layer).__name__}")
        if len({id(layer) for layer in self.layers}) != len(self.layers):
            raise ValueError("the same layer object appears twice in the stack")
        try:
            shape = tuple(input_shape)
        except TypeError:
            shape = ()
        if not shape or any(
            isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1 for n in shape
        ):
            raise ValueError(
                f"input_shape must be a tuple of positive integers, got {input_shape!r}"
            )
        self.input_shape = tuple(int(n) for n in shape)
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.cost = get_cost(cost)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self._build(n_outputs)

    def _build(self, n_outputs: int | None) -> None:
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.build(shape, self.rng.spawn(1)[0], self.dtype)
            except ValueError as exc:
                raise ValueError(
                    f"layer {i} ({layer.label()}) cannot take input of shape "
                    f"{format_shape(shape)}: {exc}"
                ) from None
        last = self.layers[-1]
        where = f"layer {len(self.layers) - 1} ({last.describe()})"
        if not isinstance(last, ActivatedLayer) or len(shape) != 1:
            raise ValueError(
                f"{where} is the output layer: it must be a dense layer giving a vector "
                f"of class scores, got output shape {format_shape(shape)}"
            )
        if n_outputs is not None and shape[0] != n_outputs:
            raise ValueError(
                f"{where} is the output layer: it gives {shape[0]} outputs but "
                f"n_outputs={n_outputs} were asked for"
            )
        try:
            self.cost.check_output(last.activation)
        except ValueError as exc:
            raise ValueError(f"{where} is the output layer: {exc}") from None
        for layer in self.layers:
            layer.needs_input_grad = True
        self.layers[0].needs_input_grad = False  # ∂C/∂(data) is never needed
        self._out: ActivatedLayer = last

    # -- shape -----------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return math.prod(self.input_shape)

    @property
    def n_outputs(self) -> int:
        return self._out.output_shape[0]  # type: ignore[index]

    @property
    def n_params(self) -> int:
        """Number of trainable numbers in all the layers."""
        return sum(layer.n_params for layer in self.layers)

    def describe(self) -> str:
        """Return a table of the layers with their output shapes and parameter counts."""
        lines = [
            f"Sequential: input {format_shape(self.input_shape)}, cost {self.cost.name}, "
            f"{self.dtype.name}",
            f"  {'#':>2}  {'layer':<24} {'output':<12} {'params':>7}",
        ]
        for i, layer in enumerate(self.layers):
            lines.append(
                f"  {i:>2}  {layer.label():<24} {format_shape(layer.output_shape):<12} "
                f"{layer.n_params:>7}"
            )
        lines.append(f"  {'':>2}  {'total':<24} {'':<12} {self.n_params:>7}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Sequential({[layer.label() for layer in self.layers]}, "
            f"input_shape={self.input_shape}, cost={self.cost.name!r}, "
            f"dtype={self.dtype.name!r})"
        )

    def config(self) -> dict[str, Any]:
        """Return a JSON-able description (no weights) that :meth:`from_config` rebuilds."""
        return {
            "input_shape": list(self.input_shape),
            "cost": self.cost.name,
            "dtype": self.dtype.name,
            "layers": [layer.config() for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], *, seed: int | None = None) -> Sequential:
        """Rebuild a network (fresh weights) from :meth:`config`."""
        return cls(
            [layer_from_config(c) for c in config["layers"]],
            input_shape=tuple(config["input_shape"]),
            cost=config.get("cost", "log_likelihood"),
            dtype=config.get("dtype", "float32"),
            seed=seed,
        )

    # -- forward -----------------------------------------------------------------
    def _hidden(self, x: Array, train: bool) -> Array:
        """Run the flat batch ``x`` through every layer but the output one."""
        h = x.reshape(len(x), *self.input_shape)
        for layer in self.layers[:-1]:
            h = layer.forward(h, train)
        return h

    def _output(self, x: Array) -> Array:
        # Convolution's im2col needs K = C·kh·kw copies of every input pixel,
        # so evaluate in slices of EVAL_BATCH rows to bound memory.
        if len(x) <= EVAL_BATCH:
            return self._out.forward(self._hidden(x, train=False), train=False)
        return np.concatenate(
            [self._output(x[k : k + EVAL_BATCH]) for k in range(0, len(x), EVAL_BATCH)]
        )

    def total_cost(self, x: Any, y: Any, *, train: bool = False) -> float:
        """Return the cost C averaged over the examples ``(x, y)``.

        With ``train=True`` dropout is active (the cost that :meth:`backprop`
        differentiates, for a given dropout mask).
        """
        x2, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        y2 = _validate.targets(y, len(x2), self.n_outputs, self.dtype, "y")
        z = self._out._linear(self._hidden(x2, train), train=False)
        return self.cost.fn(z, self._out.activation.fn(z), y2)

    # -- backpropagation -----------------------------------------------------------
    def _backprop(self, x: Array, y: Array) -> None:
        """Fill every layer's ``grads`` with the mean gradient over the batch ``(x, y)``."""
        out = self._out
        a = out.forward(self._hidden(x, train=True), train=True)
        # (3) Output error, BP1: δᴸ = ∇ₐC ⊙ σ'(zᴸ) — scaled by 1/m, so that every
        #     gradient below is the mean over the batch                      (m, n_L)
        delta = self.cost.delta(out._z, a, y, out.activation)  # type: ignore[arg-type]
        delta *= 1.0 / len(x)
        # (4)-(5) Each layer: gradients of its parameters, then ∂C/∂(its input).
        grad = out.backward_delta(delta)
        for layer in reversed(self.layers[:-1]):
            grad = layer.backward(grad)  # type: ignore[arg-type]

    def backprop(self, x: Any, y: Any) -> list[dict[str, Array]]:
        """Return the gradient of the mean cost, one dict per layer (like ``params``).

        Dropout is active, as in training.  ``x``: ``(m, n_inputs)`` or one
        example; ``y``: labels or target rows.
        """
        x2, y2 = _validate.example_batch(x, y, self.n_inputs, self.n_outputs, self.dtype)
        self._backprop(x2, y2)
        return [{k: g.copy() for k, g in layer.grads.items()} for layer in self.layers]

    # -- gradient descent ------------------------------------------------------------
    def _apply_gradients(self, eta: float) -> None:
        """Plain SGD: θ → θ − η·∂C/∂θ for every (parameter, gradient) pair."""
        for layer in self.layers:
            for name, param in layer.params.items():
                grad = layer.grads[name]
                grad *= eta  # in place: grads are scratch until the next backprop
                param -= grad

    def _train_step(self, x: Array, y: Array, eta: float) -> None:
        self._backprop(x, y)
        self._apply_gradients(eta)

    # -- the interface used by optimisers and regularisers ----------------------------
    def _parameters(self) -> list[Array]:
        """The live parameter arrays: each layer's ``params`` in order, first layer first."""
        return [p for layer in self.layers for p in layer.params.values()]

    def _regularized(self) -> list[bool]:
        """Which of :meth:`_parameters` a regulariser acts on: weights ``w``, not biases."""
        return [name == "w" for layer in self.layers for name in layer.params]

    def _gradients(self, x: Array, y: Array) -> list[Array]:
        """Mean gradients of a training batch (dropout on), parallel to :meth:`_parameters`.

        The arrays are the layers' scratch ``grads``: valid until the next backprop.
        """
        self._backprop(x, y)
        return [g for layer in self.layers for g in layer.grads.values()]

    def _cost(self, x: Array, y: Array, regularizer: Any, n: int) -> float:
        """Mean cost on validated ``(x, targets)`` (dropout off), plus Ω(w) with size ``n``."""
        cost = 0.0
        for k in range(0, len(x), EVAL_BATCH):
            xk = x[k : k + EVAL_BATCH]
            z = self._out._linear(self._hidden(xk, train=False), train=False)
            cost += self.cost.fn(z, self._out.activation.fn(z), y[k : k + EVAL_BATCH]) * len(xk)
        cost /= max(len(x), 1)
        if regularizer is not None:
            params, flags = self._parameters(), self._regularized()
            cost += regularizer.penalty([p for p, f in zip(params, flags, strict=True) if f], n)
        return float(cost)
