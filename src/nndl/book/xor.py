"""XOR, the seed's first example, done honestly.

The seed trains a single sigmoid neuron (weights of shape ``(2, 1)``, no
hidden layer) on XOR and says it learns it.  It cannot: one sigmoid neuron
computes σ(w·x + b), and its decision boundary σ = ½ is the line
w·x + b = 0.  XOR is not linearly separable: no line has (0, 1) and (1, 0)
on one side and (0, 0) and (1, 1) on the other.  One hidden layer is
enough: a ``[2, 3, 1]`` (or ``[2, 2, 1]``) network bends the boundary.

:func:`train_xor` trains a :class:`~nndl.model.network.Network` on the four XOR
examples (full-batch gradient descent through :meth:`Network.SGD`) and
reports the outputs and the first epoch at which every output was within
:data:`TOLERANCE` of its target.

Examples
--------
>>> result = train_xor([2, 1], epochs=2000, seed=0)
>>> result.converged_epoch is None
True
>>> result = train_xor([2, 3, 1], epochs=2000, seed=0)
>>> result.converged_epoch is not None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: The four XOR inputs, in truth-table order, and their targets.
INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TARGETS = np.array([[0.0], [1.0], [1.0], [0.0]])
#: An output counts as right when it is within this of its target.
TOLERANCE = 0.1

WHY = (
    "XOR is not linearly separable: no line separates {(0,1), (1,0)} from "
    "{(0,0), (1,1)}. A single sigmoid neuron outputs σ(w·x + b), and its decision "
    "boundary (output ½) is the line w·x + b = 0, so a [2, 1] network can never get all "
    "four right. A hidden layer gives the output neuron new features (e.g. OR and AND of "
    "the inputs) in which XOR is separable."
)


@dataclass
class XorResult:
    """What :func:`train_xor` found.

    Attributes
    ----------
    sizes : list of int
    epochs : int
        Epochs trained.
    outputs : ndarray, shape (4,)
        The network's outputs for :data:`INPUTS` after training.
    converged_epoch : int or None
        First epoch (counted from 0) after which all four outputs were within
        :data:`TOLERANCE` of their targets; ``None`` if that never happened.
    network : Network
        The trained network.
    """

    sizes: list[int]
    epochs: int
    outputs: NDArray[np.floating]
    converged_epoch: int | None
    network: Any

    @property
    def max_error(self) -> float:
        """Largest ``|output − target|`` after training."""
        return float(np.max(np.abs(self.outputs - TARGETS[:, 0])))


def train_xor(
    sizes: list[int],
    epochs: int = 5000,
    seed: int = 0,
    eta: float = 2.0,
    cost: str = "cross_entropy",
) -> XorResult:
    """Train a ``sizes`` network on XOR by full-batch gradient descent.

    Parameters
    ----------
    sizes : list of int
        Must start with 2 and end with 1, e.g. ``[2, 1]`` or ``[2, 3, 1]``.
    epochs : int
        Passes over the four examples (one gradient step each).
    seed : int
        Seed of the network (initial weights and shuffling).
    eta : float
        Learning rate.
    cost : str
        ``"cross_entropy"`` (default: learns faster from a bad start) or ``"quadratic"``.

    Returns
    -------
    XorResult

    Examples
    --------
    >>> r = train_xor([2, 3, 1], epochs=3000, seed=0)
    >>> [round(float(o)) for o in r.outputs]
    [0, 1, 1, 0]
    """
    from nndl.model.network import Network

    if len(sizes) < 2 or sizes[0] != 2 or sizes[-1] != 1:
        raise ValueError(f"an XOR network has 2 inputs and 1 output, got sizes {sizes}")
    net = Network(sizes, cost=cost, seed=seed)
    state: dict[str, int | None] = {"converged": None}

    def on_epoch(record: dict[str, Any]) -> None:
        if state["converged"] is None:
            out = net.feedforward(INPUTS)
            if np.all(np.abs(out - TARGETS) < TOLERANCE):
                state["converged"] = int(record["epoch"])

    net.SGD((INPUTS, TARGETS), epochs, 4, eta, verbose=False, on_epoch=on_epoch)
    return XorResult(
        sizes=list(sizes),
        epochs=epochs,
        outputs=net.feedforward(INPUTS)[:, 0],
        converged_epoch=state["converged"],
        network=net,
    )
