"""The server's lifecycle with the real engine: an engine that stops answering, and SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grader.bank.build import build_bank
from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.integration_bank import EXTRA_QUESTIONS
from tests.support.server import (
    TEST_RUNTIME,
    RunningServer,
    docker_settings,
    grade,
    require_docker,
    start_server,
    write_jsonl,
)
from tests.support.waits import wait_until

GOOD = "a, b = map(int, input().split())\nprint(a + b)\n"
REPO = Path(__file__).resolve().parents[2]


WAIT_S = 60.0
"""Deadline of every wait on the server's state: far past what a loaded machine needs."""


def health_status(channel: grpc.Channel) -> int:
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    return int(reply.status)


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("lifecycle")
    rows = [
        *EXTRA_QUESTIONS,
        {"format": "grader.v1", "id": "it/slow", "title": "Slow echo", "kind": "stdin",
         "limits": {"time_s": 2}, "tests": [{"input": "7\n", "output": "7\n", "public": True}]},
    ]  # fmt: skip
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "q.jsonl", rows)])
    return tmp / "bank.db"


class TestEngineAway:
    """An engine that stops answering gives UNAVAILABLE and NOT_SERVING; both recover with it."""

    @pytest.fixture(params=["fresh-containers", "warm-pool"])
    def flaky(
        self, small_bank: Path, tmp_path: Path, request: pytest.FixtureRequest
    ) -> Iterator[tuple[RunningServer, Path]]:
        require_docker()
        flag = tmp_path / "engine-away"
        cli = tmp_path / "docker"
        # The real CLI, pointed at a socket where no engine listens while the flag exists.
        cli.write_text(
            "#!/bin/sh\n"
            f'if [ -e "{flag}" ]; then exec docker -H unix://{tmp_path}/no-engine.sock "$@"; fi\n'
            'exec docker "$@"\n'
        )
        cli.chmod(0o755)
        pool = PoolSettings(size=1) if request.param == "warm-pool" else None
        running = start_server(
            small_bank, docker_settings(docker_cli=str(cli)), health_interval_s=0.5, pool=pool
        )
        yield running, flag
        running.stop()

    def test_unavailable_then_back(self, flaky: tuple[RunningServer, Path]) -> None:
        server, flag = flaky
        assert health_status(server.channel) == health_pb2.HealthCheckResponse.SERVING
        if server.server.pool is not None:
            # A warm container still grades while the engine is away; once it is retired (a kill
            # at the time limit retires it) no new one can start.
            pool = server.server.pool
            wait_until(lambda: pool.idle == 1, WAIT_S, "the warm container")
            flag.touch()
            assert grade(server.stub, "it/slow", "while True: pass\n").verdict == pb.TIME_LIMIT_EXCEEDED
        flag.touch()
        with pytest.raises(grpc.RpcError) as info:
            grade(server.stub, "it/add", GOOD)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
        assert "docker engine does not answer" in info.value.details()  # type: ignore[attr-defined]
        not_serving = health_pb2.HealthCheckResponse.NOT_SERVING
        wait_until(lambda: health_status(server.channel) == not_serving, WAIT_S, "health NOT_SERVING")
        # The server keeps answering what does not need the engine.
        assert server.stub.GetQuestion(pb.GetQuestionRequest(question_id="it/add")).id == "it/add"
        flag.unlink()
        serving = health_pb2.HealthCheckResponse.SERVING
        wait_until(lambda: health_status(server.channel) == serving, WAIT_S, "health SERVING again")
        assert grade(server.stub, "it/add", GOOD).verdict == pb.ACCEPTED


class TestSigterm:
    """SIGTERM lets in-flight gradings finish, refuses new ones, then exits 0."""

    def test_drain(self, small_bank: Path) -> None:
        require_docker()
        env = {**os.environ, "GRADER_LOG_LEVEL": "info", "GRADER_RUNTIME": TEST_RUNTIME}
        metrics_port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "grader.cli", "serve", "--bank", str(small_bank), "--host", "127.0.0.1",
             "--port", "0", "--metrics-port", str(metrics_port)],
            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
        )  # fmt: skip
        try:
            port = None
            assert proc.stderr is not None
            for line in proc.stderr:
                event = json.loads(line) if line.startswith("{") else {}
                if event.get("event") == "serving":
                    port = event["port"]
                    break
            assert port, "server did not report its port"
            log_lines: list[str] = []
            threading.Thread(target=lambda: log_lines.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            stub = pb_grpc.GraderStub(channel)
            slow = "import time\ntime.sleep(1.5)\nprint(input())\n"
            result: list[pb.GradeResponse] = []
            worker = threading.Thread(target=lambda: result.append(grade(stub, "it/slow", slow)))
            worker.start()
            wait_until(
                lambda: gauge(metrics_port, "grader_sandboxes_busy") == 1, WAIT_S, "the grading to run"
            )
            assert not result, "the grading ended before SIGTERM: nothing was in flight"
            proc.send_signal(signal.SIGTERM)
            worker.join(WAIT_S)
            assert result and result[0].verdict == pb.ACCEPTED
            assert proc.wait(WAIT_S) == 0
            assert any('"draining"' in line for line in log_lines)
            channel.close()
        finally:
            if proc.poll() is None:
                proc.kill()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def gauge(metrics_port: int, name: str) -> float | None:
    """A gauge's value on the server's /metrics; None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as page:
            text = page.read().decode()
    except OSError:
        return None
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else None
