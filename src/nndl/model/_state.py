"""A stack of layers seen as named arrays: the state dict, and the book's weights and biases.

Mixed into :class:`~nndl.model.sequential.Sequential`: every name is
``"<layer index>.<name>"``, parameters before buffers within a layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.model.params import ParameterList
from nndl.nn.layers.base import Layer
from nndl.train.regularizers import acts_on

Array = NDArray[np.floating]


class LayerState:
    """The arrays of :attr:`layers` by name (the live arrays, never copies)."""

    layers: list[Layer]

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
        return [acts_on(name) for layer in self.layers for name in layer.params]

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
