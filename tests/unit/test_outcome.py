"""From one test's raw outcome (a hand-made TestRun) and its expected output to a verdict."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind, TestCase
from grader.judge.outcome import SHOWN, judge_test
from grader.judge.verdict import Verdict
from tests.support.runs import run

LIMITS = Limits(time_s=2.0, memory_mb=256, output_mb=16)


def info(kind: QuestionKind, **fields: Any) -> QuestionInfo:
    return QuestionInfo(id="q", title="Q", kind=kind, entry_point="f", limits=LIMITS, **fields)


STDIN = info(QuestionKind.STDIN)
CALL = info(QuestionKind.CALL, checker=CheckerSpec(CheckerName.JSON))
HUMANEVAL = info(QuestionKind.HUMANEVAL)

STDIN_TEST = TestCase("1 2\n", "3\n", True)
CALL_TEST = TestCase("[1, 2]\n", "[1,2]", True)
HUMANEVAL_TEST = TestCase("def check(candidate):\n    assert candidate() == 1\n", "", True)


class TestStdin:
    """A stdin program is judged on its exit and its stdout under the question's checker."""

    def test_correct_output_is_accepted(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(stdout=b"3\n"))
        assert judgement.verdict is Verdict.ACCEPTED
        assert judgement.detail == ""

    def test_lcb_rule_applies_by_default(self) -> None:
        assert judge_test(STDIN, STDIN_TEST, run(stdout=b"  3.0  \n\n")).verdict is Verdict.ACCEPTED

    def test_question_checker_is_used(self) -> None:
        exact = info(QuestionKind.STDIN, checker=CheckerSpec(CheckerName.EXACT))
        assert judge_test(exact, STDIN_TEST, run(stdout=b"3")).verdict is Verdict.WRONG_ANSWER
        assert judge_test(exact, STDIN_TEST, run(stdout=b"3\n")).verdict is Verdict.ACCEPTED

    def test_wrong_output_shows_expected_and_got(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(stdout=b"4\n"))
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert "expected '3\\n'" in judgement.detail
        assert "got '4\\n'" in judgement.detail

    def test_long_answers_are_clipped_in_the_detail(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(stdout=b"x" * 5000))
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert "(5000 chars)" in judgement.detail
        assert len(judgement.detail) < 2 * SHOWN + 100

    def test_undecodable_output_is_wrong_not_a_crash(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(stdout=b"\xff\xfe3\n"))
        assert judgement.verdict is Verdict.WRONG_ANSWER

    def test_nonzero_exit_is_runtime_error(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(exit_code=3, stdout=b"3\n"))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert "exit code 3" in judgement.detail

    def test_reported_exception_is_runtime_error_with_its_message(self) -> None:
        report = {"exception": "ValueError", "message": "invalid literal"}
        judgement = judge_test(STDIN, STDIN_TEST, run(exit_code=1, report=report))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert judgement.detail == "ValueError: invalid literal"

    def test_reported_assertion_error_is_runtime_error_for_stdin(self) -> None:
        report = {"exception": "AssertionError", "message": ""}
        judgement = judge_test(STDIN, STDIN_TEST, run(exit_code=1, report=report))
        assert judgement.verdict is Verdict.RUNTIME_ERROR

    def test_signal_is_runtime_error_named_after_the_signal(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(exit_code=None, signal=int(signal.SIGSEGV)))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert judgement.detail == "killed by SIGSEGV"

    def test_unknown_signal_number(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(exit_code=None, signal=200))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert judgement.detail == "killed by signal 200"

    def test_right_output_then_a_signal_is_not_accepted(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(stdout=b"3\n", exit_code=None, signal=9))
        assert judgement.verdict is Verdict.RUNTIME_ERROR


class TestLimits:
    """Limits are judged before the answer: time, memory and output verdicts."""

    def test_timed_out_is_time_limit_exceeded(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(timed_out=True, exit_code=None, signal=9))
        assert judgement.verdict is Verdict.TIME_LIMIT_EXCEEDED
        assert judgement.detail == "time limit 2 s"

    def test_timed_out_with_the_right_answer_is_still_time_limit_exceeded(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(stdout=b"3\n", timed_out=True))
        assert judgement.verdict is Verdict.TIME_LIMIT_EXCEEDED

    def test_oom_killed_is_memory_limit_exceeded(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(oom_killed=True, exit_code=None, signal=9))
        assert judgement.verdict is Verdict.MEMORY_LIMIT_EXCEEDED
        assert judgement.detail == "memory limit 256 MiB"

    @pytest.mark.parametrize("question", [STDIN, CALL, HUMANEVAL], ids=["stdin", "call", "humaneval"])
    def test_memory_error_is_memory_limit_exceeded(self, question: QuestionInfo) -> None:
        report = {"exception": "MemoryError", "message": ""}
        judgement = judge_test(question, STDIN_TEST, run(exit_code=1, report=report))
        assert judgement.verdict is Verdict.MEMORY_LIMIT_EXCEEDED

    def test_peak_memory_over_the_limit_is_memory_limit_exceeded(self) -> None:
        over = run(stdout=b"3\n", peak_memory_kb=256 * 1024 + 1)
        assert judge_test(STDIN, STDIN_TEST, over).verdict is Verdict.MEMORY_LIMIT_EXCEEDED

    def test_peak_memory_at_the_limit_is_fine(self) -> None:
        at = run(stdout=b"3\n", peak_memory_kb=256 * 1024)
        assert judge_test(STDIN, STDIN_TEST, at).verdict is Verdict.ACCEPTED

    def test_truncated_output_is_output_limit_exceeded(self) -> None:
        judgement = judge_test(STDIN, STDIN_TEST, run(stdout=b"3\n", output_exceeded=True))
        assert judgement.verdict is Verdict.OUTPUT_LIMIT_EXCEEDED
        assert judgement.detail == "output over 16 MiB"


class TestPrecedence:
    """When several limits are hit at once: output, then memory, then time, then crashes."""

    @pytest.mark.parametrize(
        ("fields", "verdict"),
        [
            # A flood of output usually also ends in a timeout or a kill: the flood is the cause.
            ({"output_exceeded": True, "timed_out": True}, Verdict.OUTPUT_LIMIT_EXCEEDED),
            ({"output_exceeded": True, "oom_killed": True}, Verdict.OUTPUT_LIMIT_EXCEEDED),
            ({"output_exceeded": True, "exit_code": 1}, Verdict.OUTPUT_LIMIT_EXCEEDED),
            # Swapping near the memory cap slows a process down: memory is the cause.
            ({"oom_killed": True, "timed_out": True}, Verdict.MEMORY_LIMIT_EXCEEDED),
            ({"peak_memory_kb": 10**9, "timed_out": True}, Verdict.MEMORY_LIMIT_EXCEEDED),
            # Our own kill at the time limit is not the candidate's crash.
            ({"timed_out": True, "exit_code": None, "signal": 9}, Verdict.TIME_LIMIT_EXCEEDED),
            (
                {"timed_out": True, "exit_code": 1, "report": {"exception": "KeyboardInterrupt"}},
                Verdict.TIME_LIMIT_EXCEEDED,
            ),
            ({"oom_killed": True, "exit_code": None, "signal": 9}, Verdict.MEMORY_LIMIT_EXCEEDED),
        ],
    )
    def test_precedence(self, fields: dict[str, Any], verdict: Verdict) -> None:
        assert judge_test(STDIN, STDIN_TEST, run(**fields)).verdict is verdict


class TestCall:
    """A call-based answer is the runner's JSON report of the return value."""

    def test_equal_value_is_accepted(self) -> None:
        judgement = judge_test(CALL, CALL_TEST, run(report={"value": "[1, 2]"}))
        assert judgement.verdict is Verdict.ACCEPTED

    @pytest.mark.parametrize("field", ["value", "typed"])
    def test_a_value_over_the_output_limit_is_output_limit_exceeded(self, field: str) -> None:
        """The report may hold twice the limit (two encodings); each encoding is held to it, so a
        right answer padded past the limit is not judged."""
        small = QuestionInfo(id="q", title="Q", kind=QuestionKind.CALL, entry_point="f",
                             limits=Limits(output_mb=1), checker=CheckerSpec(CheckerName.JSON))  # fmt: skip
        padded = "[1, 2]" + " " * (1 << 20)
        judgement = judge_test(small, CALL_TEST, run(report={field: padded}))
        assert judgement.verdict is Verdict.OUTPUT_LIMIT_EXCEEDED
        within = judge_test(small, CALL_TEST, run(report={field: padded[: 1 << 20]})).verdict
        assert within is not Verdict.OUTPUT_LIMIT_EXCEEDED
        # 600 Ki characters are 1.2 MiB of UTF-8: the limit is in bytes.
        over_in_bytes = '["' + "\u00e9" * (600 << 10) + '"]'
        verdict = judge_test(small, CALL_TEST, run(report={field: over_in_bytes})).verdict
        assert verdict is Verdict.OUTPUT_LIMIT_EXCEEDED

    def test_different_value_is_wrong_answer_with_expected_and_got(self) -> None:
        judgement = judge_test(CALL, CALL_TEST, run(report={"value": "[2, 1]"}))
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert "expected [1,2]" in judgement.detail
        assert "got [2, 1]" in judgement.detail

    def test_printed_answer_does_not_count(self) -> None:
        judgement = judge_test(CALL, CALL_TEST, run(stdout=b"[1, 2]\n", report=None))
        assert judgement.verdict is Verdict.RUNTIME_ERROR

    def test_not_serializable_is_wrong_answer(self) -> None:
        judgement = judge_test(CALL, CALL_TEST, run(report={"not_serializable": "set"}))
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert "set" in judgement.detail

    def test_no_report_is_runtime_error(self) -> None:
        judgement = judge_test(CALL, CALL_TEST, run(exit_code=0, report=None))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert "exit code 0" in judgement.detail

    @pytest.mark.parametrize("exception", ["ZeroDivisionError", "AssertionError", "SystemExit"])
    def test_exception_is_runtime_error(self, exception: str) -> None:
        report = {"exception": exception, "message": "boom"}
        judgement = judge_test(CALL, CALL_TEST, run(exit_code=1, report=report))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert judgement.detail == f"{exception}: boom"

    def test_float_checker_applies_to_values(self) -> None:
        question = info(QuestionKind.CALL, checker=CheckerSpec(CheckerName.FLOAT))
        test = TestCase("[]\n", "[0.3]", True)
        assert judge_test(question, test, run(report={"value": "[0.30000000000000004]"})).verdict is (
            Verdict.ACCEPTED
        )


class TestHumanEval:
    """Only the runner's own report that check() returned is a pass; an exit code or printed text is not."""

    def test_passed_report_is_accepted(self) -> None:
        judgement = judge_test(HUMANEVAL, HUMANEVAL_TEST, run(report={"passed": True}))
        assert judgement.verdict is Verdict.ACCEPTED

    def test_assertion_error_is_wrong_answer(self) -> None:
        report = {"exception": "AssertionError", "message": ""}
        judgement = judge_test(HUMANEVAL, HUMANEVAL_TEST, run(exit_code=1, report=report))
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert judgement.detail == "check failed"

    def test_assertion_message_is_shown(self) -> None:
        report = {"exception": "AssertionError", "message": "f(2) != 4"}
        judgement = judge_test(HUMANEVAL, HUMANEVAL_TEST, run(exit_code=1, report=report))
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert judgement.detail == "check failed: f(2) != 4"

    def test_other_exception_is_runtime_error(self) -> None:
        report = {"exception": "TypeError", "message": "bad operand"}
        judgement = judge_test(HUMANEVAL, HUMANEVAL_TEST, run(exit_code=1, report=report))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert judgement.detail == "TypeError: bad operand"

    def test_exit_zero_without_report_is_not_a_pass(self) -> None:
        judgement = judge_test(HUMANEVAL, HUMANEVAL_TEST, run(exit_code=0, report=None))
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert "before the check completed" in judgement.detail

    def test_printed_accepted_is_not_a_pass(self) -> None:
        forged = run(exit_code=0, report=None, stdout=b"ACCEPTED\npassed\n")
        assert judge_test(HUMANEVAL, HUMANEVAL_TEST, forged).verdict is not Verdict.ACCEPTED

    @pytest.mark.parametrize("passed", [1, "true", "True", False, None])
    def test_only_literal_true_passes(self, passed: object) -> None:
        judgement = judge_test(HUMANEVAL, HUMANEVAL_TEST, run(report={"passed": passed}))
        assert judgement.verdict is not Verdict.ACCEPTED

    def test_passed_report_after_timeout_is_not_accepted(self) -> None:
        judgement = judge_test(HUMANEVAL, HUMANEVAL_TEST, run(report={"passed": True}, timed_out=True))
        assert judgement.verdict is Verdict.TIME_LIMIT_EXCEEDED


class TestForgedCompileError:
    """A compile error comes only from the compile step (TestRun.compile_error); a report that
    claims one was written by the candidate's process: malformed, RUNTIME_ERROR."""

    @pytest.mark.parametrize("kind", [QuestionKind.STDIN, QuestionKind.CALL, QuestionKind.HUMANEVAL])
    def test_reported_compile_error_is_a_runtime_error(self, kind: QuestionKind) -> None:
        question = {QuestionKind.STDIN: STDIN, QuestionKind.CALL: CALL, QuestionKind.HUMANEVAL: HUMANEVAL}[
            kind
        ]
        test = {QuestionKind.STDIN: STDIN_TEST, QuestionKind.CALL: CALL_TEST}.get(kind, HUMANEVAL_TEST)
        forged = run(exit_code=0, stdout=b"3\n", report={"compile_error": "every input"}, kind=kind)
        assert forged.compile_error is None
        judgement = judge_test(question, test, forged)
        assert judgement.verdict is Verdict.RUNTIME_ERROR
        assert judgement.detail.startswith("malformed result")

    def test_printed_text_is_not_a_compile_error(self) -> None:
        assert run(stdout=b'{"compile_error": "x"}').compile_error is None
