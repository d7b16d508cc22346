"""The :class:`Layer` contract: the building block of every nndl network.

A layer works on batch-first arrays: ``x`` of shape ``(m, *input_shape)``
for a mini-batch of m examples.  To write one, implement three methods and
fill three dicts (docs/custom-layer.md shows a complete one):

``build(input_shape) -> output_shape``
    Told the shape of one example (no batch dimension), check that the layer
    can take it (raise ``ValueError`` if not), create :attr:`params` — the
    trainable arrays, initial values drawn from :attr:`rng`, in
    :attr:`dtype` — and :attr:`buffers` if any, and return the shape of one
    output example.
``forward(x, train) -> y``
    The output batch.  ``train`` says whether this is a training pass
    (dropout active, batch normalisation on the batch's statistics) or an
    evaluation.  Either way keep what ``backward`` needs.
``backward(delta) -> ∂C/∂x``
    Given δ = ∂C/∂y for the output of the last ``forward``, store ∂C/∂θ in
    ``grads[name]`` for each ``params[name]`` (write into the array, or
    assign a new one) and return ∂C/∂x.
``params``, ``grads``, ``buffers``
    Dicts of name → array.  The network allocates ``grads`` (zeros, the
    shapes of ``params``) after ``build``, and may then replace the arrays of
    both dicts by views of one flat buffer each (same values): read them
    from the dicts, not from references kept since ``build``.  ``buffers``
    hold state that is not trained but saved with the model (batch
    normalisation's running estimates); most layers have none.

Everything else has a default: :meth:`label` (the name in tables),
``_config`` (the constructor arguments, for model files; needed only to save
and load the layer by its ``kind``).  A layer never averages anything
itself: every quantity in ``backward`` is linear in δ, so its gradients are
those of whatever cost δ belongs to (the network passes the mean cost's).

The network calls :meth:`setup` (which sets :attr:`rng`, :attr:`dtype` and
the shapes around ``build``); use it to try a layer on its own.  Speed
details — reused scratch arrays, the fused convolution + ReLU + max-pool —
are private to :mod:`nndl.nn.layers.conv` and :mod:`nndl.nn.layers.pool` (and
:mod:`nndl.nn.layers._fused`, which the network's planner substitutes).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]
Shape = tuple[int, ...]

#: Rows pushed through the layers at once outside training — evaluation, costs,
#: the gradient monitors — which bounds the memory of a pass.
EVAL_BATCH = 512


def format_shape(shape: Shape | None) -> str:
    """Return ``(1,28,28)`` for a shape (compact, for descriptions and messages)."""
    if shape is None:
        return "(?)"
    return "(" + ",".join(str(n) for n in shape) + ")"


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


class Layer:
    """Base class of the layers (see the module docstring for the contract).

    Attributes
    ----------
    params, grads : dict of str to ndarray
        The trainable arrays and, after :meth:`backward`, ∂C/∂ of each (same keys
        and shapes).  Assigning into ``params`` changes the layer.
    buffers : dict of str to ndarray
        Non-trainable state saved with the model (most layers: none).
    input_shape, output_shape : tuple of int or None
        Shapes of one example, set by :meth:`setup`.
    rng : numpy.random.Generator or None
        The layer's generator (initial weights, dropout masks), set by :meth:`setup`.
    dtype : numpy.dtype
        The dtype of the parameters, set by :meth:`setup`.

    Examples
    --------
    >>> import numpy as np
    >>> from nndl.nn.layers import Flatten
    >>> layer = Flatten()
    >>> layer.setup((2, 3, 3), np.random.default_rng(0), np.float64)
    (18,)
    >>> layer.describe()
    'flatten (2,3,3)→(18)'
    """

    #: Name of the layer type in configs and layer specs (a subclass with a
    #: kind is registered, so that model files can rebuild it).
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
        self.buffers: dict[str, Array] = {}
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.dtype: np.dtype = np.dtype(np.float64)
        self.rng: np.random.Generator | None = None

    # -- the contract: what a layer implements -----------------------------
    def build(self, input_shape: Shape) -> Shape:
        """Check ``input_shape``, create :attr:`params` (and :attr:`buffers`); return
        the output shape.  Raise ``ValueError`` for a shape the layer cannot take."""
        raise NotImplementedError

    def forward(self, x: Array, train: bool) -> Array:
        """Return the output for a batch ``x`` of shape ``(m, *input_shape)``."""
        raise NotImplementedError

    def backward(self, delta: Array) -> Array | None:
        """Fill :attr:`grads` from δ = ∂C/∂y; return ∂C/∂x."""
        raise NotImplementedError

    # -- optional, with defaults -------------------------------------------
    def label(self) -> str:
        """Short name of the layer without shapes, e.g. ``conv 20×5×5 relu``."""
        return self.kind or type(self).__name__.lower()

    def _config(self) -> dict[str, Any]:
        """Constructor arguments (JSON-able) that rebuild the layer."""
        return {}

    # -- provided: what the network calls ------------------------------------
    def setup(self, input_shape: Shape, rng: np.random.Generator | None, dtype: Any) -> Shape:
        """Set :attr:`rng` and :attr:`dtype`, :meth:`build` for ``input_shape``, and
        allocate the :attr:`grads` that ``build`` left out (zeros).

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one example, without the batch dimension.
        rng : numpy.random.Generator or None
            Source of the initial weights (and of dropout masks); a layer never
            uses NumPy's global random state.  (None: the network draws the
            weights itself, as :class:`~nndl.model.network.Network` does.)
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
        self.rng, self.dtype = rng, np.dtype(dtype)
        input_shape = tuple(int(n) for n in input_shape)
        output_shape = tuple(int(n) for n in self.build(input_shape))
        self.input_shape, self.output_shape = input_shape, output_shape
        for name, p in self.params.items():
            if self.grads.get(name) is None or self.grads[name].shape != p.shape:
                self.grads[name] = np.zeros_like(p)
        return output_shape

    @property
    def built(self) -> bool:
        """Whether :meth:`setup` has run."""
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


class PlannedLayer(Layer):
    """A built-in layer whose parameter shapes are known before anything is allocated.

    The network adds them up to refuse a network too large for the machine
    before allocating it (:class:`~nndl.errors.ModelTooLarge`).  Subclasses
    give :meth:`shapes` and :meth:`init_params`; ``build`` allocates zeros
    and calls ``init_params``.  A layer of your own need not be one.
    """

    def shapes(self, input_shape: Shape) -> tuple[dict[str, Shape], dict[str, Shape], Shape]:
        """``(parameter shapes, buffer shapes, output shape)`` for ``input_shape``, or raise."""
        raise NotImplementedError

    def init_params(self) -> None:
        """Draw the initial :attr:`params` (and set :attr:`buffers`) from :attr:`rng`."""

    def build(self, input_shape: Shape) -> Shape:
        params, buffers, output_shape = self.shapes(input_shape)
        self.params = {k: np.zeros(s, dtype=self.dtype) for k, s in params.items()}
        self.buffers = {k: np.zeros(s, dtype=self.dtype) for k, s in buffers.items()}
        self.init_params()
        return output_shape

    def planned_size(self, input_shape: Shape) -> tuple[int, Shape]:
        """``(trainable numbers, output shape)`` for ``input_shape``, allocating nothing."""
        params, _, output_shape = self.shapes(tuple(int(n) for n in input_shape))
        return sum(math.prod(s) for s in params.values()), tuple(output_shape)


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild an (unbuilt) layer from :meth:`Layer.config`.

    Examples
    --------
    >>> from nndl.nn.layers import Conv2D, layer_from_config
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
