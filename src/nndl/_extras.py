"""Optional dependencies: which extra brings which package, and a clear error when one is missing.

Examples
--------
>>> require("numpy", "for arrays").__name__
'numpy'
>>> require("no_such_package_xyz", "ONNX export")
Traceback (most recent call last):
...
nndl._extras.MissingExtra: ONNX export needs the no_such_package_xyz package: pip install ...
"""

from __future__ import annotations

import importlib
from types import ModuleType

from nndl.errors import NNDLError

#: package (import name) -> the extra of pyproject.toml that installs it.
EXTRAS: dict[str, str] = {
    "sklearn": "sklearn",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "torch": "torch",
    "safetensors": "torch",
}


class MissingExtra(NNDLError, ImportError):
    """An optional package that a feature needs is not installed."""


def require(module: str, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming the pip install that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module.split(".")[0], "...")
        raise MissingExtra(
            f"{feature} needs the {module.split('.')[0]} package: pip install \"nndl[{extra}]\""
        ) from None
