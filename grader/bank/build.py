"""Building a bank from source files (``grader bank build --out PATH FILE...``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from grader.bank.formats import WithheldTests, read_records
from grader.bank.formats.detect import is_evalplus_file
from grader.bank.model import BankFormatError, Question, TestSet
from grader.bank.reference import ReferenceRunner, compute_all, read_reference_tasks
from grader.bank.suite_check import SuiteCheckError, SuiteRunner, check_suites
from grader.bank.writer import BankWriter, SuiteCheck


class References(ReferenceRunner, SuiteRunner, Protocol):
    """What runs reference solutions at build time: EvalPlus's input by input, unittest
    questions' with their suites."""


SuiteChecker = Callable[[list[SuiteCheck]], list[SuiteCheckError]]
"""Runs the reference solutions of unittest questions; returns those that failed."""


@dataclass(slots=True)
class FileReport:
    """What one source file contributed."""

    path: Path
    questions: int = 0
    withheld_rows: int = 0
    tests: int = 0
    """Tests read from the file, including withheld ones."""


@dataclass(slots=True)
class BuildReport:
    """What a build wrote: per-file counts and the total number of questions."""

    out: Path
    files: list[FileReport] = field(default_factory=list)
    total_questions: int = 0

    @property
    def total_tests(self) -> int:
        return sum(f.tests for f in self.files)


# What SQLite cannot store, reported as a fault of the row it came from (never its content).
_UNSTORABLE: dict[type[Exception], str] = {
    UnicodeEncodeError: "text that is not valid Unicode (a lone surrogate)",
    OverflowError: "a number too large to store",
}


def _add(
    writer: BankWriter, item: Question | WithheldTests, where: str, line: int | None, reference: str = ""
) -> int:
    try:
        if isinstance(item, WithheldTests):
            writer.add_withheld(item.question_id, item.tests, item.kind, where, line, item.suite)
        else:
            writer.add_question(item, where, line, reference)
    except (UnicodeEncodeError, OverflowError) as exc:
        raise BankFormatError(where, line, _UNSTORABLE[type(exc)]) from None
    return len(item.tests)


def build_bank(
    out: Path,
    files: Sequence[Path],
    computed: Iterable[tuple[Question, str, int]] = (),
    left_out: list[BankFormatError] | None = None,
    check: SuiteChecker | None = None,
) -> BuildReport:
    """Read ``files`` row by row and write a new bank at ``out``, atomically.

    Files may be in any supported format, and mixed. A withheld-tests file (rows of only
    ``question_id`` and ``private_test_cases``) adds private tests to the question with
    that id, which may be in any of the files, before or after it; such a question must
    not also carry private tests in its own row. Every question must end up with tests,
    and ids must be unique across all files.

    ``computed`` adds finished questions (with where they came from: file and line), such as
    EvalPlus questions whose outputs :mod:`grader.bank.reference` computed.

    A row past a size limit is added to ``left_out`` and skipped when it is given; otherwise it
    fails the build like any malformed row.

    ``check`` runs the reference solutions of unittest questions once their suites are joined;
    a question whose reference fails is left out (and added to ``left_out``) or, without
    ``left_out``, fails the build. Without ``check`` the references are not run.

    Raises :class:`~grader.bank.model.BankFormatError` naming file and line; ``out`` is
    then left untouched.
    """
    report = BuildReport(out=out)
    with BankWriter(out) as writer:
        for path in files:
            file_report = FileReport(path=path)
            report.files.append(file_report)
            for record in read_records(path, left_out):
                file_report.tests += _add(writer, record.item, str(path), record.line, record.reference)
                if isinstance(record.item, WithheldTests):
                    file_report.withheld_rows += 1
                else:
                    file_report.questions += 1
        for question, where, line in computed:
            _add(writer, question, where, line)
        if check is not None:
            for failed in check(list(writer.suite_checks())):
                if left_out is None:
                    raise failed
                left_out.append(failed)
                writer.drop(failed.question_id)
        report.total_questions = writer.finish()
    return report


Computed = list[tuple[Question, str, int]]


async def reference_questions(
    files: Sequence[Path], runner: ReferenceRunner, test_set: TestSet, concurrency: int,
    progress: Callable[[str], None],
) -> tuple[Computed, list[BankFormatError]]:  # fmt: skip
    """The questions of EvalPlus files, their outputs computed by `runner`, and the tasks left out
    (their canonical solution failed)."""
    computed: Computed = []
    left_out: list[BankFormatError] = []
    for path in files:
        tasks = read_reference_tasks(path, test_set)
        progress(f"{path}: running {len(tasks)} canonical solutions in the sandbox...")
        questions, failed = await compute_all(tasks, path, runner, concurrency)
        computed.extend(questions)
        left_out.extend(failed)
    return computed, left_out


def build_from_files(
    out: Path,
    files: Sequence[Path],
    references: Callable[[], AbstractAsyncContextManager[References]],
    *,
    test_set: TestSet = TestSet.PLUS,
    concurrency: int = 1,
    strict: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[BuildReport, list[BankFormatError]]:
    """:func:`build_bank` over files of any format, EvalPlus files included: `references` is
    opened only when there is one, to compute their outputs, or a unittest question with a
    reference solution, to check it. Returns the report and what was left out (reference
    solutions that failed, rows over a size limit); `strict`: those fail the build.
    """
    evalplus = [f for f in files if is_evalplus_file(f)]
    computed: Computed = []
    left_out: list[BankFormatError] = []
    if evalplus:

        async def compute() -> tuple[Computed, list[BankFormatError]]:
            async with references() as runner:
                return await reference_questions(evalplus, runner, test_set, concurrency, progress)

        computed, left_out = asyncio.run(compute())
    if left_out and strict:
        raise left_out[0]
    sources = [f for f in files if f not in evalplus]

    def check(checks: list[SuiteCheck]) -> list[SuiteCheckError]:
        if not checks:
            return []
        progress(f"running {len(checks)} reference solutions with their suites in the sandbox...")

        async def run() -> list[SuiteCheckError]:
            async with references() as runner:
                return await check_suites(checks, runner, concurrency, progress)

        return asyncio.run(run())

    report = build_bank(out, sources, computed, None if strict else left_out, check)
    return report, left_out
