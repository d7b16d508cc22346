"""The model ``nndl serve`` uses when given none: cached, or trained quickly once.

Without a MODEL argument, ``nndl serve`` loads :func:`default_model_path`
(``$XDG_CACHE_HOME/nndl/models/serve.npz``, by default
``~/.cache/nndl/models/serve.npz``).  When that file does not exist yet it
trains the seed's ``[784, 30, 10]`` network for a few epochs on MNIST
(:func:`nndl.data.load_data`, which falls back to the bundled sample when
MNIST cannot be had in the default cache; a folder given as ``data_dir`` must
hold it), saying so on the console, and saves it there for next time.
Delete the file (or pass ``--retrain``) to train a fresh one.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The quick model: the seed's network and training (``nndl train --preset seed``), briefly.
PRESET = "seed"
#: Epochs on full MNIST (about a second each) and on the 1,000-image sample.
EPOCHS_MNIST = 5
EPOCHS_SAMPLE = 30
SEED = 0


def default_model_path() -> Path:
    """Where the default model of ``nndl serve`` is cached.

    ``$XDG_CACHE_HOME/nndl/models/serve.npz``, or ``~/.cache/nndl/models/serve.npz``
    without that variable: next to the MNIST cache of :func:`nndl.data.default_data_dir`.

    Examples
    --------
    >>> default_model_path().name
    'serve.npz'
    """
    cache = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache).expanduser() if cache else Path.home() / ".cache"
    return base / "nndl" / "models" / "serve.npz"


def train_default_model(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    log: Callable[[str], object] = print,
) -> tuple[Any, dict[str, Any]]:
    """Train the quick default model; return ``(network, metadata)``.

    Parameters
    ----------
    data_dir : path, optional
        Folder with the MNIST files (default: :func:`nndl.data.default_data_dir`).
    log : callable
        Receives one line per step (data source, each epoch, the result).
    """
    from nndl import Network
    from nndl.data import load_data
    from nndl.train import Hooks, Splits, presets, run_record, train

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data(data_dir, log=log, allow_sample=data_dir is None)
    for w in caught:
        log(f"warning: {w.message}")
    config = presets.config(PRESET, epochs=EPOCHS_MNIST if data.source == "mnist"
                            else EPOCHS_SAMPLE, verbose=False)
    what = "MNIST" if data.source == "mnist" else "the bundled sample"
    net = Network(presets.NETWORK["sizes"], seed=SEED)
    log(f"Training {net} on {len(data.training[1]):,} images of {what} for {config.epochs} "
        f"epochs (mini-batch {config.mini_batch_size}, eta {config.eta})")

    def on_epoch(record: dict[str, Any]) -> None:
        log(f"  epoch {record['epoch']}: {record['test_correct']} / {record['test_total']} "
            "test images correct")

    history = train(net, Splits(data.training, test=data.test), config,
                    Hooks(on_epoch=on_epoch))
    metadata = run_record(history, {**config.cli_values(), "dtype": "float64",
                                    "purpose": "nndl serve default model"},
                          data_source=data.source, training_examples=len(data.training[1]),
                          seed=SEED)
    log(f"Trained in {history.seconds:.1f} s: test accuracy "
        f"{100 * metadata['test_accuracy']:.2f}%")
    return net, metadata


def load_or_train_default(
    path: str | os.PathLike[str] | None = None,
    *,
    retrain: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    log: Callable[[str], object] = print,
) -> Any:
    """Load the cached default model, or train and cache it first.

    Parameters
    ----------
    path : path, optional
        The cache file (default :func:`default_model_path`).
    retrain : bool
        Train a fresh model even when the file exists (and replace it).
    data_dir : path, optional
        Where MNIST is, for training.
    log : callable
        Receives the console lines.

    Returns
    -------
    model
        As :func:`nndl.model.io.load_model` returns it, with ``metadata``.
    """
    from nndl.data._atomic import write_target
    from nndl.model.io import load_model, save_model

    path = Path(path) if path is not None else default_model_path()
    if path.is_file() and not retrain:
        log(f"Using the default model {path}")
        return load_model(path)
    write_target(path)  # refused now, before training, if it could not be written
    log(f"No default model at {path} yet: training a quick one first." if not retrain
        else f"Retraining the default model {path}.")
    net, metadata = train_default_model(data_dir, log=log)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_model(net, path, metadata=metadata)
    log(f"Saved it to {path} for next time (delete it, or pass --retrain, to train anew).")
    net.metadata = metadata
    return net
