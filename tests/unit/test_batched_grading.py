"""The batched path (EvalPlus questions: one process calls the function on input after input) over
a fake sandbox: an input that crashes the process mid-batch gets its own verdict and every other
input its right one, at the right index; public tests are batched apart from private ones; a
sandbox failure mid-batch is retried on a fresh sandbox; stop_on_first_failure stops the batches."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader import grading
from grader.bank.model import CheckerName, CheckerSpec, Limits, Question, QuestionInfo, QuestionKind, TestCase
from grader.bank.store import BankStore
from grader.grading import GradingEngine, Submission
from grader.judge.verdict import SubmissionVerdict, Verdict
from grader.runner.codec import tagged
from grader.sandbox.interface import Answer, SandboxFailureError, TestRun
from tests.support.fake_sandbox import BatchScript, FakeSandbox
from tests.support.runs import run

PUBLIC, PRIVATE = 2, 6
TOTAL = PUBLIC + PRIVATE
A = Verdict.ACCEPTED
TLE = Verdict.TIME_LIMIT_EXCEEDED
SKIP = Verdict.SKIPPED


def typed(value: object) -> str:
    return json.dumps(tagged(value))


QUESTION = Question(
    info=QuestionInfo(
        id="ep/double", title="Double", kind=QuestionKind.CALL, entry_point="f",
        checker=CheckerSpec(CheckerName.EVALPLUS), limits=Limits(time_s=1.0, memory_mb=256, output_mb=1),
    ),
    tests=tuple(TestCase(f"[{n}]", typed(2 * n), n < PUBLIC) for n in range(TOTAL)),
)  # fmt: skip


def answered(value: object) -> TestRun:
    """An input the worker answered and went on from (no exit status: the process lived on)."""
    return run(exit_code=None, answer=Answer(reported=True, typed=typed(value)))


CRASHES: dict[str, tuple[TestRun, Verdict]] = {
    "segfault": (run(exit_code=None, signal=signal.SIGSEGV), Verdict.RUNTIME_ERROR),
    "os._exit": (run(exit_code=3), Verdict.RUNTIME_ERROR),
    "exception": (run(exit_code=None, answer=Answer(reported=True, exception="ZeroDivisionError")),
                  Verdict.RUNTIME_ERROR),
    "oom": (run(exit_code=None, signal=signal.SIGKILL, oom_killed=True), Verdict.MEMORY_LIMIT_EXCEEDED),
    "cpu limit": (run(exit_code=None, signal=signal.SIGKILL, timed_out=True), Verdict.TIME_LIMIT_EXCEEDED),
    "output flood": (run(exit_code=None, signal=signal.SIGKILL, output_exceeded=True),
                     Verdict.OUTPUT_LIMIT_EXCEEDED),
}  # fmt: skip


def worker(
    crash: dict[int, TestRun] | None = None,
    wrong: frozenset[int] = frozenset(),
    spent_after: int | None = None,
) -> BatchScript:
    """A batch as the supervisor reports it: each input answered (doubled; 0 where `wrong`), an
    input in `crash` ended as given (a fresh worker goes on with the next), and, past `spent_after`,
    the batch's budget spent: every input still waiting TIME_LIMIT_EXCEEDED."""
    crash = crash or {}

    def script(_session: int, first: int, inputs: list[str]) -> list[TestRun]:
        runs = []
        for offset, text in enumerate(inputs):
            index = first + offset
            if index in crash:
                runs.append(crash[index])
            elif spent_after is not None and index > spent_after:
                runs.append(run(exit_code=None, timed_out=True))
            else:
                runs.append(answered(0 if index in wrong else 2 * json.loads(text)[0]))
        return runs

    return script


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[BankStore]:
    path = tmp_path / "bank.db"
    BankStore.create(path, [QUESTION])
    with BankStore.open(path) as store:
        yield store


def grade(bank: BankStore, sandbox: FakeSandbox, **submission: Any) -> SubmissionVerdict:
    service = GradingEngine(bank, sandbox)
    return asyncio.run(service.grade(Submission(question_id="ep/double", code="def f(x): ...", **submission)))


def verdicts(result: SubmissionVerdict) -> list[Verdict]:
    assert [t.index for t in result.tests] == list(range(TOTAL))
    return [t.verdict for t in result.tests]


class TestCrashMidBatch:
    """Input k of n ends its process: k gets that verdict, every other input its own."""

    @pytest.mark.parametrize("kind", list(CRASHES))
    @pytest.mark.parametrize("k", [0, PUBLIC, PUBLIC + 2, TOTAL - 1])
    def test_crash_in_input_k(self, bank: BankStore, kind: str, k: int) -> None:
        crashed, verdict = CRASHES[kind]
        sandbox = FakeSandbox(batch_script=worker(crash={k: crashed}))
        result = grade(bank, sandbox)
        expected = [A] * TOTAL
        expected[k] = verdict
        assert verdicts(result) == expected
        assert result.verdict is verdict
        assert (result.tests_passed, result.tests_total) == (TOTAL - 1, TOTAL)
        assert sandbox.batches == [(1, 0, PUBLIC), (1, PUBLIC, PRIVATE)]

    def test_crash_then_wrong_then_crash(self, bank: BankStore) -> None:
        """Several events in one batch: each input judged on its own run, none shifted."""
        segfault, _ = CRASHES["segfault"]
        flood, _ = CRASHES["output flood"]
        script = worker(crash={PUBLIC + 1: segfault, PUBLIC + 4: flood}, wrong=frozenset({PUBLIC + 2, 1}))
        result = grade(bank, FakeSandbox(batch_script=script))
        assert verdicts(result) == [A, Verdict.WRONG_ANSWER, A, Verdict.RUNTIME_ERROR, Verdict.WRONG_ANSWER,
                                    A, Verdict.OUTPUT_LIMIT_EXCEEDED, A]  # fmt: skip
        assert result.verdict is Verdict.WRONG_ANSWER  # the first test that is not ACCEPTED

    def test_budget_spent_after_a_crash(self, bank: BankStore) -> None:
        """Inputs still waiting when the batch's budget is spent are TIME_LIMIT_EXCEEDED; those
        answered before keep their verdicts."""
        segfault, _ = CRASHES["segfault"]
        script = worker(crash={PUBLIC + 1: segfault}, spent_after=PUBLIC + 3)
        result = grade(bank, FakeSandbox(batch_script=script))
        assert verdicts(result) == [A, A, A, Verdict.RUNTIME_ERROR, A, A, TLE, TLE]

    def test_details_for_public_inputs_only(self, bank: BankStore) -> None:
        segfault, _ = CRASHES["segfault"]
        result = grade(bank, FakeSandbox(batch_script=worker(crash={1: segfault, PUBLIC + 1: segfault})))
        assert result.tests[1].detail == "killed by SIGSEGV"
        assert result.tests[PUBLIC + 1].verdict is Verdict.RUNTIME_ERROR
        assert result.tests[PUBLIC + 1].detail == ""


class TestBatching:
    def test_public_tests_apart_and_batch_size(
        self, bank: BankStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Public tests never share a process with private ones; private ones go BATCH_SIZE at a
        time; a crash in the last input of a middle batch is that input's alone."""
        monkeypatch.setattr(grading, "BATCH_SIZE", 4)
        segfault, _ = CRASHES["segfault"]
        sandbox = FakeSandbox(batch_script=worker(crash={PUBLIC + 3: segfault}))
        result = grade(bank, sandbox)
        assert sandbox.batches == [(1, 0, PUBLIC), (1, PUBLIC, 4), (1, PUBLIC + 4, 2)]
        expected = [A] * TOTAL
        expected[PUBLIC + 3] = Verdict.RUNTIME_ERROR
        assert verdicts(result) == expected

    def test_stop_on_first_failure(self, bank: BankStore, monkeypatch: pytest.MonkeyPatch) -> None:
        """The first failure ends the grading: later inputs SKIPPED, later batches never run."""
        monkeypatch.setattr(grading, "BATCH_SIZE", 3)
        segfault, _ = CRASHES["segfault"]
        sandbox = FakeSandbox(batch_script=worker(crash={PUBLIC + 1: segfault}))
        result = grade(bank, sandbox, stop_on_first_failure=True)
        assert verdicts(result) == [A, A, A, Verdict.RUNTIME_ERROR, SKIP, SKIP, SKIP, SKIP]
        assert sandbox.batches == [(1, 0, PUBLIC), (1, PUBLIC, 3)]
        assert result.tests_passed == PUBLIC + 1

    def test_compile_error_is_every_inputs(self, bank: BankStore) -> None:
        broken = run(compile_error="SyntaxError: invalid syntax (line 1)")
        sandbox = FakeSandbox(batch_script=lambda _s, _f, inputs: [broken] * len(inputs))
        result = grade(bank, sandbox)
        assert verdicts(result) == [Verdict.COMPILE_ERROR] * TOTAL
        assert result.compile_output == "SyntaxError: invalid syntax (line 1)"
        assert sandbox.batches == [(1, 0, PUBLIC)]  # found once, in the first batch

    def test_sandbox_failure_mid_batch_is_retried(self, bank: BankStore) -> None:
        """Our failure in the second batch: the whole submission runs again on a fresh sandbox,
        and only the second sandbox's runs count."""
        segfault, _ = CRASHES["segfault"]
        right = worker(crash={PUBLIC + 2: segfault})

        def script(session: int, first: int, inputs: list[str]) -> list[TestRun] | Exception:
            if session == 1:
                if first >= PUBLIC:
                    return SandboxFailureError("the container died")
                return [answered(-1)] * len(inputs)  # wrong, and never to be seen
            return right(session, first, inputs)

        sandbox = FakeSandbox(batch_script=script)
        result = grade(bank, sandbox)
        expected = [A] * TOTAL
        expected[PUBLIC + 2] = Verdict.RUNTIME_ERROR
        assert verdicts(result) == expected
        assert sandbox.batches == [(1, 0, PUBLIC), (1, PUBLIC, PRIVATE), (2, 0, PUBLIC), (2, PUBLIC, PRIVATE)]
        assert sandbox.closed_sessions == 2
