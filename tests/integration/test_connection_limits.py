"""The gRPC core arguments behind the connection limits, shown to work in the installed grpcio:
each raw socket below is closed by the server, never by the test."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.api.limits import ConnectionLimits
from tests.support.server import RunningServer, require_docker, start_server

# A client's HTTP/2 connection preface and an empty SETTINGS frame: a handshake done, then nothing.
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


@pytest.fixture(scope="module")
def strict_server(bank_path: Path) -> Iterator[RunningServer]:
    require_docker()
    limits = ConnectionLimits(max_connections=5, handshake_timeout_s=1.0, idle_timeout_s=3.0)
    running = start_server(bank_path, connections=limits, pool=None)
    yield running
    running.stop()


def connect(server: RunningServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.server.port), timeout=10)


def seconds_until_closed(s: socket.socket, limit_s: float = 10.0) -> float:
    """How long until the server closes `s` (whatever it sends first is read and dropped)."""
    start = time.monotonic()
    s.settimeout(limit_s)
    try:
        while s.recv(65536):
            pass
    except (ConnectionResetError, TimeoutError):
        pass
    return time.monotonic() - start


def test_silent_socket_dropped_at_the_handshake_timeout(strict_server: RunningServer) -> None:
    with connect(strict_server) as s:
        assert 0.5 <= seconds_until_closed(s) <= 2.5


def test_idle_connection_closed(strict_server: RunningServer) -> None:
    with connect(strict_server) as s:
        s.sendall(PREFACE)
        assert 2.5 <= seconds_until_closed(s) <= 8.0


def test_connections_past_the_cap_closed_at_once(strict_server: RunningServer) -> None:
    sockets = [connect(strict_server) for _ in range(20)]
    try:
        time.sleep(0.3)
        closed = 0
        for s in sockets:
            s.settimeout(0.01)
            try:
                closed += s.recv(1) == b""
            except TimeoutError:
                pass
            except ConnectionResetError:
                closed += 1
        assert closed >= 15
    finally:
        for s in sockets:
            s.close()
