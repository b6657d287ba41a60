"""EvalPlus rows (HumanEval+ and MBPP+): differential call-based questions.

A row carries the task (``prompt``, ``entry_point``, ``canonical_solution``), its inputs
(``base_input`` and ``plus_input``, JSON lists of argument lists, sometimes as JSON text) and
``atol``. Expected outputs are not in the data: :mod:`grader.bank.reference` computes them by
running the canonical solution in the sandbox at build time. The bank holds either the base
inputs (HumanEval / MBPP as EvalPlus grades them) or base + extra inputs (HumanEval+, MBPP+); a
plus bank records how many inputs are base, so a request may still ask for base only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from grader.bank.formats.common import Row, RowError, req_str
from grader.bank.formats.mbpp_inputs import mbpp_arguments
from grader.bank.model import (
    CheckerName,
    CheckerSpec,
    Prelude,
    Question,
    QuestionInfo,
    QuestionKind,
    TestCase,
    TestSet,
)
from grader.runner.codec import TYPED_MARKER, tagged

EVALPLUS_KEYS = frozenset({"task_id", "entry_point", "canonical_solution", "base_input", "plus_input"})

# np.allclose's relative tolerance in EvalPlus's comparison; abs_tol is the task's atol (0: none).
RTOL = 1e-7
POLY_ROOT_ATOL = 1e-4

# Where any root is right, not the canonical one (MBPP's oracles are in grader/judge/values.py).
POLY_ROOT_TASKS = frozenset({"HumanEval/32"})


@dataclass(frozen=True, slots=True)
class ReferenceTask:
    """A question whose expected outputs are still to be computed from ``reference_code``."""

    question: Question
    reference_code: str


def is_evalplus_row(row: Row) -> bool:
    return row.keys() >= EVALPLUS_KEYS


def _inputs(row: Row, key: str) -> list[list[Any]]:
    if key not in row:
        raise RowError(f"missing required field {key!r}")
    value = row[key]
    if value == {}:  # MBPP+ v0.2.0 writes Mbpp/793's empty plus_input as {}
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise RowError(f"{key}: not valid JSON") from None
    if not isinstance(value, list) or not all(isinstance(args, list) for args in value):
        raise RowError(f"{key}: must be a list of argument lists")
    return value


def parse_evalplus(row: Row, test_set: TestSet) -> ReferenceTask:
    """The question of one row, its tests' outputs left empty for the reference run."""
    task_id = req_str(row, "task_id")
    inputs = _inputs(row, "base_input")
    num_base = len(inputs)
    if test_set is TestSet.PLUS:
        inputs += _inputs(row, "plus_input")
    if not inputs:
        raise RowError("base_input: no inputs")
    try:
        atol = float(row.get("atol") or 0)
    except (TypeError, ValueError, OverflowError):
        raise RowError("atol: not a number") from None
    prompt = req_str(row, "prompt")
    entry_point = req_str(row, "entry_point")
    if task_id in POLY_ROOT_TASKS:
        checker = CheckerSpec(CheckerName.POLY_ROOT, abs_tol=atol or POLY_ROOT_ATOL, rel_tol=0.0)
    else:
        checker = CheckerSpec(CheckerName.EVALPLUS, abs_tol=atol, rel_tol=RTOL)
    mbpp = task_id.startswith("Mbpp/")
    try:
        typed = [mbpp_arguments(task_id, args) if mbpp else args for args in inputs]
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise RowError(
            f"base_input/plus_input: cannot rebuild the argument types ({type(exc).__name__})"
        ) from None
    try:
        tests = tuple(
            # Tagged JSON, one argument per line, so tuples, sets and complex numbers arrive as such.
            TestCase(input="\n".join([TYPED_MARKER, *(json.dumps(tagged(arg)) for arg in args)]), output="",
                     public=i == 0)
            for i, args in enumerate(typed)
        )  # fmt: skip
    except RecursionError:
        raise RowError("base_input/plus_input: arguments nested too deeply") from None
    suffix = "" if test_set is TestSet.BASE else "+"
    info = QuestionInfo(
        id=task_id,
        title=f"{task_id} ({'HumanEval' if task_id.startswith('HumanEval') else 'MBPP'}{suffix})",
        kind=QuestionKind.CALL,
        prompt=prompt,
        entry_point=entry_point,
        source=f"evalplus-{test_set}",
        checker=checker,
        prelude=Prelude.NONE,
        num_public_tests=1,
        num_private_tests=len(tests) - 1,
        num_base_tests=num_base if test_set is TestSet.PLUS else 0,
    )
    return ReferenceTask(Question(info=info, tests=tests), prompt + req_str(row, "canonical_solution"))
