"""XOR: no hidden layer cannot learn it, one hidden layer does."""

from __future__ import annotations

import numpy as np
import pytest

from nndl.book.xor import TARGETS, TOLERANCE, train_xor
from nndl.cli import main


def test_no_hidden_layer_cannot_learn_xor():
    result = train_xor([2, 1], epochs=1000, seed=0)
    assert result.converged_epoch is None
    assert result.max_error > 0.4  # stuck near ½ everywhere


@pytest.mark.parametrize("sizes", [[2, 3, 1], [2, 2, 1]])
def test_a_hidden_layer_learns_xor(sizes):
    result = train_xor(sizes, epochs=1000, seed=0)
    assert result.converged_epoch is not None and result.converged_epoch < 1000
    assert np.all(np.abs(result.outputs - TARGETS[:, 0]) < TOLERANCE)


def test_same_seed_same_result():
    a, b = train_xor([2, 3, 1], 300, seed=4), train_xor([2, 3, 1], 300, seed=4)
    assert a.converged_epoch == b.converged_epoch
    np.testing.assert_array_equal(a.outputs, b.outputs)


def test_rejects_non_xor_sizes():
    with pytest.raises(ValueError, match="2 inputs and 1 output"):
        train_xor([3, 1])


def test_cli(capsys):
    assert main(["xor", "--epochs", "1000", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert "[2, 1]     never got all four outputs" in out
    assert "[2, 3, 1]  all four outputs within 0.1 of their targets from epoch" in out
    assert "not linearly separable" in out and "w·x + b = 0" in out
