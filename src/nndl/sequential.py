"""The engine: a network as a stack of layers, for every model nndl builds.

The book's fully connected :class:`~nndl.network.Network` is a stack of
:class:`~nndl.layers.Dense` layers (and dropout); the convolutional
networks of chapter 6 (network3) stack convolution, pooling, flatten,
dense and dropout layers.  Both are this class, so every capability —
training, saving, explaining, checking gradients, exporting — exists once.

Data arrive as flat rows ``(m, prod(input_shape))`` and are viewed as
``(m, *input_shape)`` inside.

Backpropagation is the book's, layer by layer: the output error δᴸ comes
from the cost (BP1, :meth:`nndl.costs.Cost.delta`), scaled once — by 1/m
for the mean gradient, by η/m for the book's update step, since everything
after it is linear in δ — and each layer, from the last to the first, turns
∂C/∂(its output) into its parameter gradients and ∂C/∂(its input)
(BP2–BP4, :class:`nndl.layers.Dense`).

**The model protocol** (what :mod:`nndl.training` calls; all public):
``n_inputs``, ``n_outputs``, ``dtype``, ``rng``, ``input_shape``,
:meth:`make_step`, :meth:`~nndl.model.Model.state_arrays`, :meth:`mean_cost`, :meth:`penalty`,
:meth:`count_correct`, :meth:`snapshot`/:meth:`restore`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.costs import Cost, get_cost
from nndl.errors import ModelTooLarge
from nndl.layers.base import ActivatedLayer, Layer, format_shape, layer_from_config
from nndl.layers.spec import parse_layers
from nndl.model import Model
from nndl.optimizers import SGD, Optimizer
from nndl.params import ParameterList
from nndl.regularizers import Regularizer

Array = NDArray[np.floating]
Step = Callable[[Array, Array, float], None]

#: Rows pushed through the layers at once when evaluating (bounds memory).
EVAL_BATCH = 512
#: Refuse a network whose parameters and gradients need more than this share of RAM.
MEMORY_SHARE = 0.8


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


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
        Shape of one example: ``(channels, height, width)`` for images,
        ``(n,)`` for vectors.
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
    ModelTooLarge
        If the parameters would not fit in this machine's memory (checked
        before anything is allocated).

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
    >>> sorted(net.state_dict())
    ['0.b', '0.w', '3.b', '3.w']
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
        self.layers: list[Layer] = _validate.layer_list(layers)
        self.input_shape = _validate.shape(input_shape, "input_shape")
        self.dtype = _validate.float_dtype(dtype)
        self.cost = get_cost(cost)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        #: Free information a model file carried (:func:`nndl.io.load_model` sets it).
        self.metadata: dict[str, Any] = {}
        self._plan(n_outputs)
        self._check_memory()
        for layer in self.layers:
            layer.allocate(self.dtype, self._layer_rng())
        #: (parameter, its gradient buffer) pairs, for the update loops.
        self._pairs = [
            (p, layer.grads[name]) for layer in self.layers for name, p in layer.params.items()
        ]
        self.init_parameters()

    # -- building ------------------------------------------------------------
    def _plan(self, n_outputs: int | None) -> None:
        """Work out every layer's shapes (nothing allocated); name the layer that does not fit."""
        shape = self.input_shape
        for i, layer in enumerate(self.layers):
            try:
                shape = layer.plan(shape)
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
        for below, layer in zip(self.layers, self.layers[1:], strict=False):
            layer.fuse_below(below)  # e.g. max-pool applies the ReLU below's σ'
        self.output_layer: ActivatedLayer = last
        #: The layers of a pass as evaluated (evaluation, gradient checks): without
        #: dropout, batch normalisation with its running estimates.
        self.eval_layers = [layer.evaluated() for layer in self.layers if not layer.train_only]

    def memory_estimate(self) -> int:
        """Bytes that the parameters and their gradient buffers take (known before building)."""
        return 2 * self.n_params * self.dtype.itemsize

    def _check_memory(self) -> None:
        need, have = self.memory_estimate(), _physical_memory()
        if have is not None and need > MEMORY_SHARE * have:
            raise ModelTooLarge(
                f"this network has {self.n_params:,} parameters: with their gradients it "
                f"needs about {need / 2**30:,.1f} GiB ({self.dtype.name}), more than this "
                f"machine's {have / 2**30:,.1f} GiB of memory allows; use smaller layers"
            )

    def _layer_rng(self) -> np.random.Generator:
        """Each layer's generator: a child of the network's (``spawn`` draws nothing)."""
        return self.rng.spawn(1)[0]

    def init_parameters(self) -> None:
        """Draw every layer's initial parameters from its generator (see :mod:`nndl.init`)."""
        for layer in self.layers:
            layer.init_params(layer.rng)  # type: ignore[arg-type]

    # -- shape and description ----------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return math.prod(self.input_shape)

    @property
    def n_outputs(self) -> int:
        return self.output_layer.output_shape[0]  # type: ignore[index]

    @property
    def n_params(self) -> int:
        """Number of trainable numbers in all the layers."""
        return sum(layer.n_params for layer in self.layers)

    def describe(self) -> str:
        """Return a table of the layers with their output shapes and parameter counts."""
        lines = [
            f"{type(self).__name__}: input {format_shape(self.input_shape)}, "
            f"cost {self.cost.name}, {self.dtype.name}",
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

    # -- parameters: one name → array state dict ------------------------------------
    def state_dict(self) -> dict[str, Array]:
        """Every parameter and buffer array by name ``"<layer index>.<name>"`` (the live arrays).

        What a model file holds: :meth:`named_parameters` (trainable) and each
        layer's buffers (e.g. batch normalisation's running estimates).
        """
        return {
            f"{i}.{name}": p
            for i, layer in enumerate(self.layers)
            for name, p in (*layer.params.items(), *layer.buffers.items())
        }

    def named_parameters(self) -> dict[str, Array]:
        """The trainable arrays by state-dict name (no buffers): what gradients exist for."""
        return {
            f"{i}.{name}": p
            for i, layer in enumerate(self.layers)
            for name, p in layer.params.items()
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy arrays into the parameters; names and shapes must match :meth:`state_dict`."""
        own = self.state_dict()
        missing, extra = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or extra:
            raise ValueError(
                f"state dict does not fit this network: missing {missing}, unexpected {extra}"
            )
        for name, param in own.items():
            value = np.asarray(state[name])
            if value.shape != param.shape:
                raise ValueError(
                    f"state dict entry {name!r} has shape {value.shape}, expected {param.shape}"
                )
            param[...] = value

    def parameters(self) -> list[Array]:
        """Every trainable array (the arrays themselves, not copies), in state-dict order."""
        return list(self.named_parameters().values())

    def buffers(self) -> list[Array]:
        """Every layer's non-trainable state arrays (live), in state-dict order."""
        return [b for layer in self.layers for b in layer.buffers.values()]

    def regularized(self) -> list[bool]:
        """For each of :meth:`parameters`, whether a regulariser acts on it (weights: yes)."""
        return [name == "w" for layer in self.layers for name in layer.params]

    # -- forward ---------------------------------------------------------------------
    def forward(self, x: Array) -> Array:
        """Output activations for a validated flat batch ``(m, n_inputs)``; dropout off."""
        if len(x) > EVAL_BATCH:
            return np.concatenate(
                [self.forward(x[k : k + EVAL_BATCH]) for k in range(0, len(x), EVAL_BATCH)]
            )
        h = x.reshape(len(x), *self.input_shape)
        for layer in self.eval_layers:
            h = layer.forward(h, False)
        return h

    def _output_z(self, x: Array) -> Array:
        """The output layer's weighted input zᴸ for a validated batch, dropout off."""
        h = x.reshape(len(x), *self.input_shape)
        for layer in self.eval_layers[:-1]:
            h = layer.forward(h, False)
        return self.output_layer._linear(h, False)

    # -- backpropagation ---------------------------------------------------------------
    def _backprop(self, x: Array, y: Array, scale: float, dropout: bool) -> None:
        """Fill every layer's ``grads`` with ``scale`` × Σ over the batch of ∂C/∂θ."""
        layers = self.layers if dropout else self.eval_layers
        h = x if len(self.input_shape) == 1 else x.reshape(len(x), *self.input_shape)
        # (1) Input: a¹ = x
        for layer in layers:  # (2) Feedforward, keeping what backward needs
            h = layer.forward(h, True)
        out = self.output_layer
        # (3) Output error, BP1: δᴸ = ∇ₐC ⊙ σ'(zᴸ) (the cost's delta)        (m, n_L)
        delta = self.cost.delta(out.z, h, y, out.activation)  # type: ignore[arg-type]
        delta *= scale
        # (4), (5) Each layer, last to first: its gradients, then ∂C/∂(its input).
        grad = out.backward_delta(delta)
        for layer in reversed(layers[:-1]):
            grad = layer.backward(grad)  # type: ignore[arg-type]

    def gradients(self, x: Any, y: Any, *, dropout: bool = False) -> dict[str, Array]:
        """The gradient of the mean cost over the batch, by state-dict name (copies).

        This is backpropagation (BP1–BP4) on the network as it is evaluated:
        dropout is off and batch normalisation uses its running estimates,
        unless ``dropout=True`` (a training pass: one random mask is drawn,
        batch normalisation uses the batch's statistics and updates its
        running estimates, as in a training step).  ``x``: ``(m, n_inputs)`` or one example;
        ``y``: labels or target rows.
        """
        x2, y2 = _validate.example_batch(x, y, self.n_inputs, self.n_outputs, self.dtype)
        self._backprop(x2, y2, 1.0 / len(x2), dropout)
        return {
            f"{i}.{name}": g.copy()
            for i, layer in enumerate(self.layers)
            for name, g in layer.grads.items()
        }

    def backprop(
        self, x: Any, y: Any, *, regularizer: Regularizer | None = None, n: int | None = None
    ) -> tuple[list[Array], list[Array]]:
        """Return ``(nabla_b, nabla_w)``, the gradient of the mean cost (BP1–BP4).

        The book's ``backprop``, for every model: lists parallel to
        :attr:`biases` and :attr:`weights` (one entry per layer with
        parameters), the same numbers as :meth:`gradients`.  The cost is
        averaged over the rows of the batch, so for one example this is
        exactly the seed's per-example gradient.  Dropout is off (this is the
        gradient of the network as evaluated, what :mod:`nndl.gradcheck`
        checks).  With a ``regularizer`` it is the gradient of C₀ + Ω(w) with
        training-set size ``n`` (default: the rows of ``x``), as :meth:`total_cost`.
        """
        x2, y2 = _validate.example_batch(x, y, self.n_inputs, self.n_outputs, self.dtype)
        self._backprop(x2, y2, 1.0 / len(x2), False)
        layers = [layer for layer in self.layers if "w" in layer.params]
        nabla_b = [layer.grads["b"].copy() for layer in layers]
        nabla_w = [layer.grads["w"].copy() for layer in layers]
        if regularizer is not None:
            for layer, nw in zip(layers, nabla_w, strict=True):
                regularizer.add_gradient(layer.params["w"], nw, n or len(x2))
        return nabla_b, nabla_w

    # -- cost ----------------------------------------------------------------------------
    def mean_cost(
        self, x: Array, y: Array, regularizer: Regularizer | None = None, n: int = 1
    ) -> float:
        """Mean cost on validated ``(x, target rows)``, dropout off, plus Ω(w) with size ``n``."""
        cost = 0.0
        for k in range(0, len(x), EVAL_BATCH):
            xk, yk = x[k : k + EVAL_BATCH], y[k : k + EVAL_BATCH]
            z = self._output_z(xk)
            cost += self.cost.fn(z, self.output_layer.activation.fn(z), yk) * len(xk)
        cost /= max(len(x), 1)
        if regularizer is not None:
            cost += self.penalty(regularizer, n)
        return float(cost)

    def penalty(self, regularizer: Regularizer, n: int) -> float:
        """The regulariser's Ω(w) on the weights (not the biases), training-set size ``n``."""
        flags = self.regularized()
        weights = [p for p, flag in zip(self.parameters(), flags, strict=True) if flag]
        return float(regularizer.penalty(weights, n))

    def total_cost(
        self, x: Any, y: Any, *, regularizer: Regularizer | None = None, n: int | None = None
    ) -> float:
        """Return the cost C averaged over the examples ``(x, y)``, plus Ω(w) if regularised.

        Dropout is off.  ``n`` is the training-set size in the penalty
        (default: the rows of ``x``).
        """
        x2, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        y2 = _validate.targets(y, len(x2), self.n_outputs, self.dtype, "y")
        return self.mean_cost(x2, y2, regularizer, n or len(x2))

    def cost_derivative(self, output_activations: Any, y: Any) -> Array:
        """Return ∇ₐC for the output activations (the seed's ``cost_derivative``)."""
        return self.cost.derivative(np.asarray(output_activations), np.asarray(y))

    def update_mini_batch(self, x: Any, y: Any, eta: float) -> None:
        """Take one gradient-descent step on the mini-batch ``(x, y)``.

        w → w − (η/m) Σₓ ∇w Cₓ and b → b − (η/m) Σₓ ∇b Cₓ, the seed's update
        (with dropout, if the network has any).  ``x`` is ``(m, n_in)``; ``y``
        is labels ``(m,)`` or targets ``(m, n_out)``.
        """
        eta = _validate.positive_float(eta, "eta")
        x2, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        if len(x2) == 0:
            raise ValueError("x is empty: a mini-batch needs at least one example")
        y2 = _validate.targets(y, len(x2), self.n_outputs, self.dtype, "y")
        self.train_step(x2, y2, eta)

    # -- gradient descent ---------------------------------------------------------------
    def train_step(self, x: Array, y: Array, eta: float) -> None:
        """The book's update on a validated mini-batch: θ → θ − (η/m) Σₓ ∂Cₓ/∂θ."""
        self._backprop(x, y, eta / len(x), True)  # gradients already times η/m
        for param, grad in self._pairs:
            param -= grad

    def make_step(
        self, optimizer: Optimizer | None = None, regularizer: Regularizer | None = None,
        n: int = 1,
    ) -> Step:
        """Return ``step(x, y, eta)``: one training step with this optimiser and regulariser.

        Plain SGD keeps the book's fused update w → (1 − ηλ/n)w − (η/m)Σ∇w
        (n = training-set size); other optimisers get the mean gradient,
        plus ∂Ω/∂w, and update :meth:`parameters` in place.
        """
        if optimizer is None or type(optimizer) is SGD:
            if regularizer is None:
                return self.train_step
            return self._decay_step(regularizer, n)
        return self._optimizer_step(optimizer, regularizer, n)

    def _decay_step(self, regularizer: Regularizer, n: int) -> Step:
        decayed = self.regularized()

        def step(x: Array, y: Array, eta: float) -> None:
            self._backprop(x, y, eta / len(x), True)
            for (p, g), flag in zip(self._pairs, decayed, strict=True):
                if flag:
                    regularizer.decay(p, eta, n)
                p -= g

        return step

    def _optimizer_step(
        self, optimizer: Optimizer, regularizer: Regularizer | None, n: int
    ) -> Step:
        params, flags = self.parameters(), self.regularized()
        grads = [g for _, g in self._pairs]

        def step(x: Array, y: Array, eta: float) -> None:
            self._backprop(x, y, 1.0 / len(x), True)
            if regularizer is not None:
                for p, g, flag in zip(params, grads, flags, strict=True):
                    if flag:
                        regularizer.add_gradient(p, g, n)
            optimizer.step(params, grads, eta)

        return step

    # -- the book's view of the parameters ------------------------------------------------
    @property
    def weights(self) -> ParameterList:
        """Each parametrised layer's weight array ``w``, live: ``net.weights[i] = w2``,
        ``net.weights[i][...] = w2`` and ``net.weights = [...]`` all write into the network."""
        return ParameterList(
            [layer.params["w"] for layer in self.layers if "w" in layer.params], "weights"
        )

    @weights.setter
    def weights(self, values: Any) -> None:
        self.weights.assign(values)

    @property
    def biases(self) -> ParameterList:
        """Each parametrised layer's bias vector ``b``, live like :attr:`weights`."""
        return ParameterList(
            [layer.params["b"] for layer in self.layers if "b" in layer.params], "biases"
        )

    @biases.setter
    def biases(self, values: Any) -> None:
        self.biases.assign(values)
