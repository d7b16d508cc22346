"""Named training configurations (``nndl train --preset``), one source of truth.

A preset names the options it changes from the seed's (:data:`SEED`): the
network's (:data:`NETWORK`), the :class:`~nndl.train.config.TrainConfig`
fields that ``nndl train`` takes, and ``full_train``.  :func:`resolve` gives
every option of a run: an option given explicitly beats the preset's, which
beats the seed's; a layer spec on a preset without one takes its training
options from ``conv`` (:func:`conv_defaults`).  Each preset's training part is
checked as a :class:`~nndl.train.config.TrainConfig` (:func:`config`).

Examples
--------
>>> config("network2").eta, resolve("network2", {"eta": 0.25})["cost"]
(0.5, 'cross_entropy')
"""

from __future__ import annotations

import dataclasses
from typing import Any

from nndl.train.config import TrainConfig

#: The book's network of chapter 6 (network3.py), with ReLU throughout.
BOOK_LAYERS = "conv:20x5x5:relu,pool:2,conv:40x5x5:relu,pool:2,dense:100:relu,softmax:10"

#: The ``conv`` preset's network: fast on two CPU cores (docs/conv.md).
BEST_LAYERS = "conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:200:relu,dropout:0.5,softmax:10"

#: A wider one for ``conv-best`` (docs/best.md): 32 and 64 filters, 3×3 on the 12×12 maps.
WIDE_LAYERS = "conv:32x5x5,pool:2,conv:64x3x3,pool:2,dense:256:relu,dropout:0.5,softmax:10"

#: The random distortions of every mini-batch that paid in docs/best.md.
MILD_AUGMENT = "rotate=10,scale=0.1"

#: The seed's network: what a preset may set besides the training options.
NETWORK: dict[str, Any] = {
    "sizes": [784, 30, 10],
    "layers": None,  # a layer spec builds a convolutional network instead of sizes
    "cost": "quadratic",
    "activation": "sigmoid",
    "init": "normal",
    "dropout": 0.0,
    "dtype": "float64",
}

#: The options a preset sets, with the seed's values (the ``seed`` preset): the network,
#: the training options of the command line (TrainConfig's defaults) and ``full_train``.
SEED: dict[str, Any] = {**NETWORK, **TrainConfig().cli_values(), "full_train": False}

PRESETS: dict[str, dict[str, Any]] = {
    # The founding document's network.py: chapter 1 of the book.
    "seed": {},
    # The book's network2.py, chapter 3: cross-entropy, L2 with λ = 5.0 over
    # n = 50,000, η = 0.5, and weights drawn from N(0, 1/n_in).
    "network2": {
        "cost": "cross_entropy",
        "lmbda": 5.0,
        "eta": 0.5,
        "init": "scaled_normal",
    },
    # The same with 100 hidden neurons (the book's 97.92% on validation data).
    "network2-100": {
        "sizes": [784, 100, 10],
        "cost": "cross_entropy",
        "lmbda": 5.0,
        "eta": 0.5,
        "init": "scaled_normal",
    },
    # Our best fully connected network (docs/results.md): 800 ReLU neurons with dropout,
    # momentum, L2, the book's halving schedule and the expanded training data.
    "best": {
        "sizes": [784, 800, 10],
        "epochs": 15,
        "mini_batch_size": 128,
        "eta": 0.1,
        "cost": "log_likelihood",
        "activation": "relu",
        "init": "he",
        "lmbda": 5.0,
        "dropout": 0.5,
        "optimizer": "momentum",
        "momentum": 0.9,
        "schedule": 2,
        "early_stopping": 8,
        "dtype": "float32",
        "expand": True,
    },
    # Our fast convolutional network on 2 CPU cores (docs/conv.md): the book's
    # two convolutions, a wider ReLU layer with dropout, Adam with a cosine
    # schedule, expanded data; two epochs (about 3 minutes here).
    "conv": {
        "layers": BEST_LAYERS,
        "epochs": 2,
        "schedule": "cosine",
        "mini_batch_size": 128,
        "eta": 0.001,
        "optimizer": "adam",
        "lmbda": 0.1,
        "expand": True,
        "dtype": "float32",
        "cost": "log_likelihood",
    },
    # The book's chapter 6 (network3.py): conv 20x5x5, pool 2, conv 40x5x5,
    # pool 2, dense 100, softmax 10, all ReLU, L2 λ = 0.1, η = 0.03,
    # mini-batch 10, plain SGD, 60 epochs, no expansion; float32.
    "conv-book": {
        "layers": BOOK_LAYERS,
        "epochs": 60,
        "mini_batch_size": 10,
        "eta": 0.03,
        "lmbda": 0.1,
        "dtype": "float32",
        "cost": "log_likelihood",
    },
}

# Beyond the book's best (99.60%) in 15 minutes on 2 CPU cores (docs/best.md): the
# conv preset's training on a wider network, with random rotations (±10°) and
# scalings (±10%) of every expanded mini-batch, η decayed along one cosine over 6 epochs.
PRESETS["conv-best"] = {
    **PRESETS["conv"],
    "layers": WIDE_LAYERS,
    "epochs": 6,
    "augment": MILD_AUGMENT,
}

# A fully connected network past 99.2% in 10 minutes on 2 CPU cores (docs/best.md):
# the best preset's recipe with a second layer of 800 ReLU neurons, random rotations
# (±10°) and scalings (±10%) of every expanded mini-batch, and one cosine decay of η
# over 15 epochs (instead of the halving schedule and early stopping).
PRESETS["mlp-best"] = {
    **PRESETS["best"],
    "sizes": [784, 800, 800, 10],
    "epochs": 15,
    "schedule": "cosine",
    "early_stopping": None,
    "augment": MILD_AUGMENT,
}


#: Training options that a layer spec takes from ``conv`` (not from a preset without
#: layers, such as the seed's) unless they are given explicitly.
CONV_TRAINING = ("epochs", "mini_batch_size", "eta", "optimizer", "schedule", "lmbda", "dtype")


def resolve(preset: str, given: dict[str, Any]) -> dict[str, Any]:
    """Every option: the seed's, overridden by the preset's, overridden by every option in
    ``given`` that is not None."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected one of {sorted(PRESETS)}")
    options = {**SEED, **PRESETS[preset]}
    options.update({k: v for k, v in given.items() if k in options and v is not None})
    return options


def conv_defaults(opts: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Defaults that suit a layer spec when the preset has none.

    The seed preset's η = 3.0 with plain SGD, quadratic cost and float64 suit
    the seed's sigmoid network; they would kill a ReLU convolutional network
    in its first epoch.  So a layered network takes its training options from
    ``conv`` (Adam, η = 0.001 with a cosine schedule, mini-batch 128, L2
    λ = 0.1, float32, 2 epochs) and the log-likelihood cost when it ends in
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


def training_part(options: dict[str, Any]) -> dict[str, Any]:
    """The :class:`~nndl.train.config.TrainConfig` fields among ``options``."""
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    return {k: v for k, v in options.items() if k in names}


def config(preset: str, **changes: Any) -> TrainConfig:
    """The :class:`~nndl.train.config.TrainConfig` of ``preset`` (with ``changes``)."""
    return TrainConfig(**{**training_part(resolve(preset, {})), **changes})


for _name, _preset in PRESETS.items():  # every preset is a valid configuration
    if not set(_preset) <= set(SEED):
        raise AssertionError(f"preset {_name} sets unknown options {set(_preset) - set(SEED)}")
    config(_name)
