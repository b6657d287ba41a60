"""HumanEval-style rows: ``task_id``, ``prompt``, ``entry_point`` and ``test``."""

from __future__ import annotations

from grader.bank.formats.common import Row, req_str
from grader.bank.model import CheckerName, CheckerSpec, Question, QuestionInfo, QuestionKind, TestCase


def parse_humaneval(row: Row) -> Question:
    """A question whose one public test is the row's check code; other keys ignored."""
    task_id = req_str(row, "task_id")
    test = TestCase(input=req_str(row, "test"), output="", public=True)
    info = QuestionInfo(
        id=task_id,
        title=task_id,
        kind=QuestionKind.HUMANEVAL,
        prompt=req_str(row, "prompt"),
        entry_point=req_str(row, "entry_point"),
        source="humaneval",
        checker=CheckerSpec(CheckerName.EXACT),
        num_public_tests=1,
    )
    return Question(info=info, tests=(test,))
