"""A network too large for this machine is refused, with an estimate, before any allocation."""

from __future__ import annotations

import tracemalloc

import pytest

from nndl import Network, Sequential
from nndl.cli import main
from nndl.errors import ModelTooLarge


def test_huge_layers_are_refused_before_anything_is_allocated():
    tracemalloc.start()
    try:
        with pytest.raises(ModelTooLarge, match=r"79,500,000,010 parameters: .* about "
                           r"1,184.6 GiB \(float64\)"):
            Network([784, 100_000_000, 10])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20  # nothing near the requested size was ever allocated


def test_the_estimate_counts_parameters_and_gradients():
    net = Sequential("conv:20x5x5,pool:2,dense:100:relu,softmax:10", seed=0)
    assert net.memory_estimate() == 2 * net.n_params * 4  # float32 parameters and gradients
    with pytest.raises(ModelTooLarge, match="use smaller layers"):
        Sequential("conv:20x5x5,dense:100000000:relu,softmax:10", seed=0)


@pytest.mark.parametrize("argv", [["train", "--sample", "--sizes", "784,100000000,10"],
                                  ["xor", "--hidden", "1000000000"]])
def test_the_cli_says_so_in_one_line(argv, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("nndl: error: this network has") and "GiB" in err
    assert "Traceback" not in err
