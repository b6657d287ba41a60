"""Hand-made TestRuns for unit tests: a clean exit well within every limit, with what a test is
about overridden. A `report` goes through the host's own parser (grader/sandbox/results.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

from grader.sandbox.interface import Answer, ProgramKind, TestRun
from grader.sandbox.results import parse_answer


def run(
    stdout: bytes = b"",
    *,
    report: dict[str, Any] | None = None,
    kind: ProgramKind | None = None,
    **fields: Any,
) -> TestRun:
    """`report` is read as the runner writes it for `kind`; without `kind`, for whichever kind
    has that shape (passed: humaneval, else call)."""
    if report is None:
        answer = Answer(stdout=stdout)
    else:
        kind = kind or (ProgramKind.HUMANEVAL if "passed" in report else ProgramKind.CALL)
        answer = parse_answer(report, kind, stdout=stdout)
    base = TestRun(
        exit_code=0,
        signal=None,
        cpu_ms=5.0,
        wall_ms=9.0,
        peak_memory_kb=10_000,
        timed_out=False,
        oom_killed=False,
        output_exceeded=False,
        answer=answer,
    )
    return dataclasses.replace(base, **fields)
