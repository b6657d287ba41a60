"""Integration fixtures: a real grader server on an ephemeral loopback port, grading in the real
Docker engine. These tests are never skipped: without an engine they fail (run `make setup`)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from grader import logs
from grader.api.server import GraderServer, ServerSettings
from grader.bank.build import build_bank
from grader.sandbox.command import DockerSettings
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

IMAGE = os.environ.get("GRADER_SANDBOX_IMAGE", "grader-sandbox-python:latest")
"""The sandbox image every test server uses (``GRADER_SANDBOX_IMAGE``, as for ``grader serve``)."""
TEST_RUNTIME = os.environ.get("GRADER_TEST_RUNTIME", "runc")
"""The container runtime of every server the tests start: runc, or runsc (gVisor)."""


def docker_settings(**fields: Any) -> DockerSettings:
    """The sandbox settings a test server uses, on the runtime under test."""
    return dataclasses.replace(DockerSettings(runtime=TEST_RUNTIME, image=IMAGE), **fields)


def require_docker() -> None:
    """Fails (never skips) when the engine, the runtime under test or the sandbox image is missing."""
    info = subprocess.run(
        ["docker", "info", "--format", "{{json .Runtimes}}"], capture_output=True, text=True, check=False
    )
    if info.returncode != 0:
        pytest.fail("no Docker engine answers: run `make setup` (integration tests need it)")
    if TEST_RUNTIME not in json.loads(info.stdout or "{}"):
        pytest.fail(
            f"the engine has no runtime {TEST_RUNTIME!r} (GRADER_TEST_RUNTIME): run scripts/ensure_docker.sh"
        )
    image = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False)
    if image.returncode != 0:
        pytest.fail(f"sandbox image {IMAGE} is missing: run `make setup`")


@dataclass
class RunningServer:
    server: GraderServer
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    channel: grpc.Channel
    stub: pb_grpc.GraderStub

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def stop(self) -> None:
        self.channel.close()
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(120)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)


def start_server(bank: Path, docker: DockerSettings | None = None, **settings: object) -> RunningServer:
    """Runs a GraderServer in a thread with its own event loop; tests use a blocking stub."""
    loop = asyncio.new_event_loop()
    started: Future[GraderServer] = Future()

    def run() -> None:
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            try:
                server = GraderServer(
                    ServerSettings(
                        bank=bank, host="127.0.0.1", port=0, docker=docker or docker_settings(), **settings
                    )  # type: ignore[arg-type]
                )
                await server.start()
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(server)

        boot_task = loop.create_task(boot())
        loop.run_forever()
        del boot_task

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    server = started.result(120)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    return RunningServer(server, loop, thread, channel, pb_grpc.GraderStub(channel))


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# Distinctive private data: no response, error or log line may ever contain these strings.
SECRET_INPUT = "918273645 564738291\n"
SECRET_OUTPUT = "1483011936\n"

EXTRA_QUESTIONS: list[dict[str, object]] = [
    {
        "format": "grader.v1",
        "id": "it/add",
        "title": "Add two numbers",
        "kind": "stdin",
        "prompt": "Print a+b.",
        "release_date": "2026-03-01",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [
            {"input": "1 2\n", "output": "3\n", "public": True},
            {"input": "10 20\n", "output": "30\n", "public": False},
            {"input": SECRET_INPUT, "output": SECRET_OUTPUT, "public": False},
            {"input": "-5 5\n", "output": "0\n", "public": False},
        ],
    },
    {
        "format": "grader.v1",
        "id": "it/twice",
        "title": "Twice",
        "kind": "call",
        "entry_point": "twice",
        "starter_code": "class Solution:\n    def twice(self, x: int) -> int:\n        pass\n",
        "release_date": "2026-04-01",
        "prelude": "lcb",
        "limits": {"time_s": 2, "memory_mb": 256},
        "tests": [
            {"input": "2", "output": "4", "public": True},
            {"input": "21", "output": "42", "public": False},
        ],
    },
]


@pytest.fixture(scope="session")
def bank_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from grader.demo import demo_path

    tmp = tmp_path_factory.mktemp("bank")
    extra = write_jsonl(tmp / "extra.jsonl", EXTRA_QUESTIONS)
    out = tmp / "bank.db"
    build_bank(out, [demo_path("questions.jsonl"), extra])
    return out


@pytest.fixture(scope="session")
def server_log() -> io.StringIO:
    """Every log line the servers write during the session, as JSON, for leak checks."""
    logs.configure("debug", json_logs=True)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.getLogger().handlers[0].formatter)
    logging.getLogger().addHandler(handler)
    return captured


@pytest.fixture(scope="session")
def server(bank_path: Path, server_log: io.StringIO) -> Iterator[RunningServer]:
    require_docker()
    running = start_server(bank_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def stub(server: RunningServer) -> pb_grpc.GraderStub:
    return server.stub


def grade(stub: pb_grpc.GraderStub, question_id: str, code: str, **kwargs: object) -> pb.GradeResponse:
    return stub.Grade(pb.GradeRequest(question_id=question_id, code=code, **kwargs), timeout=300)  # type: ignore[arg-type]
