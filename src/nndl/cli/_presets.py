"""Named training configurations for ``nndl train --preset``.

Each preset names the options it changes from the seed's (:data:`SEED`);
options given explicitly on the command line override the preset's.
"""

from __future__ import annotations

from typing import Any

#: The book's network of chapter 6 (network3.py), with ReLU throughout.
BOOK_LAYERS = "conv:20x5x5:relu,pool:2,conv:40x5x5:relu,pool:2,dense:100:relu,softmax:10"

#: The ``conv`` preset's network: fast on two CPU cores (docs/conv.md).
BEST_LAYERS = "conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:200:relu,dropout:0.5,softmax:10"

#: A wider one for ``conv-best`` (docs/best.md): 32 and 64 filters, 3×3 on the 12×12 maps.
WIDE_LAYERS = "conv:32x5x5,pool:2,conv:64x3x3,pool:2,dense:256:relu,dropout:0.5,softmax:10"

#: The random distortions of every mini-batch that paid in docs/best.md.
MILD_AUGMENT = "rotate=10,scale=0.1"

#: The options a preset sets, with the seed's values (the ``seed`` preset).
SEED: dict[str, Any] = {
    "sizes": [784, 30, 10],
    "epochs": 30,
    "mini_batch_size": 10,
    "eta": 3.0,
    "cost": "quadratic",
    "activation": "sigmoid",
    "init": "normal",
    "lmbda": 0.0,
    "regularizer": "l2",
    "dropout": 0.0,
    "optimizer": "sgd",
    "momentum": 0.9,
    "schedule": None,  # a patience (the book's halving) or a name in nndl.schedule.STEP_SCHEDULES
    "warmup": None,  # with a per-step schedule: a fraction of the run (< 1) or epochs (>= 1)
    "early_stopping": None,
    "average": None,  # end with the mean of the weights of the last K epochs
    "dtype": "float64",
    "full_train": False,
    "layers": None,  # a layer spec builds a convolutional network instead of --sizes
    "expand": False,  # the book's expanded data: one-pixel shifts, made on the fly
    "augment": None,  # random affine/elastic transforms per mini-batch (nndl.data.augment)
}

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


def resolve(preset: str, given: dict[str, Any]) -> dict[str, Any]:
    """Every option: the seed's, overridden by the preset's, overridden by every option in
    ``given`` that is not None."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected one of {sorted(PRESETS)}")
    options = {**SEED, **PRESETS[preset]}
    options.update({k: v for k, v in given.items() if k in options and v is not None})
    return options
