"""The unit tests' stdin question: four tests (two public) whose expected outputs are distinctive
strings, so that a leak of one into the sandbox is easy to spot, and the answers a correct
program prints."""

from __future__ import annotations

from typing import Any

from grader.bank.model import Limits, Question, QuestionInfo, QuestionKind, TestCase

LIMITS = Limits(time_s=2.0, memory_mb=256, output_mb=16)
# Expected outputs are distinctive strings, so a leak into the sandbox is easy to spot.
SECRET = "expected-7f3a9c"
TESTS = (
    TestCase("in-0\n", f"{SECRET}-0\n", True),
    TestCase("in-1\n", f"{SECRET}-1\n", True),
    TestCase("in-2\n", f"{SECRET}-2\n", False),
    TestCase("in-3\n", f"{SECRET}-3\n", False),
)
ANSWERS = {t.input: t.output.encode() for t in TESTS}
CODE = "print(input().upper())"


def question(qid: str, **fields: Any) -> Question:
    return Question(
        info=QuestionInfo(id=qid, title=qid, kind=QuestionKind.STDIN, limits=LIMITS, **fields), tests=TESTS
    )
