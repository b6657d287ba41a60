"""From a test's raw outcome and its expected output to a verdict. Never runs candidate code.

The outcome is the sandbox's own report type (sandbox/interface.py TestRun), read as plain data:
the judge imports that module only, never one that runs anything (tests/unit/test_layers.py).
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from grader.bank.model import CheckerName, QuestionInfo, QuestionKind, TestCase
from grader.judge.checkers import poly_root, text_equal, value_equal
from grader.judge.values import evalplus_equal
from grader.judge.verdict import Verdict
from grader.sandbox.interface import TestRun

log = structlog.get_logger(__name__)

SHOWN = 200
"""Characters of an answer shown in a public test's detail."""


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: Verdict
    detail: str = ""
    """Meant for public tests only; the caller drops it for private ones."""


def _clip(text: str) -> str:
    shown = text if len(text) <= SHOWN else text[:SHOWN] + f"... ({len(text)} chars)"
    # A forged answer may hold lone surrogates, which a response cannot carry as UTF-8.
    return shown.encode("utf-8", "replace").decode("utf-8")


def _over(text: str | None, info: QuestionInfo) -> bool:
    """Whether one encoding of a returned value is over the output limit. The supervisor caps a
    call's report at twice the limit (the value comes plain and tagged); each is held to it here."""
    if text is None:
        return False
    limit = info.limits.output_mb * 1024 * 1024
    # Characters never outnumber UTF-8 bytes, which are at most 4 a character: encode only between.
    return len(text) > limit or (4 * len(text) > limit and len(text.encode("utf-8", "surrogatepass")) > limit)


def _failure(run: TestRun, info: QuestionInfo) -> Judgement | None:
    """Verdicts that do not depend on the answer: limits, crashes, a report the runner did not
    write. The limits are measured outside the candidate's process; an exception is its word."""
    answer = run.answer
    if run.output_exceeded or _over(answer.value, info) or _over(answer.typed, info):
        return Judgement(Verdict.OUTPUT_LIMIT_EXCEEDED, f"output over {info.limits.output_mb} MiB")
    over_memory = run.peak_memory_kb > info.limits.memory_mb * 1024
    if run.oom_killed or answer.exception == "MemoryError" or over_memory:
        return Judgement(Verdict.MEMORY_LIMIT_EXCEEDED, f"memory limit {info.limits.memory_mb} MiB")
    if run.timed_out:
        return Judgement(Verdict.TIME_LIMIT_EXCEEDED, f"time limit {info.limits.time_s:g} s")
    if answer.malformed:
        return Judgement(Verdict.RUNTIME_ERROR, _clip(f"malformed result: {answer.malformed}"))
    if answer.exception:
        message = answer.message
        if answer.exception == "AssertionError" and info.kind is QuestionKind.HUMANEVAL:
            return Judgement(
                Verdict.WRONG_ANSWER, _clip(f"check failed: {message}" if message else "check failed")
            )
        exception = answer.exception
        return Judgement(Verdict.RUNTIME_ERROR, _clip(f"{exception}: {message}" if message else exception))
    if run.signal is not None:
        try:
            name = signal.Signals(run.signal).name
        except ValueError:
            name = f"signal {run.signal}"
        return Judgement(Verdict.RUNTIME_ERROR, f"killed by {name}")
    return None


def judge_test(info: QuestionInfo, test: TestCase, run: TestRun, index: int | None = None) -> Judgement:
    """The verdict of one test (`index`: its number, for the log); total on any outcome."""
    try:
        return _judge(info, test, run)
    except Exception as exc:  # noqa: BLE001 - a checker's failure is the answer's verdict, not the call's
        # Names only: the expected output, the input and the answer stay out of the log.
        log.error("checker_failed", checker=info.checker.name.value, question_id=info.id,
                  test_index=index, error_type=type(exc).__name__)  # fmt: skip
        return Judgement(Verdict.WRONG_ANSWER, "the answer could not be judged")


def judge_tests(
    info: QuestionInfo, items: Sequence[tuple[int, TestCase, TestRun]], stop_early: bool = False
) -> list[Judgement]:
    """The verdicts of several tests in one call (one hop off the event loop for a batch);
    `stop_early`: up to and including the first that is not ACCEPTED."""
    judgements: list[Judgement] = []
    for index, test, run in items:
        judgements.append(judge_test(info, test, run, index))
        if stop_early and judgements[-1].verdict is not Verdict.ACCEPTED:
            break
    return judgements


def _judge(info: QuestionInfo, test: TestCase, run: TestRun) -> Judgement:
    """The verdict of one test (never one whose code did not compile: see TestRun.compile_error)."""
    if run.not_run:
        return Judgement(Verdict.SKIPPED, "not run: the suite stopped in an earlier method")
    failure = _failure(run, info)
    if failure is not None:
        return failure
    answer = run.answer
    if info.kind is QuestionKind.STDIN:
        if run.exit_code != 0:
            return Judgement(Verdict.RUNTIME_ERROR, f"exit code {run.exit_code}")
        got = answer.stdout.decode("utf-8", errors="replace")
        if text_equal(got, test.output, info.checker):
            return Judgement(Verdict.ACCEPTED)
        return Judgement(Verdict.WRONG_ANSWER, f"expected {_clip(test.output)!r}, got {_clip(got)!r}")
    if info.kind is QuestionKind.CALL:
        if info.checker.name is CheckerName.EVALPLUS and answer.typed is not None:
            got = answer.typed
            right = evalplus_equal(got, test.output, info.checker, task_id=info.id,
                                   entry_point=info.entry_point, test_input=test.input)  # fmt: skip
            if right:
                return Judgement(Verdict.ACCEPTED)
            return Judgement(Verdict.WRONG_ANSWER, f"expected {_clip(test.output)}, got {_clip(got)}")
        # Batched inputs report tagged JSON only; a finite float's is its plain JSON.
        roots = info.checker.name is CheckerName.POLY_ROOT
        plain = answer.value if answer.value is not None or not roots else answer.typed
        if plain is not None:
            got = plain
            if info.checker.name is CheckerName.POLY_ROOT:
                right = poly_root(test.input, got, info.checker)
            else:
                right = value_equal(got, test.output, info.checker)
            if right:
                return Judgement(Verdict.ACCEPTED)
            return Judgement(Verdict.WRONG_ANSWER, f"expected {_clip(test.output)}, got {_clip(got)}")
        if answer.not_serializable:
            kind = answer.not_serializable
            return Judgement(Verdict.WRONG_ANSWER, f"returned a {kind}, which has no JSON form")
        return Judgement(Verdict.RUNTIME_ERROR, _ended_early(run))
    if info.kind is QuestionKind.UNITTEST:
        # Only the runner's report that the method passed is a pass; an exit code cannot make one.
        if answer.outcome == "pass":
            return Judgement(Verdict.ACCEPTED)
        if answer.outcome == "fail":
            return Judgement(Verdict.WRONG_ANSWER, "a test method failed")
        return Judgement(Verdict.RUNTIME_ERROR, _ended_early(run))
    # HumanEval: only the runner's own report that check() returned is a pass. An exit code,
    # printed text or an exit hook cannot make one.
    if answer.passed:
        return Judgement(Verdict.ACCEPTED)
    return Judgement(Verdict.RUNTIME_ERROR, _ended_early(run))


def _ended_early(run: TestRun) -> str:
    return f"the process ended (exit code {run.exit_code}) before the check completed"
