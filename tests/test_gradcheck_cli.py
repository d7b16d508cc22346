"""``nndl gradcheck``: passes on the real backprop, fails on a broken one."""

from __future__ import annotations

import pytest

from nndl import Network
from nndl.cli import main


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
    real = Network.backprop

    def broken(self, x, y, **kwargs):
        nabla_b, nabla_w = real(self, x, y, **kwargs)
        nabla_w[0] = nabla_w[0] * 1.5  # a wrong gradient for w² only
        return nabla_b, nabla_w

    monkeypatch.setattr(Network, "backprop", broken)
    assert main(["gradcheck"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    row = next(line for line in out.splitlines() if line.split()[:2] == ["2", "weights"])
    assert row.endswith("FAIL")


def test_refuses_a_large_network(capsys):
    assert main(["gradcheck", "--sizes", "784,30,10"]) == 1
    err = capsys.readouterr().err
    assert "23,860 parameters" in err and "20,000" in err
