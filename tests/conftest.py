"""Shared test set-up: no test may reach the network beyond this machine's loopback.

The guard wraps ``socket.socket.connect`` / ``connect_ex``,
``socket.create_connection`` and ``socket.getaddrinfo`` for the whole session.
A connection to anything but a loopback address (``127.0.0.0/8``, ``::1``) or
the name ``localhost`` raises :class:`NetworkBlocked` *before* the real call,
so no packet is sent (not even a DNS query); Unix-domain sockets pass.  Every
refused attempt is also recorded, and the test during which it happened fails
even when the code under test caught the exception (as ``nndl fetch`` catches
every source's failure to try the next one).

Only this process is guarded: a subprocess (``nndl serve`` in
``test_cli_serve.py``, Chromium in ``test_web_browser.py``) is not, and those
tests point it at 127.0.0.1 themselves.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import nndl.data.fetch as fetch_module
from data_helpers import Unreachable

#: ``pytester`` runs a test session inside a test (test_network_guard.py uses it).
pytest_plugins = ["pytester"]

LOCAL_NAMES = frozenset({"localhost", "localhost.", "localhost.localdomain"})


class NetworkBlocked(OSError):
    """A test tried to reach a host other than this machine's loopback."""


def is_local(host: Any) -> bool:
    """Whether ``host`` (a name, an IP literal, or bytes) is this machine's loopback."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@dataclass
class NetworkGuard:
    """The real socket functions, and the attempts refused since the last check."""

    real: dict[str, Callable[..., Any]] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)

    def check(self, what: str, host: Any, port: Any = None) -> None:
        """Raise :class:`NetworkBlocked` (and record it) unless ``host`` is local."""
        if is_local(host):
            return
        message = (f"test tried to reach {host!r} port {port!r} ({what}); tests may only "
                   "connect to 127.0.0.1, ::1 or localhost")
        self.blocked.append(message)
        raise NetworkBlocked(message)

    def install(self) -> None:
        """Replace the socket functions with guarded ones (once per session)."""
        self.real = {
            "connect": socket.socket.connect,
            "connect_ex": socket.socket.connect_ex,
            "create_connection": socket.create_connection,
            "getaddrinfo": socket.getaddrinfo,
        }
        guard = self

        def connect(sock: socket.socket, address: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                guard.check("socket.connect", address[0], address[1])
            return guard.real["connect"](sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6):
                guard.check("socket.connect_ex", address[0], address[1])
            return guard.real["connect_ex"](sock, address)

        def create_connection(address: Any, *args: Any, **kwargs: Any) -> Any:
            guard.check("socket.create_connection", address[0], address[1])
            return guard.real["create_connection"](address, *args, **kwargs)

        def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            # None and "" look up this machine's own (wildcard) address: no query.
            if host not in (None, "", b""):
                try:
                    ipaddress.ip_address(host if isinstance(host, str) else host.decode())
                except (ValueError, UnicodeDecodeError):  # a name: resolving it asks DNS
                    guard.check("socket.getaddrinfo", host, port)
            return guard.real["getaddrinfo"](host, port, *args, **kwargs)

        socket.socket.connect = connect  # type: ignore[method-assign]
        socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
        socket.create_connection = create_connection
        socket.getaddrinfo = getaddrinfo

    def uninstall(self) -> None:
        """Put the real socket functions back."""
        socket.socket.connect = self.real["connect"]  # type: ignore[method-assign]
        socket.socket.connect_ex = self.real["connect_ex"]  # type: ignore[method-assign]
        socket.create_connection = self.real["create_connection"]
        socket.getaddrinfo = self.real["getaddrinfo"]


@pytest.fixture(scope="session", autouse=True)
def _network_guard_installed() -> Iterator[NetworkGuard]:
    guard = NetworkGuard()
    guard.install()
    yield guard
    guard.uninstall()


@pytest.fixture(autouse=True)
def network_guard(_network_guard_installed: NetworkGuard) -> Iterator[NetworkGuard]:
    """Fail the test if it tried to leave the loopback, even if the error was caught."""
    guard = _network_guard_installed
    guard.blocked.clear()
    yield guard
    if guard.blocked:
        attempts = "\n".join(guard.blocked)
        guard.blocked.clear()
        pytest.fail(f"network access outside 127.0.0.1:\n{attempts}", pytrace=False)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every fetch fail at once, without touching the network."""
    monkeypatch.setattr(fetch_module, "default_sources", lambda: [Unreachable()])
