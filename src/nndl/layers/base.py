"""The :class:`Layer` protocol that :class:`~nndl.sequential.Sequential` stacks.

A layer works on batch-first arrays: ``x`` of shape ``(m, *input_shape)``
for a mini-batch of m examples.  Its life has three steps:

``build(input_shape, rng, dtype)``
    Told the shape of one example (no batch dimension), the layer checks that
    it can take it, creates its parameters and returns the shape of one
    output example.  A shape it cannot take raises ``ValueError``.
``forward(x, train)``
    Returns the output batch.  With ``train=True`` it also keeps what
    ``backward`` will need (and dropout is active); with ``train=False`` it
    keeps nothing.
``backward(grad_out)``
    Given ∂C/∂y for the output of the last training ``forward``, stores
    ∂C/∂θ in ``grads[name]`` for each ``params[name]`` and returns ∂C/∂x.

**Which C.**  A layer does not average anything itself: every quantity in
``backward`` is linear in ``grad_out``, so the gradients it stores are those
of whatever cost ``grad_out`` belongs to.  :class:`~nndl.sequential.Sequential`
passes down the gradient of the *mean* cost over the mini-batch (it scales
the output error δᴸ by 1/m, as ``Network.backprop`` does), so each
``grads[name]`` is the mean over the batch of the per-example gradients —
exactly what the update w → w − η·grad needs.

Layers whose output is σ(z) for a pre-activation z (:class:`ActivatedLayer`:
dense and convolutional) split ``backward`` into the activation's part,
δ = ∂C/∂z = ∂C/∂a ⊙ σ'(z) (the book's BP1/BP2), and :meth:`backward_delta`,
which takes δ.  The network's output layer is entered at δ directly, with
δᴸ from the cost's ``delta`` (a − y for softmax with log-likelihood).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from nndl.activations import Activation, LeakyReLU, get_activation

Array = NDArray[np.floating]
Shape = tuple[int, ...]

#: Weight initialisations: name → standard deviation as a function of fan-in.
INITS: dict[str, Any] = {
    "he": lambda fan_in: math.sqrt(2.0 / fan_in),  # for ReLU (He et al. 2015)
    "lecun": lambda fan_in: math.sqrt(1.0 / fan_in),  # the book's chapter 3: N(0, 1/n_in)
    "normal": lambda fan_in: 1.0,  # the seed's N(0, 1)
}


def format_shape(shape: Shape | None) -> str:
    """Return ``(1,28,28)`` for a shape (compact, for descriptions and messages)."""
    if shape is None:
        return "(?)"
    return "(" + ",".join(str(n) for n in shape) + ")"


def positive_int(value: Any, what: str) -> int:
    """Return ``value`` as an ``int`` if it is an integer ≥ 1, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{what} must be an integer >= 1, got {value!r}")
    return int(value)


def image_input(
    input_shape: Shape, kind: str, window: tuple[int, int], noun: str
) -> tuple[int, int, int]:
    """Check that a ``(channels, height, width)`` input can hold a ``window``; return it.

    ``kind`` ("conv", "pool") and ``noun`` ("input", "map") word the messages,
    e.g. "the 5×5 kernel is larger than the 3×3 input (1,3,3)".
    """
    if len(input_shape) != 3:
        raise ValueError(
            f"{kind} needs inputs shaped (channels, height, width), "
            f"got {format_shape(input_shape)}"
        )
    c, h, w = input_shape
    kh, kw = window
    if kh > h or kw > w:
        what = "kernel" if kind == "conv" else kind
        raise ValueError(
            f"the {kh}×{kw} {what} is larger than the {h}×{w} {noun} "
            f"{format_shape(input_shape)}"
        )
    return c, h, w


def check_init(init: str) -> str:
    """Validate a weight-initialisation name (``"auto"`` or a key of :data:`INITS`)."""
    if init != "auto" and init not in INITS:
        raise ValueError(f"unknown init {init!r}; expected 'auto' or one of {sorted(INITS)}")
    return init


def init_weights(
    rng: np.random.Generator,
    shape: Shape,
    fan_in: int,
    init: str,
    activation: Activation,
    dtype: np.dtype,
) -> Array:
    """Draw weights from N(0, s²), s from ``init`` and the fan-in.

    ``"auto"`` picks ``"he"`` (s = √(2/n_in)) for ReLU-like activations and
    ``"lecun"`` (s = √(1/n_in), the book's improved initialisation) otherwise.
    """
    if init == "auto":
        init = "he" if activation.name in ("relu", "leaky_relu") else "lecun"
    scale = INITS[init](fan_in)
    w = rng.standard_normal(shape)
    w *= scale
    return w.astype(dtype, copy=False)


def activation_config(activation: Activation) -> str | dict[str, Any]:
    """JSON-able form of an activation: its name (LeakyReLU with a custom α: a dict)."""
    if isinstance(activation, LeakyReLU) and activation.alpha != LeakyReLU().alpha:
        return {"name": activation.name, "alpha": activation.alpha}
    return activation.name


def activation_from_config(spec: Any) -> Activation:
    """Inverse of :func:`activation_config` (also takes an Activation or a name)."""
    if isinstance(spec, dict):
        if spec.get("name") == "leaky_relu":
            return LeakyReLU(spec.get("alpha", 0.01))
        spec = spec.get("name")
    return get_activation(spec)


class Layer:
    """Base class of the layers (see the module docstring for the protocol).

    Attributes
    ----------
    params, grads : dict of str to ndarray
        The trainable arrays and, after :meth:`backward`, ∂C/∂ of each (same keys
        and shapes).  Assigning into ``params`` changes the layer.
    input_shape, output_shape : tuple of int or None
        Shapes of one example, set by :meth:`build`.
    needs_input_grad : bool
        When False, :meth:`backward` skips ∂C/∂x and returns None (the network
        sets it on its first layer, whose input is the data).

    Examples
    --------
    >>> import numpy as np
    >>> from nndl.layers import Flatten
    >>> layer = Flatten()
    >>> layer.build((2, 3, 3), np.random.default_rng(0), np.float64)
    (18,)
    >>> layer.describe()
    'flatten (2,3,3)→(18)'
    """

    #: Name of the layer type in configs and layer specs.
    kind: ClassVar[str] = ""
    #: Layer classes by ``kind``, filled in by subclassing.
    registry: ClassVar[dict[str, type[Layer]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Layer.registry[cls.kind] = cls

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.dtype: np.dtype = np.dtype(np.float64)
        self.needs_input_grad = True

    # -- to be provided by subclasses ------------------------------------
    def _build(self, input_shape: Shape, rng: np.random.Generator) -> Shape:
        """Create the parameters for ``input_shape``; return the output shape."""
        raise NotImplementedError

    def forward(self, x: Array, train: bool) -> Array:
        """Return the output for a batch ``x`` of shape ``(m, *input_shape)``."""
        raise NotImplementedError

    def backward(self, grad_out: Array) -> Array | None:
        """Fill :attr:`grads` from ∂C/∂y; return ∂C/∂x (None if not ``needs_input_grad``)."""
        raise NotImplementedError

    def label(self) -> str:
        """Short name of the layer without shapes, e.g. ``conv 20×5×5 relu``."""
        return self.kind

    def _config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-able) that rebuild the layer."""
        return {}

    # -- shared behaviour ---------------------------------------------------
    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: Any) -> Shape:
        """Create the parameters for inputs of shape ``input_shape`` (one example).

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one example, without the batch dimension.
        rng : numpy.random.Generator
            Source of the initial weights (and of dropout masks); the layer
            never uses NumPy's global random state.
        dtype : {"float64", "float32"}

        Returns
        -------
        tuple of int
            The shape of one output example.

        Raises
        ------
        ValueError
            If the layer cannot take inputs of this shape.
        """
        input_shape = tuple(int(n) for n in input_shape)
        self.dtype = np.dtype(dtype)
        output_shape = self._build(input_shape, rng)
        self.input_shape, self.output_shape = input_shape, tuple(output_shape)
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        return self.output_shape

    @property
    def built(self) -> bool:
        """Whether :meth:`build` has run."""
        return self.output_shape is not None

    @property
    def n_params(self) -> int:
        """Number of trainable numbers."""
        return sum(p.size for p in self.params.values())

    def describe(self) -> str:
        """Return e.g. ``conv 20×5×5 relu (1,28,28)→(20,24,24)`` (shapes once built)."""
        if not self.built:
            return self.label()
        return f"{self.label()} {format_shape(self.input_shape)}→{format_shape(self.output_shape)}"

    def config(self) -> dict[str, Any]:
        """Return a JSON-able dict from which :func:`layer_from_config` rebuilds the layer.

        It holds the constructor arguments, not the weights: rebuild, then copy
        ``params`` to restore a trained layer.
        """
        return {"type": self.kind, **self._config()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config().items())
        return f"{type(self).__name__}({args})"


class ActivatedLayer(Layer):
    """A layer computing a = σ(z) from a linear pre-activation z (dense, convolution).

    Subclasses provide :meth:`_linear` (z from x) and :meth:`backward_delta`
    (the gradients from δ = ∂C/∂z).
    """

    activation: Activation

    def __init__(self) -> None:
        super().__init__()
        self._z: Array | None = None
        self._a: Array | None = None

    def _linear(self, x: Array, train: bool) -> Array:
        """Return the pre-activation z; with ``train`` keep what :meth:`backward_delta` needs."""
        raise NotImplementedError

    def backward_delta(self, delta: Array) -> Array | None:
        """Fill :attr:`grads` from δ = ∂C/∂z; return ∂C/∂x (or None)."""
        raise NotImplementedError

    def forward(self, x: Array, train: bool) -> Array:
        z = self._linear(x, train)
        a = self.activation.fn(z)  # aˡ = σ(zˡ)
        if train:
            self._z, self._a = z, a
        return a

    def backward(self, grad_out: Array) -> Array | None:
        if self._z is None or self._a is None:
            raise RuntimeError(f"{self.label()}: backward() needs a forward(x, train=True) first")
        # BP1/BP2: δ = ∂C/∂a ⊙ σ'(z)                                   (m, *output_shape)
        delta = self.activation.backward(self._z, self._a, grad_out)
        return self.backward_delta(delta)


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild an (unbuilt) layer from :meth:`Layer.config`.

    Examples
    --------
    >>> from nndl.layers import Conv2D, layer_from_config
    >>> layer_from_config(Conv2D(20, 5).config())
    Conv2D(filters=20, kernel_size=[5, 5], activation='relu', stride=1, init='auto')
    """
    if not isinstance(config, dict) or "type" not in config:
        raise ValueError(f"a layer config must be a dict with a 'type' key, got {config!r}")
    args = dict(config)
    kind = args.pop("type")
    cls = Layer.registry.get(kind)
    if cls is None:
        raise ValueError(f"unknown layer type {kind!r}; expected one of {sorted(Layer.registry)}")
    try:
        return cls(**args)
    except TypeError as exc:
        raise ValueError(f"bad config for layer type {kind!r}: {exc}") from None
