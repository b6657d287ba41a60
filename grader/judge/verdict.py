"""Verdicts and how a submission's overall verdict follows from its tests'."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class Verdict(enum.IntEnum):
    """Same names and numbers as grader.v1.Verdict."""

    VERDICT_UNSPECIFIED = 0
    ACCEPTED = 1
    WRONG_ANSWER = 2
    TIME_LIMIT_EXCEEDED = 3
    MEMORY_LIMIT_EXCEEDED = 4
    RUNTIME_ERROR = 5
    COMPILE_ERROR = 6
    OUTPUT_LIMIT_EXCEEDED = 7
    SKIPPED = 8
    INTERNAL_ERROR = 9


@dataclass(frozen=True, slots=True)
class TestVerdict:
    """The judged outcome of one test."""

    __test__ = False  # a domain class, not a pytest test class

    index: int
    verdict: Verdict
    public: bool
    wall_time_ms: float = 0.0
    cpu_time_ms: float = 0.0
    peak_memory_kb: int = 0
    detail: str = ""
    """What went wrong; only ever filled for public tests."""


@dataclass(frozen=True, slots=True)
class SubmissionVerdict:
    """The judged outcome of a whole submission."""

    verdict: Verdict
    tests_passed: int
    tests_total: int
    tests: tuple[TestVerdict, ...]
    compile_output: str = ""

    @property
    def pass_rate(self) -> float:
        return self.tests_passed / self.tests_total if self.tests_total else 0.0


def overall(tests: Sequence[TestVerdict], compile_output: str = "") -> SubmissionVerdict:
    """ACCEPTED iff every test is ACCEPTED, else the verdict of the first test that is not."""
    passed = sum(t.verdict is Verdict.ACCEPTED for t in tests)
    first_failure = next((t.verdict for t in tests if t.verdict is not Verdict.ACCEPTED), None)
    if not tests:
        first_failure = Verdict.INTERNAL_ERROR  # an empty suite is never a pass
    return SubmissionVerdict(
        verdict=Verdict.ACCEPTED if first_failure is None else first_failure,
        tests_passed=passed,
        tests_total=len(tests),
        tests=tuple(tests),
        compile_output=compile_output,
    )
