"""The seed's network: fully connected layers trained by backpropagation.

:class:`Network` is the book's API on the one engine: a
:class:`~nndl.model.sequential.Sequential` stack of :class:`~nndl.nn.layers.Dense`
layers (with :class:`~nndl.nn.layers.Dropout` after hidden layers when asked),
whose ``weights`` and ``biases`` are the layers' own arrays.  The five
equations are computed once, for every model: BP1 in the cost
(:meth:`nndl.nn.costs.Cost.delta`), BP2–BP4 in :class:`~nndl.nn.layers.Dense`.

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
from nndl.model.sequential import Sequential
from nndl.nn import init as init_module
from nndl.nn.activations import Activation, layer_activations
from nndl.nn.costs import Cost, get_cost
from nndl.nn.layers.base import Layer
from nndl.nn.layers.dense import Dense
from nndl.nn.layers.dropout import Dropout

Array = NDArray[np.floating]


class Network(Sequential):
    """A fully connected feed-forward network (sigmoid neurons by default).

    Parameters
    ----------
    sizes : list of int
        Neurons per layer, input first: ``[784, 30, 10]`` reads 28×28 images
        through 30 hidden neurons into 10 outputs.
    cost : str or Cost, default "quadratic"
        The cost C; see :mod:`nndl.nn.costs`.
    activation : str or Activation, or a list of them, default "sigmoid"
        σ of the hidden layers (one for all, or one per hidden layer); see
        :mod:`nndl.nn.activations`.
    output_activation : str or Activation, optional
        σ of the output layer.  By default: softmax for the log-likelihood
        cost, sigmoid for cross-entropy, else ``activation`` (sigmoid when
        that is a list).
    init : str, default "normal"
        A scheme of :mod:`nndl.nn.init`: the seed's N(0, 1) ``"normal"``, the
        book's N(0, 1/n_in) ``"scaled_normal"``, ...  Drawn in the seed's
        order (every bias, then every weight), so a seed gives the book's
        network.
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
        ``weights[i]`` has shape ``(sizes[i+1], sizes[i])``: the live array of
        dense layer i (assigning an entry or a whole list copies into it).
    biases : list of ndarray
        ``biases[i]`` has shape ``(sizes[i+1],)``, live likewise.
    layers : list of Layer
        The engine's view: Dense layers, with a Dropout layer after each
        hidden layer whose dropout p > 0.
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
        cost_fn = get_cost(cost)
        hidden, self.output_activation, self._activation_spec = layer_activations(
            activation, output_activation, cost_fn.name, n_hidden
        )
        #: σ of the (first) hidden layer, or of the output layer when there is none.
        self.hidden_activation = hidden[0] if hidden else self.output_activation
        #: σ of each weight layer, in order: hidden ones, then the output one.
        self.activations: list[Activation] = hidden + [self.output_activation]
        self.dropout = _validate.dropout_rates(dropout, n_hidden)
        self.init = init_module.check_scheme(init)
        layers: list[Layer] = []
        for i, (n, sigma) in enumerate(zip(self.sizes[1:], self.activations, strict=True)):
            layers.append(Dense(n, sigma, init=self.init))
            if i < n_hidden and self.dropout[i] > 0:
                layers.append(Dropout(self.dropout[i]))
        super().__init__(
            layers, input_shape=(self.sizes[0],), cost=cost_fn, seed=seed, dtype=dtype
        )
        # Every bias, then every weight, from the network's generator (the seed's order).
        dense = [layer for layer in self.layers if isinstance(layer, Dense)]
        init_module.draw(self.rng, [layer.init_target() for layer in dense])

    def _layer_rng(self, layer: Layer) -> np.random.Generator | None:
        """Dropout masks come from the network's own generator, as the shuffles do; the
        dense layers get none: the network draws their weights itself, in the seed's order."""
        return None if isinstance(layer, Dense) else self.rng

    def config(self) -> dict[str, Any]:
        """The constructor arguments, as JSON-ready values (saved in model files).

        ``Network(**net.config())`` builds a network of the same architecture
        (with fresh weights); :mod:`nndl.model.io` stores this with the arrays.
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

    @classmethod
    def from_config(cls, config: dict[str, Any], *, seed: int | None = None) -> Network:
        """Rebuild a network (fresh weights) from :meth:`config`."""
        return cls(**{**config, "seed": config.get("seed") if seed is None else seed})

    def __repr__(self) -> str:
        return (
            f"Network({self.sizes}, cost={self.cost.name!r}, "
            f"activation={self._activation_spec!r}, dtype={self.dtype.name!r})"
        )
