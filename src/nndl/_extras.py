"""The optional extras of ``pyproject.toml``: which packages each brings, and a clear error.

This is the one list of them.  A feature that needs an optional package
calls :func:`require` (one module, returned) or :func:`require_extra` (every
module of an extra); a missing one raises
:class:`~nndl.errors.MissingExtraError` naming the ``pip install`` that
brings it, before any work is done.

Examples
--------
>>> install_hint("web")
'pip install "nndl[web]"'
>>> require("numpy", "for arrays").__name__
'numpy'
>>> require("no_such_package_xyz", "ONNX export")
Traceback (most recent call last):
...
nndl.errors.MissingExtraError: ONNX export needs the no_such_package_xyz package: pip install ...
"""

from __future__ import annotations

import importlib
from types import ModuleType

from nndl.errors import MissingExtraError

__all__ = ["EXTRAS", "MissingExtra", "install_hint", "require", "require_extra"]

#: The error a missing extra raises (an ImportError and an nndl error).
MissingExtra = MissingExtraError

#: Each optional extra and the packages (import names) it provides.
EXTRAS: dict[str, tuple[str, ...]] = {
    "plot": ("matplotlib",),
    "web": ("starlette", "uvicorn"),
    "sklearn": ("sklearn",),
    "onnx": ("onnx", "onnxruntime"),
    "torch": ("torch", "safetensors"),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``."""
    return f'pip install "nndl[{extra}]"'


def extra_of(package: str) -> str:
    """The extra that installs ``package`` (its top-level import name), or ``"..."``."""
    top = package.split(".")[0]
    return next((extra for extra, pkgs in EXTRAS.items() if top in pkgs), "...")


def require(module: str, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming the pip install that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        hint = install_hint(extra_of(top)) if extra_of(top) != "..." else "pip install ..."
        raise MissingExtraError(f"{feature} needs the {top} package: {hint}") from None


def require_extra(extra: str, what: str) -> None:
    """Import every module of ``extra``, or raise :class:`MissingExtra`.

    The message says that ``what`` needs the extra, which module is missing
    and the command that installs it.
    """
    for module in EXTRAS[extra]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise MissingExtraError(
                f"{what} needs the {extra} extra ({module} is not installed): "
                f"{install_hint(extra)}"
            ) from None
