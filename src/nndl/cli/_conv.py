"""``nndl train --layers``: building a layered (convolutional) network from the options."""

from __future__ import annotations

from typing import Any

from nndl.cli._presets import PRESETS

#: Shape of one MNIST image as the convolutional layers see it.
INPUT_SHAPE = (1, 28, 28)


#: Training options that a ``--layers`` network takes from ``--preset conv``
#: (not from the seed's preset) unless they are given explicitly.
CONV_TRAINING = ("epochs", "mini_batch_size", "eta", "optimizer", "schedule", "lmbda", "dtype")


def conv_defaults(opts: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Defaults that suit a ``--layers`` network when the preset has none.

    The seed preset's η = 3.0 with plain SGD, quadratic cost and float64 suit
    the seed's sigmoid network; they would kill a ReLU convolutional network
    in its first epoch.  So a ``--layers`` network takes its training
    options from ``--preset conv`` (Adam, η = 0.001 with a cosine schedule,
    mini-batch 128, L2 λ = 0.1, float32, 2 epochs) and the log-likelihood cost when it ends in
    softmax.  Options given explicitly are kept.
    """
    opts = dict(opts)
    for key in CONV_TRAINING:
        if given.get(key) is None:
            opts[key] = PRESETS["conv"][key]
    if given.get("cost") is None and opts["cost"] == "quadratic":
        last = opts["layers"].replace(" ", "").lower().split(",")[-1]
        if last.startswith("softmax"):
            opts["cost"] = "log_likelihood"
    return opts


def build_sequential(layers: str, *, cost: str, dtype: str, seed: int) -> Any:
    """The :class:`~nndl.sequential.Sequential` of the layer spec ``layers``, on 1x28x28 images.

    Raises
    ------
    ValueError
        If the spec is bad or the layers do not fit 1x28x28 inputs (the
        message names the layer and the shapes).
    """
    from nndl.sequential import Sequential

    return Sequential(layers, input_shape=INPUT_SHAPE, cost=cost, seed=seed, dtype=dtype)
