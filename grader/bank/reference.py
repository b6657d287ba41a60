"""Expected outputs for differential questions (EvalPlus), computed at build time by running the
canonical solution input by input, in whatever the builder is handed (a ReferenceRunner:
grader/programs.py runs it in the sandbox).

A canonical solution that fails or times out on an input fails the build for that task, with a
clear message, and the task is left out: a bank never holds a test whose expected output is an
error. One killed for memory is first run again with MAX_REFERENCE_MEMORY_MB, and its question
then gets that memory limit.
The per-test CPU time limit follows EvalPlus's rule, max(1 s, 4 x the canonical solution's time),
taken over the question's inputs (a question has one limit), and measured as CPU time so load
cannot flip it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import structlog

from grader.bank.formats.common import RowError
from grader.bank.formats.evalplus import ReferenceTask, parse_evalplus
from grader.bank.formats.reader import iter_objects
from grader.bank.model import BankFormatError, Limits, Question, QuestionInfo, TestCase, TestSet

log = structlog.get_logger(__name__)

REFERENCE_LIMITS = Limits(time_s=20.0, memory_mb=1024, output_mb=64)
MAX_REFERENCE_MEMORY_MB = 4096
"""A canonical solution killed for memory is run again with this much; its question then gets
the same limit (EvalPlus caps the address space at 4 GiB)."""
MIN_TIME_S = 1.0
TIME_FACTOR = 4.0


@dataclass(frozen=True, slots=True)
class ReferenceRun:
    """What the canonical solution gave for one input."""

    output: str | None
    """The returned value as tagged JSON (grader/runner/codec.py); None: it gave none."""
    cpu_ms: float
    failed: str = ""
    """Without an output, what the solution did: "failed", "timed out", "ended (exit 1, ...)"."""
    reason: str = ""
    """Its own words on why, when it gave any (a compile error, an exception's type)."""
    out_of_memory: bool = False
    """Killed for memory: worth a run with more."""


class ReferenceRunner(Protocol):
    """Runs canonical solutions for the builder."""

    async def run(
        self, info: QuestionInfo, code: str, limits: Limits, inputs: Sequence[str]
    ) -> list[ReferenceRun]:
        """`code` run as question `info`'s program with `limits`, on the inputs in order; may
        stop after the first input without an output."""
        ...


class ReferenceError(ValueError):
    """A canonical solution that does not produce an output for one of its inputs."""

    def __init__(self, message: str, out_of_memory: bool = False) -> None:
        super().__init__(message)
        self.out_of_memory = out_of_memory


def read_reference_tasks(path: Path, test_set: TestSet) -> list[tuple[ReferenceTask, int]]:
    tasks = []
    for line, row in iter_objects(path):
        try:
            tasks.append((parse_evalplus(row, test_set), line))
        except RowError as exc:
            raise BankFormatError(str(path), line, str(exc)) from None
    return tasks


async def compute_outputs(task: ReferenceTask, runner: ReferenceRunner, memory_mb: int = 0) -> Question:
    """The task's question with every test's expected output and the EvalPlus time limit; with
    `memory_mb`, the reference runs with that much memory and the question gets it as its limit."""
    question = task.question
    limits = dataclasses.replace(REFERENCE_LIMITS, memory_mb=memory_mb or REFERENCE_LIMITS.memory_mb)
    runs = await runner.run(question.info, task.reference_code, limits, [t.input for t in question.tests])
    tests: list[TestCase] = []
    for index, (test, run) in enumerate(zip(question.tests, runs, strict=False)):
        if run.output is None:
            raise _failed(question.info.id, index, run)
        # Outputs are kept typed, so a candidate's tuple is not taken for a list.
        tests.append(dataclasses.replace(test, output=run.output))
    if len(tests) < len(question.tests):
        raise ReferenceError(f"{question.info.id}: the canonical solution was not run on every input")
    slowest_ms = max((run.cpu_ms for run in runs), default=0.0)
    time_s = max(MIN_TIME_S, math.ceil(TIME_FACTOR * slowest_ms / 100) / 10)
    question_limits = dataclasses.replace(question.info.limits, time_s=time_s)
    if memory_mb:
        question_limits = dataclasses.replace(question_limits, memory_mb=memory_mb)
    info = dataclasses.replace(question.info, limits=question_limits)
    return Question(info=info, tests=tuple(tests))


def _failed(task_id: str, index: int, run: ReferenceRun) -> ReferenceError:
    """Why the canonical solution gave no value for an input."""
    reason = f": {run.reason}" if run.reason else ""
    return ReferenceError(
        f"{task_id}: the canonical solution {run.failed} on input {index}{reason}",
        out_of_memory=run.out_of_memory,
    )


async def compute_all(
    tasks: Sequence[tuple[ReferenceTask, int]], path: Path, runner: ReferenceRunner, concurrency: int
) -> tuple[list[tuple[Question, str, int]], list[BankFormatError]]:
    """Every task's finished question, in order, and for each task left out (its canonical
    solution failed) an error naming file, line and reason."""
    limit = asyncio.Semaphore(concurrency)

    async def one(task: ReferenceTask, line: int) -> tuple[Question, str, int] | BankFormatError:
        async with limit:
            try:
                try:
                    return await compute_outputs(task, runner), str(path), line
                except ReferenceError as exc:
                    if not exc.out_of_memory:
                        raise
                    log.warning("reference_out_of_memory", task=task.question.info.id,
                                retry_memory_mb=MAX_REFERENCE_MEMORY_MB)  # fmt: skip
                    return await compute_outputs(task, runner, MAX_REFERENCE_MEMORY_MB), str(path), line
            except ReferenceError as exc:
                return BankFormatError(str(path), line, str(exc))

    done = await asyncio.gather(*(one(t, line) for t, line in tasks))
    return [d for d in done if not isinstance(d, BankFormatError)], [
        d for d in done if isinstance(d, BankFormatError)
    ]
