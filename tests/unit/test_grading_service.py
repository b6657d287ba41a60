"""GradingEngine over a real bank and a fake sandbox: validation, flow, retries and what leaves it."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.bank.model import QuestionInfo, QuestionKind, TestSet
from grader.bank.store import BankStore
from grader.grading import (
    GradingEngine,
    InvalidSubmissionError,
    QuestionNotFoundError,
    Submission,
    with_partial_solution,
)
from grader.judge.verdict import SubmissionVerdict, Verdict
from grader.sandbox.interface import Limits as SandboxLimits
from grader.sandbox.interface import ProgramKind, SandboxFailureError, TestRun
from tests.support.fake_sandbox import FakeSandbox, correct, wrong
from tests.support.questions import ANSWERS, CODE, SECRET, TESTS, question
from tests.support.runs import run

PARTIAL = "import sys\ndef helper():\n    return 41\n"


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[BankStore]:
    path = tmp_path / "bank.db"
    BankStore.create(
        path,
        [
            question("echo"),
            question("complete", partial_solution=PARTIAL),
            question("plus", num_base_tests=3),
        ],
    )
    with BankStore.open(path) as store:
        yield store


def grade(bank: BankStore, sandbox: FakeSandbox, submission: Submission, **kw: Any) -> SubmissionVerdict:
    return asyncio.run(GradingEngine(bank, sandbox, **kw).grade(submission))


def verdicts(result: SubmissionVerdict) -> list[Verdict]:
    return [t.verdict for t in result.tests]


class TestValidation:
    """A submission that cannot be graded is refused with a message that says what to fix."""

    @pytest.mark.parametrize(
        ("submission", "words"),
        [
            (Submission(question_id="", code=CODE), ["question_id"]),
            (Submission(question_id="echo", code=""), ["code"]),
            (Submission(question_id="echo", code="  \n\t "), ["code"]),
            (Submission(question_id="echo", code=CODE, language="cobol"), ["'cobol'", "python"]),
        ],
    )
    def test_invalid_submission(self, bank: BankStore, submission: Submission, words: list[str]) -> None:
        sandbox = FakeSandbox()
        with pytest.raises(InvalidSubmissionError) as info:
            grade(bank, sandbox, submission)
        for word in words:
            assert word in str(info.value)
        assert sandbox.programs == []

    def test_code_over_the_size_limit(self, bank: BankStore) -> None:
        sandbox = FakeSandbox()
        code = "#" * 101
        with pytest.raises(InvalidSubmissionError, match="101 bytes, over the limit of 100 bytes"):
            grade(bank, sandbox, Submission(question_id="echo", code=code), max_code_bytes=100)
        assert sandbox.programs == []

    def test_size_is_counted_in_utf8_bytes(self, bank: BankStore) -> None:
        code = "é" * 60  # 60 characters, 120 bytes
        with pytest.raises(InvalidSubmissionError, match="120 bytes"):
            grade(bank, FakeSandbox(), Submission(question_id="echo", code=code), max_code_bytes=100)

    def test_code_at_the_size_limit_is_graded(self, bank: BankStore) -> None:
        code = CODE + " " * (100 - len(CODE))
        result = grade(bank, FakeSandbox(), Submission(question_id="echo", code=code), max_code_bytes=100)
        assert result.verdict is Verdict.ACCEPTED

    def test_unknown_question(self, bank: BankStore) -> None:
        sandbox = FakeSandbox()
        with pytest.raises(QuestionNotFoundError, match="'nope'"):
            grade(bank, sandbox, Submission(question_id="nope", code=CODE))
        assert sandbox.programs == []


class TestFlow:
    """Every test runs in order in one session and is judged outside the sandbox."""

    def test_all_correct_is_accepted(self, bank: BankStore) -> None:
        sandbox = FakeSandbox(correct)
        result = grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        assert result.verdict is Verdict.ACCEPTED
        assert (result.tests_passed, result.tests_total) == (4, 4)
        assert sandbox.indexes() == [0, 1, 2, 3]
        assert len(sandbox.programs) == 1
        assert sandbox.closed_sessions == 1
        assert [t.public for t in result.tests] == [True, True, False, False]
        assert [t.index for t in result.tests] == [0, 1, 2, 3]

    def test_program_comes_from_the_question(self, bank: BankStore) -> None:
        sandbox = FakeSandbox()
        grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        (program,) = sandbox.programs
        assert program.code == CODE
        assert program.kind is ProgramKind.STDIN
        assert program.limits == SandboxLimits(time_s=2.0, memory_mb=256, output_mb=16)
        assert program.language == "python"

    def test_run_measurements_are_reported(self, bank: BankStore) -> None:
        def measured(_s: int, index: int, test_input: str) -> TestRun:
            return run(stdout=ANSWERS[test_input], wall_ms=10.0 + index, cpu_ms=5.0 + index, peak_memory_kb=7)

        result = grade(bank, FakeSandbox(measured), Submission(question_id="echo", code=CODE))
        assert [t.wall_time_ms for t in result.tests] == [10.0, 11.0, 12.0, 13.0]
        assert [t.cpu_time_ms for t in result.tests] == [5.0, 6.0, 7.0, 8.0]
        assert all(t.peak_memory_kb == 7 for t in result.tests)

    def test_without_stop_every_test_runs(self, bank: BankStore) -> None:
        sandbox = FakeSandbox(wrong)
        result = grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        assert verdicts(result) == [Verdict.WRONG_ANSWER] * 4
        assert sandbox.indexes() == [0, 1, 2, 3]

    def test_stop_on_first_failure_skips_the_rest(self, bank: BankStore) -> None:
        def second_fails(_s: int, index: int, test_input: str) -> TestRun:
            return run(stdout=b"nope\n") if index == 1 else run(stdout=ANSWERS[test_input])

        sandbox = FakeSandbox(second_fails)
        submission = Submission(question_id="echo", code=CODE, stop_on_first_failure=True)
        result = grade(bank, sandbox, submission)
        assert verdicts(result) == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER, Verdict.SKIPPED, Verdict.SKIPPED]
        assert sandbox.indexes() == [0, 1]
        assert result.verdict is Verdict.WRONG_ANSWER
        assert (result.tests_passed, result.tests_total) == (1, 4)
        assert [t.public for t in result.tests] == [True, True, False, False]
        assert [t.index for t in result.tests] == [0, 1, 2, 3]  # the skipped ones keep their places
        assert result.compile_output == ""

    def test_base_test_set_runs_only_the_base_tests(self, bank: BankStore) -> None:
        sandbox = FakeSandbox(correct)
        result = grade(bank, sandbox, Submission(question_id="plus", code=CODE, test_set=TestSet.BASE))
        assert result.verdict is Verdict.ACCEPTED
        assert (result.tests_passed, result.tests_total) == (3, 3)
        assert sandbox.indexes() == [0, 1, 2]

    def test_plus_test_set_runs_every_test(self, bank: BankStore) -> None:
        sandbox = FakeSandbox(correct)
        result = grade(bank, sandbox, Submission(question_id="plus", code=CODE, test_set=TestSet.PLUS))
        assert (result.tests_passed, result.tests_total) == (4, 4)
        assert sandbox.indexes() == [0, 1, 2, 3]

    def test_a_plus_failure_fails_plus_only(self, bank: BankStore) -> None:
        def last_fails(_s: int, index: int, test_input: str) -> TestRun:
            return run(stdout=b"nope\n") if index == 3 else run(stdout=ANSWERS[test_input])

        base = grade(bank, FakeSandbox(last_fails), Submission("plus", CODE, test_set=TestSet.BASE))
        plus = grade(bank, FakeSandbox(last_fails), Submission("plus", CODE, test_set=TestSet.PLUS))
        assert (base.verdict, plus.verdict) == (Verdict.ACCEPTED, Verdict.WRONG_ANSWER)

    def test_base_of_a_question_without_plus_tests_is_every_test(self, bank: BankStore) -> None:
        sandbox = FakeSandbox(correct)
        result = grade(bank, sandbox, Submission(question_id="echo", code=CODE, test_set=TestSet.BASE))
        assert result.tests_total == 4
        assert sandbox.indexes() == [0, 1, 2, 3]

    def test_compile_error_on_the_first_test_stops_everything(self, bank: BankStore) -> None:
        message = "SyntaxError: invalid syntax (main.py, line 1)"
        sandbox = FakeSandbox(lambda _s, _i, _in: run(compile_error=message))
        result = grade(bank, sandbox, Submission(question_id="echo", code="def f(:"))
        assert verdicts(result) == [Verdict.COMPILE_ERROR] * 4
        assert result.verdict is Verdict.COMPILE_ERROR
        assert result.compile_output == message
        assert sandbox.indexes() == [0]
        assert [t.public for t in result.tests] == [True, True, False, False]
        assert result.tests_passed == 0


class TestNoLeak:
    """The sandbox never sees an expected output; private tests' details never leave the service."""

    def test_sandbox_never_receives_expected_outputs(self, bank: BankStore) -> None:
        # Sanity: the bank does hold the secrets the sandbox must not see.
        assert bank.get_test("echo", 3).output == f"{SECRET}-3\n"
        sandbox = FakeSandbox(wrong)
        grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        seen = [str(getattr(p, f.name)) for p in sandbox.programs for f in dataclasses.fields(p)]
        seen += [test_input for _s, _i, test_input in sandbox.calls]
        assert len(sandbox.calls) == 4
        for text in seen:
            assert SECRET not in text
            for test in TESTS:
                assert test.output.strip() not in text

    def test_private_details_are_empty_and_public_details_kept(self, bank: BankStore) -> None:
        result = grade(bank, FakeSandbox(wrong), Submission(question_id="echo", code=CODE))
        public = [t for t in result.tests if t.public]
        private = [t for t in result.tests if not t.public]
        assert len(public) == 2 and len(private) == 2
        for t in public:
            assert "expected" in t.detail and "nope" in t.detail
            assert f"{SECRET}-{t.index}" in t.detail
        for t in private:
            assert t.verdict is Verdict.WRONG_ANSWER
            assert t.detail == ""

    def test_private_runtime_error_detail_is_empty(self, bank: BankStore) -> None:
        def crash(_s: int, _i: int, test_input: str) -> TestRun:
            report = {"exception": "ValueError", "message": f"bad input {test_input!r}"}
            return run(exit_code=1, report=report)

        result = grade(bank, FakeSandbox(crash), Submission(question_id="echo", code=CODE))
        assert verdicts(result) == [Verdict.RUNTIME_ERROR] * 4
        assert [bool(t.detail) for t in result.tests] == [True, True, False, False]
        assert all("in-2" not in t.detail and "in-3" not in t.detail for t in result.tests)


class TestPartialSolution:
    """Completion tasks get the partial solution prepended, unless the answer already starts with it."""

    def test_prepended_when_missing(self, bank: BankStore) -> None:
        sandbox = FakeSandbox()
        grade(bank, sandbox, Submission(question_id="complete", code=CODE))
        assert sandbox.programs[0].code == PARTIAL + "\n" + CODE

    def test_not_prepended_when_present(self, bank: BankStore) -> None:
        sandbox = FakeSandbox()
        code = PARTIAL + CODE
        grade(bank, sandbox, Submission(question_id="complete", code=code))
        assert sandbox.programs[0].code == code

    def test_questions_without_one_are_unchanged(self, bank: BankStore) -> None:
        sandbox = FakeSandbox()
        grade(bank, sandbox, Submission(question_id="echo", code=PARTIAL + CODE))
        assert sandbox.programs[0].code == PARTIAL + CODE

    def test_with_partial_solution(self) -> None:
        info = QuestionInfo(id="q", title="q", kind=QuestionKind.STDIN, partial_solution=PARTIAL)
        assert with_partial_solution(info, CODE) == PARTIAL + "\n" + CODE
        assert with_partial_solution(info, PARTIAL + CODE) == PARTIAL + CODE
        plain = QuestionInfo(id="q", title="q", kind=QuestionKind.STDIN)
        assert with_partial_solution(plain, CODE) == CODE


class TestSandboxFailure:
    """Our own failure is retried once on a new session; a second one is INTERNAL_ERROR for every test."""

    def test_first_failure_is_retried_on_a_new_session(self, bank: BankStore) -> None:
        def first_session_breaks(session: int, index: int, test_input: str) -> TestRun | Exception:
            if session == 1 and index == 1:
                return SandboxFailureError("supervisor gone")
            return run(stdout=ANSWERS[test_input])

        sandbox = FakeSandbox(first_session_breaks)
        result = grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        assert result.verdict is Verdict.ACCEPTED
        assert verdicts(result) == [Verdict.ACCEPTED] * 4
        assert len(sandbox.programs) == 2
        assert sandbox.indexes(1) == [0, 1]
        assert sandbox.indexes(2) == [0, 1, 2, 3]
        assert sandbox.closed_sessions == 2

    def test_second_failure_is_internal_error_for_every_test(self, bank: BankStore) -> None:
        def always_breaks(_s: int, index: int, test_input: str) -> TestRun | Exception:
            if index == 2:
                return SandboxFailureError("supervisor gone")
            return run(stdout=b"nope\n")  # a candidate verdict that must not survive

        sandbox = FakeSandbox(always_breaks)
        result = grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        assert result.verdict is Verdict.INTERNAL_ERROR
        assert verdicts(result) == [Verdict.INTERNAL_ERROR] * 4
        assert [t.public for t in result.tests] == [True, True, False, False]
        assert all(t.detail == "" for t in result.tests)
        assert (result.tests_passed, result.tests_total) == (0, 4)
        assert len(sandbox.programs) == 2

    def test_failure_to_start_is_retried(self, bank: BankStore) -> None:
        sandbox = FakeSandbox(correct, fail_on_start=1)
        result = grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        assert result.verdict is Verdict.ACCEPTED
        assert len(sandbox.programs) == 2

    def test_two_failures_to_start_are_internal_error(self, bank: BankStore) -> None:
        sandbox = FakeSandbox(correct, fail_on_start=5)
        result = grade(bank, sandbox, Submission(question_id="echo", code=CODE))
        assert verdicts(result) == [Verdict.INTERNAL_ERROR] * 4
        assert len(sandbox.programs) == 2
        assert sandbox.calls == []
