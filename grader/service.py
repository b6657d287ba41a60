"""The grader's operations without a transport: grading (request ids, metrics, the log of each
grading) and the bank's public view (a page of questions, one question's public part).

A front end (the gRPC servicer, or any other) converts its messages to domain objects, calls
this, and converts the answer back; what is counted and logged does not depend on which one.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from grader.bank.model import Question, QuestionInfo
from grader.bank.store import BankStore, is_release_date
from grader.grading import GradingEngine, QuestionNotFoundError, SandboxUnavailableError, Submission
from grader.judge.verdict import SubmissionVerdict
from grader.metrics import Metrics

log = structlog.get_logger(__name__)


class InvalidQueryError(ValueError):
    """A listing or a lookup that cannot be answered as asked: a negative page size, a date that
    is not YYYY-MM-DD, a page token this server did not hand out, no question id."""


@dataclass(frozen=True, slots=True)
class QuestionPage:
    questions: list[QuestionInfo]
    next_page_token: str
    """Empty on the last page."""
    bank_size: int


class GraderService:
    """The Grader service's operations for any front end (the gRPC servicer calls them), over the
    GradingEngine that does the grading; `sandbox_down` is told at once when a grading found the
    Docker engine away (the health report should not wait for its next probe)."""

    def __init__(
        self,
        grading: GradingEngine,
        bank: BankStore,
        metrics: Metrics,
        sandbox_down: Callable[[], None] = lambda: None,
    ) -> None:
        self.grading = grading
        self.bank = bank
        self.metrics = metrics
        self.sandbox_down = sandbox_down

    @property
    def capacity(self) -> int:
        """Submissions graded at once."""
        return self.grading.admission.capacity

    @staticmethod
    def begin(request_id: str, rpc: str, question_id: str) -> str:
        """The request's id (the caller's, or a new one), bound to every log line of the request;
        first, so that a request refused while it is read is logged with it."""
        request_id = request_id or uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id, rpc=rpc, question_id=question_id)
        return request_id

    async def grade(self, submission: Submission, patient: bool = False) -> SubmissionVerdict:
        """The verdict, counted and logged; `patient`: wait for a sandbox however long the line
        (a batch's items, which would otherwise be refused and starved by faster retries)."""
        started = time.monotonic()
        try:
            result = await self.grading.grade(submission, patient=patient)
        except SandboxUnavailableError:
            self.sandbox_down()
            raise
        elapsed = time.monotonic() - started
        self.metrics.graded(result.verdict.name, elapsed)
        log.info(
            "graded",
            verdict=result.verdict.name,
            passed=result.tests_passed,
            total=result.tests_total,
            ms=round(elapsed * 1000, 1),
        )
        return result

    async def list_questions(
        self, release_date_start: str, release_date_end: str, page_size: int, page_token: str
    ) -> QuestionPage:
        """One page of the bank's questions released in the inclusive window (an empty bound: open)."""
        if page_size < 0:
            raise InvalidQueryError("page_size must not be negative")
        for name, value in (
            ("release_date_start", release_date_start),
            ("release_date_end", release_date_end),
        ):
            if value and not is_release_date(value):
                raise InvalidQueryError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}")
        try:
            infos, next_token = await asyncio.to_thread(
                self.bank.list_questions, release_date_start, release_date_end, page_size, page_token
            )
        except ValueError as exc:
            raise InvalidQueryError(f"page_token is not valid: {exc}") from exc
        return QuestionPage(infos, next_token, await asyncio.to_thread(self.bank.count))

    async def public_question(self, question_id: str) -> Question:
        """The question with its public tests only."""
        if not question_id:
            raise InvalidQueryError("question_id is required")
        question = await asyncio.to_thread(self.bank.get_public_question, question_id)
        if question is None:
            raise QuestionNotFoundError(f"no question with id {question_id!r}")
        return question
