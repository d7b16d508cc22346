"""``nndl gradcheck``: passes on the real backprop, fails on a broken one; --sizes or --layers."""

from __future__ import annotations

import pytest

from nndl import Network
from nndl.cli import main
from nndl.model.sequential import Sequential


@pytest.mark.parametrize(
    "argv",
    [[], ["--cost", "log_likelihood", "--activation", "tanh", "--sizes", "4,3,3"],
     ["--cost", "cross_entropy", "--sizes", "2,3,1", "--batch", "3"]],
)
def test_passes_on_the_real_backprop(argv, capsys):
    assert main(["gradcheck", *argv]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" not in out
    assert "weights" in out and "biases" in out


def test_fails_on_a_broken_gradient(monkeypatch, capsys):
    real = Network.gradients

    def broken(self, x, y, **kwargs):
        grads = real(self, x, y, **kwargs)
        grads["0.w"] = grads["0.w"] * 1.5  # a wrong gradient for w² only
        return grads

    monkeypatch.setattr(Network, "gradients", broken)
    assert main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    row = next(line for line in out.splitlines() if line.split()[:2] == ["2", "weights"])
    assert row.endswith("FAIL")


def test_refuses_a_large_network(capsys):
    assert main(["gradcheck", "--sizes", "784,30,10"]) == 1
    err = capsys.readouterr().err
    assert "23,860 parameters" in err and "20,000" in err


def _rows(out):
    """``(layer, parameter, verdict)`` of each row of the report's table."""
    return [(line.split()[0], line.split()[1], line.split()[-1]) for line in out.splitlines()
            if line.split()[:1] and line.split()[0].isdigit()]


@pytest.mark.parametrize(
    ("argv", "rows"),
    [(["--layers", "conv:2x3x3:tanh,pool:2,dense:5,softmax:3"],
      ["0 weights", "0 biases", "3 weights", "3 biases", "4 weights", "4 biases"]),
     (["--layers", "conv:2x2x2:sigmoid:s2,conv:3x2x2:tanh,dense:2:sigmoid",
       "--input-shape", "2,7,6", "--cost", "cross_entropy", "--batch", "3"],
      ["0 weights", "0 biases", "1 weights", "1 biases", "3 weights", "3 biases"]),
     (["--layers", "dense:4:tanh,softmax:3", "--input-shape", "6"],  # dense: book numbers
      ["2 weights", "2 biases", "3 weights", "3 biases"])],
)
def test_layers_pass_with_every_parameter_array_numbered(argv, rows, capsys):
    assert main(["gradcheck", *argv]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "FAIL" not in out
    assert [f"{layer} {name}" for layer, name, _ in _rows(out)] == rows
    assert all(verdict == "ok" for *_, verdict in _rows(out))


def test_layers_fail_on_a_broken_conv_gradient(monkeypatch, capsys):
    real = Sequential.gradients

    def broken(self, x, y, **kwargs):
        grads = real(self, x, y, **kwargs)
        grads["0.b"] = grads["0.b"] + 1e-3  # the convolution's bias gradient is off
        return grads

    monkeypatch.setattr(Sequential, "gradients", broken)
    assert main(["gradcheck", "--layers", "conv:2x3x3:tanh,pool:2,softmax:3"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    failed = [(layer, name) for layer, name, verdict in _rows(out) if verdict == "FAIL"]
    assert failed == [("0", "biases")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--layers", "softmax:3", "--sizes", "5,4,3"], "--layers cannot be combined with --sizes"),
     (["--layers", "softmax:3", "--activation", "tanh"], "combined with --activation"),
     (["--layers", "softmax:3", "--sizes", "4,3", "--activation", "relu"],
      "--sizes or --activation"),
     (["--input-shape", "6"], "--input-shape is for --layers"),
     (["--layers", "conv:2x3x3,softmax:3", "--input-shape", "5"], "layer 0 (conv 2×3×3 relu)"),
     (["--layers", "conv:2x3x3,bogus", ], "bogus"),
     (["--layers", "conv:40x5x5,pool:2,dense:100,softmax:10", "--input-shape", "1,28,28"],
      "has 578,150 parameters; gradcheck is limited to 20,000")],
)
def test_bad_options_are_named(argv, message, capsys):
    assert main(["gradcheck", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
