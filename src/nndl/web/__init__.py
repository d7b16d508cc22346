"""The drawing page of ``nndl serve``: draw a digit, watch the network answer.

:func:`create_app` (in :mod:`nndl.web.app`) needs the ``web`` extra
(``pip install 'nndl[web]'``: Starlette, and uvicorn to serve it); it is
imported lazily so that ``import nndl.web`` works without it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def create_app(model: Any, **options: Any) -> Any:
    """Return the Starlette app serving ``model``; see :func:`nndl.web.app.create_app`."""
    from nndl.web.app import create_app as _create_app

    return _create_app(model, **options)
