"""The grader's operations without a transport: request ids, metrics and the log of each grading.

A front end (the gRPC servicer, or any other) converts its messages to domain objects, calls
this, and converts the answer back; what is counted and logged does not depend on which one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import structlog

from grader.grading import GradingEngine, SandboxUnavailableError, Submission
from grader.judge.verdict import SubmissionVerdict
from grader.metrics import Metrics

log = structlog.get_logger(__name__)


class GraderService:
    """The Grader service's operations for any front end (the gRPC servicer calls them), over the
    GradingEngine that does the grading; `sandbox_down` is told at once when a grading found the
    Docker engine away (the health report should not wait for its next probe)."""

    def __init__(
        self, grading: GradingEngine, metrics: Metrics, sandbox_down: Callable[[], None] = lambda: None
    ) -> None:
        self.grading = grading
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
