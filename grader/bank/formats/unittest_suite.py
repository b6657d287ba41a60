"""Unittest-suite questions (BigCodeBench style): the suite's test methods, read without running it.

A suite is untrusted source, so the build never executes it outside a sandbox: its methods are
found with :mod:`ast`, as unittest's loader would find them at run time (``TestCases``'s
attributes whose names start with ``test``, its own and inherited from classes of the same
source, sorted by name). Each method is one private test of the question, named by its ``input``.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any

from grader.bank.formats.common import Row, RowError
from grader.bank.model import CheckerName, CheckerSpec, Limits, Question, QuestionInfo, QuestionKind, TestCase

SUITE_CLASS = "TestCases"
"""The class LiveBench's and BigCodeBench's harnesses load the tests from."""
TEST_PREFIX = "test"
"""unittest.TestLoader.testMethodPrefix."""
BIGCODEBENCH_IMAGE = "bigcodebench"
"""The sandbox environment with the evaluation libraries these questions import."""
DEFAULT_MEMORY_MB = 2048
"""LiveBench allows 30 GiB of address space, which a shared service cannot; 2 GiB serves the
BigCodeBench references (docs/bank-format.md)."""
DEFAULT_SUITE_TIME_S = 20.0
"""LiveBench's suite time without an ``expected_time``, before its minimum and its extra second."""
MAX_EXPECTED_TIME_S = 3600.0
_IMAGE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class SuiteQuestion:
    """A unittest question as a row gives it, with the reference solution to check it with."""

    question: Question
    reference: str = ""
    """Code that must pass the suite (a canonical solution, a ground truth), or empty."""


def suite_methods(source: str, what: str = "tests") -> tuple[str, ...]:
    """The test methods of the suite's ``TestCases`` class in the loader's order.

    Raises :class:`RowError` for source that does not parse, a suite without ``TestCases`` or
    without a test method: an empty suite would pass anything. Reasons never quote the source.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise RowError(f"{what}: not valid Python (line {exc.lineno})") from None
    except (ValueError, RecursionError, MemoryError):
        raise RowError(f"{what}: not valid Python") from None
    # The last top-level definition of a name is the one the module ends up with.
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    if SUITE_CLASS not in classes:
        raise RowError(f"{what}: no top-level class {SUITE_CLASS}")
    names = _methods(classes[SUITE_CLASS], classes, set())
    if not names:
        raise RowError(f"{what}: {SUITE_CLASS} has no test method")
    return tuple(sorted(names))


def _methods(cls: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: set[str]) -> set[str]:
    """Test method names of `cls` and of its bases defined in the same source (others, such as
    unittest.TestCase, have none)."""
    seen.add(cls.name)
    names: set[str] = set()
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
            names |= _methods(classes[base.id], classes, seen)
    for node in cls.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(TEST_PREFIX):
            names.add(node.name)
    return names


def image_name(value: str, what: str = "image") -> str:
    """An environment name as a question may give it: empty (the default image) or a short
    lower-case name the server's settings map to a sandbox image."""
    if value and not _IMAGE_NAME.fullmatch(value):
        raise RowError(f"{what}: expected a short name of lower-case letters, digits, '.', '_' or '-'")
    return value


def method_tests(methods: tuple[str, ...]) -> tuple[TestCase, ...]:
    """One private test per method, its name the input; a method's outcome is its answer."""
    return tuple(TestCase(input=name, output="", public=False) for name in methods)


def expected_time(row: Row) -> float | None:
    """The row's ``expected_time`` (seconds the reference needs), or None without one."""
    value = row.get("expected_time")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RowError("field 'expected_time': expected a number of seconds")
    if not 0 <= value <= MAX_EXPECTED_TIME_S:
        raise RowError(f"field 'expected_time': must be between 0 and {MAX_EXPECTED_TIME_S:g}")
    return float(value)


def suite_limits(seconds: float | None, memory_mb: int = DEFAULT_MEMORY_MB) -> Limits:
    """The whole suite's limits as LiveBench sets its time: ``max(1, expected_time + 3) + 1`` s,
    21 s without an expected time (what its code means to do when the row has none)."""
    suite_s = DEFAULT_SUITE_TIME_S if seconds is None else seconds + 3
    return Limits(time_s=max(1.0, suite_s) + 1, memory_mb=memory_mb)


def bigcodebench_question(row: Row, suite: str, what: str, **fields: Any) -> Question:
    """A question of a BigCodeBench-style row (BigCodeBench's, LiveBench's): its suite's methods as
    its tests, the evaluation libraries' image, LiveBench's limits; `fields` are the rest of its
    info. An empty `suite` is one withheld, to be joined at build time."""
    methods = suite_methods(suite, what) if suite.strip() else ()
    info = QuestionInfo(
        kind=QuestionKind.UNITTEST,
        # The suite's own assertions decide; no output is compared.
        checker=CheckerSpec(CheckerName.EXACT),
        limits=suite_limits(expected_time(row)),
        num_private_tests=len(methods),
        image=BIGCODEBENCH_IMAGE,
        **fields,
    )
    return Question(info=info, tests=method_tests(methods), suite=suite if methods else "")
