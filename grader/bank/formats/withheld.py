"""Withheld-tests rows: ``question_id`` and either ``private_test_cases`` or ``tests``.

LiveBench publishes some private tests apart from their questions (``test_cases_*.jsonl``); the
bank build joins such a row onto the question with its id. ``private_test_cases`` are
LiveCodeBench tests; ``tests`` is the unittest suite of a ``code_generation`` /
``code_completion`` question.
"""

from __future__ import annotations

from grader.bank.formats.common import Row, RowError, WithheldTests, parse_lcb_tests, req_str
from grader.bank.formats.unittest_suite import method_tests, suite_methods
from grader.bank.model import QuestionKind

FIELDS = frozenset({"question_id", "private_test_cases"})
SUITE_FIELDS = frozenset({"question_id", "tests"})


def is_withheld_row(row: Row) -> bool:
    return row.keys() in (FIELDS, SUITE_FIELDS)


def parse_withheld(row: Row) -> WithheldTests:
    """Private tests, or a suite, for a question given elsewhere."""
    question_id = req_str(row, "question_id")
    if "tests" in row:
        suite = req_str(row, "tests")
        methods = suite_methods(suite, "tests")
        return WithheldTests(question_id, method_tests(methods), QuestionKind.UNITTEST, suite)
    tests, kinds = parse_lcb_tests(
        row.get("private_test_cases"),
        "private_test_cases",
        public=False,
        allow_compressed=True,
    )
    if len(kinds) > 1:
        raise RowError("private_test_cases: tests of more than one testtype")
    return WithheldTests(question_id=question_id, tests=tests, kind=next(iter(kinds), None))
