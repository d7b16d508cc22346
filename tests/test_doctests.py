"""The examples in the docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["network", "history", "init", "regularizers", "optimizers", "schedule", "estimator",
           "gradcheck"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(f"nndl.{name}"))
    assert result.failed == 0 and result.attempted > 0
