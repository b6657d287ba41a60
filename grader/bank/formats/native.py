"""grader's own row format, ``"format": "grader.v1"`` (see docs/bank-format.md)."""

from __future__ import annotations

import enum
import math
from typing import TypeVar

from grader.bank.formats.common import Row, RowError, io_strings, normalise_date, opt_str, req_str
from grader.bank.formats.unittest_suite import (
    SuiteQuestion,
    image_name,
    method_tests,
    suite_limits,
    suite_methods,
)
from grader.bank.model import (
    CheckerName,
    CheckerSpec,
    Limits,
    Prelude,
    Question,
    QuestionInfo,
    QuestionKind,
    TestCase,
)

FORMAT_TAG = "grader.v1"

_FIELDS = frozenset(
    {
        "format", "id", "title", "kind", "prompt", "starter_code", "entry_point",
        "release_date", "checker", "limits", "prelude", "partial_solution", "tests",
        "check", "suite", "code_prompt", "image", "reference",
    }
)  # fmt: skip
_DEFAULT_CHECKERS = {
    QuestionKind.STDIN: CheckerName.LCB,
    QuestionKind.CALL: CheckerName.JSON,
    # The check code, or the suite, decides; no output is compared.
    QuestionKind.HUMANEVAL: CheckerName.EXACT,
    QuestionKind.UNITTEST: CheckerName.EXACT,
}
_UNITTEST_ONLY = ("suite", "code_prompt", "image", "reference")

_E = TypeVar("_E", bound=enum.StrEnum)
_MAX_NUMBER = 2**53
"""Larger limits and tolerances are mistakes, and would not fit a float or SQLite's integers."""


def _enum_value(enum_type: type[_E], value: object, what: str) -> _E:
    if not isinstance(value, str):
        raise RowError(f"{what}: expected a string")
    try:
        return enum_type(value)
    except ValueError:
        known = ", ".join(member.value for member in enum_type)
        raise RowError(f"{what}: unknown name (known: {known})") from None


def _number(value: object, what: str, *, integer: bool = False, positive: bool = True) -> float:
    ok_type = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, ok_type):
        raise RowError(f"{what}: expected {'an integer' if integer else 'a number'}")
    if isinstance(value, float) and not math.isfinite(value):  # an int is finite, however large
        raise RowError(f"{what}: expected {'an integer' if integer else 'a number'}")
    if value < 0 or (positive and value == 0):
        raise RowError(f"{what}: must be {'positive' if positive else 'non-negative'}")
    if value > _MAX_NUMBER:
        raise RowError(f"{what}: too large")
    return value


def _checker(value: object, kind: QuestionKind) -> CheckerSpec:
    if value is None:
        return CheckerSpec(_DEFAULT_CHECKERS[kind])
    if isinstance(value, str):
        return CheckerSpec(_enum_value(CheckerName, value, "checker"))
    if not isinstance(value, dict):
        raise RowError("checker: expected a name or an object")
    unknown = set(value) - {"name", "abs_tol", "rel_tol"}
    if unknown:
        raise RowError(f"checker: unknown fields {sorted(unknown)}")
    default = CheckerSpec(CheckerName.EXACT)
    return CheckerSpec(
        name=_enum_value(CheckerName, value.get("name"), "checker.name"),
        abs_tol=_number(value.get("abs_tol", default.abs_tol), "checker.abs_tol", positive=False),
        rel_tol=_number(value.get("rel_tol", default.rel_tol), "checker.rel_tol", positive=False),
    )


def _limits(value: object, default: Limits) -> Limits:
    if value is None:
        return default
    if not isinstance(value, dict):
        raise RowError("limits: expected an object")
    unknown = set(value) - {"time_s", "memory_mb", "output_mb"}
    if unknown:
        raise RowError(f"limits: unknown fields {sorted(unknown)}")
    return Limits(
        time_s=float(_number(value.get("time_s", default.time_s), "limits.time_s")),
        memory_mb=int(
            _number(
                value.get("memory_mb", default.memory_mb),
                "limits.memory_mb",
                integer=True,
            )
        ),
        output_mb=int(
            _number(
                value.get("output_mb", default.output_mb),
                "limits.output_mb",
                integer=True,
            )
        ),
    )


def _tests(value: object) -> tuple[TestCase, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RowError("tests: expected a list")
    tests: list[TestCase] = []
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise RowError(f"tests: test {n} is not an object")
        test_input, test_output = io_strings(item, f"tests: test {n}")
        # Hidden unless marked public: leaking a test by omission is the worse mistake.
        public = item.get("public", False)
        if not isinstance(public, bool):
            raise RowError(f"tests: test {n}: field 'public' must be true or false")
        tests.append(TestCase(input=test_input, output=test_output, public=public))
    # Public tests run first whatever the file order.
    return tuple(t for t in tests if t.public) + tuple(t for t in tests if not t.public)


def parse_native(row: Row) -> Question | SuiteQuestion:
    """A question from a ``grader.v1`` row; a unittest one with its reference solution, if any."""
    if row.get("format") != FORMAT_TAG:
        raise RowError(f"unknown format (expected {FORMAT_TAG!r})")
    unknown = set(row) - _FIELDS
    if unknown:
        raise RowError(f"unknown fields {sorted(unknown)}")
    if "kind" not in row:
        raise RowError("missing required field 'kind'")
    kind = _enum_value(QuestionKind, row["kind"], "kind")
    entry_point = opt_str(row, "entry_point")
    tests: tuple[TestCase, ...]
    suite = ""
    if kind is not QuestionKind.UNITTEST and (given := [k for k in _UNITTEST_ONLY if k in row]):
        raise RowError(f"{given[0]!r} is for unittest questions, not {kind.value}")
    if kind is QuestionKind.UNITTEST:
        if "tests" in row or "check" in row:
            raise RowError("unittest questions take 'suite': their tests are its methods")
        suite = req_str(row, "suite")
        tests = method_tests(suite_methods(suite, "suite"))
    elif kind is QuestionKind.HUMANEVAL:
        if "tests" in row:
            raise RowError("humaneval questions take 'check', not 'tests'")
        tests = (TestCase(input=req_str(row, "check"), output="", public=True),)
    else:
        if "check" in row:
            raise RowError(f"'check' is for humaneval questions, not {kind.value}")
        tests = _tests(row.get("tests"))
    if kind is not QuestionKind.STDIN and not entry_point.strip():
        raise RowError(f"{kind.value} questions need an 'entry_point'")
    info = QuestionInfo(
        id=req_str(row, "id"),
        title=req_str(row, "title"),
        kind=kind,
        prompt=opt_str(row, "prompt"),
        starter_code=opt_str(row, "starter_code"),
        entry_point=entry_point,
        release_date=normalise_date(row.get("release_date"), "release_date"),
        source="native",
        checker=_checker(row.get("checker"), kind),
        limits=_limits(row.get("limits"), suite_limits(None) if suite else Limits()),
        prelude=_enum_value(Prelude, row.get("prelude", Prelude.NONE.value), "prelude"),
        partial_solution=opt_str(row, "partial_solution"),
        num_public_tests=sum(t.public for t in tests),
        num_private_tests=sum(not t.public for t in tests),
        code_prompt=opt_str(row, "code_prompt"),
        image=image_name(opt_str(row, "image")),
    )
    question = Question(info=info, tests=tests, suite=suite)
    return SuiteQuestion(question, opt_str(row, "reference")) if suite else question
