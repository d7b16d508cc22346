"""``nndl train --layers``: building a layered (convolutional) network from the options."""

from __future__ import annotations

from typing import Any

#: Shape of one MNIST image as the convolutional layers see it.
INPUT_SHAPE = (1, 28, 28)

#: The book's network of chapter 6 (network3.py), with ReLU throughout.
BOOK_LAYERS = "conv:20x5x5:relu,pool:2,conv:40x5x5:relu,pool:2,dense:100:relu,softmax:10"

#: Our best convolutional network on two CPU cores (docs/conv.md).
BEST_LAYERS = "conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:200:relu,dropout:0.5,softmax:10"


def conv_defaults(opts: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Defaults that suit a ``--layers`` network when the preset has none.

    The seed preset's quadratic cost and float64 make sense for the seed's
    sigmoid network; a layered network ending in softmax wants the
    log-likelihood cost, and convolutions want float32 for speed.  Options
    given explicitly are kept.
    """
    opts = dict(opts)
    if given.get("cost") is None and opts["cost"] == "quadratic":
        last = opts["layers"].replace(" ", "").lower().split(",")[-1]
        if last.startswith("softmax"):
            opts["cost"] = "log_likelihood"
    if given.get("dtype") is None:
        opts["dtype"] = "float32"
    return opts


def build_sequential(opts: dict[str, Any], seed: int) -> Any:
    """The :class:`~nndl.sequential.Sequential` of ``opts["layers"]``.

    Raises
    ------
    ValueError
        If the spec is bad or the layers do not fit 1x28x28 inputs (the
        message names the layer and the shapes).
    """
    from nndl.sequential import Sequential

    return Sequential(
        opts["layers"], input_shape=INPUT_SHAPE, cost=opts["cost"], seed=seed,
        dtype=opts["dtype"],
    )
