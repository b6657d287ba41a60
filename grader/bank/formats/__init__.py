"""Reading question-bank source files: each row's format is told by its content, never by the
file name (formats/detect.py lists them). `read_records` also yields withheld-tests rows, which
the build joins onto their question; `read_bank_file` reads a self-contained file and refuses them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.bank.formats.common import RowError, RowTooLargeError, WithheldTests, check_sizes
from grader.bank.formats.compressed import CompressedDataError, decode_compressed_tests
from grader.bank.formats.detect import RowFormat, detect_row_format, parse_row
from grader.bank.formats.reader import BankLimitError, iter_objects
from grader.bank.formats.unittest_suite import SuiteQuestion
from grader.bank.model import BankFormatError, Question

__all__ = [
    "BankLimitError",
    "CompressedDataError",
    "RowFormat",
    "SourceRecord",
    "WithheldTests",
    "decode_compressed_tests",
    "detect_row_format",
    "read_bank_file",
    "read_records",
]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One parsed row and where it came from."""

    path: Path
    line: int
    item: Question | WithheldTests
    reference: str = ""
    """A unittest question's reference solution, checked against its suite at build time."""


def read_records(path: Path, left_out: list[BankFormatError] | None = None) -> Iterator[SourceRecord]:
    """Every row of a file parsed, one at a time; raises :class:`BankFormatError`.

    Questions may still lack tests here: withheld tests can be joined to them later. A row past a
    size limit (:class:`BankLimitError`) is added to `left_out` and skipped when it is given.
    """
    rows = 0

    def leave_out(error: BankLimitError) -> None:
        nonlocal rows
        if left_out is None:
            raise error
        rows += 1
        left_out.append(error)

    for line, row in iter_objects(path, leave_out if left_out is not None else None):
        rows += 1
        try:
            parsed = parse_row(row)
            item = parsed.question if isinstance(parsed, SuiteQuestion) else parsed
            reference = parsed.reference if isinstance(parsed, SuiteQuestion) else ""
            check_sizes(item.tests, item.suite)
        except RowTooLargeError as exc:
            leave_out(BankLimitError(str(path), line, str(exc)))
            continue
        except RowError as exc:
            raise BankFormatError(str(path), line, str(exc)) from None
        yield SourceRecord(path=path, line=line, item=item, reference=reference)
    if rows == 0:
        raise BankFormatError(str(path), None, "file holds no rows")


def read_bank_file(path: Path) -> Iterator[Question]:
    """The questions of one self-contained bank file, in file order.

    Raises :class:`BankFormatError` (file and line) for a malformed row, a question
    without tests, an id repeated within the file, or a withheld-tests row (those need
    :func:`grader.bank.build.build_bank`, which joins files).
    """
    seen: dict[str, int] = {}
    for record in read_records(path):
        item = record.item
        if isinstance(item, WithheldTests):
            raise BankFormatError(str(path), record.line, "withheld-tests row: build the bank to join it")
        if not item.tests:
            raise BankFormatError(str(path), record.line, "question has no tests")
        first = seen.setdefault(item.info.id, record.line)
        if first != record.line:
            raise BankFormatError(str(path), record.line, f"duplicate question id (first on line {first})")
        yield item
