"""A GradeBatch waits for an engine that is away (a restart) instead of failing every remaining
item at once, but only up to its patience; then each item says UNAVAILABLE, with the reason."""

from __future__ import annotations

import grpc

from grader.api.batch import grade_batch
from grader.sandbox.interface import SandboxUnavailableError
from grader.v1 import grader_pb2 as pb


class EngineAway:
    """Answers UNAVAILABLE for the first `away_calls` calls, then grades everything ACCEPTED."""

    def __init__(self, away_calls: int, wait_s: float) -> None:
        self.away_calls = away_calls
        self.calls = 0
        self.wait_s = wait_s

    async def grade(self, request: pb.GradeRequest) -> pb.GradeResponse:
        self.calls += 1
        if self.calls <= self.away_calls:
            raise SandboxUnavailableError("docker engine does not answer: restarting")
        return pb.GradeResponse(question_id=request.question_id, verdict=pb.ACCEPTED)


async def run(servicer: EngineAway, items: int) -> list[pb.GradeBatchResponse]:
    request = pb.GradeBatchRequest(
        submissions=[pb.GradeRequest(question_id="q", code="x") for _ in range(items)]
    )
    return [message async for message in grade_batch(servicer.grade, 1, request, servicer.wait_s)]


class TestEngineWait:
    """Items wait for the engine within the batch's patience; beyond it they fail, saying why."""

    async def test_items_wait_for_the_engine(self) -> None:
        servicer = EngineAway(away_calls=3, wait_s=60.0)
        *results, summary = await run(servicer, items=2)
        assert [m.result.verdict for m in results] == [pb.ACCEPTED, pb.ACCEPTED]
        assert summary.summary.errors == 0
        assert servicer.calls == 5

    async def test_unavailable_beyond_the_patience(self) -> None:
        servicer = EngineAway(away_calls=10**6, wait_s=0.0)
        *results, summary = await run(servicer, items=3)
        assert {m.error.code for m in results} == {grpc.StatusCode.UNAVAILABLE.value[0]}
        assert all("restarting" in m.error.message for m in results)
        assert summary.summary.errors == 3
        assert servicer.calls == 3  # no retry once the patience is spent
