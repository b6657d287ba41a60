"""GradeBatch: many submissions in one call, results streamed as they finish, then pass@k."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import grpc
import structlog

from grader.api.errors import status_of
from grader.grading import SandboxUnavailableError
from grader.judge.passk import Tallies, ks_allowed, pass_at_k
from grader.v1 import grader_pb2 as pb

log = structlog.get_logger(__name__)

Grade = Callable[[pb.GradeRequest], Awaitable[pb.GradeResponse]]
"""Grades one item of a batch; patient (it waits for a sandbox however long the line), so it is
never refused for overload."""

MAX_KS = 16
"""Distinct k values one GradeBatch may ask pass@k for: each costs a pass@k per question."""
MAX_KS_ENTRIES = 1024
"""Entries of `ks`, repeats included (each is read before the distinct ones are counted)."""


def batch_problem(request: pb.GradeBatchRequest, max_batch: int) -> str:
    """What makes a batch request unacceptable as a whole, or ""."""
    if not request.submissions:
        return "submissions is empty"
    if len(request.submissions) > max_batch:
        return f"{len(request.submissions)} submissions, over the batch limit of {max_batch}; split the batch"
    if len(request.ks) > MAX_KS_ENTRIES:
        return f"ks has {len(request.ks)} entries, over the limit of {MAX_KS_ENTRIES}"
    if any(k < 1 for k in request.ks):
        return "every k must be at least 1"
    distinct = len(set(request.ks))
    if distinct > MAX_KS:
        return f"ks has {distinct} distinct values, over the limit of {MAX_KS}"
    return ""


class EngineWait:
    """A batch's patience with an engine that is away: its items wait, together, up to `limit_s`
    from the first that found it away; a success (the engine is back) renews the patience."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.since: float | None = None

    def should_wait(self) -> bool:
        now = asyncio.get_running_loop().time()
        if self.since is None:
            self.since = now
        return now - self.since < self.limit_s

    def engine_back(self) -> None:
        self.since = None


async def _grade_item(
    grade: Grade, index: int, request: pb.GradeRequest, engine: EngineWait
) -> pb.GradeBatchResponse:
    delay = 0.5
    while True:
        try:
            result = await grade(request)
        except SandboxUnavailableError as exc:
            # The engine is away (restarting, its disk full): wait for it rather than fail every
            # remaining item at once; beyond the batch's patience, the item says so.
            if engine.should_wait():
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)
                continue
            unavailable = grpc.StatusCode.UNAVAILABLE.value[0]
            return pb.GradeBatchResponse(index=index, error=pb.BatchError(code=unavailable, message=str(exc)))
        except Exception as exc:
            code = status_of(exc)
            if code is None:
                log.exception("batch_item_failed", index=index)
                code, message = grpc.StatusCode.INTERNAL, "internal error; see the server log"
            else:
                message = str(exc)
            return pb.GradeBatchResponse(
                index=index, error=pb.BatchError(code=code.value[0], message=message)
            )
        engine.engine_back()
        return pb.GradeBatchResponse(index=index, result=result)


SUMMARY_STEP = 500
"""Questions added to a summary between yields to the event loop (10000 at once held it 0.17 s)."""


async def summary(ks_asked: Sequence[int], tallies: Tallies, errors: int) -> pb.BatchSummary:
    """pass@k per question and overall."""
    ks = sorted(set(ks_asked)) if ks_asked else ks_allowed(n for n, _ in tallies.values())
    result = pb.BatchSummary(graded=sum(n for n, _ in tallies.values()) - errors, errors=errors,
                             accepted=sum(c for _, c in tallies.values()))  # fmt: skip
    for position, qid in enumerate(sorted(tallies), 1):
        n, c = tallies[qid]
        result.questions.add(
            question_id=qid, samples=n, correct=c,
            pass_at_k=[pb.PassAtK(k=k, value=pass_at_k(n, c, k)) for k in ks if k <= n],
        )  # fmt: skip
        if position % SUMMARY_STEP == 0:
            await asyncio.sleep(0)
    result.overall.extend(pb.PassAtK(k=k, value=value) for k, value in tallies.overall(ks).items())
    return result


async def grade_batch(
    grade: Grade, capacity: int, request: pb.GradeBatchRequest, engine_wait_s: float
) -> AsyncIterator[pb.GradeBatchResponse]:
    """Grades with at most twice `capacity` (the submissions graded at once) in flight, so a huge
    batch holds little memory; yields each result as it finishes, then the summary. `engine_wait_s`:
    how long the items wait for an engine that is away (see EngineWait)."""
    submissions = request.submissions
    done: asyncio.Queue[pb.GradeBatchResponse] = asyncio.Queue()
    engine = EngineWait(engine_wait_s)
    # A few workers take the items in turn: a task per item (10000 of them) would run their first
    # steps in one turn of the event loop, and hold it for a tenth of a second.
    upcoming = iter(range(len(submissions)))

    async def work() -> None:
        for index in upcoming:
            await done.put(await _grade_item(grade, index, submissions[index], engine))

    width = min(len(submissions), max(1, 2 * capacity))
    workers = [asyncio.ensure_future(work()) for _ in range(width)]
    tallies = Tallies()  # counted as results come, not all at once at the end
    errors = 0
    try:
        for _ in range(len(submissions)):
            message = await done.get()
            failed = message.HasField("error")
            errors += failed
            tallies.add(
                submissions[message.index].question_id, not failed and message.result.verdict == pb.ACCEPTED
            )
            yield message
        yield pb.GradeBatchResponse(summary=await summary(request.ks, tallies, errors))
    finally:
        # The client went away or the deadline passed: stop the sandbox work it paid for.
        for worker in workers:
            worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*workers, return_exceptions=True)
