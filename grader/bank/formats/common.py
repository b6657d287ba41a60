"""Helpers shared by the row parsers: typed field access, test lists and dates.

Parsers raise :class:`RowError` with a reason only; the file reader adds path and line.
Reasons name fields, never their content, because test data is hidden.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grader.bank.formats import limits
from grader.bank.formats.compressed import (
    CompressedDataError,
    CompressedTooLargeError,
    decode_compressed_tests,
)
from grader.bank.model import QuestionKind, TestCase

Row = Mapping[str, Any]

# LiveCodeBench's testtype values and the question kind each implies.
TESTTYPE_KINDS = {"stdin": QuestionKind.STDIN, "functional": QuestionKind.CALL}


class RowError(ValueError):
    """A row that cannot be turned into a question; the message is the reason only."""


class RowTooLargeError(RowError):
    """A row past one of the size limits of :mod:`grader.bank.formats.limits`."""


def check_sizes(tests: Sequence[TestCase], suite: str = "", what: str = "tests") -> None:
    """Raises RowTooLargeError for a test, or all of them together with the suite, past the limits."""
    if len(suite) > limits.MAX_TEST_CHARS:
        raise RowTooLargeError(f"{what}: the suite is longer than {limits.MAX_TEST_CHARS} characters")
    total = len(suite)
    for n, test in enumerate(tests, 1):
        size = len(test.input) + len(test.output)
        if size > limits.MAX_TEST_CHARS:
            raise RowTooLargeError(f"{what}: test {n} is longer than {limits.MAX_TEST_CHARS} characters")
        total += size
        if total > limits.MAX_QUESTION_CHARS:
            raise RowTooLargeError(f"{what}: longer than {limits.MAX_QUESTION_CHARS} characters together")


@dataclass(frozen=True, slots=True)
class WithheldTests:
    """Private tests published apart from their question, joined on ``question_id``.

    ``kind`` is the question kind the tests' ``testtype`` implies, if they say, or UNITTEST for
    a withheld suite.
    """

    question_id: str
    tests: tuple[TestCase, ...]
    kind: QuestionKind | None = None
    suite: str = ""
    """A unittest question's suite (LiveBench's withheld ``tests``); ``tests`` are its methods."""


def req_str(row: Row, key: str, *, nonempty: bool = True) -> str:
    if key not in row:
        raise RowError(f"missing required field {key!r}")
    value = row[key]
    if not isinstance(value, str):
        raise RowError(f"field {key!r}: expected a string, got {type(value).__name__}")
    if nonempty and not value.strip():
        raise RowError(f"field {key!r}: must not be empty")
    return value


def first_turn(row: Row) -> str:
    """A LiveBench row's prompt: the first of its ``turns``."""
    turns = row.get("turns")
    if not isinstance(turns, list) or not turns:
        raise RowError("field 'turns': expected a non-empty list")
    if not isinstance(turns[0], str) or not turns[0].strip():
        raise RowError("field 'turns': the first turn must be a non-empty string")
    return turns[0]


def opt_str(row: Row, key: str, default: str = "") -> str:
    value = row.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise RowError(f"field {key!r}: expected a string, got {type(value).__name__}")
    return value


def json_object(value: object, what: str) -> Mapping[str, Any]:
    """A dict given as itself or as a JSON string (LiveCodeBench nests both ways)."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except (ValueError, RecursionError):
            raise RowError(f"{what}: not valid JSON") from None
    if not isinstance(value, dict):
        raise RowError(f"{what}: expected a JSON object")
    return value


def normalise_date(value: object, what: str) -> str:
    """An ISO date (YYYY-MM-DD) from an ISO date/datetime string or epoch seconds or ms.

    A datetime keeps the calendar date it was written with; epoch numbers are UTC.
    """
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        raise RowError(f"{what}: expected a date")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise RowError(f"{what}: not a valid date")
        try:
            # Seconds stay below 1e11 until year 5138; milliseconds exceed it from 1973 on.
            seconds = value / 1000 if abs(value) >= 1e11 else value
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            raise RowError(f"{what}: not a valid date") from None
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text).isoformat()
            return dt.datetime.fromisoformat(text).date().isoformat()
        except ValueError:
            raise RowError(f"{what}: not an ISO date") from None
    raise RowError(f"{what}: expected a date, got {type(value).__name__}")


def io_strings(item: Row, where: str) -> tuple[str, str]:
    """A test object's ``input`` and ``output``, which must both be strings; ``where`` names the test."""
    for key in ("input", "output"):
        if not isinstance(item.get(key), str):
            raise RowError(f"{where}: field {key!r} missing or not a string")
    return item["input"], item["output"]


def _decode_test_list(value: object, what: str, *, allow_compressed: bool) -> list[Any]:
    if isinstance(value, list):
        return value
    if not isinstance(value, str):
        raise RowError(f"{what}: expected a JSON string or a list, got {type(value).__name__}")
    text = value.strip()
    if not text:
        return []
    bad = f"{what}: not valid JSON or compressed data" if allow_compressed else f"{what}: not valid JSON"
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            raise RowError(bad) from None
    elif allow_compressed:
        try:
            parsed = json.loads(decode_compressed_tests(text))
        except CompressedTooLargeError as exc:
            raise RowTooLargeError(f"{what}: compressed tests {exc}") from None
        except CompressedDataError as exc:
            raise RowError(f"{bad} ({exc})") from None
        except (ValueError, RecursionError):
            raise RowError(bad) from None
    else:
        raise RowError(bad)
    if not isinstance(parsed, list):
        raise RowError(f"{what}: expected a list of tests")
    return parsed


def parse_lcb_tests(
    value: object, what: str, *, public: bool, allow_compressed: bool = False
) -> tuple[tuple[TestCase, ...], set[QuestionKind]]:
    """LiveCodeBench-style tests and the kinds their ``testtype`` fields imply."""
    items = _decode_test_list(value, what, allow_compressed=allow_compressed)
    tests: list[TestCase] = []
    kinds: set[QuestionKind] = set()
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise RowError(f"{what}: test {n} is not a JSON object")
        test_input, test_output = io_strings(item, f"{what}: test {n}")
        testtype = item.get("testtype")
        if testtype is not None:
            if not isinstance(testtype, str) or testtype not in TESTTYPE_KINDS:
                raise RowError(f"{what}: test {n}: unknown testtype")
            kinds.add(TESTTYPE_KINDS[testtype])
        tests.append(TestCase(input=test_input, output=test_output, public=public))
    return tuple(tests), kinds
