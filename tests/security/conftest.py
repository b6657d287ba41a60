"""The attack suite's fixtures: one real grader server, grading in the real Docker engine through a
warm pool of ONE container, so that every submission after an attack lands in the container the
attack used (unless the pool retired it after an anomaly, as it must).

The container runtime comes from `GRADER_TEST_RUNTIME` (default runc; `runsc` for gVisor). Like the
integration tests, these never skip: without an engine they fail.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from grader import logs
from grader.bank.build import build_bank
from grader.sandbox.pool import PoolSettings
from tests.support.attack_bank import QUESTIONS
from tests.support.attacks import RUNTIME
from tests.support.server import RunningServer, docker_settings, require_docker, start_server, write_jsonl


@pytest.fixture(scope="session")
def security_log() -> Iterator[io.StringIO]:
    """Every log line the server writes while the suite runs, as JSON, for leak checks."""
    if not structlog.is_configured():
        logs.configure("debug", json_logs=True)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=logs.SHARED_PROCESSORS,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield captured
    root.removeHandler(handler)


@pytest.fixture(scope="session")
def secure_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("security")
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "questions.jsonl", QUESTIONS)])
    return tmp / "bank.db"


@pytest.fixture(scope="session")
def target(secure_bank: Path, security_log: io.StringIO) -> Iterator[RunningServer]:
    """The server under attack: one pooled container, a small memory limit (attacks hit it fast)."""
    require_docker()
    running = start_server(
        secure_bank,
        docker=docker_settings(runtime=RUNTIME, wall_extra_s=1.0),  # GRADER_SANDBOX_IMAGE's image
        pool=PoolSettings(size=1, max_uses=10_000, memory_limit_mb=256),
        max_concurrent=1,
    )
    yield running
    running.stop()
