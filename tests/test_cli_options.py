"""``nndl train``'s one options object: precedence, conflicts, choices from the registries."""

from __future__ import annotations

import argparse

import pytest

import nndl.cli._common as common
from nndl._validate import DTYPES
from nndl.cli import _options, build_parser, main
from nndl.model.io import load_model
from nndl.nn.activations import ACTIVATIONS
from nndl.nn.costs import COSTS
from nndl.nn.init import SCHEMES
from nndl.train import presets as _presets
from nndl.train.config import TrainConfig
from nndl.train.optimizers import OPTIMIZERS
from nndl.train.regularizers import REGULARIZERS

SPEC = "conv:2x5x5,pool:2,dense:10:relu,softmax:10"


def options(*argv: str) -> _options.TrainOptions:
    return _options.from_args(build_parser().parse_args(["train", *argv]))


def choices(command: str) -> dict[str, list[str]]:
    """Each option of ``nndl COMMAND`` that has choices, with them."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {action.option_strings[-1]: list(action.choices)
            for action in sub.choices[command]._actions if action.choices is not None}


@pytest.fixture
def no_data(monkeypatch):
    """Fail the test if a command gets as far as loading data."""
    def refuse(*args, **kwargs):
        raise AssertionError("data was loaded before the options were checked")

    monkeypatch.setattr(common, "load_dataset", refuse)


def test_explicit_beats_preset_beats_seed():
    opts = options("--preset", "network2", "--eta", "0.25", "--sample", "--quiet")
    assert opts.eta == 0.25  # explicit
    assert (opts.cost, opts.lmbda, opts.init) == ("cross_entropy", 5.0, "scaled_normal")  # preset
    assert (opts.sizes, opts.epochs) == (_presets.SEED["sizes"], _presets.SEED["epochs"])  # seed
    assert opts.given == {"eta"} and opts.sample and opts.quiet and opts.seed == 2
    assert options().preset_values() == _presets.SEED


def test_layers_take_training_options_from_the_conv_preset():
    conv = _presets.PRESETS["conv"]
    opts = options("--layers", SPEC, "--epochs", "2")
    assert opts.layers == SPEC and opts.epochs == 2
    assert (opts.eta, opts.optimizer, opts.dtype, opts.cost) == (
        conv["eta"], conv["optimizer"], conv["dtype"], "log_likelihood")
    assert options("--preset", "conv").layers == conv["layers"]


def test_momentum_reaches_the_optimizer():
    assert options("--optimizer", "momentum", "--momentum", "0.5").optimizer_spec() == {
        "name": "momentum", "mu": 0.5}
    assert options("--optimizer", "adam").optimizer_spec() == "adam"


def test_a_preset_schedule_is_dropped_without_validation_but_an_explicit_one_is_an_error():
    opts, notes = options("--preset", "best").without_validation("sample")
    assert opts.schedule is None and opts.early_stopping is None and len(notes) == 2
    with pytest.raises(ValueError, match="--early-stopping watches the validation accuracy"):
        options("--early-stopping", "3").without_validation("mnist")


@pytest.mark.parametrize(("option", "value"), [
    ("--sizes", "784,30,10"), ("--activation", "tanh"), ("--init", "he"), ("--dropout", "0.2"),
])
def test_layers_with_an_option_of_a_dense_network_is_an_error_naming_it(
        option, value, no_data, capsys):
    assert main(["train", "--sample", "--layers", SPEC, option, value]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"nndl: error: --layers cannot be combined with {option} (it describes a fully "
        "connected network; --layers gives a layered one)"]


def test_every_conflict_is_named_at_once_and_a_conv_preset_counts_too(no_data, capsys):
    argv = ["--sizes", "784,30,10", "--activation", "relu", "--init", "he", "--dropout", "0.1"]
    assert main(["train", "--layers", SPEC, *argv]) == 1
    assert ("--layers cannot be combined with --sizes, --activation, --init or --dropout "
            "(they describe") in capsys.readouterr().err
    assert main(["train", "--preset", "conv", "--dropout", "0.1"]) == 1
    assert "--preset conv cannot be combined with --dropout" in capsys.readouterr().err
    # A dense preset's own values (best has dropout 0.5) do not conflict with --layers.
    assert options("--preset", "best", "--layers", SPEC).layers == SPEC


def test_choices_come_from_the_registries():
    train = choices("train")
    assert train["--cost"] == list(COSTS)
    assert train["--activation"] == [n for n in ACTIVATIONS if n != "softmax"]
    assert train["--init"] == list(SCHEMES)
    assert train["--optimizer"] == list(OPTIMIZERS)
    assert train["--regularizer"] == list(REGULARIZERS)
    assert train["--dtype"] == list(DTYPES)
    assert train["--preset"] == sorted(_presets.PRESETS)
    gradcheck = choices("gradcheck")
    assert gradcheck["--cost"] == train["--cost"]
    assert gradcheck["--activation"] == train["--activation"]


def test_every_preset_changes_known_options_and_builds_options():
    fields = set(_options.TrainOptions.__dataclass_fields__) | set(
        TrainConfig.__dataclass_fields__)
    assert set(_presets.SEED) <= fields
    for name, preset in _presets.PRESETS.items():
        assert set(preset) <= set(_presets.SEED)
        assert options("--preset", name).preset_values() == {**_presets.SEED, **preset}


def test_an_init_scheme_of_the_registry_trains(tmp_path):
    path = tmp_path / "lecun.npz"
    assert main(["train", "--sample", "--sizes", "784,10,10", "--init", "lecun", "--epochs", "1",
                 "--quiet", "--save", str(path)]) == 0
    assert load_model(path).init == "lecun"


@pytest.mark.parametrize("name", ["conv", "conv-best", "mlp-best"])
def test_the_cosine_presets_train_and_record_their_schedule(name, tmp_path):
    path = tmp_path / f"{name}.npz"
    assert main(["train", "--sample", "--preset", name, "--epochs", "1", "--quiet",
                 "--save", str(path)]) == 0
    training = load_model(path).metadata["training"]
    assert training["schedule"] == "cosine" and training["expand"] is True
    # The best presets add random rotations and scalings of every mini-batch.
    assert training["augment"] == (None if name == "conv" else "rotate=10,scale=0.1")
