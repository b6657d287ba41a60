"""Bounded requests on a real server grading in the real engine: garbage bytes to every method are
INVALID_ARGUMENT, and Grader requests beyond --max-queued-bytes get RESOURCE_EXHAUSTED with
`retry-after-ms` while those within it are served."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, require_docker, start_server

GARBAGE = b"\x0a\xff\xff\xff\xff\x0f\x12garbage"
UNARY = (
    "/grader.v1.Grader/Grade",
    "/grader.v1.Grader/ListQuestions",
    "/grader.v1.Grader/GetQuestion",
    "/grpc.health.v1.Health/Check",
)
STREAMING = ("/grader.v1.Grader/GradeBatch", "/grpc.health.v1.Health/Watch")


@pytest.mark.parametrize("method", UNARY + STREAMING)
def test_garbage_is_invalid_argument(server: RunningServer, method: str) -> None:
    if method in STREAMING:
        call = server.channel.unary_stream(method)(GARBAGE, timeout=30)
        with pytest.raises(grpc.RpcError) as raised:
            list(call)
    else:
        with pytest.raises(grpc.RpcError) as raised:
            server.channel.unary_unary(method)(GARBAGE, timeout=30)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert "not a valid" in raised.value.details()  # type: ignore[attr-defined]


# A submission of ~300 KB (a long comment) that takes a second to grade.
SLOW = "import time\ntime.sleep(1)\nprint(3)\n#" + "x" * 300_000
REQUEST = pb.GradeRequest(question_id="it/add", code=SLOW, stop_on_first_failure=True)


@pytest.fixture(scope="module")
def budgeted(bank_path: Path) -> Iterator[RunningServer]:
    """Room for one such request at a time (and two sandboxes, so it is the budget that refuses)."""
    require_docker()
    running = start_server(bank_path, max_queued_bytes=int(1.5 * REQUEST.ByteSize()), max_concurrent=2)
    yield running
    running.stop()


def test_beyond_the_budget_is_resource_exhausted(budgeted: RunningServer) -> None:
    first: list[pb.GradeResponse] = []
    worker = threading.Thread(target=lambda: first.append(budgeted.stub.Grade(REQUEST, timeout=120)))
    worker.start()
    intake = budgeted.server.intake
    deadline = time.monotonic() + 30
    while intake.budget.held == 0 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert intake.budget.held == REQUEST.ByteSize()
    with pytest.raises(grpc.RpcError) as raised:
        budgeted.stub.Grade(REQUEST, timeout=30)
    error = raised.value
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED  # type: ignore[attr-defined]
    assert dict(error.trailing_metadata())["retry-after-ms"] == "1000"  # type: ignore[attr-defined]
    assert "--max-queued-bytes" not in error.details()  # type: ignore[attr-defined]
    # A small request still fits beside the held one.
    small = budgeted.stub.Grade(pb.GradeRequest(question_id="it/add", code="print(3)\n"), timeout=60)
    assert small.verdict == pb.WRONG_ANSWER
    worker.join(120)
    assert first[0].verdict == pb.WRONG_ANSWER  # 1 + 2 = 3 is right, 10 + 20 is not
    assert intake.budget.held == 0
    # Within the budget again: served.
    assert budgeted.stub.Grade(REQUEST, timeout=120).verdict == pb.WRONG_ANSWER
