"""A real grader server for tests: on an ephemeral loopback port, in a thread with its own event loop,
grading in the real Docker engine on the runtime under test (`GRADER_TEST_RUNTIME`). Without an
engine the tests that need one fail, never skip (run `make setup`)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from grader.api.server import GraderServer, ServerSettings
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


def grade(stub: pb_grpc.GraderStub, question_id: str, code: str, **kwargs: object) -> pb.GradeResponse:
    return stub.Grade(pb.GradeRequest(question_id=question_id, code=code, **kwargs), timeout=300)  # type: ignore[arg-type]
