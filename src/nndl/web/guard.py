"""Who may talk to ``nndl serve``: the ``Host`` and ``Origin`` checks, as ASGI middleware.

A page on any web site the user visits can make the browser send requests to
``http://127.0.0.1:8000``.  Two checks keep such pages out:

* **Host** (against DNS rebinding, where ``evil.example`` is made to resolve
  to 127.0.0.1 so that its pages count as same-origin): a request is answered
  only if its ``Host`` header names an address the server is meant to be
  reached by -- ``localhost``, ``127.0.0.1``, ``[::1]``, or what ``--host``
  and ``--allow-host`` name.  Otherwise HTTP 400.
* **Origin** (against cross-site requests, including "simple" POSTs that
  need no CORS preflight): a request that changes nothing (GET, HEAD) may come
  from anywhere, since without CORS headers the browser keeps the answer from
  the other page; any other request carrying an ``Origin`` header must come
  from the server's own origin.  Otherwise HTTP 403.

Refusals are JSON, ``{"error": "..."}``, like every other error of the API.

Examples
--------
>>> host_name("localhost:8000"), host_name("[::1]:80"), host_name("EXAMPLE.org")
('localhost', '::1', 'example.org')
>>> host_name("a:b:c") is None
True
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

__all__ = ["LOCAL_HOSTS", "RequestGuard", "host_name"]

#: Names of this machine that are always accepted in the ``Host`` header.
LOCAL_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1", "::1")
#: Methods that only read: answered whatever their ``Origin``.
SAFE_METHODS = frozenset({"GET", "HEAD"})

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


def host_name(value: str) -> str | None:
    """The host of a ``Host`` header value, lower-case, without port; ``None`` if malformed."""
    value = value.strip().lower()
    if value.startswith("["):  # an IPv6 literal: [::1]:8000
        name, bracket, rest = value[1:].partition("]")
        if not bracket:
            return None
    else:
        name, colon, port = value.partition(":")
        rest = colon + port
    if rest and not (rest.startswith(":") and rest[1:].isdigit()):
        return None
    name = name.rstrip(".")  # "localhost." is "localhost"
    return name or None


class RequestGuard:
    """ASGI middleware answering 400/403 to requests from the wrong ``Host`` or ``Origin``.

    Parameters
    ----------
    app : ASGI application
        The application to protect.
    allowed_hosts : iterable of str
        Host names (or IP literals, IPv6 without brackets) the server may be
        reached by; matched case-insensitively, any port.
    """

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(
            name for name in (host_name(h if not _is_ipv6(h) else f"[{h}]")
                              for h in allowed_hosts) if name
        )

    def refusal(self, method: str, headers: Headers) -> tuple[int, str] | None:
        """``(status, message)`` if the request must be refused, else ``None``."""
        host = headers.get("host")
        if host is None:
            return 400, "the request has no Host header"
        if host_name(host) not in self.allowed:
            return 400, (f"Host {host!r} is not an address of this server (accepted: "
                         f"{', '.join(sorted(self.allowed))}; see nndl serve --allow-host)")
        origin = headers.get("origin")
        if method in SAFE_METHODS or origin is None:
            return None
        parts = urllib.parse.urlsplit(origin)
        if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
            return 403, (f"cross-origin request refused: Origin {origin!r} is not this "
                         f"server (http://{host})")
        return None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            refused = self.refusal(scope["method"], Headers(scope=scope))
            if refused is not None:
                status, message = refused
                await JSONResponse({"error": message}, status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _is_ipv6(host: str) -> bool:
    return ":" in host and not host.startswith("[")
