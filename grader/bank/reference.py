"""Expected outputs for differential questions (EvalPlus), computed at build time by running the
canonical solution in the sandbox, input by input.

A canonical solution that fails or times out on an input fails the build for that task, with a
clear message, and the task is left out: a bank never holds a test whose expected output is an
error. One killed for memory
is first run again with MAX_REFERENCE_MEMORY_MB, and its question then gets that memory limit.
The per-test CPU time limit follows EvalPlus's rule, max(1 s, 4 x the canonical solution's time),
taken over the question's inputs (a question has one limit), and measured as CPU time so load
cannot flip it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import signal
from collections.abc import Sequence
from pathlib import Path

import structlog

from grader.bank.formats.evalplus import ReferenceTask, is_evalplus_row, parse_evalplus
from grader.bank.formats.reader import iter_objects
from grader.bank.model import BankFormatError, Limits, Question, TestCase, TestSet
from grader.sandbox.interface import Program, Sandbox, TestRun

log = structlog.get_logger(__name__)

REFERENCE_LIMITS = Limits(time_s=20.0, memory_mb=1024, output_mb=64)
MAX_REFERENCE_MEMORY_MB = 4096
"""A canonical solution killed for memory is run again with this much; its question then gets
the same limit (EvalPlus caps the address space at 4 GiB)."""
MIN_TIME_S = 1.0
BATCH_SIZE = 1000
TIME_FACTOR = 4.0


class ReferenceError(ValueError):
    """A canonical solution that does not produce an output for one of its inputs."""

    def __init__(self, message: str, out_of_memory: bool = False) -> None:
        super().__init__(message)
        self.out_of_memory = out_of_memory


def is_evalplus_file(path: Path) -> bool:
    for _, row in iter_objects(path):
        return is_evalplus_row(row)
    return False


def read_reference_tasks(path: Path, test_set: TestSet) -> list[tuple[ReferenceTask, int]]:
    from grader.bank.formats.common import RowError

    tasks = []
    for line, row in iter_objects(path):
        try:
            tasks.append((parse_evalplus(row, test_set), line))
        except RowError as exc:
            raise BankFormatError(str(path), line, str(exc)) from None
    return tasks


async def compute_outputs(task: ReferenceTask, sandbox: Sandbox, memory_mb: int = 0) -> Question:
    """The task's question with every test's expected output and the EvalPlus time limit; with
    `memory_mb`, the reference runs with that much memory and the question gets it as its limit."""
    question = task.question
    limits = dataclasses.replace(REFERENCE_LIMITS, memory_mb=memory_mb or REFERENCE_LIMITS.memory_mb)
    program = Program(
        code=task.reference_code,
        kind=question.info.kind,
        entry_point=question.info.entry_point,
        prelude=question.info.prelude,
        limits=limits,
    )
    tests: list[TestCase] = []
    slowest_ms = 0.0
    async with sandbox.session(program) as session:
        start = 0
        while start < len(question.tests):
            chunk = question.tests[start : start + BATCH_SIZE]
            runs = await session.run_batch(start, [t.input for t in chunk])
            for offset, run in enumerate(runs):
                if run.answer.typed is None:
                    raise _failed(question.info.id, start + offset, run)
                # Outputs are kept typed, so a candidate's tuple is not taken for a list.
                tests.append(dataclasses.replace(chunk[offset], output=run.answer.typed))
                slowest_ms = max(slowest_ms, run.cpu_ms)
            start += len(runs)
    time_s = max(MIN_TIME_S, math.ceil(TIME_FACTOR * slowest_ms / 100) / 10)
    question_limits = dataclasses.replace(question.info.limits, time_s=time_s)
    if memory_mb:
        question_limits = dataclasses.replace(question_limits, memory_mb=memory_mb)
    info = dataclasses.replace(question.info, limits=question_limits)
    return Question(info=info, tests=tuple(tests))


def _failed(task_id: str, index: int, run: TestRun) -> ReferenceError:
    """Why the canonical solution gave no value for an input."""
    if run.compile_error is not None or run.answer.reported:
        why = run.compile_error or run.answer.exception or run.answer.malformed or "no value"
        return ReferenceError(f"{task_id}: the canonical solution failed on input {index}: {why}")
    how = "timed out" if run.timed_out else f"ended (exit {run.exit_code}, signal {run.signal})"
    return ReferenceError(
        f"{task_id}: the canonical solution {how} on input {index}",
        out_of_memory=not run.timed_out and (run.oom_killed or run.signal == signal.SIGKILL),
    )


async def compute_all(
    tasks: Sequence[tuple[ReferenceTask, int]], path: Path, sandbox: Sandbox, concurrency: int
) -> tuple[list[tuple[Question, str, int]], list[BankFormatError]]:
    """Every task's finished question, in order, and for each task left out (its canonical
    solution failed) an error naming file, line and reason."""
    limit = asyncio.Semaphore(concurrency)

    async def one(task: ReferenceTask, line: int) -> tuple[Question, str, int] | BankFormatError:
        async with limit:
            try:
                try:
                    return await compute_outputs(task, sandbox), str(path), line
                except ReferenceError as exc:
                    if not exc.out_of_memory:
                        raise
                    log.warning("reference_out_of_memory", task=task.question.info.id,
                                retry_memory_mb=MAX_REFERENCE_MEMORY_MB)  # fmt: skip
                    return await compute_outputs(task, sandbox, MAX_REFERENCE_MEMORY_MB), str(path), line
            except ReferenceError as exc:
                return BankFormatError(str(path), line, str(exc))

    done = await asyncio.gather(*(one(t, line) for t, line in tasks))
    return [d for d in done if not isinstance(d, BankFormatError)], [
        d for d in done if isinstance(d, BankFormatError)
    ]
