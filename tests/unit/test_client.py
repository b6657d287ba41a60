"""GraderClient against an in-process grpc.aio server whose fake servicer fails on demand:
retries with backoff on UNAVAILABLE and RESOURCE_EXHAUSTED only, `retry-after-ms` honoured,
a bounded number of attempts, deadlines on every call, and GradeBatch retrying only the
submissions not answered yet."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest

from grader.client import BatchItem, GraderClient, RetryPolicy, batch_chunks, retry_after_s
from grader.evaluate import Sample, evaluate
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

UNAVAILABLE = grpc.StatusCode.UNAVAILABLE
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


@dataclass
class Failure:
    code: grpc.StatusCode
    retry_after_ms: str = ""
    after_items: int = 0
    """GradeBatch: how many items to answer before failing."""


@dataclass
class FlakyGrader(pb_grpc.GraderServicer):
    """Fails the next calls of each method as queued in ``failures``, then answers: ACCEPTED for
    code containing "ok"; a question id starting with "missing" is a per-item NOT_FOUND."""

    failures: dict[str, list[Failure]] = field(default_factory=dict)
    item_failures: dict[str, list[grpc.StatusCode]] = field(default_factory=dict)
    """GradeBatch per-item errors, by question id, used up one per call."""
    calls: Counter[str] = field(default_factory=Counter)
    deadlines: list[float | None] = field(default_factory=list)
    batches: list[list[str]] = field(default_factory=list)
    """The question ids each GradeBatch call carried."""
    questions: list[str] = field(default_factory=lambda: [f"q{i}" for i in range(5)])
    stray_messages: bool = False
    """GradeBatch also sends a duplicate of each answer and an index out of range."""

    async def _maybe_fail(self, method: str, context: Any, answered: int = 0) -> None:
        queue = self.failures.get(method, [])
        if queue and queue[0].after_items == answered:
            failure = queue.pop(0)
            if failure.retry_after_ms:
                context.set_trailing_metadata((("retry-after-ms", failure.retry_after_ms),))
            await context.abort(failure.code, f"injected {failure.code.name}")

    def _enter(self, method: str, context: Any) -> None:
        self.calls[method] += 1
        self.deadlines.append(context.time_remaining())

    async def Grade(self, request: pb.GradeRequest, context: Any) -> pb.GradeResponse:
        self._enter("Grade", context)
        await self._maybe_fail("Grade", context)
        if not request.code:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "code is required")
        return self._response(request)

    async def GetQuestion(self, request: pb.GetQuestionRequest, context: Any) -> pb.Question:
        self._enter("GetQuestion", context)
        await self._maybe_fail("GetQuestion", context)
        if request.question_id not in self.questions:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such question")
        return pb.Question(id=request.question_id, release_date="2024-03-05")

    async def ListQuestions(self, request: pb.ListQuestionsRequest, context: Any) -> pb.ListQuestionsResponse:
        self._enter("ListQuestions", context)
        await self._maybe_fail("ListQuestions", context)
        start = int(request.page_token or 0)
        end = start + request.page_size
        return pb.ListQuestionsResponse(
            questions=[pb.QuestionSummary(id=q) for q in self.questions[start:end]],
            next_page_token=str(end) if end < len(self.questions) else "",
        )

    async def GradeBatch(
        self, request: pb.GradeBatchRequest, context: Any
    ) -> AsyncIterator[pb.GradeBatchResponse]:
        self._enter("GradeBatch", context)
        self.batches.append([s.question_id for s in request.submissions])
        for index, sub in enumerate(request.submissions):
            await self._maybe_fail("GradeBatch", context, answered=index)
            queued = self.item_failures.get(sub.question_id, [])
            if sub.question_id.startswith("missing") or queued:
                code = queued.pop(0) if queued else grpc.StatusCode.NOT_FOUND
                error = pb.BatchError(code=code.value[0], message=f"item {code.name}")
                yield pb.GradeBatchResponse(index=index, error=error)
                continue
            yield pb.GradeBatchResponse(index=index, result=self._response(sub))
            if self.stray_messages:
                yield pb.GradeBatchResponse(index=index, result=self._response(sub))
                yield pb.GradeBatchResponse(
                    index=len(request.submissions) + index, result=self._response(sub)
                )
        yield pb.GradeBatchResponse(summary=pb.BatchSummary(graded=len(request.submissions)))

    @staticmethod
    def _response(request: pb.GradeRequest) -> pb.GradeResponse:
        verdict = pb.ACCEPTED if "ok" in request.code else pb.WRONG_ANSWER
        passed = int(verdict == pb.ACCEPTED)
        return pb.GradeResponse(question_id=request.question_id, verdict=verdict, tests_total=1,
                                tests_passed=passed, request_id=request.request_id)  # fmt: skip


@dataclass
class Sleeps:
    """Records the client's backoffs instead of waiting: no test depends on the clock."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[str, FlakyGrader]]:
    server = grpc.aio.server()
    fake = FlakyGrader()
    pb_grpc.add_GraderServicer_to_server(fake, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}", fake
    await server.stop(None)


POLICY = RetryPolicy(max_attempts=4, initial_backoff_s=0.5, max_backoff_s=30.0, multiplier=2.0, jitter=0.5)


def client(address: str, sleeps: Sleeps, **kwargs: Any) -> GraderClient:
    kwargs.setdefault("retry", POLICY)
    return GraderClient(address, sleep=sleeps, rng=random.Random(7), **kwargs)


def submissions(*codes: str, prefix: str = "q") -> list[pb.GradeRequest]:
    return [pb.GradeRequest(question_id=f"{prefix}{i}", code=code) for i, code in enumerate(codes)]


async def collect(items: AsyncIterator[BatchItem]) -> list[BatchItem]:
    return [item async for item in items]


class TestRetryPolicy:
    """Exponential backoff with jitter, capped; nonsense settings are refused."""

    def test_backoff_grows_and_is_capped(self) -> None:
        policy = RetryPolicy(initial_backoff_s=1.0, multiplier=3.0, max_backoff_s=20.0, jitter=0.0)
        rng = random.Random(1)
        assert [policy.backoff_s(n, rng) for n in (1, 2, 3, 4, 5)] == [1.0, 3.0, 9.0, 20.0, 20.0]

    def test_jitter_stays_within_its_share_and_varies(self) -> None:
        policy = RetryPolicy(initial_backoff_s=8.0, jitter=0.25)
        rng = random.Random(3)
        delays = [policy.backoff_s(1, rng) for _ in range(200)]
        assert all(6.0 <= d <= 8.0 for d in delays)
        assert max(delays) - min(delays) > 1.0  # spread out, not one value

    @pytest.mark.parametrize(
        "settings",
        [{"max_attempts": 0}, {"initial_backoff_s": -1.0}, {"multiplier": 0.5}, {"jitter": 1.5}],
    )
    def test_nonsense_is_refused(self, settings: dict[str, Any]) -> None:
        with pytest.raises(ValueError):
            RetryPolicy(**settings)


class TestUnaryRetries:
    """Grade, GetQuestion and ListQuestions retry UNAVAILABLE and RESOURCE_EXHAUSTED, nothing else."""

    async def test_unavailable_twice_then_success(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.failures["Grade"] = [Failure(UNAVAILABLE), Failure(UNAVAILABLE)]
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            response = await c.grade("q0", "print('ok')", request_id="r1")
        assert (response.verdict, response.request_id) == (pb.ACCEPTED, "r1")
        assert fake.calls["Grade"] == 3
        assert len(sleeps.delays) == 2
        assert 0.25 <= sleeps.delays[0] <= 0.5  # first backoff 0.5 s, up to half of it jitter
        assert 0.5 <= sleeps.delays[1] <= 1.0  # doubled

    async def test_grade_request_sends_the_callers_request(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.failures["Grade"] = [Failure(UNAVAILABLE)]
        async with client(address, Sleeps()) as c:
            request = pb.GradeRequest(question_id="q3", code="print('ok')", request_id="mine")
            response = await c.grade_request(request)
        assert (response.question_id, response.request_id, response.verdict) == ("q3", "mine", pb.ACCEPTED)
        assert fake.calls["Grade"] == 2

    async def test_resource_exhausted_honours_retry_after(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.failures["Grade"] = [Failure(EXHAUSTED, retry_after_ms="7250")]
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            response = await c.grade("q0", "print('no')")
        assert response.verdict == pb.WRONG_ANSWER
        assert fake.calls["Grade"] == 2
        assert sleeps.delays == [7.25]  # the server's wait, longer than the 0.5 s backoff

    async def test_short_retry_after_does_not_shorten_the_backoff(
        self, flaky: tuple[str, FlakyGrader]
    ) -> None:
        address, fake = flaky
        fake.failures["GetQuestion"] = [Failure(EXHAUSTED, retry_after_ms="1")]
        sleeps = Sleeps()
        async with client(address, sleeps, retry=RetryPolicy(initial_backoff_s=2.0, jitter=0.0)) as c:
            await c.get_question("q1")
        assert sleeps.delays == [2.0]

    @pytest.mark.parametrize(
        "code",
        [grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INTERNAL,
         grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAUTHENTICATED],
    )  # fmt: skip
    async def test_other_codes_are_not_retried(
        self, flaky: tuple[str, FlakyGrader], code: grpc.StatusCode
    ) -> None:
        address, fake = flaky
        fake.failures["Grade"] = [Failure(code)]
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await c.grade("q0", "print('ok')")
        assert info.value.code() == code
        assert fake.calls["Grade"] == 1
        assert sleeps.delays == []

    async def test_invalid_argument_from_the_servicer(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        async with client(address, Sleeps()) as c:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await c.grade("q0", "")
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert fake.calls["Grade"] == 1

    async def test_attempts_are_bounded(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.failures["GetQuestion"] = [Failure(UNAVAILABLE)] * 10
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await c.get_question("q0")
        assert info.value.code() == UNAVAILABLE
        assert fake.calls["GetQuestion"] == POLICY.max_attempts == 4
        assert len(sleeps.delays) == 3

    async def test_every_call_has_a_deadline(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        async with client(address, Sleeps(), timeout_s=42.0, batch_timeout_s=900.0) as c:
            await c.grade("q0", "x")
            await c.get_question("q0")
            _ = [q async for q in c.list_questions(page_size=2)]
            await collect(c.grade_batch(submissions("x")))
            await c.grade("q0", "x", timeout_s=5.0)
        # Grade, GetQuestion, 3 pages, GradeBatch, Grade; None would mean no deadline. The server
        # measures what is left of each (plus clock rounding): only the scale is asserted.
        assert len(fake.deadlines) == 7
        assert all(d is not None for d in fake.deadlines)
        assert all(6 < d <= 43 for d in fake.deadlines[:5])
        assert 43 < fake.deadlines[5] <= 901
        assert fake.deadlines[6] <= 6

    def test_retry_after_of_a_status_without_it(self) -> None:
        exc = grpc.aio.AioRpcError(UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata(), "down", None)
        assert retry_after_s(exc) == 0.0
        bad = grpc.aio.AioRpcError(
            EXHAUSTED, grpc.aio.Metadata(), grpc.aio.Metadata(("retry-after-ms", "soon")), "busy", None
        )
        assert retry_after_s(bad) == 0.0


class TestListQuestions:
    """Every page is fetched, each with its own retries."""

    async def test_all_pages_in_order(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.questions = [f"q{i:02}" for i in range(11)]
        fake.failures["ListQuestions"] = [Failure(UNAVAILABLE)]
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            ids = [q.id async for q in c.list_questions(page_size=4)]
        assert ids == fake.questions
        assert fake.calls["ListQuestions"] == 4  # 3 pages + the one retried
        assert len(sleeps.delays) == 1


class TestGradeBatch:
    """One item per submission; after a failure only the unanswered submissions are sent again."""

    async def test_mid_stream_failure_resends_only_the_unanswered(
        self, flaky: tuple[str, FlakyGrader]
    ) -> None:
        address, fake = flaky
        fake.failures["GradeBatch"] = [Failure(UNAVAILABLE, after_items=2)]
        sleeps = Sleeps()
        subs = submissions("ok", "no", "ok", "no", "ok")
        async with client(address, sleeps) as c:
            items = await collect(c.grade_batch(subs))
        assert sorted(i.index for i in items) == [0, 1, 2, 3, 4]  # each exactly once
        assert fake.batches == [["q0", "q1", "q2", "q3", "q4"], ["q2", "q3", "q4"]]
        verdicts = {i.index: i.result.verdict for i in items if i.result is not None}
        assert verdicts == {0: pb.ACCEPTED, 1: pb.WRONG_ANSWER, 2: pb.ACCEPTED, 3: pb.WRONG_ANSWER,
                            4: pb.ACCEPTED}  # fmt: skip
        assert all(i.result.question_id == f"q{i.index}" for i in items if i.result is not None)
        assert len(sleeps.delays) == 1

    async def test_resource_exhausted_before_any_answer(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.failures["GradeBatch"] = [Failure(EXHAUSTED, retry_after_ms="3000")] * 2
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            items = await collect(c.grade_batch(submissions("ok", "ok")))
        assert all(i.result is not None and i.result.verdict == pb.ACCEPTED for i in items)
        assert len(items) == 2
        assert fake.calls["GradeBatch"] == 3
        assert sleeps.delays == [3.0, 3.0]

    async def test_one_item_per_submission_whatever_the_server_sends(
        self, flaky: tuple[str, FlakyGrader]
    ) -> None:
        address, fake = flaky
        fake.stray_messages = True
        async with client(address, Sleeps()) as c:
            items = await collect(c.grade_batch(submissions("ok", "no", "ok")))
        assert sorted(i.index for i in items) == [0, 1, 2]

    async def test_chunks(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        async with client(address, Sleeps(), chunk_size=3) as c:
            items = await collect(c.grade_batch(submissions(*["ok"] * 7)))
        assert [len(b) for b in fake.batches] == [3, 3, 1]
        assert sorted(i.index for i in items) == list(range(7))
        assert [i.result.question_id for i in sorted(items, key=lambda i: i.index) if i.result] == [
            f"q{n}" for n in range(7)
        ]

    async def test_chunks_by_bytes(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        big = [pb.GradeRequest(question_id=f"q{n}", code="ok" + "#" * 3000) for n in range(7)]
        async with client(address, Sleeps(), chunk_bytes=10_000) as c:
            items = await collect(c.grade_batch(big, ks=[1, 2]))
        assert [len(b) for b in fake.batches] == [3, 3, 1]
        assert sorted(i.index for i in items) == list(range(7))

    async def test_retryable_item_errors_are_retried_others_are_answers(
        self, flaky: tuple[str, FlakyGrader]
    ) -> None:
        address, fake = flaky
        fake.item_failures["q1"] = [UNAVAILABLE]
        subs = [*submissions("ok", "ok"), pb.GradeRequest(question_id="missing", code="ok")]
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            items = {i.index: i for i in await collect(c.grade_batch(subs))}
        assert fake.batches == [["q0", "q1", "missing"], ["q1"]]
        assert items[1].result is not None and items[1].result.verdict == pb.ACCEPTED
        assert items[2].error is not None and items[2].error.code == grpc.StatusCode.NOT_FOUND
        assert items[2].result is None
        assert len(sleeps.delays) == 1

    async def test_other_call_failures_answer_every_submission_with_the_status(
        self, flaky: tuple[str, FlakyGrader]
    ) -> None:
        address, fake = flaky
        fake.failures["GradeBatch"] = [Failure(grpc.StatusCode.INVALID_ARGUMENT, after_items=1)]
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            items = {i.index: i for i in await collect(c.grade_batch(submissions("ok", "ok", "ok")))}
        assert fake.calls["GradeBatch"] == 1
        assert sleeps.delays == []
        assert items[0].result is not None
        for index in (1, 2):
            error = items[index].error
            assert error is not None and error.code == grpc.StatusCode.INVALID_ARGUMENT
            assert "injected" in error.message

    async def test_attempts_without_progress_are_bounded(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.failures["GradeBatch"] = [Failure(UNAVAILABLE, after_items=1)] + [Failure(UNAVAILABLE)] * 10
        sleeps = Sleeps()
        async with client(address, sleeps) as c:
            items = {i.index: i for i in await collect(c.grade_batch(submissions("ok", "ok", "ok")))}
        # One call made progress (item 0); then max_attempts calls in a row that answered nothing.
        assert fake.calls["GradeBatch"] == 1 + POLICY.max_attempts
        assert items[0].result is not None
        assert [items[i].error.code for i in (1, 2) if items[i].error] == [UNAVAILABLE, UNAVAILABLE]
        assert len(sleeps.delays) == POLICY.max_attempts

    async def test_held_item_errors_are_answered_when_retries_run_out(
        self, flaky: tuple[str, FlakyGrader]
    ) -> None:
        address, fake = flaky
        fake.item_failures["q0"] = [UNAVAILABLE] * 10
        async with client(address, Sleeps(), retry=RetryPolicy(max_attempts=2)) as c:
            (item,) = await collect(c.grade_batch(submissions("ok")))
        assert fake.calls["GradeBatch"] == 2
        assert item.error is not None and item.error.code == UNAVAILABLE
        assert item.error.message == "item UNAVAILABLE"


class TestEvaluateUsesTheClient:
    """`grader eval` grades through GraderClient: a failed batch is resumed, not regraded."""

    async def test_mid_batch_failure(self, flaky: tuple[str, FlakyGrader]) -> None:
        address, fake = flaky
        fake.failures["GradeBatch"] = [Failure(UNAVAILABLE, after_items=3)]
        fake.failures["GetQuestion"] = [Failure(UNAVAILABLE)]
        samples = [Sample(i + 1, f"q{i}", "print('ok')" if i % 2 else "no", None) for i in range(5)]
        fast = RetryPolicy(initial_backoff_s=0.001, max_backoff_s=0.001)
        results = await evaluate(address, samples, progress=False, question_metadata=True, retry=fast)
        assert [r.verdict for r in results] == ["WRONG_ANSWER", "ACCEPTED"] * 2 + ["WRONG_ANSWER"]
        assert fake.batches[1] == ["q3", "q4"]
        assert sum(len(b) for b in fake.batches) == 7  # 5 + the 2 unanswered, none graded twice
        assert [r.as_json()["release_date"] for r in results] == ["2024-03-05"] * 5


@pytest.mark.parametrize("chunk_bytes", [1, 100, 3000, 10_000, 1 << 20])
@pytest.mark.parametrize("ks", [[], [1, 5, 10, 300]])
def test_batch_chunks_fit_in_bytes_and_count(chunk_bytes: int, ks: list[int]) -> None:
    rng = random.Random(chunk_bytes)
    subs = [pb.GradeRequest(question_id=f"q{n}", code="x" * rng.randrange(0, 2000)) for n in range(300)]
    chunks = list(batch_chunks(subs, ks, 50, chunk_bytes))
    assert [i for chunk in chunks for i in chunk] == list(range(len(subs)))
    for chunk in chunks:
        assert 1 <= len(chunk) <= 50
        size = pb.GradeBatchRequest(submissions=subs[chunk.start : chunk.stop], ks=ks).ByteSize()
        assert size <= chunk_bytes or len(chunk) == 1
