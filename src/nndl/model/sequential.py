"""The engine: a network as a stack of layers, for every model nndl builds.

The book's fully connected :class:`~nndl.model.network.Network` is a stack of
:class:`~nndl.nn.layers.Dense` layers (and dropout); the convolutional
networks of chapter 6 (network3) stack convolution, pooling, flatten,
dense and dropout layers.  Both are this class, so every capability —
training, saving, explaining, checking gradients, exporting — exists once.

Data arrive as flat rows ``(m, prod(input_shape))`` and are viewed as
``(m, *input_shape)`` inside.

Backpropagation is the book's, layer by layer: the output error δᴸ comes
from the cost (BP1, :meth:`nndl.nn.costs.Cost.delta`), scaled once by 1/m for
the gradient of the mean cost — everything after it is linear in δ — and
each layer, from the last to the first, turns ∂C/∂(its output) into its
parameter gradients ``grads`` and ∂C/∂(its input) (BP2–BP4,
:class:`nndl.nn.layers.Dense`).  Every training step then goes the same way:
the regulariser's ∂Ω/∂w is added (:meth:`Sequential.add_penalty_gradient`)
and the optimiser's ``step`` moves the parameters (plain SGD: θ → θ − η∇).

The layers run as the planner of :mod:`nndl.nn.layers._fused` arranges them
(a ReLU convolution and the max-pool above it as one fused layer); the
parameters, configs and descriptions are those of :attr:`Sequential.layers`.

**The model protocol** (what :mod:`nndl.training` calls; all public):
``n_inputs``, ``n_outputs``, ``dtype``, ``rng``, ``input_shape``,
:meth:`make_step`, :meth:`~nndl.model.base.Model.state_arrays`, :meth:`mean_cost`, :meth:`penalty`,
:meth:`count_correct`, :meth:`snapshot`/:meth:`restore`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.model._build import build_layers, flat_buffers, memory_needed
from nndl.model._state import LayerState
from nndl.model.base import Model
from nndl.nn.costs import Cost, get_cost
from nndl.nn.layers._fused import plan_pass
from nndl.nn.layers.activated import ActivatedLayer
from nndl.nn.layers.base import EVAL_BATCH, Layer, PlannedLayer, format_shape, layer_from_config
from nndl.nn.layers.spec import parse_layers
from nndl.train.optimizers import SGD, Optimizer
from nndl.train.regularizers import Regularizer, acts_on

Array = NDArray[np.floating]
Step = Callable[[Array, Array, float], None]

__all__ = ["EVAL_BATCH", "Sequential"]


class Sequential(LayerState, Model):
    """A feed-forward network of layers, trained by mini-batch SGD.

    Parameters
    ----------
    layers : list of Layer, or str
        The layers, first to last, or a spec for :func:`~nndl.nn.layers.parse_layers`
        such as ``"conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:100:relu,softmax:10"``.
        The last layer must be a :class:`~nndl.nn.layers.Dense` layer (the output).
        The layer objects become part of the network (they are built here).
    input_shape : tuple of int, default (1, 28, 28)
        Shape of one example: ``(channels, height, width)`` for images,
        ``(n,)`` for vectors.
    cost : str or Cost, default "log_likelihood"
        See :mod:`nndl.nn.costs`; it must suit the output activation.
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
        #: Free information a model file carried (:func:`nndl.model.io.load_model` sets it).
        self.metadata: dict[str, Any] = {}
        stack = self.layers
        rngs = [self._layer_rng(layer) for layer in stack]
        self.output_layer: ActivatedLayer = build_layers(
            stack, self.input_shape, self.dtype, rngs, self.cost, n_outputs)
        for layer in stack:
            if isinstance(layer, ActivatedLayer):  # ∂C/∂(data) is never needed
                layer.needs_input_grad = layer is not stack[0]
        #: The layers as a pass runs them (:func:`~nndl.nn.layers._fused.plan_pass`).
        self._pass = plan_pass(stack)
        #: Every parameter and gradient as a view of one flat buffer (for the step).
        self._flat = flat_buffers(stack, self.dtype)
        #: The trainable arrays, their state-dict keys, and the regularised ones.
        self._keys = [(layer, name) for layer in stack for name in layer.params]
        self._params = [layer.params[name] for layer, name in self._keys]
        #: Keys of layers of one's own (the built-in ones write into their ``grads``).
        self._assigning = [(i, layer, name) for i, (layer, name) in enumerate(self._keys)
                           if not isinstance(layer, PlannedLayer)]
        self._penalized = [i for i, (_, name) in enumerate(self._keys) if acts_on(name)]
        self._sgd = SGD()  # train_step's

    # -- building ------------------------------------------------------------
    def memory_estimate(self) -> int:
        """Bytes that the parameters and their gradient buffers take (known before building)."""
        return memory_needed(self.n_params, self.dtype)

    def _layer_rng(self, layer: Layer) -> np.random.Generator | None:
        """Each layer's generator: a child of the network's (``spawn`` draws nothing)."""
        return self.rng.spawn(1)[0]

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

    # -- forward ---------------------------------------------------------------------
    def forward(self, x: Array) -> Array:
        """Output activations for a validated flat batch ``(m, n_inputs)``; dropout off."""
        if len(x) > EVAL_BATCH:
            return np.concatenate(
                [self.forward(x[k : k + EVAL_BATCH]) for k in range(0, len(x), EVAL_BATCH)]
            )
        h = x.reshape(len(x), *self.input_shape)
        for layer in self._pass:
            h = layer.forward(h, False)
        return h

    # -- backpropagation ---------------------------------------------------------------
    def _backprop(self, x: Array, y: Array, train: bool) -> None:
        """Fill every layer's ``grads`` with ∂C/∂θ of the batch's mean cost C.

        ``train``: a training pass (dropout on, batch statistics), else the
        network as evaluated."""
        h = x if len(self.input_shape) == 1 else x.reshape(len(x), *self.input_shape)
        # (1) Input: a¹ = x
        for layer in self._pass:  # (2) Feedforward, keeping what backward needs
            h = layer.forward(h, train)
        out = self.output_layer
        # (3) Output error, BP1: δᴸ = ∇ₐC ⊙ σ'(zᴸ) (the cost's delta), of the mean cost (m, n_L)
        delta = self.cost.delta(out.z, h, y, out.activation)  # type: ignore[arg-type]
        delta *= 1.0 / len(x)
        # (4), (5) Each layer, last to first: its gradients, then ∂C/∂(its input).
        grad = out.backward_delta(delta)
        for layer in reversed(self._pass[:-1]):
            grad = layer.backward(grad)  # type: ignore[arg-type]

    def _grads(self) -> list[Array]:
        """Every layer's gradient arrays, parallel to :meth:`parameters` (the live arrays)."""
        if self._flat is None:
            return [layer.grads[name] for layer, name in self._keys]
        views = self._flat.views
        for i, layer, name in self._assigning:  # layers that may assign new gradient arrays
            if layer.grads[name] is not views[i]:
                views[i][...] = layer.grads[name]
                layer.grads[name] = views[i]
        return views

    def add_penalty_gradient(
        self, grads: list[Array] | None, regularizer: Regularizer, n: int
    ) -> None:
        """Add ∂Ω/∂w (training-set size ``n``) to the gradients of the regularised arrays.

        ``grads`` is parallel to :meth:`parameters` (None: the layers' own
        ``grads``); the weights are regularised, biases and batch
        normalisation's γ, β not (:meth:`regularized`).  The one place the
        penalty's gradient is added: training steps, :meth:`backprop` and
        :mod:`nndl.inspect.gradcheck` use it.
        """
        if grads is None and self._flat is not None:  # every weight at once
            regularizer.add_gradient(self._flat.weights, self._flat.weight_grads, n)
            return
        grads = self._grads() if grads is None else grads
        for i in self._penalized:
            regularizer.add_gradient(self._params[i], grads[i], n)

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
        self._backprop(x2, y2, dropout)
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
        gradient of the network as evaluated, what :mod:`nndl.inspect.gradcheck`
        checks).  With a ``regularizer`` it is the gradient of C₀ + Ω(w) with
        training-set size ``n`` (default: the rows of ``x``), as :meth:`total_cost`.
        """
        x2, y2 = _validate.example_batch(x, y, self.n_inputs, self.n_outputs, self.dtype)
        self._backprop(x2, y2, False)
        grads = [g.copy() for g in self._grads()]
        if regularizer is not None:
            self.add_penalty_gradient(grads, regularizer, n or len(x2))
        named = dict(zip(self._keys, grads, strict=True))
        layers = [layer for layer in self.layers if "w" in layer.params]
        return [named[layer, "b"] for layer in layers], [named[layer, "w"] for layer in layers]

    # -- cost ----------------------------------------------------------------------------
    def mean_cost(
        self, x: Array, y: Array, regularizer: Regularizer | None = None, n: int = 1
    ) -> float:
        """Mean cost on validated ``(x, target rows)``, dropout off, plus Ω(w) with size ``n``."""
        cost = 0.0
        out = self.output_layer
        for k in range(0, len(x), EVAL_BATCH):
            xk, yk = x[k : k + EVAL_BATCH], y[k : k + EVAL_BATCH]
            a = self.forward(xk)
            cost += self.cost.fn(out.z, a, yk) * len(xk)  # type: ignore[arg-type]
        cost /= max(len(x), 1)
        if regularizer is not None:
            cost += self.penalty(regularizer, n)
        return float(cost)

    def penalty(self, regularizer: Regularizer, n: int) -> float:
        """The regulariser's Ω(w) on the weights (not the biases), training-set size ``n``."""
        return float(regularizer.penalty([self._params[i] for i in self._penalized], n))

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
        """The book's update on a validated mini-batch: θ → θ − (η/m) Σₓ ∂Cₓ/∂θ (plain SGD)."""
        self._step(x, y, eta, self._sgd, None, 1)

    def _step(self, x: Array, y: Array, eta: float, optimizer: Optimizer,
              regularizer: Regularizer | None, n: int) -> None:
        """One training step: ∂C/∂θ by backprop (into ``grads``), + ∂Ω/∂w, the optimiser's step."""
        self._backprop(x, y, True)
        grads = self._grads()
        if regularizer is not None:
            self.add_penalty_gradient(None, regularizer, n)
        if self._flat is not None:  # the same update, one call per operation
            optimizer.step(self._flat.params, self._flat.grads, eta)
        else:
            optimizer.step(self._params, grads, eta)

    def make_step(
        self, optimizer: Optimizer | None = None, regularizer: Regularizer | None = None,
        n: int = 1,
    ) -> Step:
        """Return ``step(x, y, eta)``: one training step with this optimiser and regulariser.

        Every optimiser goes the same way: the gradient of the mean cost,
        plus ∂Ω/∂w (n = training-set size), then ``optimizer.step`` on
        :meth:`parameters` in place (default: plain SGD, θ → θ − η∇).
        """
        opt = SGD() if optimizer is None else optimizer

        def step(x: Array, y: Array, eta: float) -> None:
            self._step(x, y, eta, opt, regularizer, n)

        return step
