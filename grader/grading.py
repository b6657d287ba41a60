"""Grading one submission: bank (what to run) -> sandbox (run it) -> judge (what it means).

This is the one place that sees both a test's expected output and the candidate's outcome; it
hands the judge plain data and keeps private tests' details out of what it returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import structlog

from grader import offload
from grader.admission import Admission
from grader.admission import OverloadedError as OverloadedError  # what grade() raises when full
from grader.bank.model import CheckerName, QuestionInfo, QuestionKind, TestCase, TestSet
from grader.bank.store import BankStore
from grader.judge.outcome import Judgement, judge_tests
from grader.judge.verdict import SubmissionVerdict, TestVerdict, Verdict, overall
from grader.programs import program_of
from grader.sandbox.interface import Program, SandboxFailureError, Session, TestRun
from grader.sandbox.interface import Sandbox as Sandbox  # what a GradingEngine runs in
from grader.sandbox.interface import SandboxUnavailableError as SandboxUnavailableError  # what grade() raises

log = structlog.get_logger(__name__)

LANGUAGES = ("python",)


@dataclass(frozen=True, slots=True)
class Submission:
    question_id: str
    code: str
    language: str = "python"
    stop_on_first_failure: bool = False
    test_set: TestSet = TestSet.PLUS
    """Every test (PLUS), or the base tests only of questions that have plus tests too."""


class InvalidSubmissionError(ValueError):
    """The request cannot be graded as sent; the message says what to fix."""


class QuestionNotFoundError(LookupError):
    pass


JUDGES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="judge")
"""Judging runs here, off the event loop (its work grows with the answer), two tests at most at
once, whatever the number of submissions; from offload.BIG bytes of answers and expected outputs,
in offload.POOL's processes instead (a checker's json.loads holds the GIL throughout)."""


def _size(items: Sequence[tuple[int, TestCase, TestRun]]) -> int:
    return sum(
        len(run.answer.stdout) + len(run.answer.value or "") + len(run.answer.typed or "") + len(test.output)
        for _, test, run in items
    )


async def _judged(
    info: QuestionInfo, items: Sequence[tuple[int, TestCase, TestRun]], stop_early: bool = False
) -> list[Judgement]:
    if _size(items) < offload.BIG:
        return await asyncio.get_running_loop().run_in_executor(JUDGES, judge_tests, info, items, stop_early)
    try:
        return await offload.POOL.run(judge_tests, info, list(items), stop_early)
    except offload.OffloadError as exc:
        # The judge is total: a checker whose process died or hung judged the answer wrong.
        log.error("judge_offload_failed", question_id=info.id, error=str(exc))
        unjudged = Judgement(Verdict.WRONG_ANSWER, "the answer could not be judged")
        return [unjudged] * (1 if stop_early else len(items))


BATCHED_CHECKERS = frozenset({CheckerName.EVALPLUS, CheckerName.POLY_ROOT})
BATCH_SIZE = 1000


def with_partial_solution(info: QuestionInfo, code: str) -> str:
    """Completion tasks: LiveBench prepends the partial solution unless the answer has it; else,
    for unittest questions, the code prompt (imports and signature) to an answer that does not
    define the entry point (a body-only answer)."""
    if info.partial_solution and not code.startswith(info.partial_solution):
        return info.partial_solution + "\n" + code
    if info.kind is QuestionKind.UNITTEST and info.code_prompt and f"def {info.entry_point}" not in code:
        return info.code_prompt + "\n" + code
    return code


class GradingEngine:
    """Grades one submission: validates it, waits for a sandbox, runs the question's tests there
    and judges them. It knows no front end; grader/service.py's GraderService counts, logs and
    names each request around it."""

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

    async def grade(self, submission: Submission, patient: bool = False) -> SubmissionVerdict:
        """The verdict; `patient`: wait for a sandbox however long the line (see Admission)."""
        self.validate(submission)
        info = await asyncio.to_thread(self.bank.get_info, submission.question_id)
        if info is None:
            raise QuestionNotFoundError(f"no question with id {submission.question_id!r}")
        suite = (
            await asyncio.to_thread(self.bank.get_suite, info.id)
            if info.kind is QuestionKind.UNITTEST
            else ""
        )
        code = with_partial_solution(info, submission.code)
        program = program_of(info, code, language=submission.language, suite=suite)
        total = info.tests_in(submission.test_set)
        async with self.admission.admit(patient):
            for attempt in (1, 2):
                try:
                    return await self._run(info, total, program, submission.stop_on_first_failure)
                except SandboxFailureError as exc:
                    # Our failure, not the candidate's: once more on a fresh sandbox, then say so.
                    log.error("sandbox_failure", attempt=attempt, error=str(exc))
        return overall(
            [
                TestVerdict(index=i, verdict=Verdict.INTERNAL_ERROR, public=i < info.num_public_tests)
                for i in range(total)
            ]
        )

    async def _run(
        self, info: QuestionInfo, total: int, program: Program, stop_early: bool
    ) -> SubmissionVerdict:
        """Runs the first `total` tests of the question."""
        verdicts: list[TestVerdict] = []
        compile_output = ""
        async with self.sandbox.session(program) as session:
            async for runs in self._runs(info, total, session):
                if runs[0][1].compile_error is not None:
                    # Found once, before any test ran: every test shares the verdict.
                    compile_output = runs[0][1].compile_error
                    verdicts = [
                        TestVerdict(index=i, verdict=Verdict.COMPILE_ERROR, public=i < info.num_public_tests)
                        for i in range(total)
                    ]
                    break
                # One hop off the event loop per test, or per batch: hundreds of small answers.
                items = [(len(verdicts) + offset, test, run) for offset, (test, run) in enumerate(runs)]
                judgements = await _judged(info, items, stop_early)
                for (index, test, run), judgement in zip(items, judgements, strict=False):
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
                if stop_early and any(j.verdict is not Verdict.ACCEPTED for j in judgements):
                    break
        return self._finish(info, total, verdicts, compile_output)

    async def _runs(
        self, info: QuestionInfo, total: int, session: Session
    ) -> AsyncIterator[list[tuple[TestCase, TestRun]]]:
        """The tests with their runs, in order: one at a time, or (EvalPlus questions: hundreds of
        inputs) in batches run by one process each, as EvalPlus does, where a fork per input would
        cost more than the calls themselves; a unittest suite's methods all in one process."""
        if info.kind is QuestionKind.UNITTEST:
            tests = await asyncio.to_thread(self.bank.get_tests, info.id, 0, total)
            runs = await session.run_suite(0, [t.input for t in tests])
            yield list(zip(tests, runs, strict=True))
            return
        if info.checker.name in BATCHED_CHECKERS:
            position = 0
            while position < total:
                count = min(BATCH_SIZE, total - position)
                if position < info.num_public_tests:
                    # Public tests get a process of their own: what the candidate shows of them
                    # (its answer in their detail, their figures) cannot carry the private inputs
                    # of a shared batch.
                    count = min(count, info.num_public_tests - position)
                tests = await asyncio.to_thread(self.bank.get_tests, info.id, position, count)
                runs = await session.run_batch(position, [t.input for t in tests])
                yield list(zip(tests, runs, strict=True))
                position += count
            return
        for index in range(total):
            # One test in memory at a time: a question's suite may be far larger than RAM.
            test = await asyncio.to_thread(self.bank.get_test, info.id, index)
            yield [(test, await session.run_test(index, test.input))]

    def _finish(
        self, info: QuestionInfo, total: int, verdicts: list[TestVerdict], compile_output: str = ""
    ) -> SubmissionVerdict:
        """Tests not run are SKIPPED, then the overall verdict."""
        verdicts = verdicts + [
            TestVerdict(index=i, verdict=Verdict.SKIPPED, public=i < info.num_public_tests)
            for i in range(len(verdicts), total)
        ]
        return overall(verdicts, compile_output)
