"""Integration fixtures: a real grader server (tests/support/server.py) over the demo bank and the
integration bank's own questions, grading in the real Docker engine. These tests are never skipped:
without an engine they fail (run `make setup`)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import logs
from grader.bank.build import build_bank
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.integration_bank import EXTRA_QUESTIONS
from tests.support.server import RunningServer, require_docker, start_server, write_jsonl


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
