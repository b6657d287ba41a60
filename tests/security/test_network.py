"""Network: the candidate reaches no socket outside its container — not the host's loopback or
addresses, not the host's unix sockets (by path or abstract name), no raw or packet socket, no vsock,
no DNS. The test opens real listeners on the host and checks that nothing arrived."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attacks import probe, probe_detail
from tests.support.server import RunningServer


@dataclass
class HostListeners:
    tcp: socket.socket
    udp: socket.socket
    unix_path: str
    unix: socket.socket
    abstract_name: str
    abstract: socket.socket
    addresses: list[str]

    @property
    def port(self) -> int:
        return int(self.tcp.getsockname()[1])

    def anything_arrived(self) -> list[str]:
        arrived = []
        for name, sock in (("tcp", self.tcp), ("unix", self.unix), ("abstract", self.abstract)):
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                conn, _ = sock.accept()
                conn.close()
                arrived.append(name)
        self.udp.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            self.udp.recvfrom(65536)
            arrived.append("udp")
        return arrived


def host_addresses() -> list[str]:
    """Every address of this host: what `hostname -I` says, and the usual host-from-container ones."""
    found = {"127.0.0.1", "10.0.2.2", "169.254.169.254", "172.17.0.1", "192.168.65.2"}
    found.add("0.0.0.0")  # noqa: S104 - an address to attack, not to bind
    out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, check=False).stdout
    found.update(a for a in out.split() if ":" not in a)
    return sorted(found)


@pytest.fixture(scope="module")
def listeners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostListeners]:
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("0.0.0.0", 0))  # noqa: S104 - every host interface is a target, loopback included
    tcp.listen()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", tcp.getsockname()[1]))  # noqa: S104 - as above
    path = str(Path("/tmp") / f"grader-sec-{uuid.uuid4().hex[:8]}.sock")
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    unix.bind(path)
    os.chmod(path, 0o777)  # noqa: S103 - connectable by any uid, the candidate's included
    unix.listen()
    name = f"grader-sec-{uuid.uuid4().hex[:8]}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract.bind("\0" + name)
    abstract.listen()
    found = HostListeners(tcp, udp, path, unix, name, abstract, host_addresses())
    yield found
    for sock in (tcp, udp, unix, abstract):
        sock.close()
    os.unlink(path)


class TestNoNetwork:
    """Every connection attempt fails inside, and nothing arrives outside."""

    def test_host_listeners_unreachable(self, target: RunningServer, listeners: HostListeners) -> None:
        body = f"""
PORT, ADDRESSES = {listeners.port}, {listeners.addresses!r}
UNIX_PATH, ABSTRACT = {listeners.unix_path!r}, {listeners.abstract_name!r}
"""
        body += r"""
inside = socket.socket()
inside.bind(("127.0.0.1", 0))
inside.listen()
socket.create_connection(inside.getsockname(), timeout=1).close()  # loopback inside works: not blind
for address in ADDRESSES:
    refused(f"tcp {address}", lambda: socket.create_connection((address, PORT), timeout=1).close())
    try:  # a datagram: whether it left is checked on the host
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"hello", (address, PORT))
        u.close()
    except OSError:
        pass
for address in ("::1", "::"):
    refused(f"tcp6 {address}", lambda: socket.create_connection((address, PORT), timeout=1).close())
def unix_connect(target):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(target)
    finally:
        s.close()
refused("unix path", lambda: unix_connect(UNIX_PATH))
refused("abstract unix", lambda: unix_connect("\0" + ABSTRACT))
with open("/proc/net/dev") as f:
    interfaces = [line.split(":")[0].strip() for line in f.read().splitlines()[2:]]
if interfaces != ["lo"]:
    BREACHES.append(f"interfaces {interfaces}")
"""
        response = probe(target, body)
        assert response.verdict == pb.ACCEPTED, probe_detail(response)
        assert listeners.anything_arrived() == []

    def test_raw_packet_vsock_and_dns(self, target: RunningServer) -> None:
        body = r"""
refused("raw icmp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
refused("raw tcp", lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP))
refused("raw ipv6", lambda: socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
refused("packet", lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0x0300))
refused("ping socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        .sendto(b"\x08\x00\xf7\xff\x00\x00\x00\x00", ("1.1.1.1", 0)))
AF_VSOCK = 40
for cid in (1, 2):  # the local and the host context
    refused(f"vsock {cid}", lambda: socket.socket(AF_VSOCK, socket.SOCK_STREAM).connect((cid, 1024)))
for name in ("pypi.org", "host.docker.internal", "localhost.localdomain.invalid", "metadata.google.internal"):
    def resolve():
        for *_, address in socket.getaddrinfo(name, 443, proto=socket.IPPROTO_TCP):
            if not address[0].startswith(("127.", "::1")):
                socket.create_connection(address[:2], timeout=1).close()
        raise OSError("only loopback")
    refused(f"dns {name}", resolve)
"""
        response = probe(target, body)
        assert response.verdict == pb.ACCEPTED, probe_detail(response)
