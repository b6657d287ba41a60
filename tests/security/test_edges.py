"""Attacks on the service's edges rather than through a submission: silent connections that
exhaust file descriptors, and large requests sent without credentials. Each runs against
`grader serve` in its own process (its descriptors and memory are measured from /proc), and is
followed by a correct submission that must be ACCEPTED.

The figures each test measures are printed (`pytest -s`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.attack_bank import CORRECT_STDIN
from tests.support.attacks import RUNTIME
from tests.support.server import grade, require_docker

REPO = Path(__file__).resolve().parents[2]
MiB = 1 << 20
FD_LIMIT = 1024
"""The descriptor limit the attacked server runs under (as in the report that found the flood)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def health_of(channel: grpc.Channel) -> int:
    return int(health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status)


@contextmanager
def serve(bank: Path, *flags: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`grader serve` with one pooled container and at most FD_LIMIT descriptors, once SERVING."""
    require_docker()
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="grader-edges-", suffix=".log", delete=False)  # noqa: SIM115
    # The limit is set by a shell that then execs the server, not by preexec_fn: a fork of this
    # process, which runs gRPC's threads, may abort in gRPC's fork handlers before its exec.
    proc = subprocess.Popen(
        ["sh", "-c", f'ulimit -n {FD_LIMIT} && exec "$0" "$@"',
         sys.executable, "-m", "grader.cli", "serve", "--bank", str(bank), "--host", "127.0.0.1",
         "--port", str(port), "--metrics-port", "0", "--log-level", "warning", "--runtime", RUNTIME,
         "--pool-size", "1", *flags],
        stdout=log, stderr=log, cwd=REPO,
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        with grpc.insecure_channel(address) as channel:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if health_of(channel) == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.RpcError:
                    pass
                assert time.monotonic() < deadline and proc.poll() is None, f"no start; see {log.name}"
                time.sleep(0.2)
        with open(f"/proc/{proc.pid}/limits") as f:
            assert any(line.startswith("Max open files") and line.split()[3] == str(FD_LIMIT) for line in f)
        yield address, proc
    finally:
        proc.terminate()
        proc.wait(120)


def _closed_by_peer(s: socket.socket) -> bool:
    try:
        return s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class TestConnectionFlood:
    CAP = 100
    FLOOD = 10 * CAP

    def test_silent_sockets_cost_nothing(self, secure_bank: Path) -> None:
        """10x the connection cap of silent TCP sockets (no byte, no TLS, no token), reopened as
        the server closes them for 15 s, while a client keeps grading: every grading succeeds,
        health stays SERVING, the server's descriptors stay under its cap plus what it had."""
        flags = ("--max-connections", str(self.CAP), "--handshake-timeout-s", "2")
        with serve(secure_bank, *flags) as (address, proc):
            channel = grpc.insecure_channel(address)
            stub = pb_grpc.GraderStub(channel)
            assert grade(stub, "sec/stdin", CORRECT_STDIN).verdict == pb.ACCEPTED
            baseline = peak = open_fds(proc.pid)
            verdicts: list[int] = []
            health: list[int] = []
            errors: list[str] = []
            stop = threading.Event()

            def keep_grading() -> None:
                while not stop.is_set():
                    try:
                        verdicts.append(grade(stub, "sec/stdin", CORRECT_STDIN).verdict)
                        health.append(health_of(channel))
                    except grpc.RpcError as exc:
                        errors.append(f"{exc.code()}: {exc.details()}")  # type: ignore[attr-defined]

            grader_thread = threading.Thread(target=keep_grading)
            grader_thread.start()
            target = ("127.0.0.1", int(address.rsplit(":", 1)[1]))
            sockets: list[socket.socket] = []
            opened = 0
            try:
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    for s in [s for s in sockets if _closed_by_peer(s)]:
                        s.close()
                        sockets.remove(s)
                    while len(sockets) < self.FLOOD and time.monotonic() < deadline:
                        try:
                            sockets.append(socket.create_connection(target, 1))
                        except OSError:
                            break
                        opened += 1
                    peak = max(peak, open_fds(proc.pid))
                    time.sleep(0.05)
            finally:
                stop.set()
                grader_thread.join(300)
                for s in sockets:
                    s.close()
            print(f"\nflood: {opened} silent sockets opened (at most {self.FLOOD} at once), server fds"
                  f" {baseline} before, peak {peak}; {len(verdicts)} gradings meanwhile")  # fmt: skip
            assert errors == []
            assert verdicts and all(v == pb.ACCEPTED for v in verdicts)
            assert health and all(h == health_pb2.HealthCheckResponse.SERVING for h in health)
            assert opened > self.FLOOD
            assert peak <= baseline + self.CAP + 16
            channel.close()
            # A new client, on a connection of its own, is served once the flood is over (the
            # flood's last sockets hold their places until the handshake timeout: it waits).
            fresh = grpc.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
            request = pb.GradeRequest(question_id="sec/stdin", code=CORRECT_STDIN)
            response = pb_grpc.GraderStub(fresh).Grade(request, timeout=120, wait_for_ready=True)
            assert response.verdict == pb.ACCEPTED
            fresh.close()


class TestUnauthenticatedBytes:
    CALLS = 4
    BATCH_BYTES = 190 * MiB

    def test_large_batches_without_a_token_are_not_read(self, secure_bank: Path, tmp_path: Path) -> None:
        """Four 190 MiB GradeBatch requests without a token are refused UNAUTHENTICATED without
        being received: the server's memory barely moves."""
        token = "edges-token-" + "0" * 32
        tokens = tmp_path / "tokens"
        tokens.write_text(f"tester:{token}\n")
        with serve(secure_bank, "--auth-tokens-file", str(tokens)) as (address, proc):
            submission = pb.GradeRequest(question_id="sec/stdin", code="#" + "x" * (MiB - 64))
            count = self.BATCH_BYTES // submission.ByteSize()
            body = pb.GradeBatchRequest(submissions=[submission] * count).SerializeToString()
            channel = grpc.insecure_channel(address)
            batch = channel.unary_stream("/grader.v1.Grader/GradeBatch")  # sends the bytes as they are
            before_kib = status_kib(proc.pid, "VmRSS")
            codes: list[grpc.StatusCode] = []

            def send() -> None:
                try:
                    list(batch(body, timeout=120))
                except grpc.RpcError as exc:
                    codes.append(exc.code())  # type: ignore[attr-defined]

            senders = [threading.Thread(target=send) for _ in range(self.CALLS)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(180)
            time.sleep(1)
            peak_kib, after_kib = status_kib(proc.pid, "VmHWM"), status_kib(proc.pid, "VmRSS")
            print(f"\nunauthenticated batches: {self.CALLS} x {len(body) / MiB:.0f} MiB; server RSS"
                  f" {before_kib // 1024} MiB before, peak {peak_kib // 1024} MiB, after"
                  f" {after_kib // 1024} MiB")  # fmt: skip
            assert codes == [grpc.StatusCode.UNAUTHENTICATED] * self.CALLS
            assert peak_kib - before_kib < 64 * 1024
            stub = pb_grpc.GraderStub(channel)
            response = stub.Grade(
                pb.GradeRequest(question_id="sec/stdin", code=CORRECT_STDIN),
                metadata=[("authorization", f"Bearer {token}")],
                timeout=300,
            )
            assert response.verdict == pb.ACCEPTED
            channel.close()
