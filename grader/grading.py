"""Grading one submission: bank (what to run) -> sandbox (run it) -> judge (what it means).

This is the one place that sees both a test's expected output and the candidate's outcome; it
hands the judge plain data and keeps private tests' details out of what it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog

from grader.bank.model import QuestionInfo
from grader.bank.store import BankStore
from grader.judge.outcome import compile_error, judge_test
from grader.judge.verdict import SubmissionVerdict, TestVerdict, Verdict, overall
from grader.sandbox.interface import Program, Sandbox, SandboxFailureError

log = structlog.get_logger(__name__)

LANGUAGES = ("python",)


@dataclass(frozen=True, slots=True)
class Submission:
    question_id: str
    code: str
    language: str = "python"
    stop_on_first_failure: bool = False


class InvalidSubmissionError(ValueError):
    """The request cannot be graded as sent; the message says what to fix."""


class QuestionNotFoundError(LookupError):
    pass


class OverloadedError(Exception):
    """Every sandbox is busy and the queue is full: retry after `retry_after_s`."""

    def __init__(self, queued: int, retry_after_s: float) -> None:
        super().__init__(f"server busy: {queued} submissions already queued; retry in {retry_after_s:g} s")
        self.retry_after_s = retry_after_s


class Admission:
    """At most `slots` submissions run at once and at most `queue` wait; beyond that, refuse."""

    def __init__(self, slots: int, queue: int) -> None:
        self.capacity = slots
        self.slots = asyncio.Semaphore(slots)
        self.queue_limit = queue
        self.waiting = 0
        self.running = 0

    @contextlib.asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        if self.slots.locked() and self.waiting >= self.queue_limit:
            raise OverloadedError(self.waiting, retry_after_s=1.0)
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self.slots.release()


def _total(info: QuestionInfo) -> int:
    return info.num_public_tests + info.num_private_tests


def with_partial_solution(info: QuestionInfo, code: str) -> str:
    """Completion tasks: LiveBench prepends the partial solution unless the answer has it."""
    if info.partial_solution and not code.startswith(info.partial_solution):
        return info.partial_solution + "\n" + code
    return code


class GradingService:
    def __init__(
        self,
        bank: BankStore,
        sandbox: Sandbox,
        *,
        max_code_bytes: int = 1 << 20,
        max_concurrent: int = 2,
        max_queued: int = 256,
    ) -> None:
        self.bank = bank
        self.sandbox = sandbox
        self.max_code_bytes = max_code_bytes
        self.admission = Admission(max_concurrent, max_queued)

    def validate(self, submission: Submission) -> None:
        if not submission.question_id:
            raise InvalidSubmissionError("question_id is required")
        if not submission.code.strip():
            raise InvalidSubmissionError("code is required (the whole program)")
        if submission.language not in LANGUAGES:
            raise InvalidSubmissionError(
                f"language {submission.language!r} is not supported; use one of {', '.join(LANGUAGES)}"
            )
        size = len(submission.code.encode("utf-8", errors="surrogatepass"))
        if size > self.max_code_bytes:
            raise InvalidSubmissionError(
                f"code is {size} bytes, over the limit of {self.max_code_bytes} bytes"
            )

    async def grade(self, submission: Submission) -> SubmissionVerdict:
        self.validate(submission)
        info = await asyncio.to_thread(self.bank.get_info, submission.question_id)
        if info is None:
            raise QuestionNotFoundError(f"no question with id {submission.question_id!r}")
        program = Program(
            code=with_partial_solution(info, submission.code),
            kind=info.kind,
            entry_point=info.entry_point,
            prelude=info.prelude,
            limits=info.limits,
            language=submission.language,
        )
        async with self.admission.admit():
            for attempt in (1, 2):
                try:
                    return await self._run(info, program, submission.stop_on_first_failure)
                except SandboxFailureError as exc:
                    # Our failure, not the candidate's: once more on a fresh sandbox, then say so.
                    log.error("sandbox_failure", attempt=attempt, error=str(exc))
        return overall(
            [
                TestVerdict(index=i, verdict=Verdict.INTERNAL_ERROR, public=i < info.num_public_tests)
                for i in range(_total(info))
            ]
        )

    async def _run(self, info: QuestionInfo, program: Program, stop_early: bool) -> SubmissionVerdict:
        total = _total(info)
        verdicts: list[TestVerdict] = []
        compile_output = ""
        async with self.sandbox.session(program) as session:
            for index in range(total):
                # One test in memory at a time: a question's suite may be far larger than RAM.
                test = await asyncio.to_thread(self.bank.get_test, info.id, index)
                run = await session.run_test(index, test.input)
                message = compile_error(run)
                if message is not None:
                    # Found once: every test shares the verdict, none is run again.
                    compile_output = message
                    verdicts = [
                        TestVerdict(index=i, verdict=Verdict.COMPILE_ERROR, public=i < info.num_public_tests)
                        for i in range(total)
                    ]
                    break
                judgement = judge_test(info, test, run)
                verdicts.append(
                    TestVerdict(
                        index=index,
                        verdict=judgement.verdict,
                        public=test.public,
                        wall_time_ms=run.wall_ms,
                        cpu_time_ms=run.cpu_ms,
                        peak_memory_kb=run.peak_memory_kb,
                        detail=judgement.detail if test.public else "",
                    )
                )
                if stop_early and judgement.verdict is not Verdict.ACCEPTED:
                    break
        verdicts.extend(
            TestVerdict(index=i, verdict=Verdict.SKIPPED, public=i < info.num_public_tests)
            for i in range(len(verdicts), total)
        )
        return overall(verdicts, compile_output)
