"""Building a network's layers: shapes first, the memory check, then the arrays.

Each layer is told the shape its input will have.  The built-in layers with
parameters (:class:`~nndl.nn.layers.base.PlannedLayer`) first only say how many
numbers they need, so that a network too large for the machine is refused
with an estimate before anything is allocated; the others are built at once.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import numpy as np

from nndl.errors import ModelTooLarge
from nndl.nn.costs import Cost
from nndl.nn.layers.activated import ActivatedLayer
from nndl.nn.layers.base import Array, Layer, PlannedLayer, Shape, format_shape
from nndl.train.regularizers import acts_on

#: Refuse a network whose parameters and gradients need more than this share of RAM.
MEMORY_SHARE = 0.8


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        return None


def build_layers(
    layers: list[Layer], input_shape: Shape, dtype: np.dtype,
    rngs: list[np.random.Generator | None], cost: Cost, n_outputs: int | None,
) -> ActivatedLayer:
    """Build every layer for the shapes flowing from ``input_shape``; return the output layer.

    Raises ``ValueError`` naming the layer that does not fit, and
    :class:`~nndl.errors.ModelTooLarge` before allocating a network too large.
    """
    inputs, n_params, shape = [], 0, input_shape
    for i, (layer, rng) in enumerate(zip(layers, rngs, strict=True)):
        inputs.append(shape)
        try:
            if isinstance(layer, PlannedLayer):  # shapes only, for now
                n, out = layer.planned_size(shape)
                layer.input_shape, layer.output_shape = shape, out
            else:
                out, n = layer.setup(shape, rng, dtype), layer.n_params
        except ValueError as exc:
            raise ValueError(
                f"layer {i} ({layer.label()}) cannot take input of shape "
                f"{format_shape(shape)}: {exc}"
            ) from None
        n_params, shape = n_params + n, out
    output = _check_output(layers[-1], len(layers) - 1, shape, cost, n_outputs)
    check_memory(n_params, dtype)
    for layer, rng, shape in zip(layers, rngs, inputs, strict=True):
        if isinstance(layer, PlannedLayer):
            layer.setup(shape, rng, dtype)
    return output


def _check_output(last: Layer, i: int, shape: Shape, cost: Cost, n_outputs: int | None) -> Any:
    where = f"layer {i} ({last.describe()})"
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
        cost.check_output(last.activation)
    except ValueError as exc:
        raise ValueError(f"{where} is the output layer: {exc}") from None
    return last


def memory_needed(n_params: int, dtype: np.dtype) -> int:
    """Bytes that ``n_params`` parameters and their gradient buffers take."""
    return 2 * n_params * dtype.itemsize


def check_memory(n_params: int, dtype: np.dtype) -> None:
    """Raise :class:`~nndl.errors.ModelTooLarge` if the parameters would not fit in RAM."""
    need, have = memory_needed(n_params, dtype), _physical_memory()
    if have is not None and need > MEMORY_SHARE * have:
        raise ModelTooLarge(
            f"this network has {n_params:,} parameters: with their gradients it "
            f"needs about {need / 2**30:,.1f} GiB ({dtype.name}), more than this "
            f"machine's {have / 2**30:,.1f} GiB of memory allows; use smaller layers"
        )


#: Each array in the flat buffers starts at a multiple of this many numbers (alignment).
ALIGN = 16


class FlatBuffers(NamedTuple):
    """Every parameter and gradient of a network as a view of one flat array each.

    The regularised arrays (the weights) come first, so that they too are
    one stretch of each buffer.
    """

    params: list[Array]  # [the flat parameter buffer], as an optimiser's step takes it
    grads: list[Array]  # [the flat gradient buffer]
    views: list[Array]  # each layer's gradient array (a view), in parameter order
    weights: Array  # the stretch of the regularised parameters ...
    weight_grads: Array  # ... and of their gradients


def flat_buffers(layers: list[Layer], dtype: np.dtype) -> FlatBuffers | None:
    """Move every layer's ``params`` and ``grads`` into two flat buffers, as views.

    An optimiser's step then updates the whole network with one NumPy call
    per operation instead of one per array (the same numbers, element by
    element).  None (nothing moved) when an array is not of the network's dtype.
    """
    arrays = [(layer, name, p) for layer in layers for name, p in layer.params.items()]
    if not arrays or any(p.dtype != dtype for _, _, p in arrays):
        return None
    offsets: dict[int, int] = {}
    size = 0
    for first in (True, False):  # the regularised arrays first, then the others
        for i, (_, name, p) in enumerate(arrays):
            if acts_on(name) == first:
                offsets[i] = size
                size += -(-p.size // ALIGN) * ALIGN
        if first:
            n_weights = size
    flat_p, flat_g = np.zeros(size, dtype), np.zeros(size, dtype)
    views = []
    for i, (layer, name, p) in enumerate(arrays):
        k = offsets[i]
        view = flat_p[k : k + p.size].reshape(p.shape)
        view[...] = p
        layer.params[name] = view
        layer.grads[name] = flat_g[k : k + p.size].reshape(p.shape)
        views.append(layer.grads[name])
    return FlatBuffers([flat_p], [flat_g], views, flat_p[:n_weights], flat_g[:n_weights])
