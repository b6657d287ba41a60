"""Domain objects to and from protobuf messages. Private test data never enters a message."""

from __future__ import annotations

from typing import Any

from grader.bank.model import Question, QuestionInfo, TestSet
from grader.grading import InvalidSubmissionError, Submission
from grader.judge.verdict import SubmissionVerdict, TestVerdict
from grader.v1 import grader_pb2 as pb


def submission(request: pb.GradeRequest) -> Submission:
    return Submission(
        question_id=request.question_id,
        code=request.code,
        language=request.language or "python",
        stop_on_first_failure=request.stop_on_first_failure,
        test_set=test_set(request.test_set),
    )


def grade_response(
    question_id: str, request_id: str, result: SubmissionVerdict, private_metrics: bool = False
) -> pb.GradeResponse:
    """The response to a grading; a private test carries its index and verdict only, unless
    `private_metrics` (--private-test-metrics exact): its times and memory would tell what the
    candidate read (a program can allocate or spin in proportion to the input's bytes)."""
    return pb.GradeResponse(
        question_id=question_id,
        request_id=request_id,
        verdict=int(result.verdict),  # type: ignore[arg-type]
        tests_passed=result.tests_passed,
        tests_total=result.tests_total,
        pass_rate=result.pass_rate,
        compile_output=result.compile_output,
        tests=[result_of(t, private_metrics) for t in result.tests],
    )


def result_of(test: TestVerdict, private_metrics: bool = False) -> pb.TestResult:
    verdict = int(test.verdict)
    if not test.public and not private_metrics:
        return pb.TestResult(index=test.index, verdict=verdict, public=False)  # type: ignore[arg-type]
    return pb.TestResult(
        index=test.index,
        verdict=verdict,  # type: ignore[arg-type]
        public=test.public,
        wall_time_ms=test.wall_time_ms,
        cpu_time_ms=test.cpu_time_ms,
        peak_memory_kb=test.peak_memory_kb,
        detail=test.detail if test.public else "",
    )


def _described(info: QuestionInfo) -> dict[str, Any]:
    """The fields a question's summary and its public view share."""
    return {
        "id": info.id,
        "title": info.title,
        "kind": str(info.kind),
        "release_date": info.release_date,
        "num_private_tests": info.num_private_tests,
        "source": info.source,
    }


def question_summary(info: QuestionInfo) -> pb.QuestionSummary:
    return pb.QuestionSummary(num_public_tests=info.num_public_tests, **_described(info))


def public_question(question: Question) -> pb.Question:
    info = question.info
    return pb.Question(
        **_described(info),
        prompt=info.prompt,
        starter_code=info.starter_code,
        entry_point=info.entry_point,
        public_tests=[pb.PublicTest(input=t.input, output=t.output) for t in question.tests if t.public],
        limits=pb.Limits(
            time_limit_s=info.limits.time_s,
            memory_limit_mb=info.limits.memory_mb,
            output_limit_mb=info.limits.output_mb,
        ),
        checker=str(info.checker.name),
        partial_solution=info.partial_solution,
        task=info.task,
        category=info.category,
        num_base_tests=info.tests_in(TestSet.BASE),
    )


TEST_SETS: dict[int, TestSet] = {
    pb.TEST_SET_UNSPECIFIED: TestSet.PLUS,
    pb.TEST_SET_BASE: TestSet.BASE,
    pb.TEST_SET_PLUS: TestSet.PLUS,
}


def test_set(value: int) -> TestSet:
    """The request's test set; an unknown enum value (a newer client) is refused."""
    try:
        return TEST_SETS[value]
    except KeyError:
        raise InvalidSubmissionError(f"test_set {value} is not one of {sorted(TEST_SETS)}") from None
