"""The transport-free core: every grading is counted and logged there, whatever the front end,
and the servicer only converts; a batch's items are graded patiently."""

from __future__ import annotations

from typing import Any

import pytest
import structlog

import grader.service
from grader.api.servicer import GraderServicer
from grader.grading import Submission
from grader.judge.verdict import SubmissionVerdict, TestVerdict, Verdict, overall
from grader.metrics import Metrics
from grader.sandbox.interface import SandboxUnavailableError
from grader.service import GraderService
from grader.v1 import grader_pb2 as pb

ACCEPTED = overall([TestVerdict(index=0, verdict=Verdict.ACCEPTED, public=True)])


class FakeGrading:
    """Records each call's submission and patience; raises `error` when set."""

    def __init__(self, error: Exception | None = None, capacity: int = 3) -> None:
        self.error = error
        self.calls: list[tuple[Submission, bool]] = []
        self.admission = type("Admission", (), {"capacity": capacity})()

    async def grade(self, submission: Submission, patient: bool = False) -> SubmissionVerdict:
        self.calls.append((submission, patient))
        if self.error is not None:
            raise self.error
        return ACCEPTED


class Recorder:
    def __init__(self, lines: list[dict[str, Any]]) -> None:
        self.lines = lines

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append({"event": event, **fields})


def verdicts(metrics: Metrics, verdict: str) -> float:
    value = metrics.registry.get_sample_value("grader_verdicts_total", {"verdict": verdict})
    return value or 0.0


class TestGraderService:
    async def test_a_grading_is_counted_and_logged(self, monkeypatch: pytest.MonkeyPatch) -> None:
        grading, metrics = FakeGrading(), Metrics()
        service = GraderService(grading, None, metrics)  # type: ignore[arg-type]
        logs: list[dict[str, Any]] = []
        # The module's logger directly: structlog's capture_logs misses a logger cached by an
        # earlier test's logging set-up.
        monkeypatch.setattr(grader.service, "log", Recorder(logs))
        result = await service.grade(Submission("q", "print(1)"), patient=True)
        assert result is ACCEPTED
        assert grading.calls == [(Submission("q", "print(1)"), True)]
        assert verdicts(metrics, "ACCEPTED") == 1.0
        (line,) = [entry for entry in logs if entry["event"] == "graded"]
        assert (line["verdict"], line["passed"], line["total"]) == ("ACCEPTED", 1, 1)

    async def test_an_engine_away_is_reported_at_once_and_raised(self) -> None:
        downs: list[bool] = []
        grading = FakeGrading(SandboxUnavailableError("engine away"))
        service = GraderService(grading, None, Metrics(), sandbox_down=lambda: downs.append(True))  # type: ignore[arg-type]
        with pytest.raises(SandboxUnavailableError):
            await service.grade(Submission("q", "x"))
        assert downs == [True]

    def test_begin_binds_the_callers_request_id_or_a_new_one(self) -> None:
        structlog.contextvars.clear_contextvars()
        assert GraderService.begin("req-7", "Grade", "q") == "req-7"
        assert structlog.contextvars.get_contextvars() == {
            "request_id": "req-7",
            "rpc": "Grade",
            "question_id": "q",
        }
        fresh = GraderService.begin("", "Grade", "q")
        assert len(fresh) == 32 and fresh != "req-7"
        structlog.contextvars.clear_contextvars()


class NoContext:
    async def abort(self, code: Any, details: str) -> None:
        raise AssertionError(f"aborted: {code} {details}")


class TestServicer:
    def servicer(self, grading: FakeGrading) -> GraderServicer:
        service = GraderService(grading, None, Metrics())  # type: ignore[arg-type]
        return GraderServicer(service)

    async def test_grade_is_impatient_and_answers_the_request_id(self) -> None:
        grading = FakeGrading()
        response = await self.servicer(grading)._grade(
            pb.GradeRequest(question_id="q", code="x", request_id="r1"), "Grade", patient=False
        )
        assert (response.request_id, response.verdict, response.tests_passed) == ("r1", pb.ACCEPTED, 1)
        assert [patient for _, patient in grading.calls] == [False]

    async def test_a_batch_grades_every_item_patiently(self) -> None:
        """Patient callers are never refused (Admission.refuses), so no batch item can be overloaded."""
        grading = FakeGrading()
        request = pb.GradeBatchRequest(submissions=[pb.GradeRequest(question_id="q", code="x")] * 5, ks=[1])
        context: Any = NoContext()
        messages = [m async for m in self.servicer(grading).GradeBatch(request, context)]
        assert [patient for _, patient in grading.calls] == [True] * 5
        assert messages[-1].summary.accepted == 5


class FakeBank:
    """Hands out one page and no question; a token other than "" is one it never gave."""

    def list_questions(self, start: str, end: str, size: int, token: str) -> tuple[list[Any], str]:
        if token:
            raise ValueError("not one of ours")
        return [], ""

    def count(self) -> int:
        return 7

    def get_public_question(self, question_id: str) -> None:
        return None


class TestBankView:
    def service(self) -> GraderService:
        return GraderService(FakeGrading(), FakeBank(), Metrics())  # type: ignore[arg-type]

    async def test_a_page_carries_the_bank_size(self) -> None:
        page = await self.service().list_questions("2024-01-01", "", 10, "")
        assert (page.questions, page.next_page_token, page.bank_size) == ([], "", 7)

    @pytest.mark.parametrize(
        ("start", "end", "size", "token", "message"),
        [
            ("", "", -1, "", "page_size must not be negative"),
            ("2024-1-1", "", 0, "", "release_date_start must be an ISO date (YYYY-MM-DD), got '2024-1-1'"),
            ("", "2024-W01", 0, "", "release_date_end must be an ISO date (YYYY-MM-DD), got '2024-W01'"),
            ("", "", 0, "forged", "page_token is not valid: not one of ours"),
        ],
    )
    async def test_a_query_it_cannot_answer_says_which_field(
        self, start: str, end: str, size: int, token: str, message: str
    ) -> None:
        with pytest.raises(grader.service.InvalidQueryError) as raised:
            await self.service().list_questions(start, end, size, token)
        assert str(raised.value) == message

    async def test_a_question_lookup_needs_an_id_and_a_known_one(self) -> None:
        with pytest.raises(grader.service.InvalidQueryError, match="question_id is required"):
            await self.service().public_question("")
        with pytest.raises(grader.service.QuestionNotFoundError, match="no question with id 'x/1'"):
            await self.service().public_question("x/1")
