"""BigCodeBench rows (``task_id``, ``complete_prompt``, ``instruct_prompt``, ``code_prompt``,
``canonical_solution``, ``test``, ``entry_point``, ``libs``).

The prompt is ``instruct_prompt``, the one LiveBench's ``code_generation`` questions are made
like (BigCodeBench's "instruct" split; ``complete_prompt`` is the function's docstring, and the
prompt only matters to GetQuestion). The reference is ``complete_prompt + "\\n" +
canonical_solution``, as BigCodeBench's own ground-truth check joins them.
"""

from __future__ import annotations

from grader.bank.formats.common import Row, req_str
from grader.bank.formats.unittest_suite import SuiteQuestion, bigcodebench_question

SIGNATURE = frozenset({"task_id", "complete_prompt", "instruct_prompt", "code_prompt", "test", "entry_point"})


def is_bigcodebench_row(row: Row) -> bool:
    return row.keys() >= SIGNATURE


def parse_bigcodebench(row: Row) -> SuiteQuestion:
    """A unittest question from a BigCodeBench row, checked at build time with its canonical solution."""
    task_id = req_str(row, "task_id")
    code_prompt = req_str(row, "code_prompt")
    question = bigcodebench_question(
        row,
        req_str(row, "test"),
        "test",
        id=task_id,
        title=task_id,
        prompt=req_str(row, "instruct_prompt"),
        starter_code=code_prompt,
        entry_point=req_str(row, "entry_point"),
        source="bigcodebench",
        code_prompt=code_prompt,
    )
    reference = ""
    if "canonical_solution" in row:
        solution = req_str(row, "canonical_solution", nonempty=False)
        reference = req_str(row, "complete_prompt") + "\n" + solution
    return SuiteQuestion(question, reference)
