"""unittest questions on the host: a suite's result message parsed (grader/sandbox/results.py),
each method's run judged (grader/judge/outcome.py), and the answer completed as LiveBench does
(grader/grading.py with_partial_solution)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from grader.bank.model import Limits, QuestionInfo, QuestionKind, TestCase
from grader.grading import with_partial_solution
from grader.judge.outcome import judge_test
from grader.judge.verdict import Verdict
from grader.sandbox.interface import Answer
from grader.sandbox.results import ReplyError, parse_outcome, parse_suite_result
from tests.support.runs import run

SUITE = QuestionInfo(
    id="q", title="Q", kind=QuestionKind.UNITTEST, entry_point="task_func",
    limits=Limits(time_s=4.0, memory_mb=256, output_mb=1), code_prompt="import os\ndef task_func(x):\n",
)  # fmt: skip
METHOD = TestCase("test_one", "", False)


def outcome(report: dict[str, Any], **fields: Any) -> Verdict:
    return judge_test(
        SUITE, METHOD, dataclasses.replace(run(**fields), answer=parse_outcome(report, 0))
    ).verdict


class TestJudge:
    def test_only_a_reported_pass_is_accepted(self) -> None:
        assert outcome({"i": 0, "outcome": "pass"}) is Verdict.ACCEPTED
        assert judge_test(SUITE, METHOD, run()).verdict is Verdict.RUNTIME_ERROR  # exit 0, no report

    def test_a_failed_assertion_is_a_wrong_answer(self) -> None:
        assert outcome({"i": 0, "outcome": "fail"}) is Verdict.WRONG_ANSWER

    def test_an_error_is_a_runtime_error(self) -> None:
        assert outcome({"i": 0, "outcome": "error", "exception": "KeyError"}) is Verdict.RUNTIME_ERROR
        assert outcome({"i": 0, "outcome": "error"}) is Verdict.RUNTIME_ERROR

    def test_a_fatal_report_is_a_runtime_error(self) -> None:
        assert outcome({"fatal": "SystemExit", "message": ""}) is Verdict.RUNTIME_ERROR

    def test_memory_error_is_out_of_memory(self) -> None:
        assert (
            outcome({"i": 0, "outcome": "error", "exception": "MemoryError"}) is Verdict.MEMORY_LIMIT_EXCEEDED
        )

    @pytest.mark.parametrize(
        ("fields", "verdict"),
        [
            ({"timed_out": True}, Verdict.TIME_LIMIT_EXCEEDED),
            ({"oom_killed": True}, Verdict.MEMORY_LIMIT_EXCEEDED),
            ({"peak_memory_kb": 256 * 1024 + 1}, Verdict.MEMORY_LIMIT_EXCEEDED),
            ({"output_exceeded": True}, Verdict.OUTPUT_LIMIT_EXCEEDED),
            ({"signal": 9, "exit_code": None}, Verdict.RUNTIME_ERROR),
        ],
    )
    def test_limits_measured_outside_win_over_a_reported_pass(
        self, fields: dict[str, Any], verdict: Verdict
    ) -> None:
        assert outcome({"i": 0, "outcome": "pass"}, **fields) is verdict

    def test_a_method_that_never_started_is_skipped(self) -> None:
        judgement = judge_test(SUITE, METHOD, run(not_run=True, exit_code=None))
        assert judgement.verdict is Verdict.SKIPPED
        assert judge_test(SUITE, METHOD, run(not_run=True, timed_out=True)).verdict is Verdict.SKIPPED

    def test_malformed_is_a_runtime_error(self) -> None:
        assert outcome({"i": 0, "outcome": "passed"}) is Verdict.RUNTIME_ERROR


class TestParseOutcome:
    def test_shapes_the_runner_writes(self) -> None:
        assert parse_outcome({"i": 3, "outcome": "pass"}, 3) == Answer(reported=True, outcome="pass")
        assert parse_outcome({"i": 3, "outcome": "error", "exception": "E" * 300}, 3).exception == "E" * 100
        fatal = parse_outcome({"fatal": "SuiteAltered", "message": ""}, 5)
        assert (fatal.outcome, fatal.exception, fatal.malformed) == ("error", "SuiteAltered", "")

    @pytest.mark.parametrize(
        "report",
        [
            {"i": 2, "outcome": "pass"},
            {"outcome": "pass"},
            {"i": 3, "outcome": "ok"},
            {"i": 3, "outcome": "pass", "extra": 1},
            {"i": 3, "outcome": "error", "exception": 7},
            {"fatal": 1, "message": ""},
            ["pass"],
        ],
    )
    def test_anything_else_is_malformed(self, report: Any) -> None:
        answer = parse_outcome(report, 3)
        assert answer.malformed and answer.reported and not answer.outcome


def item(report: Any = None, **fields: Any) -> dict[str, Any]:
    base = {"exit_code": 0, "signal": None, "cpu_ms": 1.0, "wall_ms": 2.0, "peak_memory_kb": 10,
            "timed_out": False, "oom_killed": False, "output_exceeded": False, "report": report}  # fmt: skip
    return {**base, **fields}


class TestParseSuiteResult:
    def message(self, items: list[Any], **fields: Any) -> dict[str, Any]:
        return {"type": "suite_result", "index": 0, "compile_error": None, "items": items, **fields}

    def test_one_run_per_method(self) -> None:
        items = [item({"i": 0, "outcome": "pass"}), item(None, not_run=True)]
        error, runs = parse_suite_result(self.message(items), first=0, count=2)
        assert error is None
        assert runs[0].answer.outcome == "pass" and not runs[0].not_run
        assert runs[1].not_run and not runs[1].answer.reported

    def test_compile_error(self) -> None:
        assert parse_suite_result(self.message([], compile_error="SyntaxError"), first=0, count=2) == (
            "SyntaxError",
            [],
        )

    @pytest.mark.parametrize(
        "message",
        [
            {"type": "batch_result", "index": 0, "compile_error": None, "items": []},
            {"type": "suite_result", "index": 1, "compile_error": None, "items": [item(), item()]},
            {"type": "suite_result", "index": 0, "compile_error": None, "items": [item()]},
            {"type": "suite_result", "index": 0, "compile_error": None, "items": [item(), "x"]},
        ],
    )
    def test_a_broken_reply_is_our_failure(self, message: dict[str, Any]) -> None:
        with pytest.raises(ReplyError):
            parse_suite_result(message, first=0, count=2)


class TestCompletion:
    def test_a_body_only_answer_gets_the_code_prompt(self) -> None:
        assert with_partial_solution(SUITE, "    return x") == SUITE.code_prompt + "\n    return x"

    def test_an_answer_defining_the_entry_point_is_kept(self) -> None:
        code = "def task_func(x):\n    return x"
        assert with_partial_solution(SUITE, code) == code

    def test_the_partial_solution_comes_first(self) -> None:
        partial = dataclasses.replace(SUITE, partial_solution="import os")
        assert with_partial_solution(partial, "    return x") == "import os\n    return x"
        # Starting with it, the answer falls to the next rule, as in LiveBench's if/elif.
        assert (
            with_partial_solution(partial, "import os\ndef task_func(x): 1")
            == "import os\ndef task_func(x): 1"
        )
        assert with_partial_solution(partial, "import os\nx = 1") == SUITE.code_prompt + "\nimport os\nx = 1"

    def test_other_kinds_get_no_code_prompt(self) -> None:
        call = dataclasses.replace(SUITE, kind=QuestionKind.CALL)
        assert with_partial_solution(call, "    return x") == "    return x"
