"""The :class:`Layer` protocol: the building block of every nndl network.

A layer works on batch-first arrays: ``x`` of shape ``(m, *input_shape)``
for a mini-batch of m examples.  Its life has these steps:

``plan(input_shape)``
    Told the shape of one example (no batch dimension), the layer checks that
    it can take it and works out the shapes of its parameters
    (``param_shapes``) and of one output example, allocating nothing (so a
    network can estimate its memory before it allocates).  A shape it cannot
    take raises ``ValueError``.
``allocate(dtype, rng)``, ``init_params(rng)``
    Create the parameters (and their gradient buffers), then draw their
    initial values (:mod:`nndl.init`).  ``build`` does all three.
``forward(x, train)``
    Returns the output batch.  With ``train=True`` it also keeps what
    ``backward`` will need (and dropout is active); with ``train=False`` it
    keeps nothing.
``backward(grad_out)``
    Given ∂C/∂y for the output of the last training ``forward``, stores
    ∂C/∂θ in ``grads[name]`` for each ``params[name]`` and returns ∂C/∂x.

**Buffers.**  Besides its trainable ``params``, a layer may keep
``buffers``: state that is not trained by gradient descent but is part of
the model (batch normalisation's running mean and variance).  They are
allocated beside the parameters (shapes from ``_buffer_shapes``), saved
and loaded with them (the network's ``state_dict``), and never touched by
an optimiser or regulariser nor counted in ``n_params``.  A layer that
behaves differently when evaluated gives that behaviour as
:meth:`Layer.evaluated` (the network's passes "as evaluated" use it).

**Which C.**  A layer does not average anything itself: every quantity in
``backward`` is linear in ``grad_out``, so the gradients it stores are those
of whatever cost ``grad_out`` belongs to.  The network
(:class:`~nndl.sequential.Sequential`) scales the output error δᴸ once —
by 1/m for the mean gradient, by η/m for the book's update step — and
every ``grads[name]`` carries that scale.

Layers whose output is σ(z) for a pre-activation z (:class:`ActivatedLayer`:
dense and convolutional) split ``backward`` into the activation's part,
δ = ∂C/∂z = ∂C/∂a ⊙ σ'(z) (the book's BP2), and :meth:`backward_delta`,
which takes δ.  The network's output layer is entered at δ directly, with
δᴸ from the cost's ``delta`` (BP1, :mod:`nndl.costs`).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from nndl.activations import Activation, LeakyReLU, get_activation
from nndl.init import check_scheme, draw, resolve

Array = NDArray[np.floating]
Shape = tuple[int, ...]

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
    buffers : dict of str to ndarray
        Non-trainable state saved with the model (most layers: none).
    input_shape, output_shape : tuple of int or None
        Shapes of one example, set by :meth:`plan` (or :meth:`build`).
    rng : numpy.random.Generator or None
        The generator given to :meth:`build` (initial weights, dropout masks).
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
    #: True for layers that are the identity when evaluating (dropout): a pass
    #: without dropout skips them.
    train_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            Layer.registry[cls.kind] = cls

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.buffers: dict[str, Array] = {}
        self.param_shapes: dict[str, Shape] = {}
        self.buffer_shapes: dict[str, Shape] = {}
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.dtype: np.dtype = np.dtype(np.float64)
        self.rng: np.random.Generator | None = None
        self.needs_input_grad = True
        self._work: dict[str, Array] = {}  # see work_array

    # -- to be provided by subclasses ------------------------------------
    def _shapes(self, input_shape: Shape) -> tuple[dict[str, Shape], Shape]:
        """Return ``(parameter shapes, output shape)`` for ``input_shape``, or raise."""
        raise NotImplementedError

    def _buffer_shapes(self) -> dict[str, Shape]:
        """Shapes of the :attr:`buffers`, once :attr:`param_shapes` are known (default: none)."""
        return {}

    def init_params(self, rng: np.random.Generator) -> None:
        """Draw the initial values of :attr:`params` (and set :attr:`buffers`) from ``rng``."""

    def forward(self, x: Array, train: bool) -> Array:
        """Return the output for a batch ``x`` of shape ``(m, *input_shape)``."""
        raise NotImplementedError

    def backward(self, grad_out: Array) -> Array | None:
        """Fill :attr:`grads` from ∂C/∂y; return ∂C/∂x (None if not ``needs_input_grad``)."""
        raise NotImplementedError

    def fuse_below(self, below: Layer) -> None:
        """Called by the network, after planning, with the layer whose output this one
        takes: a layer may take over part of that layer's backward pass (max-pool
        above a ReLU convolution does).  Default: nothing."""

    def evaluated(self) -> Layer:
        """The layer as the network evaluates it (default: itself; dropout is left
        out instead, batch normalisation uses its running estimates)."""
        return self

    def label(self) -> str:
        """Short name of the layer without shapes, e.g. ``conv 20×5×5 relu``."""
        return self.kind

    def _config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-able) that rebuild the layer."""
        return {}

    # -- shared behaviour ---------------------------------------------------
    def plan(self, input_shape: Shape) -> Shape:
        """Check that the layer takes ``input_shape`` and work out its shapes; allocate nothing.

        Returns the shape of one output example; raises ``ValueError`` if the
        layer cannot take inputs of this shape.
        """
        input_shape = tuple(int(n) for n in input_shape)
        param_shapes, output_shape = self._shapes(input_shape)
        self.param_shapes = {k: tuple(v) for k, v in param_shapes.items()}
        self.buffer_shapes = self._buffer_shapes()
        self.input_shape, self.output_shape = input_shape, tuple(output_shape)
        return self.output_shape

    def allocate(self, dtype: Any, rng: np.random.Generator) -> None:
        """Create zeroed :attr:`params`, :attr:`grads` and :attr:`buffers`; keep ``rng``."""
        self.dtype = np.dtype(dtype)
        self.rng = rng
        self.params = {k: np.zeros(s, dtype=self.dtype) for k, s in self.param_shapes.items()}
        self.grads = {k: np.zeros(s, dtype=self.dtype) for k, s in self.param_shapes.items()}
        self.buffers = {k: np.zeros(s, dtype=self.dtype) for k, s in self.buffer_shapes.items()}

    def build(self, input_shape: Shape, rng: np.random.Generator, dtype: Any) -> Shape:
        """Plan, allocate and initialise the layer for inputs of shape ``input_shape``.

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
        output_shape = self.plan(input_shape)
        self.allocate(dtype, rng)
        self.init_params(rng)
        return output_shape

    def work_array(self, name: str, shape: Shape, like: Array | None = None) -> Array:
        """A scratch array of the training pass, kept for the next one of the same shape.

        A training step of a convolutional net needs tens of megabytes of
        temporaries (im2col columns, pre-activations, gradients).  Fresh
        memory costs the kernel a page fault for every 4 KiB written first;
        reusing the arrays of the previous step spares that (about a tenth
        of the step).  The contents are those of the last pass; arrays handed
        to a caller outside a training pass are never work arrays.  With
        ``like``, the array has its memory layout (as ``np.empty_like``).
        """
        arr = self._work.get(name)
        layout = _layout(like) if like is not None else None
        if arr is None or arr.shape != tuple(shape) or arr.dtype != self.dtype or (
                layout is not None and _layout(arr) != layout):
            arr = np.empty_like(like) if like is not None else np.empty(shape, self.dtype)
            self._work[name] = arr
        return arr

    @property
    def built(self) -> bool:
        """Whether :meth:`plan` has run."""
        return self.output_shape is not None

    @property
    def n_params(self) -> int:
        """Number of trainable numbers."""
        return sum(math.prod(s) for s in self.param_shapes.values())

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

    Subclasses provide :meth:`_linear` (z from x), :meth:`_fans` and
    :meth:`backward_delta` (the gradients from δ = ∂C/∂z).  A training
    ``forward`` keeps ``z`` and ``a``; ``backward_delta`` keeps ``delta``: the
    values of the last training pass, read by :mod:`nndl.explain` and the
    gradient monitors.

    Parameters
    ----------
    activation : str or Activation
    init : str
        A scheme of :mod:`nndl.init`, or ``"auto"``.
    """

    activation: Activation

    def __init__(self, activation: Any, init: str) -> None:
        super().__init__()
        self.activation = activation_from_config(activation)
        self.init = check_scheme(init, allow_auto=True)
        self.z: Array | None = None
        self.a: Array | None = None
        self.delta: Array | None = None

    def _linear(self, x: Array, train: bool) -> Array:
        """Return the pre-activation z; with ``train`` keep what :meth:`backward_delta` needs."""
        raise NotImplementedError

    def _fans(self) -> tuple[int, int]:
        """``(fan_in, fan_out)`` of one neuron, for the initial weights' scale."""
        raise NotImplementedError

    def backward_delta(self, delta: Array) -> Array | None:
        """Fill :attr:`grads` from δ = ∂C/∂z; return ∂C/∂x (or None)."""
        raise NotImplementedError

    def init_params(self, rng: np.random.Generator) -> None:
        """Weights and biases drawn by the layer's ``init`` scheme (see :mod:`nndl.init`)."""
        scheme = resolve(self.init, self.activation.name)
        w, b = draw(scheme, rng, self.param_shapes["w"], *self._fans(), self.dtype)
        self.params["w"][...] = w
        self.params["b"][...] = b

    def forward(self, x: Array, train: bool) -> Array:
        z = self._linear(x, train)  # zˡ = wˡaˡ⁻¹ + bˡ
        a = self.activation.fn(z)  # aˡ = σ(zˡ)
        if train:
            self.z, self.a = z, a
        return a

    def backward(self, grad_out: Array) -> Array | None:
        if self.z is None or self.a is None:
            raise RuntimeError(f"{self.label()}: backward() needs a forward(x, train=True) first")
        # BP2's second factor: δˡ = ∂C/∂aˡ ⊙ σ'(zˡ)                    (m, *output_shape)
        delta = self.activation.backward(self.z, self.a, grad_out)
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


def _layout(arr: Array) -> tuple[int, ...]:
    """The order of ``arr``'s axes from the slowest-varying in memory to the fastest."""
    return tuple(sorted(range(arr.ndim), key=lambda i: -abs(arr.strides[i])))
