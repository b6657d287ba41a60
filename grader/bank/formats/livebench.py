"""LiveBench coding question rows: ``LCB_generation`` and ``coding_completion`` here,
``code_generation`` and ``code_completion`` in formats/livebench_unittest.py."""

from __future__ import annotations

from grader.bank.formats.common import (
    Row,
    RowError,
    first_turn,
    json_object,
    normalise_date,
    opt_str,
    req_str,
)
from grader.bank.formats.livebench_unittest import TASKS as UNITTEST_TASKS
from grader.bank.formats.livebench_unittest import parse_livebench_unittest
from grader.bank.formats.livecodebench import lcb_shape, lcb_tests
from grader.bank.formats.unittest_suite import SuiteQuestion
from grader.bank.model import Prelude, Question, QuestionInfo

GENERATION = "LCB_generation"
COMPLETION = "coding_completion"
_TASKS = (GENERATION, COMPLETION)
CATEGORY = "coding"
"""LiveBench's category of both tasks; a row without ``category`` gets it."""


def parse_livebench(row: Row) -> Question | SuiteQuestion:
    """A question from a LiveBench row; ``original_json`` is the LiveCodeBench row.

    The date is ``release_date`` (an ISO string, or epoch seconds or milliseconds as
    pandas exports it), else the LiveCodeBench ``contest_date``. ``task`` and ``category``
    are kept: LiveBench's judgment rows name them.
    """
    task = req_str(row, "task")
    if task in UNITTEST_TASKS:
        return parse_livebench_unittest(row, opt_str(row, "category") or CATEGORY)
    if task not in _TASKS:
        supported = ", ".join(_TASKS + UNITTEST_TASKS)
        raise RowError(f"field 'task': unsupported LiveBench task (supported: {supported})")
    if "original_json" not in row:
        raise RowError("missing required field 'original_json'")
    original = json_object(row["original_json"], "original_json")
    shape = lcb_shape(original.get("metadata"), "original_json.metadata")
    tests = lcb_tests(row, shape.kind)
    release_date = normalise_date(row.get("release_date"), "release_date")
    if not release_date:
        release_date = normalise_date(original.get("contest_date"), "original_json.contest_date")
    if task == COMPLETION:
        partial_solution = req_str(row, "partial_solution")
    else:
        partial_solution = opt_str(row, "partial_solution")
    question_id = req_str(row, "question_id")
    title = opt_str(row, "question_title") or opt_str(original, "question_title") or question_id
    info = QuestionInfo(
        id=question_id,
        title=title,
        kind=shape.kind,
        prompt=first_turn(row),
        starter_code=opt_str(original, "starter_code"),
        entry_point=shape.entry_point,
        release_date=release_date,
        source="livebench",
        checker=shape.checker,
        prelude=Prelude.LCB,
        partial_solution=partial_solution,
        num_public_tests=sum(t.public for t in tests),
        num_private_tests=sum(not t.public for t in tests),
        task=task,
        category=opt_str(row, "category") or CATEGORY,
    )
    return Question(info=info, tests=tests)
