"""Checking unittest questions' reference solutions at build time, as EvalPlus's canonical
solutions are checked: each runs with its question's suite in whatever the builder is handed (a
SuiteRunner: grader/programs.py runs it in the sandbox), and a question whose reference fails a
method is left out. Messages name the question and the method's position, never the suite's
text or a method's name (both are private).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from grader.bank.model import BankFormatError, QuestionInfo
from grader.bank.writer import SuiteCheck

log = structlog.get_logger(__name__)

PROGRESS_EVERY_S = 10.0
"""How often a long check says how far it got."""


@dataclass(frozen=True, slots=True)
class MethodRun:
    """How the reference fared in one test method."""

    passed: bool
    how: str = ""
    """Without a pass: "failed an assertion", "raised KeyError", "timed out", ..."""


class SuiteRunner(Protocol):
    """Runs a reference solution with its question's suite for the builder."""

    async def run_suite(
        self, info: QuestionInfo, code: str, suite: str, methods: Sequence[str]
    ) -> list[MethodRun]:
        """`code` run as question `info`'s program with `suite`, within the question's limits;
        one run per method, in order."""
        ...


class SuiteCheckError(BankFormatError):
    """A reference solution that does not pass its question's suite."""

    def __init__(self, check: SuiteCheck, reason: str) -> None:
        super().__init__(check.path, check.line, f"{check.info.id}: the reference solution {reason}")
        self.question_id = check.info.id


def reference_program(info: QuestionInfo, reference: str) -> str:
    """The reference as LiveBench makes a program of an answer: ``partial_solution`` prepended
    when it does not start with it, else ``code_prompt`` when it has no ``def <entry_point>``."""
    if info.partial_solution and not reference.startswith(info.partial_solution):
        return info.partial_solution + "\n" + reference
    if not info.partial_solution and f"def {info.entry_point}" not in reference:
        return info.code_prompt + "\n" + reference
    return reference


def verdict(check: SuiteCheck, runs: Sequence[MethodRun]) -> SuiteCheckError | None:
    """Why the reference fails the suite, or None when it passes every method."""
    if len(runs) != len(check.methods):
        return SuiteCheckError(check, f"was run on {len(runs)} of {len(check.methods)} test methods")
    failed = [(n, run) for n, run in enumerate(runs) if not run.passed]
    if not failed:
        return None
    first, run = failed[0]
    return SuiteCheckError(
        check,
        f"fails {len(failed)} of {len(runs)} test methods (first: method {first}, {run.how or 'no result'})",
    )


async def check_suites(
    checks: Sequence[SuiteCheck],
    runner: SuiteRunner,
    concurrency: int,
    progress: Callable[[str], None] = lambda _: None,
) -> list[SuiteCheckError]:
    """The checks whose reference fails, in order; says how far it got every PROGRESS_EVERY_S."""
    limit = asyncio.Semaphore(max(1, concurrency))
    done = 0
    failures: list[SuiteCheckError | None] = [None] * len(checks)
    last_said = time.monotonic()

    async def one(n: int, check: SuiteCheck) -> None:
        nonlocal done, last_said
        async with limit:
            code = reference_program(check.info, check.reference)
            runs = await runner.run_suite(check.info, code, check.suite, check.methods)
        failures[n] = error = verdict(check, runs)
        if error is not None:
            log.warning("reference_failed_suite", question=check.info.id, reason=error.reason)
        done += 1
        if time.monotonic() - last_said >= PROGRESS_EVERY_S:
            last_said = time.monotonic()
            failed = sum(f is not None for f in failures)
            progress(f"checked {done} of {len(checks)} reference solutions ({failed} failed)")

    await asyncio.gather(*(one(n, check) for n, check in enumerate(checks)))
    return [f for f in failures if f is not None]
