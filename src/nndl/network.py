"""The seed's network: fully connected layers trained by backpropagation.

Notation follows the book.  Layer l = 1 is the input; for l = 2, …, L

    zˡ = wˡ aˡ⁻¹ + bˡ,     aˡ = σ(zˡ).

In code the layers are numbered from 0, so ``weights[i]`` is the book's
w^(i+2): it has shape ``(sizes[i+1], sizes[i])`` and row j holds the weights
*into* neuron j, which is why z = w·a + b.

**Batch form.** The seed pushes one column vector x of shape ``(n, 1)``
through at a time.  Here a mini-batch of m examples travels together as
the *rows* of a matrix ``x`` of shape ``(m, n)``: the book's column
wˡaˡ⁻¹ becomes the row-matrix ``a @ w.T``, every δ and a is ``(m, n_l)``,
and summing BP3/BP4 over the rows is what the seed's loop over the
mini-batch did one example at a time.  One matrix product replaces m
matrix-vector products, which is why it is fast — and the result is the
same number, which the tests check against a per-example implementation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl import _validate
from nndl.activations import Activation, layer_activations
from nndl.costs import Cost, get_cost
from nndl.init import initial_parameters
from nndl.model import Model
from nndl.optimizers import SGD, Optimizer
from nndl.regularizers import Regularizer

Array = NDArray[np.floating]


class Network(Model):
    """A fully connected feed-forward network (sigmoid neurons by default).

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first: ``[784, 30, 10]`` reads 28×28 images
        through 30 hidden neurons into 10 outputs.
    cost : str or Cost, default "quadratic"
        The cost C; see :mod:`nndl.costs`.
    activation : str or Activation, or a list of them, default "sigmoid"
        σ of the hidden layers (one for all, or one per hidden layer); see
        :mod:`nndl.activations`.
    output_activation : str or Activation, optional
        σ of the output layer.  By default: softmax for the log-likelihood
        cost, sigmoid for cross-entropy, else ``activation`` (sigmoid when
        that is a list).
    init : {"normal", "scaled_normal", "glorot", "he"}, default "normal"
        Initial weights: the seed's N(0, 1), the book's N(0, 1/n_in), ...;
        see :mod:`nndl.init`.
    dropout : float or list of float, default 0.0
        Probability p of dropping each hidden neuron during training (one
        for all hidden layers, or one per hidden layer).  Inverted dropout:
        kept neurons are scaled by 1/(1 − p) while training, so evaluation
        uses the whole network unchanged.
    seed : int, optional
        Seed of the network's own ``np.random.default_rng``: it draws the
        initial weights, the dropout masks and shuffles the data in
        :meth:`SGD`.  The same seed gives bit-identical training.
    dtype : {"float64", "float32"}, default "float64"

    Attributes
    ----------
    sizes, num_layers : list of int, int
    weights : list of ndarray
        ``weights[i]`` has shape ``(sizes[i+1], sizes[i])``.
    biases : list of ndarray
        ``biases[i]`` has shape ``(sizes[i+1],)``.
    history_ : History
        The record of the last call of :meth:`SGD`.

    By default weights and biases start as draws from N(0, 1), as in the
    seed.  These arrays *are* the model: assigning into them changes the
    network.

    Examples
    --------
    >>> import numpy as np
    >>> net = Network([2, 3, 1], seed=1)
    >>> [w.shape for w in net.weights], [b.shape for b in net.biases]
    ([(3, 2), (1, 3)], [(3,), (1,)])
    >>> nabla_b, nabla_w = net.backprop(np.array([[0.0, 1.0]]), np.array([[1.0]]))
    >>> [nw.shape for nw in nabla_w]
    [(3, 2), (1, 3)]
    """

    def __init__(
        self,
        sizes: list[int],
        *,
        cost: str | Cost = "quadratic",
        activation: str | Activation | list[str | Activation] = "sigmoid",
        output_activation: str | Activation | None = None,
        init: str = "normal",
        dropout: float | list[float] = 0.0,
        seed: int | None = None,
        dtype: str | np.dtype = "float64",
    ) -> None:
        self.sizes = _validate.sizes(sizes)
        self.num_layers = len(self.sizes)
        n_hidden = self.num_layers - 2
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.cost = get_cost(cost)
        hidden, self.output_activation, self._activation_spec = layer_activations(
            activation, output_activation, self.cost.name, n_hidden
        )
        self.cost.check_output(self.output_activation)
        #: σ of the (first) hidden layer, or of the output layer when there is none.
        self.hidden_activation = hidden[0] if hidden else self.output_activation
        #: σ of each weight layer, in order: hidden ones, then the output one.
        self.activations: list[Activation] = hidden + [self.output_activation]
        self.dropout = _validate.dropout_rates(dropout, n_hidden)
        #: Per weight layer, p of dropping its outputs (None when dropout is off).
        self._drop: list[float] | None = (
            self.dropout + [0.0] if any(p > 0 for p in self.dropout) else None
        )
        self.init = init
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.biases: list[Array]
        self.weights: list[Array]
        self.biases, self.weights = initial_parameters(self.sizes, init, self.rng, self.dtype)

    def config(self) -> dict[str, Any]:
        """The constructor arguments, as JSON-ready values (saved in model files).

        ``Network(**net.config())`` builds a network of the same architecture
        (with fresh weights); :mod:`nndl.io` stores this with the arrays.
        """
        dropout: float | list[float] = self.dropout
        if len(set(self.dropout)) <= 1:
            dropout = self.dropout[0] if self.dropout else 0.0
        return {
            "sizes": list(self.sizes),
            "cost": self.cost.name,
            "activation": self._activation_spec,
            "output_activation": self.output_activation.config(),
            "init": self.init,
            "dropout": dropout,
            "seed": self.seed,
            "dtype": self.dtype.name,
        }

    @property
    def n_inputs(self) -> int:
        return self.sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.sizes[-1]

    def __repr__(self) -> str:
        return (
            f"Network({self.sizes}, cost={self.cost.name!r}, "
            f"activation={self._activation_spec!r}, dtype={self.dtype.name!r})"
        )

    # -- the forward pass ----------------------------------------------------
    def _forward(self, x: Array) -> tuple[list[Array], list[Array]]:
        """Return ``(zs, activations)`` for a batch ``x`` of shape ``(m, sizes[0])``.

        ``activations[0]`` is x itself (a¹ = x); ``zs[i]`` and
        ``activations[i + 1]`` belong to weight layer i.
        """
        activation = x  # (1) Input: a¹ = x
        activations = [x]
        zs = []
        for b, w, sigma in zip(self.biases, self.weights, self.activations, strict=True):
            z = activation @ w.T  # (2) Forward: zˡ = wˡaˡ⁻¹ + bˡ  (m, n_l)
            z += b
            zs.append(z)
            activation = sigma.fn(z)  # aˡ = σ(zˡ)
            activations.append(activation)
        return zs, activations

    def _forward_train(
        self, x: Array, drop: list[float]
    ) -> tuple[list[Array], list[Array], list[Array], list[Array | None]]:
        """The forward pass with (inverted) dropout: ``(zs, activations, raws, masks)``.

        ``activations[i + 1]`` is layer i's output after its mask (what the next
        layer reads), ``raws[i]`` the same before it (what σ'(z) is computed
        from), ``masks[i]`` the mask (0 or 1/(1 − p)), None where p = 0.
        """
        activation = x
        activations, zs, raws, masks = [x], [], [], []
        for b, w, sigma, p in zip(self.biases, self.weights, self.activations, drop, strict=True):
            z = activation @ w.T
            z += b
            zs.append(z)
            activation = raw = sigma.fn(z)
            mask = None
            if p > 0:
                keep = self.rng.random(raw.shape, dtype=self.dtype) >= p
                mask = np.multiply(keep, 1.0 / (1.0 - p), dtype=self.dtype)
                activation = raw * mask
            raws.append(raw)
            masks.append(mask)
            activations.append(activation)
        return zs, activations, raws, masks

    def _output(self, x: Array) -> Array:
        activation = x
        for b, w, sigma in zip(self.biases, self.weights, self.activations, strict=True):
            z = activation @ w.T
            z += b
            activation = sigma.fn(z)
        return activation

    # -- backpropagation -----------------------------------------------------
    def _backward(
        self,
        zs: list[Array],
        activations: list[Array],
        y: Array,
        scale: float,
        raws: list[Array] | None = None,
        masks: list[Array | None] | None = None,
    ) -> tuple[list[Array], list[Array]]:
        """Return ``scale`` × Σ over the batch of ∂C/∂b and ∂C/∂w, layer by layer.

        Every quantity below is linear in δᴸ, so multiplying δᴸ by ``scale``
        once scales all the gradients: ``scale = 1/m`` gives the mean
        gradient (``backprop``), ``scale = η/m`` gives the update step
        (``update_mini_batch``) without another pass over the weight-sized
        arrays.  With dropout (``raws``/``masks`` from :meth:`_forward_train`) a
        dropped neuron passes no error back: ∂C/∂a is multiplied by its mask.
        """
        nabla_b: list[Array] = [None] * len(self.weights)  # type: ignore[list-item]
        nabla_w: list[Array] = [None] * len(self.weights)  # type: ignore[list-item]
        # (3) Output error, BP1: δᴸ = ∇ₐC ⊙ σ'(zᴸ)                      (m, n_L)
        delta = self.cost.delta(zs[-1], activations[-1], y, self.output_activation)
        delta *= scale
        for i in range(len(self.weights) - 1, -1, -1):
            # (5) Gradient, BP3: ∂C/∂bˡⱼ = δˡⱼ, summed over the m rows      (n_l,)
            nabla_b[i] = delta.sum(axis=0)
            # (5) Gradient, BP4: ∂C/∂wˡⱼₖ = aˡ⁻¹ₖ δˡⱼ, i.e. δᵀ·aˡ⁻¹         (n_l, n_l-1)
            nabla_w[i] = delta.T @ activations[i]
            if i > 0:
                # (4) Backpropagate, BP2: δˡ = ((wˡ⁺¹)ᵀδˡ⁺¹) ⊙ σ'(zˡ)       (m, n_l)
                #     with examples as rows, (wᵀδ)ᵀ is δ·w
                grad_a, a = delta @ self.weights[i], activations[i]
                if masks is not None and masks[i - 1] is not None:  # dropout
                    grad_a *= masks[i - 1]
                    a = raws[i - 1]  # type: ignore[index]
                delta = self.activations[i - 1].backward(zs[i - 1], a, grad_a)
        return nabla_b, nabla_w

    def backprop(
        self, x: Any, y: Any, *, regularizer: Regularizer | None = None, n: int | None = None
    ) -> tuple[list[Array], list[Array]]:
        """Return ``(nabla_b, nabla_w)``, the gradient of the cost (BP1–BP4).

        The cost is averaged over the rows of the batch, so for a single
        example this is exactly the seed's per-example gradient.  With a
        ``regularizer`` the gradient is that of C₀ + Ω(w) with training-set
        size ``n`` (default: the rows of ``x``), as :meth:`total_cost`.
        Dropout is not applied (this is the gradient of the evaluated network).

        Parameters
        ----------
        x : array, shape (n_in,) or (m, n_in)
        y : array
            Labels ``(m,)`` or target vectors ``(m, n_out)`` (``(n_out,)`` for one example).

        Returns
        -------
        nabla_b, nabla_w : lists of ndarray shaped like ``biases`` and ``weights``
        """
        x2, y2 = _validate.example_batch(x, y, self.n_inputs, self.n_outputs, self.dtype)
        zs, activations = self._forward(x2)
        nabla_b, nabla_w = self._backward(zs, activations, y2, 1.0 / len(x2))
        if regularizer is not None:
            for w, nw in zip(self.weights, nabla_w, strict=True):
                regularizer.add_gradient(w, nw, n or len(x2))
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations: Any, y: Any) -> Array:
        """Return ∇ₐC for the output activations (the seed's ``cost_derivative``)."""
        return self.cost.derivative(np.asarray(output_activations), np.asarray(y))

    def total_cost(
        self, x: Any, y: Any, *, regularizer: Regularizer | None = None, n: int | None = None
    ) -> float:
        """Return the cost C averaged over the examples ``(x, y)``, plus Ω(w) if regularised.

        ``n`` is the training-set size in the penalty (default: the rows of ``x``).
        """
        x2, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        y2 = _validate.targets(y, len(x2), self.n_outputs, self.dtype, "y")
        return self._cost(x2, y2, regularizer, n or len(x2))

    def _cost(self, x: Array, y: Array, regularizer: Regularizer | None, n: int) -> float:
        zs, activations = self._forward(x)
        cost = self.cost.fn(zs[-1], activations[-1], y)
        if regularizer is not None:
            cost += regularizer.penalty(self.weights, n)
        return cost

    # -- gradient descent ----------------------------------------------------
    def update_mini_batch(self, x: Any, y: Any, eta: float) -> None:
        """Take one gradient-descent step on the mini-batch ``(x, y)``.

        w → w − (η/m) Σₓ ∇w Cₓ and b → b − (η/m) Σₓ ∇b Cₓ, the seed's update.
        ``x`` is ``(m, n_in)``; ``y`` is labels ``(m,)`` or targets ``(m, n_out)``.
        """
        eta = _validate.positive_float(eta, "eta")
        x2, _ = _validate.inputs(x, self.n_inputs, self.dtype, "x")
        if len(x2) == 0:
            raise ValueError("x is empty: a mini-batch needs at least one example")
        y2 = _validate.targets(y, len(x2), self.n_outputs, self.dtype, "y")
        self._train_step(x2, y2, eta)

    def _gradients_scaled(self, x: Array, y: Array, scale: float) -> tuple[list, list]:
        """``scale`` × the summed gradient of a training batch (with dropout if on)."""
        if self._drop is None:
            zs, activations = self._forward(x)
            return self._backward(zs, activations, y, scale)
        zs, activations, raws, masks = self._forward_train(x, self._drop)
        return self._backward(zs, activations, y, scale, raws, masks)

    def _train_step(self, x: Array, y: Array, eta: float) -> None:
        nabla_b, nabla_w = self._gradients_scaled(x, y, eta / len(x))
        for w, nw in zip(self.weights, nabla_w, strict=True):
            w -= nw
        for b, nb in zip(self.biases, nabla_b, strict=True):
            b -= nb

    # -- the interface used by optimisers and regularisers ------------------
    def _parameters(self) -> list[Array]:
        """The live parameter arrays: weights, then biases."""
        return self.weights + self.biases

    def _regularized(self) -> list[bool]:
        """Which of :meth:`_parameters` a regulariser acts on: the weights, not the biases."""
        return [True] * len(self.weights) + [False] * len(self.biases)

    def _gradients(self, x: Array, y: Array) -> list[Array]:
        """Mean gradients of a training batch, in the order of :meth:`_parameters`."""
        nabla_b, nabla_w = self._gradients_scaled(x, y, 1.0 / len(x))
        return nabla_w + nabla_b

    def _make_step(
        self, optimizer: Optimizer | None, regularizer: Regularizer | None, n: int
    ) -> Any:
        """A ``step(x, y, eta)``; plain SGD keeps the fused update w → (1 − ηλ/n)w − ηĝ."""
        if optimizer is not None and type(optimizer) is not SGD:
            return super()._make_step(optimizer, regularizer, n)
        if regularizer is None:
            return self._train_step

        def step(x: Array, y: Array, eta: float) -> None:
            nabla_b, nabla_w = self._gradients_scaled(x, y, eta / len(x))
            for w, nw in zip(self.weights, nabla_w, strict=True):
                regularizer.decay(w, eta, n)
                w -= nw
            for b, nb in zip(self.biases, nabla_b, strict=True):
                b -= nb

        return step

