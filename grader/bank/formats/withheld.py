"""Withheld-tests rows: only ``question_id`` and ``private_test_cases``.

LiveBench publishes some private tests apart from their questions
(``test_cases_*.jsonl``); the bank build joins such a row onto the question with its
id.
"""

from __future__ import annotations

from grader.bank.formats.common import Row, RowError, WithheldTests, parse_lcb_tests, req_str

FIELDS = frozenset({"question_id", "private_test_cases"})


def parse_withheld(row: Row) -> WithheldTests:
    """Private tests for a question given elsewhere."""
    tests, kinds = parse_lcb_tests(
        row.get("private_test_cases"),
        "private_test_cases",
        public=False,
        allow_compressed=True,
    )
    if len(kinds) > 1:
        raise RowError("private_test_cases: tests of more than one testtype")
    return WithheldTests(
        question_id=req_str(row, "question_id"),
        tests=tests,
        kind=next(iter(kinds), None),
    )
