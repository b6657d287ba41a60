"""LiveBench rows of its BigCodeBench-style tasks, ``code_generation`` and ``code_completion``.

The row's ``tests`` is a unittest suite (``class TestCases``), given inline or withheld in a
``test_cases_*.jsonl`` row joined on ``question_id`` (formats/withheld.py). ``remainder`` (the
rest of the reference after ``partial_solution``) is answer data and is not kept.
"""

from __future__ import annotations

from grader.bank.formats.common import Row, first_turn, normalise_date, opt_str, req_str
from grader.bank.formats.unittest_suite import SuiteQuestion, bigcodebench_question

GENERATION = "code_generation"
COMPLETION = "code_completion"
TASKS = (GENERATION, COMPLETION)


def parse_livebench_unittest(row: Row, category: str) -> SuiteQuestion:
    """A question from a LiveBench code_generation / code_completion row; its ``ground_truth``,
    when there is one, is the reference the build checks against the suite."""
    task = req_str(row, "task")
    question_id = req_str(row, "question_id")
    if task == COMPLETION:
        partial_solution = req_str(row, "partial_solution")
    else:
        partial_solution = opt_str(row, "partial_solution")
    code_prompt = opt_str(row, "code_prompt")
    release_date = normalise_date(row.get("release_date"), "release_date") or normalise_date(
        row.get("livebench_release_date"), "livebench_release_date"
    )
    # Without inline tests the suite is withheld: the build joins it on the question id.
    question = bigcodebench_question(
        row,
        opt_str(row, "tests"),
        "tests",
        id=question_id,
        title=opt_str(row, "question_title") or question_id,
        prompt=first_turn(row),
        starter_code=code_prompt,
        entry_point=req_str(row, "entry_point"),
        release_date=release_date,
        source="livebench",
        partial_solution=partial_solution,
        task=task,
        category=category,
        code_prompt=code_prompt,
    )
    return SuiteQuestion(question, opt_str(row, "ground_truth"))
