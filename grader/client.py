"""A typed asyncio client of ``grader.v1.Grader``: a deadline on every call, and retries with
exponential backoff and jitter on UNAVAILABLE and RESOURCE_EXHAUSTED (honouring the server's
``retry-after-ms``), a bounded number of times. No other status is retried.

GradeBatch is split into calls of at most ``chunk_size`` submissions and ``chunk_bytes`` bytes
(the server's default largest GradeBatch request), so a batch of any size goes through; after a
failed call only the submissions not answered yet are sent again, so none is graded twice.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

import grpc
import structlog

from grader.api.limits import MAX_BATCH_BYTES
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

log = structlog.get_logger(__name__)

RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED})
"""The statuses worth another try: the server (or its sandboxes) is down or busy for now."""

_STATUS_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}
T = TypeVar("T")
FIELD_OVERHEAD_BYTES = 6
"""A repeated message field's tag and length prefix (the length: a varint of up to 5 bytes)."""


def batch_chunks(
    submissions: Sequence[pb.GradeRequest], ks: Sequence[int], chunk_size: int, chunk_bytes: int
) -> Iterator[range]:
    """Consecutive runs of submissions, each a GradeBatchRequest of at most `chunk_size` of them
    and at most `chunk_bytes` bytes with `ks`; a submission larger than that alone goes alone
    (the server then says whether it takes it)."""
    fixed = pb.GradeBatchRequest(ks=ks).ByteSize()
    start, size = 0, fixed
    for index, submission in enumerate(submissions):
        item = submission.ByteSize() + FIELD_OVERHEAD_BYTES
        if index > start and (index - start >= chunk_size or size + item > chunk_bytes):
            yield range(start, index)
            start, size = index, fixed
        size += item
    if start < len(submissions):
        yield range(start, len(submissions))


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempt n (from 1) failing with a retryable status waits ``backoff_s(n)``, or as long as
    the server's ``retry-after-ms`` asks if that is longer, then tries again; after
    ``max_attempts`` attempts the last status is the answer."""

    max_attempts: int = 5
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    multiplier: float = 2.0
    jitter: float = 0.5
    """The share of each backoff drawn at random, so that clients failed together spread out:
    the wait is uniform in [backoff x (1 - jitter), backoff]."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_backoff_s < 0 or self.max_backoff_s < 0 or self.multiplier < 1:
            raise ValueError("backoffs must not be negative and the multiplier at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be within [0, 1]")

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """How long to wait after failed attempt ``attempt`` (1, 2, ...), with jitter."""
        ceiling = min(self.max_backoff_s, self.initial_backoff_s * self.multiplier ** (attempt - 1))
        return ceiling * (1.0 - self.jitter * rng.random())


def retry_after_s(exc: grpc.aio.AioRpcError) -> float:
    """The server's ``retry-after-ms`` trailing metadata in seconds; 0 when absent or malformed."""
    # grpc-stubs types this as the sync API's tuple of _Metadatum; aio gives (key, value) pairs.
    trailing: Iterable[tuple[str, str | bytes]] = exc.trailing_metadata() or ()  # type: ignore[assignment]
    for key, value in trailing:
        if key == "retry-after-ms":
            try:
                return max(0.0, float(value) / 1000)
            except (TypeError, ValueError):
                return 0.0
    return 0.0


@dataclass(frozen=True, slots=True)
class ItemError:
    """Why one submission of a batch has no result: the status a single Grade would have had,
    or the status of the call that failed before answering it."""

    code: grpc.StatusCode
    message: str


@dataclass(frozen=True, slots=True)
class BatchItem:
    """The answer for ``submissions[index]``: a result or an error, never both."""

    index: int
    result: pb.GradeResponse | None = None
    error: ItemError | None = None


class GraderClient:
    """``async with GraderClient("host:port") as client: ...``; create it in the event loop
    that uses it. ``credentials`` (``grader.api.channel.client_credentials``: TLS, mutual TLS, a
    bearer token) secure the channel; plaintext without. Each call's deadline is ``timeout_s``
    (a GradeBatch call's ``batch_timeout_s``) unless the method is given one."""

    def __init__(
        self,
        target: str,
        *,
        timeout_s: float = 60.0,
        batch_timeout_s: float = 3600.0,
        chunk_size: int = 500,
        chunk_bytes: int = MAX_BATCH_BYTES,
        retry: RetryPolicy | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: Sequence[tuple[str, int | str]] = (("grpc.max_send_message_length", 256 << 20),),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if timeout_s <= 0 or batch_timeout_s <= 0:
            raise ValueError("deadlines must be positive")
        if chunk_size < 1 or chunk_bytes < 1:
            raise ValueError("chunk_size and chunk_bytes must be at least 1")
        self.target = target
        self.timeout_s = timeout_s
        self.batch_timeout_s = batch_timeout_s
        self.chunk_size = chunk_size
        self.chunk_bytes = chunk_bytes
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        if credentials is None:
            self._channel = grpc.aio.insecure_channel(target, options=list(options))
        else:
            self._channel = grpc.aio.secure_channel(target, credentials, options=list(options))
        self._stub = pb_grpc.GraderStub(self._channel)  # type: ignore[no-untyped-call]

    async def __aenter__(self) -> GraderClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close(None)

    async def grade(
        self,
        question_id: str,
        code: str,
        *,
        language: str = "",
        stop_on_first_failure: bool = False,
        request_id: str = "",
        timeout_s: float | None = None,
    ) -> pb.GradeResponse:
        """Grades one program; a verdict is in the response, an RPC error is raised as
        ``grpc.aio.AioRpcError`` (after the retries, for UNAVAILABLE and RESOURCE_EXHAUSTED)."""
        request = pb.GradeRequest(
            question_id=question_id,
            code=code,
            language=language,
            stop_on_first_failure=stop_on_first_failure,
            request_id=request_id,
        )
        return await self.grade_request(request, timeout_s=timeout_s)

    async def grade_request(
        self, request: pb.GradeRequest, *, timeout_s: float | None = None
    ) -> pb.GradeResponse:
        """:meth:`grade` for a request built by the caller (any field of ``GradeRequest``)."""
        response: pb.GradeResponse = await self._unary("Grade", self._stub.Grade, request, timeout_s)
        return response

    async def get_question(self, question_id: str, *, timeout_s: float | None = None) -> pb.Question:
        """The public part of a question (NOT_FOUND raised for an unknown id)."""
        request = pb.GetQuestionRequest(question_id=question_id)
        question: pb.Question = await self._unary("GetQuestion", self._stub.GetQuestion, request, timeout_s)
        return question

    async def list_questions(
        self,
        *,
        release_date_start: str = "",
        release_date_end: str = "",
        page_size: int = 1000,
        timeout_s: float | None = None,
    ) -> AsyncIterator[pb.QuestionSummary]:
        """Every question in the inclusive release-date window (ISO dates; "" unbounded), page
        after page; each page is one call with its own deadline and retries."""
        token = ""
        while True:
            request = pb.ListQuestionsRequest(release_date_start=release_date_start,
                                              release_date_end=release_date_end,
                                              page_size=page_size, page_token=token)  # fmt: skip
            page: pb.ListQuestionsResponse = await self._unary(
                "ListQuestions", self._stub.ListQuestions, request, timeout_s
            )
            for question in page.questions:
                yield question
            token = page.next_page_token
            if not token:
                return

    async def grade_batch(
        self,
        submissions: Sequence[pb.GradeRequest],
        *,
        ks: Iterable[int] = (),
        timeout_s: float | None = None,
    ) -> AsyncIterator[BatchItem]:
        """One item per submission, as results arrive (in any order; ``index`` says which).

        Submissions go in GradeBatch calls of at most ``chunk_size`` and ``chunk_bytes``. When a
        call fails with a retryable status, or a submission comes back with a retryable per-item
        error, those not answered yet are sent again after a backoff; ``max_attempts`` calls in a
        row that answer nothing end it, and every submission still unanswered gets an item with
        the last error.
        The server's pass@k summary is not passed on: after a retry it would cover only the
        retried submissions (compute pass@k from the items with ``grader.judge.passk``).
        """
        wanted_ks = list(ks)
        for chunk in batch_chunks(submissions, wanted_ks, self.chunk_size, self.chunk_bytes):
            async for item in self._grade_chunk(
                submissions, chunk, wanted_ks, timeout_s or self.batch_timeout_s
            ):
                yield item

    async def _grade_chunk(
        self, submissions: Sequence[pb.GradeRequest], chunk: range, ks: list[int], timeout_s: float
    ) -> AsyncIterator[BatchItem]:
        pending = list(chunk)
        held: dict[int, ItemError] = {}  # retryable per-item errors, answered if retries run out
        fruitless = 0
        while True:
            order = list(pending)
            answered: set[int] = set()
            failure: grpc.aio.AioRpcError | None = None
            call = self._stub.GradeBatch(
                pb.GradeBatchRequest(submissions=[submissions[i] for i in order], ks=ks),
                timeout=timeout_s,
            )
            try:
                async for message in call:
                    if message.HasField("summary"):
                        continue
                    if not 0 <= message.index < len(order) or order[message.index] in answered:
                        continue  # not one of ours, or answered: one item per submission, the right one
                    index = order[message.index]
                    if message.HasField("error"):
                        code = _STATUS_BY_VALUE.get(message.error.code, grpc.StatusCode.UNKNOWN)
                        error = ItemError(code, message.error.message)
                        if code in RETRYABLE:
                            held[index] = error
                            continue
                        item = BatchItem(index, error=error)
                    else:
                        item = BatchItem(index, result=message.result)
                    answered.add(index)
                    held.pop(index, None)
                    yield item
            except grpc.aio.AioRpcError as exc:
                failure = exc
            finally:
                call.cancel()  # a no-op after the end; stops the server's work if we are abandoned
            pending = [i for i in order if i not in answered]
            if not pending:
                return
            fruitless = 0 if answered else fruitless + 1
            retryable = failure is None or failure.code() in RETRYABLE
            if not retryable or fruitless >= self.retry.max_attempts:
                for index in pending:
                    yield BatchItem(index, error=self._final_error(index, held, failure))
                return
            await self._pause("GradeBatch", max(fruitless, 1), failure, left=len(pending))

    @staticmethod
    def _final_error(
        index: int, held: dict[int, ItemError], failure: grpc.aio.AioRpcError | None
    ) -> ItemError:
        if failure is not None:
            return ItemError(failure.code(), str(failure.details() or ""))
        return held.get(index, ItemError(grpc.StatusCode.UNKNOWN, "the server sent no result for it"))

    async def _unary(
        self, rpc: str, method: Callable[..., Awaitable[T]], request: object, timeout_s: float | None
    ) -> T:
        timeout = timeout_s or self.timeout_s
        attempt = 1
        while True:
            try:
                return await method(request, timeout=timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in RETRYABLE or attempt >= self.retry.max_attempts:
                    raise
                await self._pause(rpc, attempt, exc)
                attempt += 1

    async def _pause(
        self, rpc: str, attempt: int, exc: grpc.aio.AioRpcError | None, **context: object
    ) -> None:
        delay = self.retry.backoff_s(attempt, self._rng)
        if exc is not None:
            delay = max(delay, retry_after_s(exc))
        log.info(
            "rpc_retry",
            rpc=rpc,
            status=exc.code().name if exc is not None else "ITEM_ERRORS",
            attempt=attempt,
            delay_s=round(delay, 3),
            **context,
        )
        await self._sleep(delay)
