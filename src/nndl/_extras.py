"""The optional extras of ``pyproject.toml`` and the message saying how to install one.

Examples
--------
>>> install_hint("web")
'pip install "nndl[web]"'
>>> require_extra("plot", "drawing figures")  # silent when matplotlib is installed
"""

from __future__ import annotations

import importlib

from nndl.errors import MissingExtraError

__all__ = ["EXTRAS", "install_hint", "require_extra"]

#: Each optional extra and the modules it provides (the one list of them).
EXTRAS: dict[str, tuple[str, ...]] = {
    "plot": ("matplotlib",),
    "web": ("starlette", "uvicorn"),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``."""
    return f'pip install "nndl[{extra}]"'


def require_extra(extra: str, what: str) -> None:
    """Import the modules of ``extra``, or raise :class:`~nndl.errors.MissingExtraError`.

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
