"""One log format: grpc's stdlib logs and what the docker CLI says all come out
as our JSON lines, with the request id bound to the call."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from grader import logs
from grader.sandbox.command import DockerSettings
from grader.sandbox.docker import DockerSandbox
from grader.sandbox.pool import PoolSettings, WarmPool


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Logging configured as JSON on a buffer; the root logger is put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("debug", json_logs=True, stream=stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.contextvars.clear_contextvars()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, each of which must be one JSON object."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class TestForeignLogs:
    """Lines from other libraries' stdlib loggers are rendered by our renderer with our fields."""

    def test_grpc_line_is_json_with_our_fields(self, captured: io.StringIO) -> None:
        structlog.contextvars.bind_contextvars(request_id="req-42", rpc="Grade")
        logging.getLogger("grpc._cython.cygrpc").error("Unexpected error in %s", "handler")
        (line,) = lines(captured)
        assert line["event"] == "Unexpected error in handler"
        assert line["logger"] == "grpc._cython.cygrpc"
        assert line["level"] == "error"
        assert line["request_id"] == "req-42"
        assert line["rpc"] == "Grade"
        assert line["timestamp"].endswith("Z")

    def test_grpc_exception_keeps_its_traceback_inside_the_line(self, captured: io.StringIO) -> None:
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("grpc.aio._server").exception("handler failed")
        (line,) = lines(captured)
        assert line["event"] == "handler failed"
        assert "RuntimeError: boom" in line["exception"]

    def test_our_own_line(self, captured: io.StringIO) -> None:
        structlog.contextvars.bind_contextvars(request_id="req-7")
        structlog.get_logger("grader.test").info("graded", verdict="ACCEPTED")
        (line,) = lines(captured)
        assert (line["event"], line["verdict"], line["request_id"]) == ("graded", "ACCEPTED", "req-7")


class TestDockerCliOutput:
    """What the docker CLI prints on failure is logged as a field of our event, never raw."""

    def test_start_failure_is_one_json_line(
        self, captured: io.StringIO, tmp_path: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        cli = tmp_path / "docker"
        cli.write_text(
            "#!/bin/sh\n"
            "echo 'Cannot connect to the Docker daemon at unix:///nowhere.sock.'"
            " 'Is the docker daemon running?' >&2\n"
            "exit 125\n"
        )
        cli.chmod(0o755)

        async def fail_once() -> None:
            pool = WarmPool(DockerSandbox(DockerSettings(docker_cli=str(cli))), PoolSettings(size=1))
            await pool.start()
            for _ in range(1000):
                if pool.stats.start_failures:
                    break
                await asyncio.sleep(0.01)
            await pool.close()

        asyncio.run(fail_once())
        failures = [line for line in lines(captured) if line["event"] == "pool_start_failed"]
        assert len(failures) == 1
        assert "Cannot connect to the Docker daemon at unix:///nowhere.sock" in failures[0]["reason"]
        assert failures[0]["level"] == "error"
        out, err = capfd.readouterr()
        assert "Cannot connect" not in out + err
