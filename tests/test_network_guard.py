"""The guard of ``conftest.py``: tests cannot reach the network, only this machine's loopback."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from conftest import NetworkBlocked

# Addresses no test may reach: a private one, one reserved for documentation
# (TEST-NET-3), a public-looking one, and a name that would need a DNS query.
OUTSIDE = [("10.255.255.1", 9), ("203.0.113.5", 80), ("8.8.8.8", 53)]


class Spy:
    """Stands in for a real socket function and records each call."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, *args, **kwargs):
        self.calls.append(args)
        raise AssertionError("the real function must not be called")


@pytest.fixture
def spies(network_guard, monkeypatch) -> dict[str, Spy]:
    """Replace the guard's real socket functions by spies, so nothing can go out."""
    spies = {name: Spy() for name in network_guard.real}
    for name, spy in spies.items():
        monkeypatch.setitem(network_guard.real, name, spy)
    return spies


def _assert_blocked_once(network_guard, host) -> None:
    assert len(network_guard.blocked) == 1 and repr(host) in network_guard.blocked[0]
    network_guard.blocked.clear()  # refused as this test expects: do not fail it


@pytest.mark.parametrize("address", OUTSIDE)
def test_connect_outside_raises_before_the_real_connect(address, network_guard, spies):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlocked, match=r"only connect to 127\.0\.0\.1"):
            sock.connect(address)
        with pytest.raises(NetworkBlocked):
            sock.connect_ex(address)
    assert spies["connect"].calls == [] and spies["connect_ex"].calls == []
    assert len(network_guard.blocked) == 2
    network_guard.blocked.clear()


def test_create_connection_to_a_name_raises_before_any_dns_query(network_guard, spies):
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("example.com", 443), timeout=1)
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("example.com", 443)
    assert spies["create_connection"].calls == [] and spies["getaddrinfo"].calls == []
    assert len(network_guard.blocked) == 2
    network_guard.blocked.clear()


def test_ipv6_outside_is_blocked_too(network_guard, spies):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 sockets here")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlocked):
            sock.connect(("2001:db8::1", 80, 0, 0))
    assert spies["connect"].calls == []
    _assert_blocked_once(network_guard, "2001:db8::1")


def _echo_server(family: int, address) -> tuple[socket.socket, threading.Thread]:
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind(address)
    server.listen(1)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(conn.recv(16))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return server, thread


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_loopback_connections_pass(host, network_guard):
    server, thread = _echo_server(socket.AF_INET, ("127.0.0.1", 0))
    with server, socket.create_connection((host, server.getsockname()[1]), timeout=5) as c:
        c.sendall(b"ping")
        assert c.recv(16) == b"ping"
    thread.join(5)
    assert network_guard.blocked == []


def test_unix_sockets_pass(tmp_path: Path, network_guard):
    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix-domain sockets here")
    path = str(tmp_path / "s")
    if len(path) > 100:
        pytest.skip("temporary path too long for a Unix socket")
    server, thread = _echo_server(socket.AF_UNIX, path)
    with server, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(path)
        c.sendall(b"pong")
        assert c.recv(16) == b"pong"
    thread.join(5)
    assert network_guard.blocked == []


def test_a_caught_attempt_still_fails_its_test(pytester: pytest.Pytester):
    """Code that swallows the guard's error (as ``nndl fetch`` does) cannot hide it."""
    pytester.makeconftest(Path(__file__).with_name("conftest.py").read_text())
    pytester.makepyfile(
        test_swallow="""
        import socket

        def test_swallows_the_error():
            try:
                socket.create_connection(("10.255.255.1", 9), timeout=0.1)
            except OSError:
                pass

        def test_stays_local():
            socket.getaddrinfo("127.0.0.1", 80)
        """
    )
    # Without the third-party plugins this machine may have: the inner run stays quick.
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark",
        "-p", "no:anyio",
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*network access outside 127.0.0.1*", "*'10.255.255.1'*"])
