"""One TrainConfig: its checks, the options generated from it, the presets, the best-epoch rule."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pytest

from nndl import Network
from nndl.cli import build_parser, main
from nndl.data import load_sample
from nndl.model.io import load_model
from nndl.train import Hooks, OptionError, Splits, TrainConfig, kept_epoch, presets, train


def _data():
    x, y = load_sample().training
    return (x[:300], y[:300]), (x[300:500], y[300:500]), (x[500:700], y[500:700])


def _run(config: TrainConfig, *, validation: bool = True, stop_at: int | None = None):
    """Train a small network; return it, its history and the weights after every epoch."""
    training, val, test = _data()
    net = Network([784, 10, 10], seed=4)
    weights = []

    def on_epoch(record):
        weights.append([w.copy() for w in net.weights])
        if record["epoch"] == stop_at:
            raise KeyboardInterrupt

    data = Splits(training, val if validation else None, test)
    return net, train(net, data, config, Hooks(on_epoch=on_epoch)), weights


def test_the_defaults_are_the_seeds_and_every_option_is_checked_once():
    seed = TrainConfig()
    assert (seed.epochs, seed.mini_batch_size, seed.eta, seed.optimizer) == (30, 10, 3.0, "sgd")
    assert TrainConfig(eta=3).eta == 3.0 and isinstance(TrainConfig(eta=3).eta, float)
    for options, message in [
        ({"eta": 0}, "eta must be a positive finite number, got 0"),
        ({"epochs": -1}, "epochs must be an integer >= 0, got -1"),
        ({"momentum": 1.5}, r"momentum must be a number in \[0, 1\), got 1.5"),
        ({"warmup": -1.0}, "warmup must be a finite number >= 0, got -1.0"),
        ({"select_on": "training"}, r"select_on must be one of \['validation', 'test'\]"),
        ({"restore_best": 1}, "restore_best must be True or False, got 1"),
        ({"augment": "spin=3"}, "spin"),
        ({"schedule": "cosinus"}, "unknown schedule 'cosinus'"),
    ]:
        with pytest.raises(ValueError, match=message):
            TrainConfig(**options)
    with pytest.raises(TypeError):
        TrainConfig(no_such_option=1)


def test_a_bad_combination_names_the_options_as_fields_or_as_flags():
    with pytest.raises(OptionError) as exc:
        TrainConfig(schedule=2, warmup=0.1)
    assert str(exc.value).startswith("warmup needs schedule cosine or constant, not schedule 2")
    assert exc.value.as_flags().startswith("--warmup needs --schedule cosine or constant")
    with pytest.raises(OptionError, match="early_stopping watches the validation accuracy"):
        TrainConfig(early_stopping=2, select_on="test")


def test_every_command_line_field_is_an_option_of_train_and_watch_with_its_help():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    helps = TrainConfig.help(lambda name: "--" + name.replace("_", "-"))
    for command in ("train", "watch"):
        actions = {a.option_strings[-1]: a for a in sub.choices[command]._actions}
        for f in TrainConfig.cli_fields():
            action = actions["--" + f.name.replace("_", "-")]
            assert action.help.replace("%%", "%").startswith(helps[f.name])
            assert action.default is None  # not given: the preset's value
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    assert {f.name for f in TrainConfig.cli_fields()} <= names
    assert all(TrainConfig.help()[name] for name in names)


def test_every_preset_is_a_train_config_and_the_seed_is_its_defaults():
    assert presets.training_part(presets.SEED) == TrainConfig().cli_values()
    for name, preset in presets.PRESETS.items():
        config = presets.config(name)
        for key, value in presets.training_part(preset).items():
            assert getattr(config, key) == value
    assert presets.config("best").keeps_best  # early stopping keeps the best epoch


def test_the_best_epoch_is_chosen_on_validation_data_and_its_weights_kept():
    config = TrainConfig(epochs=6, eta=3.0, restore_best=True, verbose=False)
    net, history, weights = _run(config)
    val = history["validation_accuracy"]
    best = int(np.argmax(val))  # the earliest of the highest
    assert history.best_epoch == best and history.selected_on == "validation"
    assert kept_epoch(history)["epoch"] == best
    for w, kept in zip(net.weights, weights[best], strict=True):
        np.testing.assert_array_equal(w, kept)


def test_without_validation_data_the_last_epoch_is_kept_not_the_best_test_one():
    config = TrainConfig(epochs=4, eta=3.0, restore_best=True, verbose=False)
    net, history, weights = _run(config, validation=False)
    assert history.best_epoch is None and history.selected_on is None
    assert kept_epoch(history)["epoch"] == 3
    for w, last in zip(net.weights, weights[-1], strict=True):
        np.testing.assert_array_equal(w, last)
    # Only when asked is the epoch chosen on the test data.
    asked = dataclasses.replace(config, select_on="test")
    net, history, weights = _run(asked, validation=False)
    best = int(np.argmax(history["test_accuracy"]))
    assert history.best_epoch == best and history.selected_on == "test"
    for w, kept in zip(net.weights, weights[best], strict=True):
        np.testing.assert_array_equal(w, kept)


def test_an_interrupted_run_keeps_the_best_epoch_so_far_and_says_what_it_did():
    config = TrainConfig(epochs=10, eta=3.0, restore_best=True, verbose=False)
    with pytest.raises(KeyboardInterrupt) as exc:
        _run(config, stop_at=3)
    history = exc.value.history
    assert len(history) == 4 and history.stop_reason == "interrupted"
    assert history.best_epoch == int(np.argmax(history["validation_accuracy"]))


def test_nndl_train_without_a_validation_split_says_it_chose_on_the_test_data(tmp_path, capsys):
    path = tmp_path / "m.npz"
    assert main(["train", "--sample", "--epochs", "3", "--sizes", "784,10,10", "--quiet",
                 "--save", str(path)]) == 0
    assert "chosen on test accuracy, for want of a validation split" in capsys.readouterr().out
    meta = load_model(path).metadata
    assert meta["selected_on"] == "test" and meta["training"]["stopped"] == "completed"
    best = max(meta["history"], key=lambda r: r["test_accuracy"])
    assert meta["best_epoch"] == best["epoch"] and meta["test_accuracy"] == best["test_accuracy"]


def test_the_estimator_passes_its_training_parameters_as_the_config():
    from nndl import NNClassifier

    clf = NNClassifier(hidden=(5,), epochs=3, eta=0.25, lmbda=0.5, mini_batch_size=7)
    x, y = _data()[0]
    clf.fit(x, y)
    config = clf._config(3)
    assert (config.eta, config.lmbda, config.mini_batch_size, config.verbose) == (
        0.25, 0.5, 7, False)
    assert config.optimizer is clf.optimizer_


def test_the_old_training_module_still_imports():
    from nndl import training

    assert training.train is train and training.TrainConfig is TrainConfig
