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

The suite runs on every core (``-n auto`` in pyproject's addopts, pytest-xdist).
Each worker then keeps NumPy's BLAS to one thread, so that two workers on two
cores do not run four BLAS threads that wait for each other, unless a BLAS
thread count is set in the environment (CI runs the suite with
``OPENBLAS_NUM_THREADS=1`` and ``=2``).  The header of every run says which
BLAS kernel ran (``OPENBLAS_CORETYPE`` forces another) and with how many threads.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import nndl.data.fetch as fetch_module
from data_helpers import Unreachable

#: ``pytester`` runs a test session inside a test (test_network_guard.py uses it).
pytest_plugins = ["pytester"]

#: Environment variables that set a BLAS thread count: when one is set, it is obeyed.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

if os.environ.get("PYTEST_XDIST_WORKER") and not any(
        v in os.environ for v in BLAS_THREAD_VARIABLES):
    threadpool_limits(1, user_api="blas")  # one BLAS thread per worker: see the docstring


def blas_description(workers: bool) -> str:
    """Which BLAS NumPy runs, its kernel (the CPU-specific code) and its thread count."""
    import numpy as np

    np.ones(2) @ np.ones(2)  # load the BLAS library
    pinned = workers and not any(v in os.environ for v in BLAS_THREAD_VARIABLES)
    rows = [f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')}, "
            f"{1 if pinned else i.get('num_threads')} thread(s)"
            + (" in each xdist worker" if workers else "")
            for i in threadpool_info() if i.get("user_api") == "blas"]
    forced = os.environ.get("OPENBLAS_CORETYPE")
    return "; ".join(rows or ["none found"]) + (f" (OPENBLAS_CORETYPE={forced})" if forced else "")


def pytest_report_header(config: pytest.Config) -> str:
    return f"blas: {blas_description(bool(getattr(config.option, 'numprocesses', None)))}"


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
