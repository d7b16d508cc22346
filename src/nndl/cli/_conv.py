"""``nndl train --layers``: building a layered (convolutional) network from the options.

The training options a layer spec takes by default are the ``conv`` preset's
(:func:`nndl.train.presets.conv_defaults`).
"""

from __future__ import annotations

from typing import Any

#: Shape of one MNIST image as the convolutional layers see it.
INPUT_SHAPE = (1, 28, 28)


def build_sequential(layers: str, *, cost: str, dtype: str, seed: int) -> Any:
    """The :class:`~nndl.model.sequential.Sequential` of the layer spec ``layers`` (1x28x28 in).

    Raises
    ------
    ValueError
        If the spec is bad or the layers do not fit 1x28x28 inputs (the
        message names the layer and the shapes).
    """
    from nndl.model.sequential import Sequential

    return Sequential(layers, input_shape=INPUT_SHAPE, cost=cost, seed=seed, dtype=dtype)
