"""The question bank's domain model: what a question is, independent of where it came from."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class QuestionKind(enum.StrEnum):
    """How a candidate program is driven and what it produces."""

    STDIN = "stdin"
    """A whole program: reads a test's input on stdin, writes its answer on stdout."""
    CALL = "call"
    """LeetCode style: the entry point (a ``Solution`` method or a top-level function) is
    called with the test's arguments; its return value is the answer."""
    HUMANEVAL = "humaneval"
    """HumanEval style: the question's ``check(candidate)`` code asserts on the entry point.
    The check code runs inside the sandbox, so it must not hold hidden data."""
    UNITTEST = "unittest"
    """BigCodeBench style (LiveBench ``code_generation`` / ``code_completion``): the answer and the
    question's unittest suite (``class TestCases``) run as one module, the suite's methods in
    unittest's loader order. One test per method, named by its ``input``; the suite's source is
    private data of the question (:attr:`Question.suite`), never in its info."""


class TestSet(enum.StrEnum):
    """Which of a question's tests a submission runs.

    EvalPlus questions built with their extra inputs hold the original inputs first ("base":
    HumanEval, MBPP) and EvalPlus's extra ones after them; together they are "plus" (HumanEval+,
    MBPP+). A question without that split has base tests only, so both choices run all of them.
    """

    __test__ = False  # a domain class, not a pytest test class

    BASE = "base"
    PLUS = "plus"


class CheckerName(enum.StrEnum):
    """How an answer is compared with the expected one, outside the sandbox."""

    LCB = "lcb"
    """LiveCodeBench's rule: strip, same line count, lines equal as strings or as exact
    Decimal tokens."""
    EXACT = "exact"
    """Byte-for-byte equality."""
    TOKENS = "tokens"
    """Equal whitespace-separated tokens."""
    FLOAT = "float"
    """Tokens equal as strings, or as numbers within an absolute or relative tolerance."""
    JSON = "json"
    """Call-based answers: JSON values equal (a tuple counts as a list)."""
    EVALPLUS = "evalplus"
    """Call-based, typed: Python's `==` on the returned value (a tuple is not a list), or
    np.allclose with abs_tol (or 1e-6 when the expected output is floats) and rel_tol, and the
    special oracles of a few MBPP tasks, as EvalPlus compares outputs."""
    POLY_ROOT = "poly_root"
    """Call-based: the answer x is a root of the polynomial whose coefficients are the first
    argument, within abs_tol (EvalPlus's oracle for HumanEval/32, where any root is right)."""


class Prelude(enum.StrEnum):
    """Code run in the candidate's namespace before its own code."""

    NONE = "none"
    LCB = "lcb"
    """LiveCodeBench's import block (``from typing import *`` and friends)."""


@dataclass(frozen=True, slots=True)
class CheckerSpec:
    """A checker and its parameters."""

    name: CheckerName
    abs_tol: float = 1e-9
    rel_tol: float = 1e-9


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for one test of a question."""

    time_s: float = 6.0
    """CPU seconds per test (LiveCodeBench's 6 s). A wall-clock backstop applies too."""
    memory_mb: int = 1024
    output_mb: int = 16


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test: its input (stdin text, or one JSON argument per line) and expected output.

    For call-based questions ``output`` is one JSON value. For HumanEval questions ``input`` is
    the check code and ``output`` is empty.
    """

    __test__ = False  # a domain class, not a pytest test class

    input: str
    output: str
    public: bool


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """Everything about a question except its tests."""

    id: str
    title: str
    kind: QuestionKind
    prompt: str = ""
    starter_code: str = ""
    entry_point: str = ""
    """Function or method name for CALL and HUMANEVAL questions."""
    release_date: str = ""
    """ISO date (YYYY-MM-DD) or empty."""
    source: str = ""
    """Which source format the question came from (the parser in :mod:`grader.bank.formats` that read it)."""
    checker: CheckerSpec = field(default_factory=lambda: CheckerSpec(CheckerName.LCB))
    limits: Limits = field(default_factory=Limits)
    prelude: Prelude = Prelude.NONE
    partial_solution: str = ""
    """Completion tasks: prepended to an answer that does not already start with it."""
    num_public_tests: int = 0
    num_private_tests: int = 0
    task: str = ""
    """The benchmark's task name (LiveBench: ``LCB_generation`` or ``coding_completion``), or empty."""
    category: str = ""
    """The benchmark's category (LiveBench: ``coding``), or empty."""
    num_base_tests: int = 0
    """How many of the tests (the first ones) are base tests; 0: all of them (no plus tests)."""
    code_prompt: str = ""
    """UNITTEST questions: the imports and signature prepended to an answer with no
    ``def <entry_point>`` (a body-only answer), as LiveBench does."""
    image: str = ""
    """The sandbox environment the question needs, by name (``bigcodebench``: the evaluation
    libraries); empty: the default Python image."""

    @property
    def total_tests(self) -> int:
        return self.num_public_tests + self.num_private_tests

    def tests_in(self, test_set: TestSet) -> int:
        """How many tests, from the first, a submission asking for `test_set` runs."""
        if test_set is TestSet.BASE and self.num_base_tests:
            return min(self.num_base_tests, self.total_tests)
        return self.total_tests


@dataclass(frozen=True, slots=True)
class Question:
    """A question with its tests, public first."""

    info: QuestionInfo
    tests: tuple[TestCase, ...]
    suite: str = ""
    """UNITTEST questions: the unittest source (``class TestCases``), private like the tests."""


class BankFormatError(ValueError):
    """A bank source file that cannot be read; the message names file, line and reason."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason
