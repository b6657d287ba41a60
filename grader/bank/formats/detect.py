"""Which source format a row is in, told by its keys (file names prove nothing)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from pathlib import Path

from grader.bank.formats.bigcodebench import is_bigcodebench_row, parse_bigcodebench
from grader.bank.formats.common import Row, RowError, WithheldTests
from grader.bank.formats.evalplus import is_evalplus_row
from grader.bank.formats.humaneval import parse_humaneval
from grader.bank.formats.leetcode import is_leetcode_row, parse_leetcode
from grader.bank.formats.livebench import parse_livebench
from grader.bank.formats.livecodebench import parse_livecodebench
from grader.bank.formats.native import parse_native
from grader.bank.formats.reader import iter_objects
from grader.bank.formats.unittest_suite import SuiteQuestion
from grader.bank.formats.withheld import is_withheld_row, parse_withheld
from grader.bank.model import Question


class RowFormat(enum.StrEnum):
    NATIVE = "native"
    LIVEBENCH = "livebench"
    LIVECODEBENCH = "livecodebench"
    HUMANEVAL = "humaneval"
    LEETCODE = "leetcode"
    BIGCODEBENCH = "bigcodebench"
    WITHHELD = "withheld"


def detect_row_format(row: Row) -> RowFormat:
    """The format a row's keys identify; raises :class:`RowError` if unknown."""
    keys = row.keys()
    if "format" in keys:
        return RowFormat.NATIVE
    if is_withheld_row(row):
        return RowFormat.WITHHELD
    # Before HumanEval: LeetCodeDataset rows also carry task_id, prompt, entry_point and test.
    if is_leetcode_row(row):
        return RowFormat.LEETCODE
    # Before HumanEval too: BigCodeBench rows carry task_id and test as well.
    if is_bigcodebench_row(row):
        return RowFormat.BIGCODEBENCH
    if "task_id" in keys and "test" in keys:
        return RowFormat.HUMANEVAL
    if "question_id" in keys and ("turns" in keys or "original_json" in keys):
        return RowFormat.LIVEBENCH
    if "question_id" in keys and "question_content" in keys:
        return RowFormat.LIVECODEBENCH
    raise RowError(
        "unrecognised row shape (not grader.v1, LiveBench, LiveCodeBench, HumanEval, LeetCode, "
        "BigCodeBench or withheld tests)"
    )


Parsed = Question | SuiteQuestion | WithheldTests
"""What a row holds: a question (a unittest one with its reference solution), or withheld tests."""

_PARSERS: dict[RowFormat, Callable[[Row], Parsed]] = {
    RowFormat.NATIVE: parse_native,
    RowFormat.LIVEBENCH: parse_livebench,
    RowFormat.LIVECODEBENCH: parse_livecodebench,
    RowFormat.HUMANEVAL: parse_humaneval,
    RowFormat.LEETCODE: parse_leetcode,
    RowFormat.BIGCODEBENCH: parse_bigcodebench,
    RowFormat.WITHHELD: parse_withheld,
}


def parse_row(row: Row) -> Parsed:
    """A question, or withheld tests for one, from a row of any supported format."""
    return _PARSERS[detect_row_format(row)](row)


def is_evalplus_file(path: Path) -> bool:
    """Whether a file holds EvalPlus rows, told by its first: their outputs are not in the data but
    computed at build time (grader/bank/reference.py), so the file is read as a whole, apart."""
    for _, row in iter_objects(path):
        return is_evalplus_row(row)
    return False
