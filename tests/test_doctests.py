"""The examples in the docstrings run and give what they show: every module of nndl."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import warnings

import pytest

import nndl

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(nndl.__path__, "nndl.")
    if not m.name.endswith("__main__") and ".cli" not in m.name
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    for package in getattr(module, "__extras__", ()):  # an optional extra's examples
        pytest.importorskip(package)
    with warnings.catch_warnings():
        # Starlette's TestClient warns about its httpx dependency on import.
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_core_modules_have_examples():
    for name in ("nndl.model.network", "nndl.book.reference", "nndl.inspect.gradcheck",
                 "nndl.model.io", "nndl.data.preprocess"):
        assert doctest.testmod(importlib.import_module(name)).attempted > 0
