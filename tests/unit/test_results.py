"""The host's one parser of the supervisor's results (grader/sandbox/results.py): what the
supervisor measured is checked as our protocol (a breach is our failure), what the candidate's
process wrote becomes its answer, any shape of it that the runner never writes a candidate verdict."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind, TestCase
from grader.judge.outcome import judge_test
from grader.judge.verdict import Verdict
from grader.sandbox.interface import ProgramKind
from grader.sandbox.results import ReplyError, parse_answer, parse_batch_result, parse_result

MEASURED: dict[str, Any] = {
    "exit_code": 0, "signal": None, "cpu_ms": 3.0, "wall_ms": 4.0, "peak_memory_kb": 9000,
    "timed_out": False, "oom_killed": False, "output_exceeded": False,
}  # fmt: skip
LIMITS = Limits(time_s=1.0, memory_mb=256, output_mb=1)
CALL = QuestionInfo(id="q", title="Q", kind=QuestionKind.CALL, entry_point="f",
                    limits=LIMITS, checker=CheckerSpec(CheckerName.JSON))  # fmt: skip
EVALPLUS = QuestionInfo(id="e", title="E", kind=QuestionKind.CALL, entry_point="f",
                        limits=CALL.limits, checker=CheckerSpec(CheckerName.EVALPLUS))  # fmt: skip
TEST = TestCase("[1]\n", "[1]", True)


def result(reports: list[Any], **fields: Any) -> dict[str, Any]:
    message = {"type": "result", "index": 0, "compile_error": None, "stdout": "", "stderr_tail": "",
               "reports": reports, **MEASURED}  # fmt: skip
    return {**message, **fields}


class TestCandidateReports:
    """Every report shape the runner does not write is malformed: RUNTIME_ERROR, never an error."""

    @pytest.mark.parametrize(
        "report",
        [
            {"compile_error": "SyntaxError: every private input"},
            {"passed": True},
            {"value": 1},
            {"value": "[1]", "typed": 5},
            {"value": None},
            {"not_serializable": ["set"]},
            {"exception": "ValueError"},
            {"exception": 3, "message": "x"},
            {"exception": "E", "message": "x", "extra": 1},
            {"fatal": "NameError", "message": "no f"},
            {"i": 0, "typed": "[1]"},
            {},
            [],
            "value",
            None,
        ],
    )
    def test_malformed_single(self, report: Any) -> None:
        run = parse_result(result([report]), ProgramKind.CALL, 0)
        assert run.answer.malformed and run.compile_error is None
        judgement = judge_test(CALL, TEST, run)
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert judgement.detail.startswith("malformed result")

    def test_two_reports_for_one_test(self) -> None:
        run = parse_result(result([{"value": "[1]", "typed": "[1]"}] * 2), ProgramKind.CALL, 0)
        assert judge_test(CALL, TEST, run).verdict is Verdict.RUNTIME_ERROR

    def test_the_runners_own_shapes(self) -> None:
        value = parse_result(result([{"value": "[1]", "typed": "[1]"}]), ProgramKind.CALL, 0)
        assert judge_test(CALL, TEST, value).verdict is Verdict.ACCEPTED
        raised = parse_result(result([{"exception": "KeyError", "message": "3"}]), ProgramKind.CALL, 0)
        assert judge_test(CALL, TEST, raised).detail == "KeyError: 3"
        check = parse_answer({"passed": True}, ProgramKind.HUMANEVAL)
        assert check.passed and not check.malformed
        odd = parse_answer({"value": "1", "not_serializable": "weird", "typed": None}, ProgramKind.CALL)
        assert not odd.malformed

    def test_no_report(self) -> None:
        run = parse_result(result([], exit_code=1), ProgramKind.CALL, 0)
        assert not run.answer.reported
        assert judge_test(CALL, TEST, run).verdict is Verdict.RUNTIME_ERROR

    def test_stdout_is_the_answer_of_a_stdin_test(self) -> None:
        message = result([], stdout=base64.b64encode(b"3\n").decode())
        assert parse_result(message, ProgramKind.STDIN, 0).answer.stdout == b"3\n"


class TestBatchReports:
    def batch(self, *reports: Any) -> list[Any]:
        items = [{**MEASURED, "exit_code": None, "report": r} for r in reports]
        message = {"type": "batch_result", "index": 10, "compile_error": None, "items": items}
        return parse_batch_result(message, 10, 5)[1]

    def test_in_order(self) -> None:
        runs = self.batch({"i": 10, "typed": "[1]"}, {"i": 11, "exception": "E", "message": ""})
        assert [judge_test(EVALPLUS, TEST, r).verdict for r in runs] == [
            Verdict.ACCEPTED,
            Verdict.RUNTIME_ERROR,
        ]

    @pytest.mark.parametrize(
        "report",
        [{"i": 12, "typed": "[1]"}, {"typed": "[1]"}, {"i": "10", "typed": "[1]"}, {"i": 10, "value": "[1]"},
         {"i": 10, "passed": True}, {"i": 10, "ready": True}],
    )  # fmt: skip
    def test_malformed(self, report: dict[str, Any]) -> None:
        (run,) = self.batch(report)
        assert judge_test(EVALPLUS, TEST, run).verdict is Verdict.RUNTIME_ERROR

    def test_fatal_is_a_runtime_error_naming_it(self) -> None:
        (run,) = self.batch({"fatal": "NameError", "message": "no Solution.f and no function f defined"})
        judgement = judge_test(EVALPLUS, TEST, run)
        assert judgement.verdict is Verdict.RUNTIME_ERROR and "no function f" in judgement.detail

    def test_input_without_report_died_in_it(self) -> None:
        (run,) = self.batch(None)
        assert not run.answer.reported


class TestSupervisorBreaches:
    """The supervisor's own fields are our protocol: a breach there is our failure."""

    @pytest.mark.parametrize(
        "fields",
        [{"type": "test"}, {"index": 1}, {"cpu_ms": "3"}, {"timed_out": 1}, {"peak_memory_kb": 1.5},
         {"stdout": "!!"}, {"reports": {}}, {"compile_error": 3}, {"exit_code": True}],
    )  # fmt: skip
    def test_result(self, fields: dict[str, Any]) -> None:
        with pytest.raises(ReplyError):
            parse_result({**result([]), **fields}, ProgramKind.CALL, 0)

    @pytest.mark.parametrize("items", [[], [{}] * 6, ["x"]])
    def test_batch(self, items: list[Any]) -> None:
        message = {"type": "batch_result", "index": 0, "compile_error": None, "items": items}
        with pytest.raises(ReplyError):
            parse_batch_result(message, 0, 5)

    def test_compile_error_only_from_its_field(self) -> None:
        run = parse_result(result([], compile_error="SyntaxError: x"), ProgramKind.CALL, 0)
        assert run.compile_error == "SyntaxError: x"
        message = {"type": "batch_result", "index": 0, "compile_error": "SyntaxError: y", "items": []}
        assert parse_batch_result(message, 0, 5) == ("SyntaxError: y", [])
